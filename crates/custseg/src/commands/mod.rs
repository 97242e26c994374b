//! One file per subcommand.

mod cluster;
mod clv;
mod config;
mod dag;
mod demo_data;
mod features;
mod models;
mod monitor;
mod predict;
mod report;
mod run;
mod runs;
mod schedule;
mod serve;
mod train;

use anyhow::Result;

use crate::cli::{Cli, Command};
use crate::settings::Settings;

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    let settings = Settings::load(cli.config.as_deref())?;
    match cli.command {
        Command::DemoData(args) => demo_data::run(&args, &settings, cli.quiet),
        Command::Features(args) => features::run(&args, settings, cli.quiet),
        Command::Train(args) => train::run(&args, settings, cli.quiet),
        Command::Run(args) => run::run(&args, settings, cli.quiet),
        Command::Dag(args) => dag::run(&args, settings),
        Command::Schedule(args) => schedule::run(&args, settings, cli.quiet),
        Command::Cluster(command) => cluster::run(&command),
        Command::Runs(command) => runs::run(&command, &settings),
        Command::Models(command) => models::run(&command, &settings),
        Command::Predict(args) => predict::run(&args),
        Command::Clv(args) => clv::run(&args, settings, cli.quiet),
        Command::Report(args) => report::run(&args, settings, cli.quiet),
        Command::Serve(args) => serve::run(&args, &settings),
        Command::Monitor(command) => monitor::run(&command),
        Command::Config(command) => config::run(&command, &settings),
        Command::Bench(command) => custseg_bench::run(&command, &settings.model),
    }
}

/// A multi-threaded runtime for the query engine and the server.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(custseg_pipeline::engine_stage::runtime()?)
}
