//! The process's peak resident memory during one phase of its work.
//!
//! Written by hand: the memory crates report current usage, not the peak of a phase.
//! Linux keeps the process's all-time peak (`VmHWM` in `/proc/self/status`); resetting it
//! between phases would also reset what `getrusage`, `wait4` and `/usr/bin/time` report for
//! the whole process, so it is left alone. Instead a phase samples the current size
//! (`VmRSS`) every few milliseconds on a helper thread, and when the all-time peak rose during
//! the phase, that exact figure is the phase's peak. Elsewhere than Linux nothing is reported.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

/// How often a phase looks at the resident size.
const SAMPLE_EVERY: Duration = Duration::from_millis(10);

/// Watches the resident memory of one phase; [`PhaseMemory::finish`] gives its peak.
#[derive(Debug)]
pub struct PhaseMemory {
    all_time_before: Option<u64>,
    sampled_peak: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    sampler: Option<std::thread::JoinHandle<()>>,
}

impl PhaseMemory {
    /// Starts watching.
    pub fn start() -> Self {
        let all_time_before = status_kib("VmHWM:");
        let sampled_peak = Arc::new(AtomicU64::new(status_kib("VmRSS:").unwrap_or(0)));
        let stop = Arc::new(AtomicBool::new(false));
        let sampler = all_time_before.is_some().then(|| {
            let (peak, stop) = (Arc::clone(&sampled_peak), Arc::clone(&stop));
            std::thread::Builder::new()
                .name("peak-memory".to_owned())
                .spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        if let Some(now) = status_kib("VmRSS:") {
                            peak.fetch_max(now, Ordering::Relaxed);
                        }
                        std::thread::sleep(SAMPLE_EVERY);
                    }
                })
                .ok()
        });
        Self {
            all_time_before,
            sampled_peak,
            stop,
            sampler: sampler.flatten(),
        }
    }

    /// Stops watching; the most resident memory the process held during the phase, in bytes.
    pub fn finish(mut self) -> Option<u64> {
        self.stop_sampler();
        let before = self.all_time_before?;
        let after = status_kib("VmHWM:")?;
        let sampled = self
            .sampled_peak
            .load(Ordering::Relaxed)
            .max(status_kib("VmRSS:").unwrap_or(0));
        let peak = if after > before {
            after.max(sampled)
        } else {
            sampled
        };
        Some(peak * 1024)
    }

    fn stop_sampler(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(sampler) = self.sampler.take() {
            let _ = sampler.join();
        }
    }
}

impl Drop for PhaseMemory {
    fn drop(&mut self) {
        self.stop_sampler();
    }
}

/// The value in kB of the `/proc/self/status` line starting with `key`.
fn status_kib(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with(key))?;
    line[key.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(target_os = "linux")]
    fn a_phase_sees_its_own_allocation_and_not_an_earlier_one() {
        let phase = PhaseMemory::start();
        let block = vec![1u8; 256 << 20];
        std::hint::black_box(&block);
        let with_block = phase.finish().expect("Linux reports memory");
        drop(block);
        let phase = PhaseMemory::start();
        std::thread::sleep(Duration::from_millis(50));
        let without = phase.finish().unwrap();
        assert!(with_block >= 256 << 20, "{with_block}");
        assert!(
            without + (200 << 20) <= with_block,
            "{without} vs {with_block}"
        );
    }
}
