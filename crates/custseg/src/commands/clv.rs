//! `custseg clv`: the pipeline's DAG up to its `clv` stage (ingest -> clean -> features ->
//! lifetime value), untracked.

use anyhow::Result;

use super::demo_data::input_or_demo;
use super::run::{request, run_until};
use crate::cli::ClvArgs;
use crate::settings::{ApplyArgs, Settings};

/// Runs `custseg clv`.
pub fn run(args: &ClvArgs, mut settings: Settings, quiet: bool) -> Result<()> {
    settings.apply_ingest_args(&args.ingest)?;
    settings.apply_engine_args(&args.engine, &args.out)?;
    settings.apply_clv_args(args)?;
    let input = input_or_demo(args.input.as_deref(), &settings, quiet)?;
    let mut request = request(input, settings, args.as_of, quiet);
    request.clv = true;
    request.calibration_end = args.calibration_end;
    request.report = false;
    run_until(&request, &args.out, "clv", quiet)
}
