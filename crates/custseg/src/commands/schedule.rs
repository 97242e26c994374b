//! `custseg schedule`: the pipeline on a cron schedule, in the foreground (for a systemd unit
//! or a container), with the retraining policy: refresh the data stages every time, retrain
//! when a new drift report says the data drifted, register, promote only through the gate.

use std::str::FromStr;
use std::time::Duration;

use anyhow::{Context, Result};
use custseg_pipeline::retraining::{self, Decision};

use super::run::{execute, pipeline_request, plan};
use crate::cli::ScheduleArgs;
use crate::settings::Settings;

/// Runs `custseg schedule`.
pub fn run(args: &ScheduleArgs, settings: Settings, quiet: bool) -> Result<()> {
    let cron = croner::Cron::from_str(&args.cron).with_context(|| {
        format!(
            "`--cron {}`: expected five fields, minute hour day-of-month month day-of-week (`0 3 * * *`)",
            args.cron
        )
    })?;
    let promote_to = settings.schedule.promote_to.clone();
    let mut request = pipeline_request(&args.run, settings, quiet, true)?;
    if request.tracking.registry.promote_to.is_none() {
        request.tracking.registry.promote_to = Some(promote_to);
    }
    let mut runs = 0u64;
    loop {
        if !args.once {
            let now = chrono::Utc::now();
            let next = cron
                .find_next_occurrence(&now, false)
                .with_context(|| format!("`--cron {}` never fires", args.cron))?;
            tracing::info!(%next, "waiting for the next scheduled run");
            println!("schedule   next run at {next}");
            let wait = (next - now).to_std().unwrap_or(Duration::ZERO);
            std::thread::sleep(wait);
        }
        let outcome = tick(args, &request, quiet);
        runs += 1;
        match outcome {
            Ok(()) => {}
            Err(error) if !args.once => {
                // A failed scheduled run is reported and the schedule goes on: the next run
                // resumes from the stage that failed.
                tracing::error!("scheduled run failed: {error:#}");
                eprintln!("error: scheduled run failed: {error:#}");
            }
            Err(error) => return Err(error),
        }
        if args.once || args.max_runs.is_some_and(|max| runs >= max) {
            return Ok(());
        }
    }
}

/// One scheduled run.
fn tick(
    args: &ScheduleArgs,
    request: &custseg_pipeline::request::PipelineRequest,
    quiet: bool,
) -> Result<()> {
    let out = &args.run.out;
    let mut plan = plan(&args.run);
    let Some(report_path) = &args.drift_report else {
        println!("schedule   full run");
        return execute(request, out, &plan, "schedule", quiet);
    };
    let (decision, pending) = retraining::decide(report_path, out)?;
    let retrain = match &decision {
        Decision::Retrain { reason } => {
            println!("schedule   drift: {reason}; retraining");
            plan.force.insert("train".to_owned());
            true
        }
        Decision::AlreadyActedOn => {
            println!("schedule   this drift report was acted on already; data stages only");
            false
        }
        Decision::NoDrift { reason } => {
            println!("schedule   no drift ({reason}); data stages only");
            false
        }
        Decision::NoReport => {
            println!(
                "schedule   no drift report at `{}`; data stages only",
                report_path.display()
            );
            false
        }
    };
    if !retrain {
        plan.until = Some(if request.clv { "clv" } else { "features" }.to_owned());
    }
    execute(request, out, &plan, "schedule", quiet)?;
    pending.remember()
}
