//! `custseg train`: the pipeline's `train` stage alone, on a given customer feature table,
//! recorded as a tracked run.

use std::collections::BTreeSet;

use anyhow::{Context, Result};
use custseg_dag::RunPlan;
use custseg_data::ingest::InputSource;
use custseg_pipeline::request::Scope;

use super::run::{execute, request};
use crate::cli::TrainArgs;
use crate::settings::{ApplyArgs, Settings};

/// Runs `custseg train`.
pub fn run(args: &TrainArgs, mut settings: Settings, quiet: bool) -> Result<()> {
    settings.apply_model_args(&args.model)?;
    let mut request = request(
        InputSource::Local(args.features.clone()),
        settings,
        None,
        quiet,
    );
    request.scope = Scope::TrainOn(args.features.clone());
    request.previous = args.previous.clone();
    request.clv = false;
    request.report = false;
    // Training is asked for, so it runs even where the same model is already committed.
    let plan = RunPlan {
        force: BTreeSet::from(["train".to_owned()]),
        ..RunPlan::default()
    };
    execute(&request, &args.out, &plan, "train", quiet).with_context(|| {
        format!(
            "training on `{}` failed; `{}` keeps its earlier model, if any",
            args.features.display(),
            args.out.display()
        )
    })
}
