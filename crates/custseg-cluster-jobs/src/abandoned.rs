//! Cancels a Ballista job whose result custseg stopped reading before its end.
//!
//! When one statement fails, the statements running beside it are dropped (their futures
//! are joined with `try_join!`), and so are their jobs' result streams. Ballista's client
//! does not tell the scheduler, so the job goes on running there, holding executor slots,
//! after custseg has exited. Written here because Ballista's client has no cancel-on-drop.
//!
//! A [`JobGuard`] travels with each job's result stream. Dropped while still armed, it
//! sends the scheduler `CancelJob` for the job from a thread of its own: the drop may happen
//! while a runtime is shutting down, where a spawned task would never run. The binary calls
//! [`settle`] before it exits, so those requests are answered (or time out) first.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ballista_core::serde::protobuf::CancelJobParams;

use crate::scheduler::{ask_scheduler, scheduler_client};

/// How long one cancel request may take.
const CANCEL_TIMEOUT: Duration = Duration::from_secs(10);

/// Cancel requests still under way, for [`settle`].
static PENDING: Mutex<Vec<JoinHandle<()>>> = Mutex::new(Vec::new());

/// Cancels its job on drop unless the job was settled: its result read to the end, or
/// cancelled already by the stall watch.
pub(crate) struct JobGuard {
    /// The job's id once the scheduler has given one.
    job_id: Box<dyn Fn() -> Option<String> + Send + Sync>,
    /// `http://host:port` of the scheduler.
    scheduler: String,
    settled: Arc<AtomicBool>,
}

impl JobGuard {
    /// A guard for the job `job_id()` names, on the scheduler at `scheduler`.
    pub(crate) fn new(
        job_id: impl Fn() -> Option<String> + Send + Sync + 'static,
        scheduler: String,
    ) -> Self {
        Self {
            job_id: Box::new(job_id),
            scheduler,
            settled: Arc::new(AtomicBool::new(false)),
        }
    }

    /// A flag that, once set, disarms this guard; for the parts of the stream that settle
    /// the job themselves.
    pub(crate) fn settled_flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.settled)
    }

    /// Disarms this guard: the job was settled another way.
    pub(crate) fn disarm(&self) {
        self.settled.store(true, Ordering::SeqCst);
    }
}

impl Drop for JobGuard {
    fn drop(&mut self) {
        if self.settled.load(Ordering::SeqCst) {
            return;
        }
        let Some(job_id) = (self.job_id)() else {
            return;
        };
        let scheduler = self.scheduler.clone();
        let spawned = std::thread::Builder::new()
            .name("cancel-abandoned-job".to_owned())
            .spawn(move || cancel(&scheduler, &job_id));
        match spawned {
            Ok(handle) => PENDING
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .push(handle),
            Err(error) => tracing::warn!(%error, "cannot start the cancel of an abandoned job"),
        }
    }
}

/// Sends `CancelJob` for `job_id`, on a runtime of this thread's own.
fn cancel(scheduler: &str, job_id: &str) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            tracing::warn!(job_id, %error, "cannot cancel an abandoned job");
            return;
        }
    };
    let request = async {
        scheduler_client(scheduler)
            .await?
            .cancel_job(CancelJobParams {
                job_id: job_id.to_owned(),
            })
            .await
            .map_err(|status| status.to_string())
    };
    // The timer must be made inside the runtime.
    let what = "cancel of an abandoned job";
    if runtime.block_on(async { ask_scheduler(what, job_id, CANCEL_TIMEOUT, request).await }) {
        tracing::info!(job_id, "cancelled a job whose result was abandoned");
    }
}

/// Waits, at most `limit`, for the cancel requests of abandoned jobs to finish. Returns how
/// many were still under way when it gave up.
pub fn settle(limit: Duration) -> usize {
    let deadline = Instant::now() + limit;
    let mut handles = std::mem::take(
        &mut *PENDING
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()),
    );
    loop {
        handles.retain(|handle| !handle.is_finished());
        if handles.is_empty() || Instant::now() >= deadline {
            return handles.len();
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}
