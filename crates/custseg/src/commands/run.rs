//! `custseg run`: the pipeline's DAG of cached stages (ingest -> clean -> features -> lifetime
//! value -> train -> evaluate -> register -> report), recorded as a tracked run.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use custseg_dag::{RunPlan, StageOutcome, StageStatus};
use custseg_data::ingest::InputSource;

use super::demo_data::input_or_demo;
use crate::cli::{ReportFormat, RunArgs};
use crate::progress::{TerminalProgress, say};
use crate::settings::{ApplyArgs, Settings};
use custseg_pipeline::request::PipelineRequest;
use custseg_pipeline::run;

/// Builds the pipeline request `custseg run`, `custseg dag` and `custseg schedule` share.
/// With `generate_demo` false, `--demo` names the demo dataset without generating it (for
/// `custseg dag`, which only prints the stages).
pub fn pipeline_request(
    args: &RunArgs,
    mut settings: Settings,
    quiet: bool,
    generate_demo: bool,
) -> Result<PipelineRequest> {
    settings.apply_ingest_args(&args.ingest)?;
    settings.apply_model_args(&args.model)?;
    settings.apply_engine_args(&args.engine, &args.out)?;
    if let Some(alias) = &args.promote_to {
        settings.registry.promote_to = Some(alias.clone());
    }
    let input = match &args.input {
        Some(input) => InputSource::classify(input),
        None if generate_demo => input_or_demo(None, &settings, quiet)?,
        None => InputSource::classify("(demo dataset)"),
    };
    let mut request = request(input, settings, args.as_of, quiet);
    request.previous = args.previous.clone();
    request.clv &= !args.skip_clv;
    request.report = !args.skip_report;
    request.png = args.report_format == ReportFormat::Png;
    Ok(request)
}

/// The whole pipeline's request on `input`, with progress bars on a terminal unless `quiet`;
/// each command narrows it.
pub fn request(
    input: InputSource,
    settings: Settings,
    as_of: Option<chrono::NaiveDate>,
    quiet: bool,
) -> PipelineRequest {
    PipelineRequest::new(
        input,
        settings,
        as_of,
        Arc::new(TerminalProgress::new(quiet)),
    )
}

/// The run's plan from `--force`, `--only` and `--until`.
pub fn plan(args: &RunArgs) -> RunPlan {
    RunPlan {
        force: args.force.iter().cloned().collect::<BTreeSet<_>>(),
        only: args.only.clone(),
        until: args.until.clone(),
    }
}

/// Runs `custseg run`.
pub fn run(args: &RunArgs, settings: Settings, quiet: bool) -> Result<()> {
    let request = pipeline_request(args, settings, quiet, true)?;
    let result = execute(&request, &args.out, &plan(args), "run", quiet);
    if let Some(directory) = &request.features.engine.spill_dir {
        custseg_data::engine::remove_spill_dir(directory);
    }
    result
}

/// Runs the pipeline of `request` in `out` up to and including the stage `until`, untracked:
/// `custseg features` and `custseg clv`, which are named after that stage. Each stage commits
/// its outputs together; when one fails, the stages before it stay committed and the next
/// run resumes from it. An output directory the run created and left empty is removed.
pub fn run_until(request: &PipelineRequest, out: &Path, until: &str, quiet: bool) -> Result<()> {
    let out_existed = out.exists();
    let mut request = request.clone();
    request.tracking.enabled = false;
    let plan = RunPlan {
        until: Some(until.to_owned()),
        ..RunPlan::default()
    };
    let result = execute(&request, out, &plan, until, quiet);
    if let Some(directory) = &request.features.engine.spill_dir {
        custseg_data::engine::remove_spill_dir(directory);
    }
    if result.is_err() && !out_existed && holds_nothing_committed(out) {
        let _ = std::fs::remove_dir_all(out);
    }
    result.with_context(|| format!("`custseg {until}` on `{}` failed", request.input))
}

/// Whether `out` holds nothing but the runner's guard file: a run that created it failed
/// before any stage committed.
fn holds_nothing_committed(out: &Path) -> bool {
    std::fs::read_dir(out).is_ok_and(|entries| {
        entries
            .flatten()
            .all(|entry| entry.file_name() == custseg_dag::RUN_LOCK)
    })
}

/// Runs the pipeline of `request` in `out` with `plan` as a tracked run of `command`;
/// prints each stage as it runs or is skipped.
pub fn execute(
    request: &PipelineRequest,
    out: &std::path::Path,
    plan: &RunPlan,
    command: &str,
    quiet: bool,
) -> Result<()> {
    // On a terminal, a spinner per stage while it runs, beside the bars of the work inside it.
    let progress = TerminalProgress::new(quiet);
    let mut spinner: Option<indicatif::ProgressBar> = None;
    let mut observe = |outcome: &StageOutcome| {
        if let Some(bar) = spinner.take() {
            bar.finish_and_clear();
        }
        if crate::progress::json() {
            emit_stage(outcome);
        } else {
            print_stage(outcome);
        }
        if outcome.status == StageStatus::Started {
            spinner = Some(progress.bar(&outcome.stage, None, "stage"));
        }
    };
    let executed = run::execute(request, out, plan, command, &mut observe)?;
    if let Some(stages) = &executed.stages
        && !crate::progress::json()
    {
        say!(
            "pipeline   {} ran, {} skipped as unchanged{}",
            stages.ran.len(),
            stages.skipped.len(),
            if stages.ran.is_empty() {
                String::new()
            } else {
                format!(" (ran: {})", stages.ran.join(", "))
            }
        );
    }
    let mut tracked = serde_json::Value::Null;
    if let Some(run) = &executed.tracked {
        for earlier in &run.settled {
            say!(
                "ended      run {} as {}: an earlier process left it open ({})",
                earlier.run_id,
                earlier.status.as_str(),
                earlier
                    .error
                    .as_deref()
                    .and_then(|e| e.lines().next())
                    .unwrap_or("no error")
            );
        }
        if crate::progress::json() {
            tracked = serde_json::json!({ "run_id": run.run_id, "store": run.store });
        } else {
            say!("tracked    run {} in {}", run.run_id, run.store);
        }
    }
    if let (Ok(()), Some(stages)) = (&executed.outcome, &executed.stages) {
        crate::progress::emit(&serde_json::json!({
            "event": "finished",
            "out": out.display().to_string(),
            "ran": stages.ran,
            "skipped": stages.skipped,
            "tracked": tracked,
        }));
    }
    executed.outcome
}

/// One stage's outcome as a `--message-format json` event.
fn emit_stage(outcome: &StageOutcome) {
    let status = match outcome.status {
        StageStatus::Started => "started",
        StageStatus::Ran => "ran",
        StageStatus::Skipped => "skipped",
        StageStatus::Failed => "failed",
    };
    crate::progress::emit(&serde_json::json!({
        "event": "stage",
        "stage": outcome.stage,
        "status": status,
        "reason": outcome.reason,
        "attempts": outcome.attempts,
        "seconds": outcome.seconds,
        "peak_rss_bytes": outcome.peak_rss_bytes,
        "lines": outcome.lines,
        "files": outcome.files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>(),
    }));
}

fn print_stage(outcome: &StageOutcome) {
    match outcome.status {
        StageStatus::Started => {
            say!(
                "stage      {:<9} running: {}",
                outcome.stage,
                outcome.reason
            );
        }
        StageStatus::Skipped => {
            say!(
                "stage      {:<9} skipped: {}",
                outcome.stage,
                outcome.reason
            );
        }
        StageStatus::Ran => {
            for line in &outcome.lines {
                say!("           {line}");
            }
            let retried = if outcome.attempts > 1 {
                format!(" after {} attempts", outcome.attempts)
            } else {
                String::new()
            };
            let memory = outcome
                .peak_rss_bytes
                .map(|bytes| format!(", peak RSS {} MiB", bytes >> 20))
                .unwrap_or_default();
            say!(
                "stage      {:<9} done in {:.3}s{retried}{memory}, wrote {} files",
                outcome.stage,
                outcome.seconds,
                outcome.files.len()
            );
        }
        StageStatus::Failed => {
            say!("stage      {:<9} FAILED: {}", outcome.stage, outcome.reason);
        }
    }
}
