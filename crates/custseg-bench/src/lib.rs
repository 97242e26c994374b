//! The in-process benchmark harnesses behind `custseg bench`. Each times one algorithm on
//! its own and prints what it measured (one JSON object, or for `drift` a table and an
//! optional JSON file), for the scripts under `bench/` that run the Python baselines side by
//! side.
//!
//! Owns: the harnesses and their command-line arguments. Never depends on: the binary, or
//! anything that serves or schedules.

pub mod clv;
pub mod drift;
pub mod intervals;
pub mod kmeans;
pub mod predict;
pub mod search;
mod timing;

use anyhow::Result;
use clap::Subcommand;
use custseg_model::ModelConfig;

/// `custseg bench`: one harness per subcommand.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Drift detection's false-alarm rates (windows drawn from the reference itself) and power
    /// (known rises of money features, a doubled segment, a broken correlation) by window size.
    Drift(drift::DriftArgs),
    /// K-Means on a seeded synthetic matrix of Gaussian blobs.
    Kmeans(kmeans::KmeansArgs),
    /// The model's K-Means search (with its scoring) on a customer feature table.
    Search(search::SearchArgs),
    /// BG/NBD + Gamma-Gamma fits and 12-month CLV scoring on a `clv/summary.parquet`.
    Clv(clv::ClvArgs),
    /// BG/NBD on customers simulated from the BG/NBD process: fit time, scoring time, peak
    /// memory, and how close the fit comes to the parameters simulated.
    ClvSimulated(clv::ClvSimulatedArgs),
    /// Lifetime value's whole uncertainty path on simulated customers: both fits with their
    /// standard errors, then every customer's intervals from parameter draws.
    ClvIntervals(intervals::IntervalsArgs),
    /// The unavoidable work of one `POST /predict` request, without HTTP: parsing its body and
    /// scoring its instances, on a fixed number of threads. Gives the ceiling of requests per
    /// second any server of this model could reach on this machine.
    Predict(predict::PredictArgs),
}

/// Runs the harness `command`; `search` reads the model settings from `model`.
pub fn run(command: &BenchCommand, model: &ModelConfig) -> Result<()> {
    match command {
        BenchCommand::Kmeans(args) => kmeans::run(args),
        BenchCommand::Search(args) => search::run(args, model),
        BenchCommand::Clv(args) => clv::run(args),
        BenchCommand::ClvSimulated(args) => clv::run_simulated(args),
        BenchCommand::ClvIntervals(args) => intervals::run(args),
        BenchCommand::Predict(args) => predict::run(args),
        BenchCommand::Drift(args) => drift::run(args),
    }
}
