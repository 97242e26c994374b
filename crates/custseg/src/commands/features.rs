//! `custseg features`: the pipeline's DAG up to its `features` stage (ingest -> clean ->
//! features), untracked.

use std::sync::Arc;

use anyhow::Result;
use custseg_pipeline::request::PipelineRequest;

use super::demo_data::input_or_demo;
use super::run::run_until;
use crate::cli::FeaturesArgs;
use crate::progress::TerminalProgress;
use crate::settings::{ApplyArgs, Settings};

/// Runs `custseg features`.
pub fn run(args: &FeaturesArgs, mut settings: Settings, quiet: bool) -> Result<()> {
    settings.apply_ingest_args(&args.ingest)?;
    settings.apply_engine_args(&args.engine, &args.out)?;
    let input = input_or_demo(args.input.as_deref(), &settings, quiet)?;
    let mut request = PipelineRequest::new(
        input,
        settings,
        args.as_of,
        Arc::new(TerminalProgress::new(quiet)),
    );
    request.clv = false;
    request.report = false;
    run_until(&request, &args.out, "features", quiet)
}
