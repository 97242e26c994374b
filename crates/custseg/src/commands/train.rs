//! `custseg train`: the segmentation model from a customer feature table, recorded as a
//! tracked run.

use anyhow::{Context, Result};
use custseg_io::{StagedOutput, sha256_file};

use crate::cli::TrainArgs;
use crate::progress::TerminalProgress;
use crate::settings::{ApplyArgs, Settings};
use custseg_pipeline::model_stage::{self, load_previous, training_columns};
use custseg_pipeline::tables::read_customer_table;
use custseg_pipeline::tracking::{RunRecorder, Tracking, flatten_params};

/// Runs `custseg train`.
pub fn run(args: &TrainArgs, mut settings: Settings, quiet: bool) -> Result<()> {
    settings.apply_model_args(&args.model)?;
    let tracking = Tracking::resolve(&settings.tracking, &settings.registry);
    let mut params = flatten_params(&serde_json::json!({ "model": settings.model }));
    params.push(("features".to_owned(), args.features.display().to_string()));
    params.push(("out".to_owned(), args.out.display().to_string()));
    let run_name = format!(
        "train {}",
        args.features
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
    );
    let recorder = RunRecorder::start(&tracking, "train", &run_name, params)?;
    let outcome = train(args, &settings, quiet);
    if let Some(recorder) = recorder {
        let logged = match &outcome {
            Ok(sha) => recorder
                .tags(&[("features_sha256".to_owned(), sha.clone())])
                .and_then(|()| recorder.log_outputs(&args.out)),
            Err(_) => Ok(()),
        };
        let result = outcome
            .as_ref()
            .map(|_| ())
            .map_err(|e| anyhow::anyhow!("{e:#}"));
        let result = result.and(logged);
        let id = recorder.run_id().to_owned();
        let location = recorder.location();
        recorder.finish(&result)?;
        crate::progress::say!("tracked    run {id} in {location}");
        return result;
    }
    outcome.map(|_| ())
}

/// Trains and commits the outputs; returns the feature table's SHA-256.
fn train(args: &TrainArgs, settings: &Settings, quiet: bool) -> Result<String> {
    let config = &settings.model;
    let (table, _) = read_customer_table(&args.features, &training_columns(config))?;
    let sha = sha256_file(&args.features)?;
    let previous = args
        .previous
        .as_deref()
        .map(|path| load_previous(path, &table))
        .transpose()?;
    let mut staged = StagedOutput::new(&args.out)?;
    let progress = TerminalProgress::new(quiet);
    let outcome = model_stage::stage_model(
        &mut staged,
        &table,
        config,
        Some(sha.clone()),
        previous.as_ref(),
        &progress,
    )
    .with_context(|| {
        format!(
            "training on `{}` failed; `{}` was left as it was",
            args.features.display(),
            args.out.display()
        )
    })?;
    let files = staged.commit()?;
    for line in model_stage::summary_lines(&outcome) {
        crate::progress::say!("{line}");
    }
    for file in files {
        crate::progress::say!("wrote      {}", file.display());
    }
    Ok(sha)
}
