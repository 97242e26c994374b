//! Errors of the report crate.

/// What can go wrong while drawing a report.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A chart could not be rasterised.
    #[error("chart `{chart}` could not be written as PNG: {reason}")]
    Png {
        /// The chart's id.
        chart: String,
        /// Why.
        reason: String,
    },
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
