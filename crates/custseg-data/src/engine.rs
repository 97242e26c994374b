//! The one place that builds the DataFusion session the plans run in: local, or on a Ballista
//! cluster (`df://host:port`). The plans never know which.

use std::sync::Arc;

use ballista::prelude::{SessionConfigExt, SessionContextExt};
use datafusion::execution::SessionStateBuilder;
use datafusion::execution::disk_manager::{DiskManagerBuilder, DiskManagerMode};
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use custseg_cluster_jobs::ReleasingPlanner;

/// `[engine]` settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EngineOptions {
    /// Parallel partitions. Default: twice the number of CPU cores locally (see
    /// [`LOCAL_PARTITIONS_PER_CORE`]), the number of this machine's cores on a cluster.
    pub target_partitions: Option<usize>,
    /// Memory the engine may use, in bytes; beyond it, operators spill to disk.
    /// Default: no limit.
    pub memory_limit: Option<u64>,
    /// A Ballista scheduler (`df://host:port`) to run the data stages' plans on instead of
    /// this process. Default: none (local).
    pub cluster: Option<String>,
    /// Where spilling operators write their temporary files (local engine). The commands
    /// default it to `.custseg-spill/` under the output directory; without it, the system's
    /// temporary directory.
    pub spill_dir: Option<std::path::PathBuf>,
    /// On a cluster, a job whose status, finished stages and result batches all stay
    /// unchanged for this many seconds is cancelled and the run fails (Ballista itself would
    /// wait forever, e.g. on a scheduler without executors). 0: wait forever. Default:
    /// [`DEFAULT_CLUSTER_STALL_TIMEOUT_SECONDS`].
    pub cluster_stall_timeout_seconds: u64,
    /// Write every plan the data stages run, with the engine's metrics of each operator (as
    /// `EXPLAIN ANALYZE` shows them), into this directory, with an index `plans.tsv` (see
    /// [`crate::plan_metrics`]). Default: none.
    pub explain_analyze: Option<std::path::PathBuf>,
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            target_partitions: None,
            memory_limit: None,
            cluster: None,
            spill_dir: None,
            cluster_stall_timeout_seconds: DEFAULT_CLUSTER_STALL_TIMEOUT_SECONDS,
            explain_analyze: None,
        }
    }
}

/// The default of `[engine] cluster_stall_timeout_seconds`: half an hour, far above the
/// longest stage measured (a 100M-row clean on two executors finishes its stages in minutes).
pub const DEFAULT_CLUSTER_STALL_TIMEOUT_SECONDS: u64 = 1800;

/// Tables up to this many rows have their independent statements run side by side (the raw
/// profile beside the duplicate search, the feature families beside each other).
///
/// On a table this small each statement is mostly latency (planning, a handful of batches,
/// a small file written) and one alone leaves a core idle; on larger tables each statement
/// keeps every core busy by itself, and side by side their aggregates would only compete for
/// the memory limit.
pub const CONCURRENT_STATEMENTS_MAX_ROWS: u64 = 2_000_000;

/// The spill directory the commands use under an output directory.
pub fn default_spill_dir(out: &std::path::Path) -> std::path::PathBuf {
    out.join(".custseg-spill")
}

/// Removes `directory` if the engine left it empty (it removes its own files when done).
pub fn remove_spill_dir(directory: &std::path::Path) {
    let _ = std::fs::remove_dir(directory);
}

/// Partitions per CPU core of the local engine, unless `[engine] target_partitions` says.
///
/// Measured 2026-12-06 on a 2-core machine, release build, `custseg -q features` on the UCI
/// Parquet file with the parse cached, ten alternating runs each with `target_partitions`
/// 2, 3 and 4 in a `--config` file: medians 0.63, 0.58 and 0.575 s; the CSV.gz cold, five
/// runs each of 2 and 4: medians 0.91 and 0.87 s. The time goes out of the annotate-and-split
/// step (0.27-0.46 s with 2, 0.22-0.30 s with 4, five runs each, `RUST_LOG=custseg_data=debug`),
/// whose partitions are the raw file's byte ranges, each writing on tasks of its own. The
/// engine gives a row group to the range it starts in, and the parse cache's three row groups
/// (262,144, 262,144 and 17,621 rows) start at 0, 2.9 and 5.9 MB of 6.1 MB: with 2
/// partitions one core got 524,288 rows and the other 17,621 (the clean file's row groups,
/// written per partition, came out as 388,401 and 11,172 rows); with 4, the cores share
/// partitions of 262,144, 262,144 and 17,621.
/// 10M demo rows (three runs each, 9.2-10.3 s) and 100M rows in 32 files under
/// `--memory-limit 4GiB` (one run each: 127.0 s and 3.63 GB peak with 2, 125.6 s and 3.73 GB
/// with 4) did not change beyond noise. The outputs hold the same rows; the clean and
/// quarantine files' row groups may be cut differently.
pub const LOCAL_PARTITIONS_PER_CORE: usize = 2;

/// A session with these options: local, or connected to the Ballista scheduler of
/// `options.cluster`.
pub async fn session(options: &EngineOptions) -> Result<SessionContext> {
    if let Some(directory) = &options.explain_analyze {
        crate::plan_metrics::record_into(directory)?;
    }
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    if let Some(url) = &options.cluster {
        let partitions = options.target_partitions.unwrap_or(cores);
        let mut config = SessionConfig::new_with_ballista()
            .with_target_partitions(partitions)
            .with_information_schema(false)
            .with_ballista_job_name("custseg");
        // The client polls each job's status instead of waiting for the scheduler to push
        // it: only then is the job's id known from its submission on, which the stall
        // watch (see `custseg-cluster-jobs`) needs to look at and cancel a job that never starts. A
        // scheduler pushes nothing on a job it cannot place.
        config.options_mut().set("ballista.client.pull", "true")?;
        let state = SessionStateBuilder::new()
            .with_config(config)
            .with_default_features()
            .build();
        let scheduler = check_reachable(url)?;
        tracing::info!(scheduler = %url, "running the plans on a Ballista cluster");
        let state = SessionContext::remote_with_state(url, state).await?.state();
        // Each job's files leave the executors once its result is read, and a job without
        // progress fails (see `custseg-cluster-jobs`).
        let stall_timeout = match options.cluster_stall_timeout_seconds {
            0 => None,
            seconds => Some(std::time::Duration::from_secs(seconds)),
        };
        let planner = ReleasingPlanner::new(
            Arc::clone(state.query_planner()),
            format!("http://{scheduler}"),
            stall_timeout,
        );
        let state = SessionStateBuilder::new_from_existing(state)
            .with_query_planner(Arc::new(planner))
            .build();
        return Ok(SessionContext::new_with_state(state));
    }
    let partitions = options
        .target_partitions
        .unwrap_or(LOCAL_PARTITIONS_PER_CORE * cores);
    let mut config = SessionConfig::new()
        .with_target_partitions(partitions)
        .with_information_schema(false);
    // The engine cannot estimate the size of an aggregate's result, so by default it
    // repartitions both sides of a join on it, which loses the probe side's order. The
    // joins of these plans put the smaller table on the build side (the repeated rows of
    // the duplicate check, the customer tables), so collecting it is the right choice.
    let optimizer = &mut config.options_mut().optimizer;
    optimizer.hash_join_single_partition_threshold = usize::MAX;
    optimizer.hash_join_single_partition_threshold_rows = usize::MAX;
    let mut runtime = RuntimeEnvBuilder::new();
    if let Some(limit) = options.memory_limit {
        runtime = runtime.with_memory_limit(usize::try_from(limit).unwrap_or(usize::MAX), 1.0);
    }
    if let Some(directory) = &options.spill_dir {
        std::fs::create_dir_all(directory).map_err(|source| Error::io(directory, source))?;
        runtime = runtime.with_disk_manager_builder(
            DiskManagerBuilder::default()
                .with_mode(DiskManagerMode::Directories(vec![directory.clone()])),
        );
    }
    Ok(SessionContext::new_with_config_rt(
        config,
        runtime.build_arc()?,
    ))
}

/// How long to wait for the scheduler's port before calling it unreachable.
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Fails fast, with the address, when nothing answers at the scheduler's address (Ballista
/// itself would only fail at the first query, with a transport error). Returns the
/// `host:port` that answered.
fn check_reachable(url: &str) -> Result<&str> {
    use std::net::ToSocketAddrs;
    let fail = |message: String| Error::Cluster {
        url: url.to_owned(),
        message,
    };
    let address = url
        .strip_prefix("df://")
        .ok_or_else(|| fail("expected `df://host:port`".to_owned()))?;
    let addresses: Vec<_> = address
        .to_socket_addrs()
        .map_err(|e| fail(format!("cannot resolve `{address}`: {e}")))?
        .collect();
    let mut last = String::from("no address");
    for socket in addresses {
        match std::net::TcpStream::connect_timeout(&socket, CONNECT_TIMEOUT) {
            Ok(_) => return Ok(address),
            Err(error) => last = error.to_string(),
        }
    }
    Err(fail(format!(
        "{last}, waited up to {} s",
        CONNECT_TIMEOUT.as_secs()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_local_engine_takes_two_partitions_per_core_unless_told() {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        let default = session(&EngineOptions::default()).await.unwrap();
        assert_eq!(
            default.state().config().target_partitions(),
            LOCAL_PARTITIONS_PER_CORE * cores
        );
        let told = session(&EngineOptions {
            target_partitions: Some(3),
            ..EngineOptions::default()
        })
        .await
        .unwrap();
        assert_eq!(told.state().config().target_partitions(), 3);
    }
}
