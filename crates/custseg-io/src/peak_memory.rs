//! The process's peak resident memory, per phase.
//!
//! Written by hand: the memory crates report current usage, not a peak that can be reset
//! between stages. Linux keeps the peak (`VmHWM` in `/proc/self/status`) and resets it to
//! the current size when `5` is written to `/proc/self/clear_refs`; elsewhere both
//! functions report nothing.

/// Starts a new phase: the peak is set back to the memory in use now.
pub fn reset_peak_rss() {
    #[cfg(target_os = "linux")]
    if let Err(error) = std::fs::write("/proc/self/clear_refs", b"5") {
        tracing::debug!(%error, "cannot reset the peak resident memory");
    }
}

/// The most resident memory the process has held since it started or since the last
/// [`reset_peak_rss`], in bytes.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kib: u64 = line
        .trim_start_matches("VmHWM:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(target_os = "linux")]
    fn the_peak_covers_a_large_allocation_and_resets_after_it() {
        reset_peak_rss();
        let before = peak_rss_bytes().expect("VmHWM on Linux");
        let block = vec![1u8; 256 << 20];
        std::hint::black_box(&block);
        let during = peak_rss_bytes().unwrap();
        assert!(during >= before + (200 << 20), "{before} -> {during}");
        drop(block);
        reset_peak_rss();
        let after = peak_rss_bytes().unwrap();
        assert!(after + (200 << 20) <= during, "{during} -> {after}");
    }
}
