//! `custseg features`: the pipeline's DAG up to its `features` stage (ingest -> clean ->
//! features), untracked.

use anyhow::Result;

use super::demo_data::input_or_demo;
use super::run::{request, run_until};
use crate::cli::FeaturesArgs;
use crate::settings::{ApplyArgs, Settings};

/// Runs `custseg features`.
pub fn run(args: &FeaturesArgs, mut settings: Settings, quiet: bool) -> Result<()> {
    settings.apply_ingest_args(&args.ingest)?;
    settings.apply_engine_args(&args.engine, &args.out)?;
    let input = input_or_demo(args.input.as_deref(), &settings, quiet)?;
    let mut request = request(input, settings, args.as_of, quiet);
    request.clv = false;
    request.report = false;
    run_until(&request, &args.out, "features", quiet)
}
