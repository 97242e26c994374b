//! The tracing subscriber: logs to stderr, data to stdout.

use tracing_subscriber::EnvFilter;

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
        .with_writer(std::io::stderr)
        .with_target(false)
        .compact()
        .init();
}
