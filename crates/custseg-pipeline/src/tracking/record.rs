//! Records one `custseg run` or `custseg train` as a tracked run: configuration as parameters,
//! the search table and the chosen model's scores as metrics, provenance as tags, the outputs
//! as artifacts, and how it ended.

use std::path::Path;

use anyhow::{Context, Result};
use custseg_model::ModelFile;
use custseg_track::open_runs::{Ending, Settled};
use custseg_track::{Metric, OpenRuns, RunStatus, Tracker};

use super::{Tracking, model_scores};

/// The outputs logged as artifacts when present, relative to the output directory.
const ARTIFACTS: [&str; 12] = [
    "reports/quality.json",
    "features/customer_features.parquet",
    "features/meta.json",
    custseg_clv::model_file::CLV_MODEL_FILE,
    "model/model.json",
    "model/search.csv",
    "model/evaluation.json",
    "segments/profiles.json",
    "segments/profiles.md",
    "segments/customer_segments.parquet",
    "report/index.html",
    custseg_dag::LOCK_FILE,
];

/// The folder, inside the output directory, of the journal of runs started there and not yet
/// ended in their store ([`OpenRuns`]).
pub const OPEN_RUNS: &str = ".custseg-open-runs";

/// A run in progress.
#[derive(Clone)]
pub struct RunRecorder {
    tracker: std::sync::Arc<dyn Tracker>,
    run_id: String,
    journal: OpenRuns,
    settled: Vec<Settled>,
}

/// A settings tree as dotted parameters (`model.search.k_max` = `8`); arrays and nulls as JSON.
pub fn flatten_params(value: &serde_json::Value) -> Vec<(String, String)> {
    fn walk(prefix: &str, value: &serde_json::Value, out: &mut Vec<(String, String)>) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, child) in map {
                    let path = if prefix.is_empty() {
                        key.clone()
                    } else {
                        format!("{prefix}.{key}")
                    };
                    walk(&path, child, out);
                }
            }
            serde_json::Value::String(text) => out.push((prefix.to_owned(), text.clone())),
            other => out.push((prefix.to_owned(), other.to_string())),
        }
    }
    let mut out = Vec::new();
    walk("", value, &mut out);
    out
}

fn git_commit() -> Option<String> {
    let output = std::process::Command::new("git")
        .args(["rev-parse", "HEAD"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
        .filter(|c| !c.is_empty())
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl RunRecorder {
    /// Starts a run of `command` (`run`, `train`) with every parameter; none when tracking is
    /// off. Fails, before any work is done, when the store cannot take the run.
    ///
    /// First, runs an earlier process started for the output directory `out` and could not end
    /// (its store was down, or it was killed) are ended in the store ([`OpenRuns::settle`]);
    /// then this run is noted in that journal until [`RunRecorder::finish`] records its end.
    pub fn start(
        tracking: &Tracking,
        out: &Path,
        command: &str,
        run_name: &str,
        params: Vec<(String, String)>,
    ) -> Result<Option<Self>> {
        if !tracking.enabled {
            return Ok(None);
        }
        let tracker: std::sync::Arc<dyn Tracker> = tracking.tracker()?.into();
        let journal = OpenRuns::new(out.join(OPEN_RUNS), &custseg_track::current_host());
        let settled = journal.settle(tracker.as_ref()).with_context(|| {
            format!(
                "ending the runs an earlier process left open in {}",
                tracker.location()
            )
        })?;
        let user = custseg_track::current_user();
        let mut tags = vec![
            ("mlflow.user".to_owned(), user),
            (
                "mlflow.source.name".to_owned(),
                format!("custseg {command}"),
            ),
            ("mlflow.source.type".to_owned(), "LOCAL".to_owned()),
            ("custseg.command".to_owned(), command.to_owned()),
            (
                "custseg.version".to_owned(),
                env!("CARGO_PKG_VERSION").to_owned(),
            ),
            ("host".to_owned(), custseg_track::current_host()),
        ];
        if let Some(commit) = git_commit() {
            tags.push(("mlflow.source.git.commit".to_owned(), commit.clone()));
            tags.push(("git_commit".to_owned(), commit));
        }
        let run_id = tracker
            .start_run(&tracking.experiment, run_name, &tags)
            .with_context(|| {
                format!(
                    "cannot record the run in {} (set `[tracking] enabled = false` to run untracked)",
                    tracker.location()
                )
            })?;
        journal.opened(&run_id, &tracker.location())?;
        tracker.log_params(&run_id, &params)?;
        tracing::info!(run_id, store = tracker.location(), "tracking the run");
        Ok(Some(Self {
            tracker,
            run_id,
            journal,
            settled,
        }))
    }

    /// The runs of earlier processes this one ended when it started.
    pub fn settled(&self) -> &[Settled] {
        &self.settled
    }

    /// The run's id.
    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    /// Where the run is recorded.
    pub fn location(&self) -> String {
        self.tracker.location()
    }

    /// Stores one file as an artifact of the run.
    pub fn artifact(&self, path: &Path, artifact_path: &str) -> Result<()> {
        Ok(self
            .tracker
            .log_artifact(&self.run_id, path, artifact_path)?)
    }

    /// Sets tags.
    pub fn tags(&self, tags: &[(String, String)]) -> Result<()> {
        Ok(self.tracker.set_tags(&self.run_id, tags)?)
    }

    /// Logs metrics.
    pub fn metrics(&self, metrics: &[Metric]) -> Result<()> {
        Ok(self.tracker.log_metrics(&self.run_id, metrics)?)
    }

    /// Logs what the outputs in `out` say (quality counts, the search table with one step per
    /// candidate, the chosen model's scores, the lifetime-value fits) and uploads them.
    pub fn log_outputs(&self, out: &Path) -> Result<()> {
        let at = now_ms();
        let point = |key: &str, value: f64, step: i64| Metric {
            key: key.to_owned(),
            value,
            step,
            timestamp: at,
        };
        let mut metrics = Vec::new();
        let mut tags = Vec::new();
        let read_json = |relative: &str| -> Option<serde_json::Value> {
            let bytes = std::fs::read(out.join(relative)).ok()?;
            serde_json::from_slice(&bytes).ok()
        };
        if let Some(quality) = read_json("reports/quality.json") {
            for key in ["raw_rows", "clean_rows", "quarantined_rows"] {
                if let Some(v) = quality[key].as_f64() {
                    metrics.push(point(&format!("quality.{key}"), v, 0));
                }
            }
            if let Some(sha) = quality["input"]["sha256"].as_str() {
                tags.push(("data_sha256".to_owned(), sha.to_owned()));
            }
            if let Some(source) = quality["input"]["source"].as_str() {
                tags.push(("data_source".to_owned(), source.to_owned()));
            }
        }
        let model_path = out.join("model/model.json");
        if let Ok(bytes) = std::fs::read(&model_path) {
            let model = ModelFile::from_bytes(&bytes)
                .with_context(|| format!("`{}`", model_path.display()))?;
            for (key, value) in model_scores(&model) {
                metrics.push(point(&key, value, 0));
            }
            if let Some(sha) = &model.training.data_sha256 {
                tags.push(("model_data_sha256".to_owned(), sha.clone()));
            }
        }
        let search = out.join("model/search.csv");
        if let Ok(mut reader) = csv::Reader::from_path(&search) {
            let headers = reader.headers()?.clone();
            for (step, row) in reader.records().enumerate() {
                let row = row.with_context(|| format!("`{}`", search.display()))?;
                for key in [
                    "k",
                    "silhouette",
                    "davies_bouldin",
                    "calinski_harabasz",
                    "inertia",
                ] {
                    let value = headers
                        .iter()
                        .position(|h| h == key)
                        .and_then(|i| row.get(i))
                        .and_then(|v| v.parse::<f64>().ok());
                    if let Some(value) = value {
                        metrics.push(point(&format!("search.{key}"), value, step as i64));
                    }
                }
            }
        }
        let clv_model = out.join(custseg_clv::model_file::CLV_MODEL_FILE);
        if clv_model.is_file() {
            let clv =
                custseg_clv::model_file::ClvModelFile::from_json_bytes(&fs_err::read(&clv_model)?)
                    .with_context(|| format!("`{}`", clv_model.display()))?;
            let (p, g) = (clv.bg_nbd.params, clv.gamma_gamma.params);
            for (key, value) in [
                ("clv.bg_nbd.log_likelihood", clv.bg_nbd.log_likelihood),
                ("clv.bg_nbd.r", p.r),
                ("clv.bg_nbd.alpha", p.alpha),
                ("clv.bg_nbd.a", p.a),
                ("clv.bg_nbd.b", p.b),
                ("clv.gamma_gamma.p", g.p),
                ("clv.gamma_gamma.q", g.q),
                ("clv.gamma_gamma.gamma", g.gamma),
            ] {
                // A log-likelihood read back as NaN (written as null) was never logged.
                if value.is_finite() {
                    metrics.push(point(key, value, 0));
                }
            }
        }
        self.tracker.log_metrics(&self.run_id, &metrics)?;
        self.tracker.set_tags(&self.run_id, &tags)?;
        for relative in ARTIFACTS {
            let path = out.join(relative);
            if path.is_file() {
                self.tracker.log_artifact(&self.run_id, &path, relative)?;
            }
        }
        Ok(())
    }

    /// Ends the run: finished, or failed with the error's whole message. When the store cannot
    /// be told, the ending stays in the journal for the next run in this output directory to
    /// record, and the error says so.
    pub fn finish(self, outcome: &Result<()>) -> Result<()> {
        let (status, error) = match outcome {
            Ok(()) => (RunStatus::Finished, None),
            Err(error) => (RunStatus::Failed, Some(format!("{error:#}"))),
        };
        match self.tracker.end_run(&self.run_id, status, error.as_deref()) {
            Ok(()) => Ok(self.journal.closed(&self.run_id)?),
            Err(unrecorded) => {
                self.journal.unrecorded(
                    &self.run_id,
                    Ending {
                        status,
                        error,
                        unrecorded_because: unrecorded.to_string(),
                        at: now_ms(),
                    },
                )?;
                Err(anyhow::Error::from(unrecorded).context(format!(
                    "ending run `{}` in {}: it stays RUNNING there until the next custseg run with this output directory records it as {}",
                    self.run_id,
                    self.tracker.location(),
                    status.as_str()
                )))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_flatten_to_dotted_parameters() {
        let params = flatten_params(&serde_json::json!({
            "model": {"search": {"k_max": 8, "inits": ["k-means++"]}, "seed": null},
            "tracking": {"dir": "runs"},
        }));
        assert_eq!(
            params,
            [
                (
                    "model.search.inits".to_owned(),
                    "[\"k-means++\"]".to_owned()
                ),
                ("model.search.k_max".to_owned(), "8".to_owned()),
                ("model.seed".to_owned(), "null".to_owned()),
                ("tracking.dir".to_owned(), "runs".to_owned()),
            ]
        );
    }
}
