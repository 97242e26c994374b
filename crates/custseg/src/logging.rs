//! The tracing subscriber: logs to stderr, data to stdout.

use std::io::Write;

use tracing_subscriber::EnvFilter;

/// Stderr that lifts the progress bars while a log line is written, so neither tears the other.
struct BelowTheBars;

impl Write for BelowTheBars {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        crate::progress::suspend(|| std::io::stderr().write_all(bytes))?;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// Installs the subscriber; `RUST_LOG` wins over the flags.
pub fn init(verbose: u8, quiet: bool) {
    let default = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn,custseg=info,custseg_data=info",
        (false, 1) => "info,custseg=debug,custseg_data=debug",
        (false, _) => "debug,custseg=trace,custseg_data=trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| BelowTheBars)
        .with_target(false)
        .compact()
        .init();
}
