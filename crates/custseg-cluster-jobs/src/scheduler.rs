//! Talking to a Ballista scheduler: a gRPC client, and a call that waits a bounded time. Used
//! by the job control around it (`jobs`, `stall`, `abandoned`), which
//! import this module and not each other's internals.

use std::future::Future;
use std::time::Duration;

use ballista_core::serde::protobuf::scheduler_grpc_client::SchedulerGrpcClient;
use ballista_core::utils::{GrpcClientConfig, create_grpc_client_connection};

/// Waits at most `limit` for `request`, a call to the scheduler about `job_id` (`what` names
/// it in the log). Returns whether the scheduler took it; a refusal, or no answer in time, is
/// logged as a warning, for callers that go on either way.
pub(crate) async fn ask_scheduler<T>(
    what: &str,
    job_id: &str,
    limit: Duration,
    request: impl Future<Output = std::result::Result<T, String>>,
) -> bool {
    match tokio::time::timeout(limit, request).await {
        Ok(Ok(_)) => true,
        Ok(Err(error)) => {
            tracing::warn!(job_id, %error, "the scheduler did not take the {what}");
            false
        }
        Err(_) => {
            tracing::warn!(
                job_id,
                seconds = limit.as_secs(),
                "the scheduler did not answer the {what} in time"
            );
            false
        }
    }
}

/// A gRPC client of the scheduler at `scheduler` (`http://host:port`), or why there is none.
pub(crate) async fn scheduler_client(
    scheduler: &str,
) -> std::result::Result<SchedulerGrpcClient<tonic::transport::Channel>, String> {
    create_grpc_client_connection(scheduler.to_owned(), &GrpcClientConfig::default())
        .await
        .map(SchedulerGrpcClient::new)
        .map_err(|error| error.to_string())
}
