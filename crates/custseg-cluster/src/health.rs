//! The executor's Kubernetes probes: `/healthz` (the process is alive) and `/readyz` (its last
//! heartbeat to the scheduler succeeded), the same two routes as Ballista's stock executor
//! binary, so the same probe configuration works for either.
//!
//! Written here rather than taken from `ballista-executor`: its probe server is compiled only
//! with the crate's `build-binary` feature, which also pulls in a second command-line parser
//! and logging stack for the stock `main`. The readiness state itself
//! ([`ExecutorHealth`]) is the library's, flipped by Ballista's own heartbeat loop.

use std::net::SocketAddr;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use ballista_executor::health::ExecutorHealth;
use tokio::net::TcpListener;

use crate::{Error, Result};

/// Binds `addr` and serves the two probes in a background task for the life of the process.
/// Binding happens before this returns, so a port in use is an error at start-up.
pub(crate) async fn serve_probes(addr: SocketAddr, health: ExecutorHealth) -> Result<()> {
    let listener = TcpListener::bind(addr).await.map_err(|e| Error::Ballista {
        role: "executor",
        message: format!("cannot listen for health probes on {addr}: {e}"),
    })?;
    let router = Router::new()
        .route("/healthz", get(|| async { (StatusCode::OK, "ok") }))
        .route("/readyz", get(readiness))
        .with_state(health);
    tracing::info!(%addr, "executor health probes listening");
    tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, router).await {
            tracing::warn!(%error, "executor health probes stopped");
        }
    });
    Ok(())
}

/// 200 once the executor's last heartbeat reached the scheduler, 503 before and after a failed one.
async fn readiness(State(health): State<ExecutorHealth>) -> (StatusCode, &'static str) {
    if health.is_ready() {
        (StatusCode::OK, "ready")
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "not ready: no successful heartbeat to the scheduler",
        )
    }
}
