//! Runs in the local store.

use std::path::{Component, Path, PathBuf};

use super::{LocalStore, MODELS, check_name, read_json, write_json};
use crate::error::{Error, Result};
use crate::run::{Metric, RunInfo, RunStatus, now_ms};
use crate::tracker::Tracker;

impl LocalStore {
    fn run_dir(&self, run_id: &str) -> Result<PathBuf> {
        check_name(run_id, "a run id")?;
        let entries =
            std::fs::read_dir(&self.root).map_err(|_| Error::NoSuchRun(run_id.to_owned()))?;
        for entry in entries.flatten() {
            let candidate = entry.path().join(run_id);
            if entry.file_name() != MODELS && candidate.join("run.json").is_file() {
                return Ok(candidate);
            }
        }
        Err(Error::NoSuchRun(run_id.to_owned()))
    }

    /// Reads a run, changes it and writes it back whole. One process owns a run, so a
    /// read-modify-write is safe; the rename keeps readers from seeing half a file.
    fn update(&self, run_id: &str, change: impl FnOnce(&mut RunInfo)) -> Result<()> {
        let path = self.run_dir(run_id)?.join("run.json");
        let mut run: RunInfo = read_json(&path)?;
        change(&mut run);
        write_json(&path, &run)
    }
}

impl Tracker for LocalStore {
    fn location(&self) -> String {
        format!("{}/", self.root.display())
    }

    fn start_run(
        &self,
        experiment: &str,
        run_name: &str,
        tags: &[(String, String)],
    ) -> Result<String> {
        check_name(experiment, "an experiment name")?;
        if experiment == MODELS {
            return Err(Error::BadName {
                name: experiment.to_owned(),
                what: "an experiment name",
                why: "the local store keeps its model registry under `models/`",
            });
        }
        let run_id = uuid::Uuid::new_v4().simple().to_string();
        let run = RunInfo {
            run_id: run_id.clone(),
            experiment: experiment.to_owned(),
            run_name: run_name.to_owned(),
            status: RunStatus::Running,
            start_time: now_ms(),
            end_time: None,
            params: Default::default(),
            metrics: Default::default(),
            tags: tags.iter().cloned().collect(),
            artifacts: Vec::new(),
            error: None,
        };
        let dir = self.root.join(experiment).join(&run_id);
        std::fs::create_dir_all(&dir).map_err(|source| Error::io(&dir, source))?;
        write_json(&dir.join("run.json"), &run)?;
        Ok(run_id)
    }

    fn log_params(&self, run_id: &str, params: &[(String, String)]) -> Result<()> {
        self.update(run_id, |run| {
            for (key, value) in params {
                run.params
                    .entry(key.clone())
                    .or_insert_with(|| value.clone());
            }
        })
    }

    fn log_metrics(&self, run_id: &str, metrics: &[Metric]) -> Result<()> {
        self.update(run_id, |run| {
            for metric in metrics {
                run.metrics
                    .entry(metric.key.clone())
                    .or_default()
                    .push(metric.clone());
            }
        })
    }

    fn set_tags(&self, run_id: &str, tags: &[(String, String)]) -> Result<()> {
        self.update(run_id, |run| {
            for (key, value) in tags {
                run.tags.insert(key.clone(), value.clone());
            }
        })
    }

    fn log_artifact(&self, run_id: &str, local: &Path, artifact_path: &str) -> Result<()> {
        let relative = Path::new(artifact_path);
        if artifact_path.is_empty()
            || !relative
                .components()
                .all(|c| matches!(c, Component::Normal(_)))
        {
            return Err(Error::BadName {
                name: artifact_path.to_owned(),
                what: "an artifact path",
                why: "it must be a relative path without `..`",
            });
        }
        let bytes = std::fs::read(local).map_err(|source| Error::io(local, source))?;
        let target = self.run_dir(run_id)?.join("artifacts").join(relative);
        custseg_io::write_atomic(&target, &bytes)?;
        self.update(run_id, |run| {
            if !run.artifacts.iter().any(|a| a == artifact_path) {
                run.artifacts.push(artifact_path.to_owned());
            }
        })
    }

    fn end_run(&self, run_id: &str, status: RunStatus, error: Option<&str>) -> Result<()> {
        self.update(run_id, |run| {
            run.status = status;
            run.end_time = Some(now_ms());
            run.error = error.map(str::to_owned);
        })
    }

    fn get_run(&self, run_id: &str) -> Result<RunInfo> {
        read_json(&self.run_dir(run_id)?.join("run.json"))
    }

    fn list_runs(&self, experiment: &str) -> Result<Vec<RunInfo>> {
        check_name(experiment, "an experiment name")?;
        let dir = self.root.join(experiment);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return Ok(Vec::new());
        };
        let mut runs = Vec::new();
        for entry in entries.flatten() {
            let path = entry.path().join("run.json");
            if path.is_file() {
                runs.push(read_json::<RunInfo>(&path)?);
            }
        }
        runs.sort_by(|a, b| {
            b.start_time
                .cmp(&a.start_time)
                .then(b.run_id.cmp(&a.run_id))
        });
        Ok(runs)
    }

    fn read_artifact(&self, run_id: &str, artifact_path: &str) -> Result<Vec<u8>> {
        let path = self.run_dir(run_id)?.join("artifacts").join(artifact_path);
        std::fs::read(&path).map_err(|source| Error::io(&path, source))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metric(key: &str, value: f64, step: i64) -> Metric {
        Metric {
            key: key.into(),
            value,
            step,
            timestamp: 1,
        }
    }

    #[test]
    fn a_run_keeps_params_metric_steps_tags_artifacts_and_its_end() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path().join("runs"));
        let id = store
            .start_run("custseg", "run on demo", &[("host".into(), "a".into())])
            .unwrap();
        store
            .log_params(&id, &[("model.k_max".into(), "8".into())])
            .unwrap();
        store
            .log_params(&id, &[("model.k_max".into(), "9".into())])
            .unwrap();
        store
            .log_metrics(
                &id,
                &[
                    metric("search.silhouette", 0.3, 0),
                    metric("search.silhouette", 0.4, 1),
                ],
            )
            .unwrap();
        let file = dir.path().join("model.json");
        std::fs::write(&file, b"{}").unwrap();
        store.log_artifact(&id, &file, "model/model.json").unwrap();
        store.end_run(&id, RunStatus::Failed, Some("boom")).unwrap();

        let run = store.get_run(&id).unwrap();
        assert_eq!(
            run.params["model.k_max"], "8",
            "a parameter keeps its first value"
        );
        assert_eq!(run.metrics["search.silhouette"].len(), 2);
        assert_eq!(run.last_metric("search.silhouette"), Some(0.4));
        assert_eq!(run.tags["host"], "a");
        assert_eq!(run.artifacts, ["model/model.json"]);
        assert_eq!(store.read_artifact(&id, "model/model.json").unwrap(), b"{}");
        assert_eq!(run.status, RunStatus::Failed);
        assert_eq!(run.error.as_deref(), Some("boom"));
        assert!(run.end_time.is_some());
        assert_eq!(store.list_runs("custseg").unwrap().len(), 1);
    }

    #[test]
    fn metrics_that_are_not_finite_are_kept_and_the_run_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path().join("runs"));
        let id = store.start_run("custseg", "r", &[]).unwrap();
        store
            .log_metrics(
                &id,
                &[
                    metric("davies_bouldin", f64::NAN, 0),
                    metric("ratio", f64::INFINITY, 0),
                    metric("ratio", f64::NEG_INFINITY, 1),
                    metric("silhouette", 0.5, 0),
                ],
            )
            .unwrap();
        let run = store.get_run(&id).unwrap();
        assert!(run.last_metric("davies_bouldin").unwrap().is_nan());
        let ratio: Vec<f64> = run.metrics["ratio"].iter().map(|m| m.value).collect();
        assert_eq!(ratio, [f64::INFINITY, f64::NEG_INFINITY]);
        assert_eq!(run.last_metric("silhouette"), Some(0.5));
        // Written as the strings MLflow's JSON uses, so the file stays valid JSON.
        let text = std::fs::read_to_string(walk_for_run_json(&dir.path().join("runs"))).unwrap();
        assert!(
            text.contains("\"NaN\"") && text.contains("\"-Infinity\""),
            "{text}"
        );
    }

    /// The first `run.json` under `root`.
    fn walk_for_run_json(root: &Path) -> std::path::PathBuf {
        for entry in std::fs::read_dir(root).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                let found = walk_for_run_json(&path);
                if found.exists() {
                    return found;
                }
            } else if path.file_name().is_some_and(|n| n == "run.json") {
                return path;
            }
        }
        root.join("none")
    }

    #[test]
    fn names_that_leave_the_store_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path());
        assert!(store.start_run("../x", "r", &[]).is_err());
        assert!(store.start_run("models", "r", &[]).is_err());
        let id = store.start_run("e", "r", &[]).unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, b"x").unwrap();
        let error = store.log_artifact(&id, &file, "../escape").unwrap_err();
        assert!(error.to_string().contains("relative path"), "{error}");
        assert!(matches!(store.get_run("nope"), Err(Error::NoSuchRun(_))));
    }

    #[test]
    fn runs_started_at_once_from_many_threads_are_all_kept() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path());
        let ids: Vec<String> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..8)
                .map(|i| {
                    let store = &store;
                    scope.spawn(move || {
                        let id = store.start_run("e", &format!("r{i}"), &[]).unwrap();
                        store
                            .log_metrics(&id, &[metric("m", f64::from(i), 0)])
                            .unwrap();
                        id
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let runs = store.list_runs("e").unwrap();
        assert_eq!(runs.len(), 8);
        for id in ids {
            assert_eq!(store.get_run(&id).unwrap().metrics["m"].len(), 1);
        }
    }
}
