//! The tracking trait both backends implement.

use std::path::Path;

use crate::error::Result;
use crate::run::{Metric, RunInfo, RunStatus};

/// Records runs: what went in (parameters), what came out (metrics, artifacts), and how it
/// ended.
pub trait Tracker: Send + Sync {
    /// Where runs go, for messages (`runs/` or the MLflow URL).
    fn location(&self) -> String;

    /// Starts a run in `experiment` (created when missing); returns its id.
    fn start_run(
        &self,
        experiment: &str,
        run_name: &str,
        tags: &[(String, String)],
    ) -> Result<String>;

    /// Logs parameters; a parameter keeps its first value.
    fn log_params(&self, run_id: &str, params: &[(String, String)]) -> Result<()>;

    /// Logs metric points.
    fn log_metrics(&self, run_id: &str, metrics: &[Metric]) -> Result<()>;

    /// Sets tags (a later value replaces an earlier one).
    fn set_tags(&self, run_id: &str, tags: &[(String, String)]) -> Result<()>;

    /// Stores the file `local` as the run's artifact `artifact_path` (`/`-separated).
    fn log_artifact(&self, run_id: &str, local: &Path, artifact_path: &str) -> Result<()>;

    /// Ends a run; `error` is kept for a failed one.
    fn end_run(&self, run_id: &str, status: RunStatus, error: Option<&str>) -> Result<()>;

    /// A run with everything logged to it.
    fn get_run(&self, run_id: &str) -> Result<RunInfo>;

    /// Runs of `experiment`, newest first.
    fn list_runs(&self, experiment: &str) -> Result<Vec<RunInfo>>;

    /// Reads back an artifact's bytes.
    fn read_artifact(&self, run_id: &str, artifact_path: &str) -> Result<Vec<u8>>;
}
