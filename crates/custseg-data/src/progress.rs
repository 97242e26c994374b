/// Receives progress of long tasks. The binary shows it as a progress bar on a
/// terminal; libraries only report.
pub trait Progress: Send + Sync {
    /// A task starts; `total` is its size in its own unit (bytes or rows), if known.
    fn begin(&self, _label: &str, _total: Option<u64>) {}
    /// The task has reached `position`.
    fn advance_to(&self, _position: u64) {}
    /// The task is over.
    fn end(&self) {}
}

/// Reports nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl Progress for NoProgress {}
