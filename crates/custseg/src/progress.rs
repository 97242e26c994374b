//! Progress bars on a terminal; nothing otherwise.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Duration;

use custseg_data::Progress;
use indicatif::{ProgressBar, ProgressStyle};

/// Shows library progress as indicatif bars when stderr is a terminal.
pub struct TerminalProgress {
    enabled: bool,
    bar: Mutex<Option<ProgressBar>>,
}

impl TerminalProgress {
    /// Bars only on a terminal, and never with `--quiet`.
    pub fn new(quiet: bool) -> Self {
        Self {
            enabled: !quiet && std::io::stderr().is_terminal(),
            bar: Mutex::new(None),
        }
    }

    /// A bar for `total` units of `unit`, or a hidden one.
    pub fn bar(&self, label: &str, total: Option<u64>, unit: &str) -> ProgressBar {
        if !self.enabled {
            return ProgressBar::hidden();
        }
        let bar = match total {
            Some(total) => ProgressBar::new(total),
            None => ProgressBar::new_spinner(),
        };
        let template = match (total.is_some(), unit) {
            (true, "bytes") => "{prefix:>8} [{bar:30}] {bytes}/{total_bytes} ({eta})",
            (true, _) => "{prefix:>8} [{bar:30}] {human_pos}/{human_len} ({eta})",
            (false, _) => "{prefix:>8} {spinner} {elapsed}",
        };
        bar.set_style(
            ProgressStyle::with_template(template)
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_prefix(label.to_owned());
        bar.enable_steady_tick(Duration::from_millis(120));
        bar
    }
}

impl Progress for TerminalProgress {
    fn begin(&self, label: &str, total: Option<u64>) {
        // Data stages count bytes read; training counts model fits.
        let unit = if label == "training" { "fits" } else { "bytes" };
        let bar = self.bar(label, total, unit);
        if let Ok(mut slot) = self.bar.lock() {
            *slot = Some(bar);
        }
    }

    fn advance_to(&self, position: u64) {
        if let Ok(slot) = self.bar.lock()
            && let Some(bar) = slot.as_ref()
        {
            bar.set_position(position);
        }
    }

    fn end(&self) {
        if let Ok(mut slot) = self.bar.lock()
            && let Some(bar) = slot.take()
        {
            bar.finish_and_clear();
        }
    }
}
