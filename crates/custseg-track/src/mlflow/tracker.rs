//! Runs on an MLflow server.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value, json};

use super::client::MlflowClient;
use crate::error::{Error, Result};
use crate::float_text;
use crate::run::{Metric, RunInfo, RunStatus, now_ms};
use crate::tracker::Tracker;

/// `log-batch` limits of the server, per call.
const MAX_PARAMS: usize = 100;
const MAX_TAGS: usize = 100;
const MAX_METRICS: usize = 1000;
/// The tag a create carries so that its retry can find what it made.
pub const REQUEST_TAG: &str = "custseg.request_id";

fn pairs(items: &[(String, String)]) -> Vec<Value> {
    items
        .iter()
        .map(|(key, value)| json!({"key": key, "value": value}))
        .collect()
}

impl MlflowClient {
    /// The id of `experiment`, created when missing.
    pub fn experiment_id(&self, experiment: &str) -> Result<String> {
        match self.get(
            "experiments/get-by-name",
            &[("experiment_name", experiment)],
        ) {
            Ok(found) => Ok(text(&found["experiment"]["experiment_id"])),
            Err(Error::Refusal { status: 404, .. }) => {
                match self.post("experiments/create", &json!({"name": experiment})) {
                    Ok(created) => Ok(text(&created["experiment_id"])),
                    // Another process created it between the two calls.
                    Err(error) if error.already_exists() => {
                        let found = self.get(
                            "experiments/get-by-name",
                            &[("experiment_name", experiment)],
                        )?;
                        Ok(text(&found["experiment"]["experiment_id"]))
                    }
                    Err(error) => Err(error),
                }
            }
            Err(error) => Err(error),
        }
    }

    /// The run's artifact root on the artifact proxy, without the `mlflow-artifacts:/` scheme
    /// (a path that keeps it is stored under a folder of that name and never shown).
    fn artifact_root(&self, run_id: &str) -> Result<String> {
        let run = self.get("runs/get", &[("run_id", run_id)])?;
        let uri = text(&run["run"]["info"]["artifact_uri"]);
        uri.strip_prefix("mlflow-artifacts:/")
            .map(|rest| rest.trim_start_matches('/').to_owned())
            .ok_or_else(|| Error::Refusal {
                method: "GET",
                endpoint: "/api/2.0/mlflow/runs/get".into(),
                status: 200,
                code: None,
                message: format!(
                    "the run's artifact root is `{uri}`, not on the server's artifact proxy; start the server with `--serve-artifacts`"
                ),
            })
    }

    fn list_artifacts(&self, run_id: &str, path: &str, found: &mut Vec<String>) -> Result<()> {
        let mut query = vec![("run_id", run_id)];
        if !path.is_empty() {
            query.push(("path", path));
        }
        let listed = self.get("artifacts/list", &query)?;
        for file in listed["files"].as_array().into_iter().flatten() {
            let name = text(&file["path"]);
            if file["is_dir"].as_bool() == Some(true) {
                self.list_artifacts(run_id, &name, found)?;
            } else {
                found.push(name);
            }
        }
        Ok(())
    }

    fn run_from(&self, run: &Value, full_history: bool) -> Result<RunInfo> {
        let info = &run["info"];
        let run_id = text(&info["run_id"]);
        let experiment_id = text(&info["experiment_id"]);
        let experiment = self
            .get("experiments/get", &[("experiment_id", &experiment_id)])
            .map(|e| text(&e["experiment"]["name"]))
            .unwrap_or(experiment_id);
        let tags: BTreeMap<String, String> = key_values(&run["data"]["tags"]);
        let mut metrics: BTreeMap<String, Vec<Metric>> = BTreeMap::new();
        for metric in run["data"]["metrics"].as_array().into_iter().flatten() {
            let key = text(&metric["key"]);
            let points = if full_history {
                let history = self.get(
                    "metrics/get-history",
                    &[("run_id", &run_id), ("metric_key", &key)],
                )?;
                history["metrics"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(metric_from)
                    .collect()
            } else {
                vec![metric_from(metric)]
            };
            metrics.insert(key, points);
        }
        let mut artifacts = Vec::new();
        if full_history {
            self.list_artifacts(&run_id, "", &mut artifacts)?;
        }
        let status = match info["status"].as_str() {
            Some("FINISHED") => RunStatus::Finished,
            Some("FAILED" | "KILLED") => RunStatus::Failed,
            _ => RunStatus::Running,
        };
        Ok(RunInfo {
            run_id,
            experiment,
            run_name: text(&info["run_name"]),
            status,
            start_time: number(&info["start_time"]),
            end_time: info["end_time"]
                .as_i64()
                .or_else(|| info["end_time"].as_str().and_then(|s| s.parse().ok())),
            params: key_values(&run["data"]["params"]),
            error: tags.get("custseg.error").cloned(),
            tags,
            metrics,
            artifacts,
        })
    }
}

fn metric_from(metric: &Value) -> Metric {
    Metric {
        key: text(&metric["key"]),
        value: infinity_back(float_text::from_json(&metric["value"]).unwrap_or(f64::NAN)),
        step: number(&metric["step"]),
        timestamp: number(&metric["timestamp"]),
    }
}

/// MLflow's SQL store keeps an infinite metric as the largest finite double of its sign
/// (checked against a real server in the tests); read back, that is the infinity sent.
fn infinity_back(value: f64) -> f64 {
    if value.abs() == f64::MAX {
        value.signum() * f64::INFINITY
    } else {
        value
    }
}

/// A JSON string or number as text (MLflow sends ids as strings, some clients as numbers).
pub(crate) fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A JSON number, or a string holding one (MLflow sends int64 fields as strings).
pub(crate) fn number(value: &Value) -> i64 {
    value
        .as_i64()
        .or_else(|| value.as_str().and_then(|s| s.parse().ok()))
        .unwrap_or(0)
}

pub(crate) fn key_values(value: &Value) -> BTreeMap<String, String> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .map(|kv| (text(&kv["key"]), text(&kv["value"])))
        .collect()
}

impl Tracker for MlflowClient {
    fn location(&self) -> String {
        self.base().to_owned()
    }

    fn start_run(
        &self,
        experiment: &str,
        run_name: &str,
        tags: &[(String, String)],
    ) -> Result<String> {
        let experiment_id = self.experiment_id(experiment)?;
        // A tag of this request's own, so that a retry after an unknown outcome finds the run
        // the first attempt may have made instead of making a second.
        let request = uuid::Uuid::new_v4().to_string();
        let mut tags = tags.to_vec();
        tags.push((REQUEST_TAG.to_owned(), request.clone()));
        let recover = || -> Result<Option<Value>> {
            let found = self.post(
                "runs/search",
                &json!({
                    "experiment_ids": [experiment_id],
                    "filter": format!("tags.`{REQUEST_TAG}` = '{request}'"),
                    "max_results": 1,
                }),
            )?;
            Ok(found["runs"]
                .as_array()
                .and_then(|runs| runs.first())
                .map(|run| json!({"run": run})))
        };
        let created = self.post_create(
            "runs/create",
            &json!({
                "experiment_id": experiment_id,
                "run_name": run_name,
                "start_time": now_ms(),
                "tags": pairs(&tags),
            }),
            &recover,
        )?;
        Ok(text(&created["run"]["info"]["run_id"]))
    }

    fn log_params(&self, run_id: &str, params: &[(String, String)]) -> Result<()> {
        for chunk in params.chunks(MAX_PARAMS) {
            self.post(
                "runs/log-batch",
                &json!({"run_id": run_id, "params": pairs(chunk)}),
            )?;
        }
        Ok(())
    }

    fn log_metrics(&self, run_id: &str, metrics: &[Metric]) -> Result<()> {
        for chunk in metrics.chunks(MAX_METRICS) {
            // Not-finite values as MLflow's JSON spells them: kept, not dropped.
            let points: Vec<Value> = chunk
                .iter()
                .map(|m| {
                    json!({"key": m.key, "value": float_text::to_json(m.value), "timestamp": m.timestamp, "step": m.step})
                })
                .collect();
            self.post(
                "runs/log-batch",
                &json!({"run_id": run_id, "metrics": points}),
            )?;
        }
        Ok(())
    }

    fn set_tags(&self, run_id: &str, tags: &[(String, String)]) -> Result<()> {
        for chunk in tags.chunks(MAX_TAGS) {
            self.post(
                "runs/log-batch",
                &json!({"run_id": run_id, "tags": pairs(chunk)}),
            )?;
        }
        Ok(())
    }

    fn log_artifact(&self, run_id: &str, local: &Path, artifact_path: &str) -> Result<()> {
        let bytes = std::fs::read(local).map_err(|source| Error::io(local, source))?;
        let root = self.artifact_root(run_id)?;
        self.put_artifact(&format!("{root}/{artifact_path}"), &bytes)
    }

    fn end_run(&self, run_id: &str, status: RunStatus, error: Option<&str>) -> Result<()> {
        if let Some(error) = error {
            // Tag values are limited to 8000 characters.
            let shown: String = error.chars().take(7900).collect();
            self.set_tags(run_id, &[("custseg.error".to_owned(), shown)])?;
        }
        self.post(
            "runs/update",
            &json!({"run_id": run_id, "status": status.as_str(), "end_time": now_ms()}),
        )?;
        Ok(())
    }

    fn get_run(&self, run_id: &str) -> Result<RunInfo> {
        let run = match self.get("runs/get", &[("run_id", run_id)]) {
            Ok(run) => run,
            Err(Error::Refusal { status: 404, .. }) => {
                return Err(Error::NoSuchRun(run_id.to_owned()));
            }
            Err(error) => return Err(error),
        };
        self.run_from(&run["run"], true)
    }

    fn list_runs(&self, experiment: &str) -> Result<Vec<RunInfo>> {
        let experiment_id = self.experiment_id(experiment)?;
        let found = self.post_all(
            "runs/search",
            &json!({
                "experiment_ids": [experiment_id],
                "order_by": ["attributes.start_time DESC"],
            }),
            "runs",
        )?;
        found.iter().map(|run| self.run_from(run, false)).collect()
    }

    fn read_artifact(&self, run_id: &str, artifact_path: &str) -> Result<Vec<u8>> {
        let root = self.artifact_root(run_id)?;
        self.get_artifact(&format!("{root}/{artifact_path}"))
    }
}
