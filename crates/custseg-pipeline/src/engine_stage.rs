//! The one way a stage reaches the query engine: a runtime of its own, a session for the
//! run's engine settings, and an engine error that names the memory limit when it was the
//! limit that stopped the plan.

use custseg_dag::BoxError;
use custseg_data::engine::{self, EngineOptions};
use datafusion::prelude::SessionContext;

/// A multi-threaded runtime for the query engine.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
}

/// Runs `work`, a library call that opens its own session, on a runtime of its own.
pub(crate) fn block_on<F: Future>(work: F) -> std::io::Result<F::Output> {
    Ok(runtime()?.block_on(work))
}

/// Runs `work` on a new session for `options`, blocking until it ends, as a stage's error.
pub(crate) fn on_engine<T>(
    options: &EngineOptions,
    work: impl AsyncFnOnce(&SessionContext) -> custseg_data::Result<T>,
) -> Result<T, BoxError> {
    let runtime = runtime()?;
    runtime
        .block_on(async {
            let session = engine::session(options).await?;
            work(&session).await
        })
        .map_err(|error| crate::request::boxed(error.name_the_limit(options.memory_limit).into()))
}
