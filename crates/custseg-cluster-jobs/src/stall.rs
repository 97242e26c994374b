//! Ends a Ballista job that makes no progress, with an error that says so, instead of waiting
//! for it forever.
//!
//! Ballista's client polls a job's status until it succeeds or fails, without a deadline. A
//! job that can never run (a scheduler with no executor) stays queued, and a scheduler that
//! loses track of a task leaves its job running; either way `custseg` would wait forever.
//! Written here because Ballista's client has no such timeout. A job counts as progressing
//! while its status changes (queued, running, done), another of its stages finishes, or a
//! batch of its result arrives; [`stalled`] returns once none of that happened for the
//! timeout, after asking the scheduler to cancel the job.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ballista_core::serde::protobuf::scheduler_grpc_client::SchedulerGrpcClient;
use ballista_core::serde::protobuf::{
    CancelJobParams, GetJobMetricsParams, GetJobStatusParams, job_status,
};
use std::sync::Mutex;

/// When a job's result last delivered a batch (or the job started), shared between the
/// result stream and its watch.
pub(crate) type LastBatch = Arc<Mutex<Instant>>;

/// What the scheduler says of a job: a change between two looks is progress.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Sighting {
    /// `None` before the scheduler knows the job.
    status: Option<JobState>,
    /// Stages finished so far.
    finished_stages: usize,
}

/// A job's status, without the details that come with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JobState {
    Queued,
    Running,
    Failed,
    Successful,
}

/// Returns, with the error message, once the job `job_id()` names has shown no progress for
/// `timeout` (`last_batch` is moved on by its result stream); never returns while it makes
/// progress. Before returning it asks the scheduler at `scheduler` (`http://host:port`) to
/// cancel the job.
pub(crate) async fn stalled(
    scheduler: String,
    job_id: impl Fn() -> Option<String>,
    last_batch: LastBatch,
    timeout: Duration,
) -> String {
    // A look every few seconds: cheap for the scheduler, and a fraction of any sane timeout.
    let every = (timeout / 4).clamp(Duration::from_millis(200), Duration::from_secs(5));
    let mut client = None;
    let mut last_sighting = None;
    let mut progressed = Instant::now();
    loop {
        tokio::time::sleep(every).await;
        let id = job_id();
        if let Some(id) = &id {
            if client.is_none() {
                client = connect(&scheduler).await;
            }
            if let Some(client) = client.as_mut() {
                // A scheduler that stops answering must not stop the watch.
                let sighting = tokio::time::timeout(ANSWER_TIMEOUT, look(client, id))
                    .await
                    .ok()
                    .flatten();
                if sighting.is_some() && sighting != last_sighting {
                    last_sighting = sighting;
                    progressed = Instant::now();
                }
            }
        }
        let latest = progressed.max(
            *last_batch
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        );
        if latest.elapsed() < timeout {
            continue;
        }
        let seconds = timeout.as_secs();
        let Some(id) = id else {
            return format!("the Ballista scheduler took no job within {seconds} s");
        };
        if let Some(client) = client.as_mut() {
            let cancel = async {
                client
                    .cancel_job(CancelJobParams { job_id: id.clone() })
                    .await
                    .map_err(|status| status.to_string())
            };
            crate::scheduler::ask_scheduler("cancel", &id, ANSWER_TIMEOUT, cancel).await;
        }
        // Ballista calls a job running as soon as it is planned, executors or not.
        let state = match last_sighting.and_then(|s| s.status) {
            Some(JobState::Queued) => "queued",
            Some(JobState::Running) => "running, but no stage finished and no result arrived",
            _ => "no status",
        };
        return format!(
            "Ballista job {id} made no progress for {seconds} s ({state}); it was cancelled. \
             Is any executor registered with the scheduler? (The limit is `[engine] \
             cluster_stall_timeout_seconds`.)"
        );
    }
}

/// How long one question to the scheduler may take before it counts as no answer.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);

async fn connect(scheduler: &str) -> Option<SchedulerGrpcClient<tonic::transport::Channel>> {
    crate::scheduler::scheduler_client(scheduler)
        .await
        .map_err(|error| tracing::debug!(%error, "cannot reach the scheduler to watch a job"))
        .ok()
}

/// The job's status and finished stages, or `None` when the scheduler does not answer.
async fn look(
    client: &mut SchedulerGrpcClient<tonic::transport::Channel>,
    job_id: &str,
) -> Option<Sighting> {
    let status = client
        .get_job_status(GetJobStatusParams {
            job_id: job_id.to_owned(),
        })
        .await
        .ok()?
        .into_inner()
        .status
        .and_then(|s| s.status)
        .map(|status| match status {
            job_status::Status::Queued(_) => JobState::Queued,
            job_status::Status::Running(_) => JobState::Running,
            job_status::Status::Failed(_) => JobState::Failed,
            job_status::Status::Successful(_) => JobState::Successful,
        });
    // A job not yet planned has no execution graph: no stage finished.
    let finished_stages = match client
        .get_job_metrics(GetJobMetricsParams {
            job_id: job_id.to_owned(),
        })
        .await
    {
        Ok(metrics) => metrics.into_inner().stages.len(),
        Err(_) => 0,
    };
    Some(Sighting {
        status,
        finished_stages,
    })
}
