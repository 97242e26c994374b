//! Progress bars on a terminal; nothing otherwise.
//!
//! Every bar belongs to one [`MultiProgress`] on stderr, so a pipeline stage's bar and the bars
//! of the work inside it (bytes read, model fits) draw together; lines for people go through
//! [`say!`], which lifts the bars while it prints.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use custseg_data::Progress;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

/// The bars of this process.
fn bars() -> &'static MultiProgress {
    static BARS: OnceLock<MultiProgress> = OnceLock::new();
    BARS.get_or_init(MultiProgress::new)
}

/// Runs `print` with the bars lifted off the terminal, so its output is not torn by them.
pub fn suspend<R>(print: impl FnOnce() -> R) -> R {
    bars().suspend(print)
}

static JSON: AtomicBool = AtomicBool::new(false);

/// `--message-format json`: stdout becomes JSON lines, one object per event (see [`emit`]);
/// each summary line a person would read becomes `{"event": "line", "text": ...}`.
pub fn set_json(json: bool) {
    JSON.store(json, Ordering::Relaxed);
}

/// Whether stdout speaks JSON lines.
pub fn json() -> bool {
    JSON.load(Ordering::Relaxed)
}

/// Writes one line to stdout. A closed stdout (`custseg run | head`) is not an error of the
/// command: the line is dropped and the work goes on.
fn write_line(line: std::fmt::Arguments<'_>) {
    suspend(|| {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
    });
}

/// Writes one summary line to stdout (as a JSON `line` event with `--message-format json`).
pub fn say_line(line: std::fmt::Arguments<'_>) {
    if json() {
        emit(&serde_json::json!({ "event": "line", "text": line.to_string() }));
    } else {
        write_line(line);
    }
}

/// With `--message-format json`, writes `event` as one line of JSON on stdout; otherwise
/// nothing (the human form of the event is printed by its command).
pub fn emit(event: &serde_json::Value) {
    if json() {
        write_line(format_args!("{event}"));
    }
}

/// A summary line for people on stdout, never tearing the progress bars. Stdout is the
/// command's result, so `-q` (which quiets stderr) leaves it.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::progress::say_line(format_args!($($arg)*))
    };
}
pub(crate) use say;

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
        let bar = bars().add(bar);
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
