//! A tracked run, as both backends describe it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Where a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum RunStatus {
    /// Started, not ended (or its process died).
    Running,
    /// Ended well.
    Finished,
    /// Ended with an error.
    Failed,
}

impl RunStatus {
    /// MLflow's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "RUNNING",
            RunStatus::Finished => "FINISHED",
            RunStatus::Failed => "FAILED",
        }
    }
}

/// One point of a metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metric {
    /// Name (`silhouette`, `search.silhouette`).
    pub key: String,
    /// Value; NaN and infinities are kept (written as `"NaN"`, `"Infinity"`, `"-Infinity"`).
    #[serde(with = "crate::float_text")]
    pub value: f64,
    /// Step: 0 for a single value, the candidate's index for the search table.
    pub step: i64,
    /// Epoch milliseconds.
    pub timestamp: i64,
}

/// A run with everything logged to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    /// Its id.
    pub run_id: String,
    /// Its experiment's name.
    pub experiment: String,
    /// A name for people.
    pub run_name: String,
    /// Where it is.
    pub status: RunStatus,
    /// Epoch milliseconds.
    pub start_time: i64,
    /// Epoch milliseconds, once ended.
    pub end_time: Option<i64>,
    /// Parameters (all configuration, flattened).
    pub params: BTreeMap<String, String>,
    /// Every metric point, by key, in logging order.
    pub metrics: BTreeMap<String, Vec<Metric>>,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// Artifact paths, relative to the run's artifact root.
    pub artifacts: Vec<String>,
    /// The error a failed run ended with.
    pub error: Option<String>,
}

impl RunInfo {
    /// The last value logged for `key`.
    pub fn last_metric(&self, key: &str) -> Option<f64> {
        self.metrics
            .get(key)
            .and_then(|m| m.last())
            .map(|m| m.value)
    }
}

/// Now, in epoch milliseconds.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
