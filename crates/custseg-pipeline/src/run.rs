//! One run of the pipeline's DAG in an output directory, recorded as a tracked run: the one
//! orchestrator behind `custseg run`, `custseg schedule` and the stages they skip or force.

use anyhow::{Result, anyhow};
use custseg_dag::{RunPlan, RunReport, Runner, StageOutcome, StageStatus};

use crate::graph;
use crate::request::{PipelineRequest, Scope};
use crate::tracking::{RunRecorder, flatten_params};

/// What a run did, once its stages are over.
#[derive(Debug)]
pub struct Executed {
    /// The stages that ran and those skipped, when the stages were run at all.
    pub stages: Option<StagesRun>,
    /// Why the run failed, if it did.
    pub outcome: Result<()>,
    /// The tracked run it was recorded as, when tracking is on.
    pub tracked: Option<TrackedRun>,
}

/// The stages that ran and those skipped as unchanged.
#[derive(Debug, Clone, PartialEq)]
pub struct StagesRun {
    /// Names of the stages that ran, in order.
    pub ran: Vec<String>,
    /// Names of the stages skipped as unchanged, in order.
    pub skipped: Vec<String>,
}

/// Where a run was recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackedRun {
    /// The run's id in its store.
    pub run_id: String,
    /// The store, as people write it (a directory or an MLflow URL).
    pub store: String,
    /// Runs an earlier process left open (store down, process killed) that this one ended.
    pub settled: Vec<custseg_track::open_runs::Settled>,
}

/// Runs the pipeline of `request` in `out` with `plan` as a tracked run of `command`, handing
/// each stage's outcome to `observe` as it starts, runs or is skipped. The error is for what
/// stops the run before its stages (an unknown stage name, a store that cannot be reached)
/// or after them (the run's record cannot be closed); a failed stage is in
/// [`Executed::outcome`].
pub fn execute(
    request: &PipelineRequest,
    out: &std::path::Path,
    plan: &RunPlan,
    command: &str,
    observe: &mut dyn FnMut(&StageOutcome),
) -> Result<Executed> {
    // Check the DAG and the stage names before a run is recorded.
    let check = graph::build(request, None)?;
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
    let recorder = RunRecorder::start(&request.tracking, out, command, &run_name, params)?;
    let dag = graph::build(request, recorder.clone())?;
    let report = Runner::new(&dag, out)
        .map_err(anyhow::Error::from)
        .and_then(|runner| Ok(runner.run(plan, observe)?));
    let mut stages = None;
    let outcome = report.and_then(|report| {
        let run = stages_run(&report);
        stages = Some(run.clone());
        finish(request, &report, &run, out, recorder.as_ref())
    });
    let mut tracked = None;
    if let Some(recorder) = recorder {
        let store = recorder.location().to_string();
        let run_id = recorder.run_id().to_owned();
        let settled = recorder.settled().to_vec();
        if let Err(unrecorded) = recorder.finish(&outcome) {
            // Both the run's own error, when it failed, and why its end is not recorded.
            return Err(match outcome {
                Ok(()) => unrecorded,
                Err(error) => anyhow::anyhow!(
                    "{error:#}\nThe run's end could not be recorded either: {unrecorded:#}"
                ),
            });
        }
        tracked = Some(TrackedRun {
            run_id,
            store,
            settled,
        });
    }
    Ok(Executed {
        stages,
        outcome,
        tracked,
    })
}

/// The names of the stages that ran and of those skipped.
fn stages_run(report: &RunReport) -> StagesRun {
    let with_status = |status: StageStatus| -> Vec<String> {
        report
            .stages
            .iter()
            .filter(|s| s.status == status)
            .map(|s| s.stage.clone())
            .collect()
    };
    StagesRun {
        ran: with_status(StageStatus::Ran),
        skipped: with_status(StageStatus::Skipped),
    }
}

/// Records the stages' times and memory and the outputs on the run; the run's error if a
/// stage failed (and, when recording failed as well, both errors).
fn finish(
    request: &PipelineRequest,
    report: &RunReport,
    run: &StagesRun,
    out: &std::path::Path,
    recorder: Option<&RunRecorder>,
) -> Result<()> {
    let recorded = recorder.map_or(Ok(()), |recorder| {
        record_stages(request, report, run, out, recorder)
    });
    let failed = report.failure.as_ref().map(|error| {
        anyhow!(
            "{error}; the stages before it are committed in `{}` and the next run resumes from it",
            out.display()
        )
    });
    match (failed, recorded) {
        (None, recorded) => recorded,
        (Some(failed), Ok(())) => Err(failed),
        (Some(failed), Err(unrecorded)) => Err(anyhow!(
            "{failed:#}\nRecording the run's outputs failed too: {unrecorded:#}"
        )),
    }
}

/// Logs the stages' times and memory, which ran, and the outputs, on the run.
fn record_stages(
    request: &PipelineRequest,
    report: &RunReport,
    run: &StagesRun,
    out: &std::path::Path,
    recorder: &RunRecorder,
) -> Result<()> {
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
        ("custseg.stages_ran".to_owned(), run.ran.join(",")),
        ("custseg.stages_skipped".to_owned(), run.skipped.join(",")),
    ])?;
    if let (Scope::TrainOn(features), None) = (&request.scope, &report.failure) {
        let sha = custseg_io::sha256_file(features)?;
        recorder.tags(&[("features_sha256".to_owned(), sha)])?;
    }
    recorder.log_outputs(out)?;
    Ok(())
}
