//! `custseg clv`: the pipeline's DAG up to its `clv` stage (ingest -> clean -> features ->
//! lifetime value), untracked.

use std::sync::Arc;

use anyhow::Result;
use custseg_pipeline::request::PipelineRequest;

use super::demo_data::input_or_demo;
use super::run::run_until;
use crate::cli::ClvArgs;
use crate::progress::TerminalProgress;
use crate::settings::{ApplyArgs, Settings};

/// Runs `custseg clv`.
pub fn run(args: &ClvArgs, mut settings: Settings, quiet: bool) -> Result<()> {
    settings.apply_ingest_args(&args.ingest)?;
    settings.apply_engine_args(&args.engine, &args.out)?;
    settings.apply_clv_args(args)?;
    // Checked before anything runs.
    settings.clv.options()?;
    let input = input_or_demo(args.input.as_deref(), &settings, quiet)?;
    let mut request = PipelineRequest::new(
        input,
        settings,
        args.as_of,
        Arc::new(TerminalProgress::new(quiet)),
    );
    request.clv = true;
    request.calibration_end = args.calibration_end;
    request.report = false;
    run_until(&request, &args.out, "clv", quiet)
}
