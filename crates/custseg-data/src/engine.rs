//! The one place that builds the DataFusion session the plans run in.

use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};
use serde::{Deserialize, Serialize};

use crate::error::Result;

/// `[engine]` settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EngineOptions {
    /// Parallel partitions. Default: the number of CPU cores.
    pub target_partitions: Option<usize>,
    /// Memory the engine may use, in bytes; beyond it, operators spill to disk.
    /// Default: no limit.
    pub memory_limit: Option<u64>,
}

/// A local session with these options.
pub fn session(options: &EngineOptions) -> Result<SessionContext> {
    let partitions = options
        .target_partitions
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, usize::from));
    let config = SessionConfig::new()
        .with_target_partitions(partitions)
        .with_information_schema(false);
    let mut runtime = RuntimeEnvBuilder::new();
    if let Some(limit) = options.memory_limit {
        runtime = runtime.with_memory_limit(usize::try_from(limit).unwrap_or(usize::MAX), 1.0);
    }
    Ok(SessionContext::new_with_config_rt(
        config,
        runtime.build_arc()?,
    ))
}
