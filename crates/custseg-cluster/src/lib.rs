//! A Ballista cluster from the custseg binary: `custseg cluster scheduler` and
//! `custseg cluster executor` start Ballista's own scheduler and executor processes (the
//! `ballista-scheduler` and `ballista-executor` crates as libraries, with their process
//! configs), not a protocol of ours. The client side (`--engine df://host:port`) is in
//! `custseg-data/src/engine.rs`, the one place that builds a session.
//!
//! This crate knows nothing about customers and holds no plans: the data stages' SQL uses only
//! DataFusion's built-in functions, so stock Ballista binaries run it too.

mod health;

use std::net::SocketAddr;
use std::sync::Arc;

use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};
use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::SchedulerConfig;
use ballista_scheduler::scheduler_process::start_server;

/// Errors of starting or running a cluster process.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Ballista refused the configuration or stopped with an error.
    #[error("ballista {role}: {message}")]
    Ballista {
        /// `scheduler` or `executor`.
        role: &'static str,
        /// What Ballista said.
        message: String,
    },
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// How a scheduler notices that an executor is gone.
#[derive(Debug, Clone, Copy)]
pub struct SchedulerOptions {
    /// An executor without a heartbeat for this long is dead, and its tasks run elsewhere.
    /// Ballista's default: 180.
    pub executor_timeout_seconds: u64,
    /// How often to look for dead executors. Ballista's default: 15.
    pub expire_check_seconds: u64,
}

impl Default for SchedulerOptions {
    fn default() -> Self {
        Self {
            executor_timeout_seconds: 180,
            expire_check_seconds: 15,
        }
    }
}

/// Runs a Ballista scheduler (in-memory cluster state) listening on `bind` until the process
/// is stopped.
pub async fn run_scheduler(bind: SocketAddr, options: SchedulerOptions) -> Result<()> {
    let mut config = SchedulerConfig::default()
        .with_hostname(bind.ip().to_string())
        .with_port(bind.port());
    config.executor_timeout_seconds = options.executor_timeout_seconds;
    config.expire_dead_executor_interval_seconds = options.expire_check_seconds;
    config.no_executors_grace_period_seconds = options.executor_timeout_seconds;
    let cluster = BallistaCluster::new_from_config(&config)
        .await
        .map_err(|e| Error::Ballista {
            role: "scheduler",
            message: e.to_string(),
        })?;
    tracing::info!(%bind, "ballista scheduler starting");
    start_server(cluster, bind, Arc::new(config))
        .await
        .map_err(|e| Error::Ballista {
            role: "scheduler",
            message: e.to_string(),
        })
}

/// Where an executor listens and which scheduler it joins.
#[derive(Debug, Clone)]
pub struct ExecutorOptions {
    /// The scheduler's host.
    pub scheduler_host: String,
    /// The scheduler's port.
    pub scheduler_port: u16,
    /// The address the executor's Flight service binds to (its data port).
    pub bind: SocketAddr,
    /// The port of the executor's gRPC service (the scheduler pushes tasks to it).
    pub grpc_port: u16,
    /// Tasks run at once.
    pub concurrency: usize,
    /// Where shuffle files go. Default: a temporary directory.
    pub work_dir: Option<String>,
    /// Seconds to keep trying to reach the scheduler before giving up.
    pub scheduler_connect_timeout_seconds: u16,
    /// Seconds between heartbeats to the scheduler (Ballista's default: 60).
    pub heartbeat_seconds: u64,
    /// Bytes the executor's tasks may hold together before spilling (Ballista gives each
    /// task slot an equal share of a fair spill pool). Default: Ballista's automatic pool.
    pub memory_limit: Option<u64>,
    /// Where to serve `/healthz` and `/readyz` for Kubernetes probes (the stock executor's
    /// `--bind-health-port`). Default: no probe server.
    pub health_bind: Option<SocketAddr>,
}

/// Runs a Ballista executor until the process is stopped.
pub async fn run_executor(options: ExecutorOptions) -> Result<()> {
    let config = ExecutorProcessConfig {
        bind_host: options.bind.ip().to_string(),
        port: options.bind.port(),
        grpc_port: options.grpc_port,
        scheduler_host: options.scheduler_host.clone(),
        scheduler_port: options.scheduler_port,
        scheduler_connect_timeout_seconds: options.scheduler_connect_timeout_seconds,
        vcores: options.concurrency.max(1),
        work_dir: options.work_dir.clone(),
        print_thread_info: false,
        executor_heartbeat_interval_seconds: options.heartbeat_seconds.max(1),
        memory_pool_size: options.memory_limit,
        ..ExecutorProcessConfig::default()
    };
    if let Some(addr) = options.health_bind {
        health::serve_probes(addr, config.health.clone()).await?;
    }
    tracing::info!(bind = %options.bind, scheduler = %format!("{}:{}", options.scheduler_host, options.scheduler_port), "ballista executor starting");
    start_executor_process(Arc::new(config))
        .await
        .map_err(|e| Error::Ballista {
            role: "executor",
            message: e.to_string(),
        })
}
