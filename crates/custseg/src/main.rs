//! `custseg`: the command-line binary, a thin shell over `custseg-pipeline` and the library
//! crates: it parses arguments, lays them over the settings, sets up logging and progress
//! bars, prints results, and maps errors to exit codes. It and `custseg-pipeline`, the application, are the only crates
//! that use `anyhow`.
//!
//! Exit codes: 0 success; 1 the command failed (bad input, I/O, a failed check),
//! with the reason on stderr; 2 the command line is invalid.

mod cli;
mod commands;
mod logging;
mod progress;
mod settings;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    logging::init(logging::Verbosity {
        verbose: cli.verbose,
        quiet: cli.quiet,
        daemon: cli.command.runs_until_stopped(),
    });
    progress::set_json(cli.message_format == cli::MessageFormat::Json);
    let outcome = commands::run(cli);
    // Cluster jobs abandoned by a failed statement are cancelled before the process ends.
    let unsettled = custseg_cluster_jobs::settle_abandoned_jobs(std::time::Duration::from_secs(15));
    if unsettled > 0 {
        tracing::warn!(
            unsettled,
            "exiting before every abandoned cluster job was cancelled"
        );
    }
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            progress::emit(&serde_json::json!({"event": "error", "message": format!("{error:#}")}));
            std::process::ExitCode::from(1)
        }
    }
}
