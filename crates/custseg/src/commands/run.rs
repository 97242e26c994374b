//! `custseg run`: the pipeline's DAG of cached stages (ingest -> clean -> features -> lifetime
//! value -> train -> evaluate -> register -> report), recorded as a tracked run.

use std::collections::BTreeSet;

use anyhow::{Result, anyhow};
use custseg_dag::{RunPlan, RunReport, Runner, StageOutcome, StageStatus};
use custseg_data::ingest::InputSource;
use custseg_data::pipeline::FeaturesRequest;

use super::demo_data::demo_input;
use crate::cli::{ReportFormat, RunArgs};
use crate::pipeline::{self, PipelineRequest};
use crate::progress::{TerminalProgress, say};
use crate::settings::Settings;
use crate::tracking::{RunRecorder, Tracking, flatten_params};

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
    let input = InputSource::classify(&match &args.input {
        Some(input) => input.clone(),
        None if generate_demo => demo_input(&settings.demo, &settings.ingest.data_dir, quiet)?,
        None => "(demo dataset)".to_owned(),
    });
    let features = FeaturesRequest {
        ingest: settings.ingest.clone(),
        clean: settings.clean.clone(),
        engine: settings.engine.clone(),
        as_of: args.as_of.or(settings.features.as_of),
    };
    let tracking = Tracking::resolve(&settings.tracking, &settings.registry);
    Ok(PipelineRequest {
        input,
        features,
        previous: args.previous.clone(),
        clv: settings.clv.in_run && !args.skip_clv,
        report: !args.skip_report,
        png: args.report_format == ReportFormat::Png,
        quiet,
        tracking,
        settings,
    })
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
    let result = execute(&request, &args.out, &plan(args), "run");
    if let Some(directory) = &request.features.engine.spill_dir {
        custseg_data::engine::remove_spill_dir(directory);
    }
    result
}

/// Runs the pipeline of `request` in `out` with `plan` as a tracked run of `command`;
/// prints each stage as it runs or is skipped.
pub fn execute(
    request: &PipelineRequest,
    out: &std::path::Path,
    plan: &RunPlan,
    command: &str,
) -> Result<()> {
    // Check the DAG and the stage names before a run is recorded.
    let check = pipeline::build(request, None)?;
    let mut wanted: Vec<&String> = plan.force.iter().collect();
    wanted.extend(plan.only.iter().chain(plan.until.iter()));
    for name in wanted {
        check.index_of(name)?;
    }
    drop(check);

    let mut params = flatten_params(&serde_json::to_value(&request.settings)?);
    params.push(("input".to_owned(), request.input.to_string()));
    params.push(("out".to_owned(), out.display().to_string()));
    params.push(("stages.clv".to_owned(), request.clv.to_string()));
    params.push(("stages.report".to_owned(), request.report.to_string()));
    let input = request.input.to_string();
    let run_name = format!(
        "{command} {}",
        std::path::Path::new(&input)
            .file_name()
            .map_or_else(|| input.clone(), |n| n.to_string_lossy().into_owned())
    );
    let recorder = RunRecorder::start(&request.tracking, command, &run_name, params)?;
    let dag = pipeline::build(request, recorder.clone())?;
    // On a terminal, a spinner per stage while it runs, beside the bars of the work inside it.
    let progress = TerminalProgress::new(request.quiet);
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
    let outcome = Runner::new(&dag, out)
        .map_err(anyhow::Error::from)
        .and_then(|runner| Ok(runner.run(plan, &mut observe)?));
    let (result, summary) = match outcome.and_then(|report| finish(&report, out, recorder.as_ref()))
    {
        Ok(summary) => (Ok(()), Some(summary)),
        Err(error) => (Err(error), None),
    };
    let mut tracked = serde_json::Value::Null;
    if let Some(recorder) = recorder {
        let location = recorder.location();
        let id = recorder.run_id().to_owned();
        recorder.finish(&result)?;
        if crate::progress::json() {
            tracked = serde_json::json!({ "run_id": id, "store": location.to_string() });
        } else {
            say!("tracked    run {id} in {location}");
        }
    }
    if let Some(summary) = summary {
        crate::progress::emit(&serde_json::json!({
            "event": "finished",
            "out": out.display().to_string(),
            "ran": summary.ran,
            "skipped": summary.skipped,
            "tracked": tracked,
        }));
    }
    result
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

/// The stages that ran and those skipped as unchanged.
struct Summary {
    ran: Vec<String>,
    skipped: Vec<String>,
}

fn finish(
    report: &RunReport,
    out: &std::path::Path,
    recorder: Option<&RunRecorder>,
) -> Result<Summary> {
    let ran: Vec<&str> = report.ran().map(|s| s.stage.as_str()).collect();
    let skipped: Vec<&str> = report
        .stages
        .iter()
        .filter(|s| s.status == StageStatus::Skipped)
        .map(|s| s.stage.as_str())
        .collect();
    if !crate::progress::json() {
        say!(
            "pipeline   {} ran, {} skipped as unchanged{}",
            ran.len(),
            skipped.len(),
            if ran.is_empty() {
                String::new()
            } else {
                format!(" (ran: {})", ran.join(", "))
            }
        );
    }
    if let Some(recorder) = recorder {
        let timestamp = chrono::Utc::now().timestamp_millis();
        let metrics: Vec<custseg_track::Metric> = report
            .stages
            .iter()
            .filter(|s| s.status == StageStatus::Ran)
            .flat_map(|s| {
                let seconds = custseg_track::Metric {
                    key: format!("stage.{}.seconds", s.stage),
                    value: s.seconds,
                    step: 0,
                    timestamp,
                };
                let memory = s.peak_rss_bytes.map(|bytes| custseg_track::Metric {
                    key: format!("stage.{}.peak_rss_mib", s.stage),
                    value: (bytes >> 20) as f64,
                    step: 0,
                    timestamp,
                });
                std::iter::once(seconds).chain(memory)
            })
            .collect();
        recorder.metrics(&metrics)?;
        recorder.tags(&[
            ("custseg.stages_ran".to_owned(), ran.join(",")),
            ("custseg.stages_skipped".to_owned(), skipped.join(",")),
        ])?;
        recorder.log_outputs(out)?;
    }
    match &report.failure {
        Some(error) => Err(anyhow!(
            "{error}; the stages before it are committed in `{}` and the next run resumes from it",
            out.display()
        )),
        None => Ok(Summary {
            ran: ran.iter().map(|s| (*s).to_owned()).collect(),
            skipped: skipped.iter().map(|s| (*s).to_owned()).collect(),
        }),
    }
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
