//! Removes each Ballista job's files from the executors as soon as custseg has read the job's
//! result.
//!
//! Ballista reclaims a successful job's intermediate stages at once, but it keeps the final
//! stage's output, which the client fetches, for the scheduler's
//! `finished_job_data_clean_up_interval_seconds` (300 s by default): it cannot know when the
//! client is done reading. One `features` run is a dozen jobs, and the annotated table of
//! 100M rows alone is many gigabytes of Arrow IPC, so the executors' disks filled with
//! results already consumed (16 GB four minutes into a 100M-row run). The client does know:
//! when a job's result stream ends, [`ReleasingPlanner`]'s plans ask the scheduler (its
//! `CleanJobData` call) to remove the job's files. Written here because Ballista's client has
//! no option for it; the scheduler's own delayed clean-up stays as the fallback for a stream
//! that is dropped before its end.
//!
//! The same node also ends a job that makes no progress (see [`crate::stall`]) and
//! cancels a job whose result is dropped before its end (see [`crate::abandoned`]).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ballista_core::execution_plans::DistributedQueryExec;
use ballista_core::serde::protobuf::CleanJobDataParams;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::Session;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{DataFusionError, Result};
use datafusion::execution::context::QueryPlanner;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::LogicalPlan;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties};
use datafusion_proto::protobuf::LogicalPlanNode;
use futures::{Stream, StreamExt};

use crate::abandoned::JobGuard;
use crate::scheduler::{ask_scheduler, scheduler_client};
use crate::stall::{self, LastBatch};

/// The plan node Ballista's client runs a job with.
type JobExec = DistributedQueryExec<LogicalPlanNode>;

/// How long a clean-up request may take before the run goes on without it (the scheduler's
/// delayed clean-up then removes the files).
const RELEASE_TIMEOUT: Duration = Duration::from_secs(10);

/// Plans as `inner` (Ballista's planner) does, wrapping every job in a [`ReleaseOnEnd`].
pub struct ReleasingPlanner {
    inner: Arc<dyn QueryPlanner + Send + Sync>,
    /// `http://host:port` of the scheduler.
    scheduler: String,
    /// A job without progress for this long is cancelled and fails; `None`: never.
    stall_timeout: Option<Duration>,
}

impl ReleasingPlanner {
    /// Wraps Ballista's planner `inner`, whose jobs run on the scheduler at `scheduler`
    /// (`http://host:port`), and fail once they make no progress for `stall_timeout`.
    pub fn new(
        inner: Arc<dyn QueryPlanner + Send + Sync>,
        scheduler: String,
        stall_timeout: Option<Duration>,
    ) -> Self {
        Self {
            inner,
            scheduler,
            stall_timeout,
        }
    }
}

impl fmt::Debug for ReleasingPlanner {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("ReleasingPlanner")
            .field("scheduler", &self.scheduler)
            .finish_non_exhaustive()
    }
}

#[async_trait::async_trait]
impl QueryPlanner for ReleasingPlanner {
    async fn create_physical_plan(
        &self,
        logical_plan: &LogicalPlan,
        session: &dyn Session,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let plan = self
            .inner
            .create_physical_plan(logical_plan, session)
            .await?;
        if plan.is::<JobExec>() {
            return Ok(Arc::new(ReleaseOnEnd {
                job: plan,
                scheduler: self.scheduler.clone(),
                stall_timeout: self.stall_timeout,
            }));
        }
        // Plans Ballista runs in this process (an empty relation, the information schema).
        Ok(plan)
    }
}

/// A Ballista job whose files are removed from the executors once its output has been read
/// to the end, and which fails once it makes no progress for `stall_timeout`.
#[derive(Debug)]
struct ReleaseOnEnd {
    /// A [`JobExec`].
    job: Arc<dyn ExecutionPlan>,
    scheduler: String,
    stall_timeout: Option<Duration>,
}

impl DisplayAs for ReleaseOnEnd {
    fn fmt_as(&self, _: DisplayFormatType, formatter: &mut fmt::Formatter) -> fmt::Result {
        write!(formatter, "ReleaseOnEnd: scheduler={}", self.scheduler)
    }
}

impl ExecutionPlan for ReleaseOnEnd {
    fn name(&self) -> &str {
        "ReleaseOnEnd"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        self.job.properties()
    }

    fn apply_expressions(
        &self,
        _: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.job]
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let [job] = <[_; 1]>::try_from(children).map_err(|children| {
            DataFusionError::Internal(format!(
                "ReleaseOnEnd takes one child, not {}",
                children.len()
            ))
        })?;
        Ok(Arc::new(Self {
            job,
            scheduler: self.scheduler.clone(),
            stall_timeout: self.stall_timeout,
        }))
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let output = self.job.execute(partition, context)?;
        let schema = output.schema();
        let job_id = {
            let job = Arc::clone(&self.job);
            move || {
                job.downcast_ref::<JobExec>()
                    .and_then(JobExec::job_id)
                    .map(|id| id.into_inner())
            }
        };
        // Cancels the job if this stream is dropped before its end.
        let guard = JobGuard::new(job_id.clone(), self.scheduler.clone());
        let settled = guard.settled_flag();
        let output = match self.stall_timeout {
            Some(timeout) => {
                let last_batch: LastBatch = Arc::new(Mutex::new(Instant::now()));
                let watch = stall::stalled(
                    self.scheduler.clone(),
                    job_id.clone(),
                    Arc::clone(&last_batch),
                    timeout,
                );
                let batches = output.inspect(move |_| {
                    *last_batch
                        .lock()
                        .unwrap_or_else(|poisoned| poisoned.into_inner()) = Instant::now();
                });
                until_stalled(batches, Box::pin(watch), settled).boxed()
            }
            None => output.boxed(),
        };
        let scheduler = self.scheduler.clone();
        // Runs after the last batch, before the stream reports its end, so a run that exits
        // right after its last statement still releases that statement's job.
        let release = futures::stream::once(async move {
            guard.disarm();
            if let Some(job_id) = job_id() {
                release(&scheduler, job_id).await;
            }
        })
        .filter_map(|()| async { None });
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            schema,
            output.chain(release),
        )))
    }
}

/// `batches`, ended by an error once `watch` returns one (the watch has cancelled the job
/// then, which `settled` records).
fn until_stalled(
    batches: impl Stream<Item = Result<RecordBatch>> + Send + 'static,
    watch: Pin<Box<dyn Future<Output = String> + Send>>,
    settled: Arc<AtomicBool>,
) -> impl Stream<Item = Result<RecordBatch>> + Send + 'static {
    futures::stream::unfold(Some((batches.boxed(), watch)), move |state| {
        let settled = Arc::clone(&settled);
        async move {
            let (mut batches, mut watch) = state?;
            tokio::select! {
                item = batches.next() => item.map(|item| (item, Some((batches, watch)))),
                message = &mut watch => {
                    settled.store(true, Ordering::SeqCst);
                    Some((Err(DataFusionError::Execution(message)), None))
                }
            }
        }
    })
}

/// Asks the scheduler at `scheduler` to remove the files of `job_id` from its executors. A
/// failure is logged, not returned: the job's result is already read, and the scheduler's
/// delayed clean-up removes the files later.
async fn release(scheduler: &str, job_id: String) {
    let request = async {
        scheduler_client(scheduler)
            .await?
            .clean_job_data(CleanJobDataParams {
                job_id: job_id.clone(),
                remove_stage_ids: Vec::new(),
            })
            .await
            .map_err(|status| status.to_string())
    };
    if ask_scheduler("clean-up", &job_id, RELEASE_TIMEOUT, request).await {
        tracing::debug!(job_id, "asked the scheduler to remove the job's files");
    }
}
