//! `custseg run`: ingest -> clean -> features -> lifetime value -> model -> report, committed
//! together.

use anyhow::{Context, Result};
use custseg_data::pipeline::{self, FeaturesRequest};
use custseg_io::StagedOutput;

use super::clv;
use super::demo_data::demo_input;
use super::model_stage::{self, load_previous, training_columns};
use crate::cli::{ReportFormat, RunArgs};
use crate::progress::TerminalProgress;
use crate::settings::{Settings, parse_bytes};
use crate::tables::from_batches;

/// Runs `custseg run`.
pub fn run(args: &RunArgs, mut settings: Settings, quiet: bool) -> Result<()> {
    settings.apply_ingest_args(&args.ingest)?;
    settings.apply_model_args(&args.model)?;
    if let Some(limit) = &args.memory_limit {
        settings.engine.memory_limit = Some(parse_bytes(limit)?);
    }
    let input = match &args.input {
        Some(input) => input.clone(),
        None => demo_input(&settings.demo, &settings.ingest.data_dir, quiet)?,
    };
    let request = FeaturesRequest {
        ingest: settings.ingest.clone(),
        clean: settings.clean.clone(),
        engine: settings.engine.clone(),
        as_of: args.as_of.or(settings.features.as_of),
    };
    let progress = TerminalProgress::new(quiet);
    let failed = || {
        format!(
            "`custseg run` on `{input}` failed; `{}` was left as it was",
            args.out.display()
        )
    };
    let mut staged = StagedOutput::new(&args.out)?;
    let runtime = super::runtime()?;
    let features = runtime
        .block_on(pipeline::stage_features(
            &input,
            &mut staged,
            &request,
            &progress,
        ))
        .with_context(failed)?;
    let (mut table, _) =
        from_batches(&features.table, &training_columns(&settings.model)).with_context(failed)?;
    let value = if settings.clv.in_run && !args.skip_clv {
        let request = clv::ClvRequest::from_settings(&settings.clv, None)?;
        let outcome = clv::stage_clv(
            &mut staged,
            &runtime,
            &settings.engine,
            features.as_of,
            &request,
        )
        .with_context(|| {
            format!(
                "{}; `--skip-clv` leaves the lifetime-value stage out",
                failed()
            )
        })?;
        clv::join_into(&mut table, &outcome);
        Some(outcome)
    } else {
        None
    };
    let previous = args
        .previous
        .as_deref()
        .map(|path| load_previous(path, &table))
        .transpose()?;
    let model = model_stage::stage_model(
        &mut staged,
        &table,
        &settings.model,
        Some(features.report.input.sha256.clone()),
        previous.as_ref(),
        &progress,
    )
    .with_context(failed)?;
    let drawn = if args.skip_report {
        None
    } else {
        Some(
            super::report::stage_report(
                &mut staged,
                &settings.engine,
                &settings.model,
                args.report_format == ReportFormat::Png,
            )
            .with_context(failed)?,
        )
    };
    let files = staged.commit()?;

    let report = &features.report;
    println!(
        "rows       {} raw = {} clean + {} quarantined",
        report.raw_rows, report.clean_rows, report.quarantined_rows
    );
    println!(
        "customers  {} (as of {})",
        features.customers, features.as_of
    );
    let timings: Vec<String> = features
        .timings
        .iter()
        .map(|t| format!("{} {:.3}s", t.stage, t.seconds))
        .collect();
    println!("time       {}", timings.join(", "));
    if let Some(value) = &value {
        clv::print_summary(value);
    }
    model_stage::print_summary(&model);
    if let Some(drawn) = &drawn {
        super::report::print_summary(drawn);
    }
    for file in files {
        println!("wrote      {}", file.display());
    }
    Ok(())
}
