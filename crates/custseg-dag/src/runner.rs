//! Runs the stages that are out of date, in order, each committed whole with its lock entry.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Instant;

use custseg_io::StagedOutput;

use crate::dag::{Dag, covers};
use crate::error::{Error, Result};
use crate::fingerprint::{file_record, stage_fingerprint, value_hash};
use crate::lock::{FileRecord, Lock, LockedStage};
use crate::stage::{Input, Stage, StageContext};

/// The file a runner holds an exclusive lock on while it runs, inside the output directory.
pub const RUN_LOCK: &str = ".custseg-run.lock";

/// What became of one stage.
#[derive(Debug, Clone, PartialEq)]
pub enum StageStatus {
    /// It is about to run (reported to the observer only, before it runs).
    Started,
    /// It ran and its outputs were committed.
    Ran,
    /// Nothing it depends on changed; it did not run.
    Skipped,
    /// It failed; its outputs and lock entry are as they were before.
    Failed,
}

/// One stage's outcome, with the reason it ran or was skipped.
#[derive(Debug, Clone)]
pub struct StageOutcome {
    /// The stage.
    pub stage: String,
    /// What happened.
    pub status: StageStatus,
    /// Why it ran (`parameters changed: seed`) or was skipped (`unchanged`).
    pub reason: String,
    /// Attempts made (0 when skipped).
    pub attempts: u32,
    /// Wall time.
    pub seconds: f64,
    /// The process's peak resident memory while the stage ran, in bytes (Linux only).
    pub peak_rss_bytes: Option<u64>,
    /// What the stage reported.
    pub lines: Vec<String>,
    /// Output files written (final paths); empty unless it ran.
    pub files: Vec<PathBuf>,
}

/// The outcome of a run: the stages in order, and the error that stopped it, if any.
#[derive(Debug)]
pub struct RunReport {
    /// Stages reached, in run order.
    pub stages: Vec<StageOutcome>,
    /// The stage error that stopped the run.
    pub failure: Option<Error>,
}

impl RunReport {
    /// The stages that ran.
    pub fn ran(&self) -> impl Iterator<Item = &StageOutcome> {
        self.stages.iter().filter(|s| s.status == StageStatus::Ran)
    }
}

/// What a run will do, before it does it.
#[derive(Debug, Clone, Default)]
pub struct RunPlan {
    /// Stages forced to run whatever their hashes say.
    pub force: BTreeSet<String>,
    /// Run this one stage only, after checking that everything before it is up to date.
    pub only: Option<String>,
    /// Run this stage and the stages it reads from, nothing after it.
    pub until: Option<String>,
}

/// Whether a stage is up to date, with the records computed to find out.
struct Freshness {
    stale: Option<String>,
    inputs: BTreeMap<String, FileRecord>,
    deps: Vec<FileRecord>,
    fingerprint: String,
}

/// A stage that ran: attempts made, what it reported, the files it committed.
type Executed = (u32, Vec<String>, Vec<PathBuf>);

/// Runs a DAG in an output directory.
pub struct Runner<'a> {
    dag: &'a Dag,
    out: PathBuf,
    _guard: File,
}

impl<'a> Runner<'a> {
    /// Takes the output directory for this process: creates it, refuses when another process
    /// holds it, and removes staging folders left by a process that was killed.
    pub fn new(dag: &'a Dag, out: &Path) -> Result<Self> {
        std::fs::create_dir_all(out).map_err(|source| Error::Path {
            path: out.to_path_buf(),
            source,
        })?;
        let guard_path = out.join(RUN_LOCK);
        let guard = File::create(&guard_path).map_err(|source| Error::Path {
            path: guard_path.clone(),
            source,
        })?;
        match guard.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => return Err(Error::Busy(out.to_path_buf())),
            Err(std::fs::TryLockError::Error(source)) => {
                return Err(Error::Path {
                    path: guard_path,
                    source,
                });
            }
        }
        remove_stale_staging(out);
        Ok(Self {
            dag,
            out: out.to_path_buf(),
            _guard: guard,
        })
    }

    /// Runs the stages that are out of date (or forced), calling `observe` after each.
    /// A stage that fails stops the run: it leaves its outputs and lock entry as they were,
    /// and the next run starts again from it.
    pub fn run(&self, plan: &RunPlan, observe: &mut dyn FnMut(&StageOutcome)) -> Result<RunReport> {
        for name in &plan.force {
            self.dag.index_of(name)?;
        }
        let mut lock = Lock::read(&self.out)?;
        let selected: BTreeSet<usize> = match &plan.only {
            Some(name) => {
                let index = self.dag.index_of(name)?;
                self.check_ancestors_fresh(index, &lock)?;
                BTreeSet::from([index])
            }
            None => match &plan.until {
                Some(name) => self.dag.with_ancestors(self.dag.index_of(name)?),
                None => (0..self.dag.stages().len()).collect(),
            },
        };
        let mut report = RunReport {
            stages: Vec::new(),
            failure: None,
        };
        for index in selected {
            let stage = &self.dag.stages()[index];
            let name = stage.name().to_owned();
            let _span = tracing::info_span!("stage", stage = %name).entered();
            let freshness = self.freshness(stage.as_ref(), &lock)?;
            let reason = if plan.force.contains(&name) {
                Some("forced with `--force`".to_owned())
            } else {
                freshness.stale.clone()
            };
            let Some(reason) = reason else {
                tracing::info!("skipped: unchanged");
                let outcome = StageOutcome {
                    stage: name,
                    status: StageStatus::Skipped,
                    reason: "unchanged".to_owned(),
                    attempts: 0,
                    seconds: 0.0,
                    peak_rss_bytes: None,
                    lines: Vec::new(),
                    files: Vec::new(),
                };
                observe(&outcome);
                report.stages.push(outcome);
                continue;
            };
            tracing::info!(%reason, "running");
            observe(&StageOutcome {
                stage: name.clone(),
                status: StageStatus::Started,
                reason: reason.clone(),
                attempts: 0,
                seconds: 0.0,
                peak_rss_bytes: None,
                lines: Vec::new(),
                files: Vec::new(),
            });
            let clock = Instant::now();
            let memory = custseg_io::PhaseMemory::start();
            let executed = self.execute(stage.as_ref(), freshness, &mut lock);
            let peak_rss_bytes = memory.finish();
            match executed {
                Ok((attempts, lines, files)) => {
                    let outcome = StageOutcome {
                        stage: name,
                        status: StageStatus::Ran,
                        reason,
                        attempts,
                        seconds: clock.elapsed().as_secs_f64(),
                        peak_rss_bytes,
                        lines,
                        files,
                    };
                    tracing::info!(seconds = outcome.seconds, "finished");
                    observe(&outcome);
                    report.stages.push(outcome);
                }
                Err((attempts, error)) => {
                    let outcome = StageOutcome {
                        stage: name,
                        status: StageStatus::Failed,
                        reason: error.to_string(),
                        attempts,
                        seconds: clock.elapsed().as_secs_f64(),
                        peak_rss_bytes,
                        lines: Vec::new(),
                        files: Vec::new(),
                    };
                    observe(&outcome);
                    report.stages.push(outcome);
                    report.failure = Some(error);
                    break;
                }
            }
        }
        Ok(report)
    }

    /// Fails when a stage before `index` (direct or not) is out of date.
    fn check_ancestors_fresh(&self, index: usize, lock: &Lock) -> Result<()> {
        let mut ancestors = BTreeSet::new();
        let mut frontier: Vec<usize> = self.dag.upstream(index).to_vec();
        while let Some(next) = frontier.pop() {
            if ancestors.insert(next) {
                frontier.extend_from_slice(self.dag.upstream(next));
            }
        }
        for upstream in ancestors {
            let stage = &self.dag.stages()[upstream];
            if let Some(reason) = self.freshness(stage.as_ref(), lock)?.stale {
                return Err(Error::UpstreamStale {
                    stage: self.dag.stages()[index].name().to_owned(),
                    upstream: stage.name().to_owned(),
                    reason,
                });
            }
        }
        Ok(())
    }

    fn freshness(&self, stage: &dyn Stage, lock: &Lock) -> Result<Freshness> {
        let known = lock.known_files();
        let mut stale = None;
        let mut note = |reason: String| {
            if stale.is_none() {
                stale = Some(reason);
            }
        };
        let mut inputs = BTreeMap::new();
        for input in stage.inputs() {
            match input {
                Input::File { name, path } => {
                    let shown = path.display().to_string();
                    match file_record(&shown, &path, &known)? {
                        Some(record) => {
                            inputs.insert(name, record);
                        }
                        None => note(format!("input `{name}` (`{shown}`) is missing")),
                    }
                }
                Input::Value { name, value } => {
                    inputs.insert(
                        name,
                        FileRecord {
                            path: value.clone(),
                            sha256: value_hash(&value),
                            size: 0,
                            mtime_ns: 0,
                        },
                    );
                }
            }
        }
        let mut deps = Vec::new();
        for dep in stage.deps() {
            match file_record(&dep, &self.out.join(&dep), &known)? {
                Some(record) => deps.push(record),
                None => note(format!("`{dep}` is missing")),
            }
        }
        let params = stage.params();
        let version = stage.version();
        let fingerprint = stage_fingerprint(&version, &params, &inputs, &deps);
        match lock.stages.get(stage.name()) {
            None => note("it has not run here before".to_owned()),
            Some(locked) => {
                if locked.version != version {
                    note(format!(
                        "its code changed (version `{}` -> `{version}`)",
                        locked.version
                    ));
                }
                let changed = changed_params(&locked.params, &params);
                if !changed.is_empty() {
                    note(format!("parameters changed: {}", changed.join(", ")));
                }
                for (name, record) in &inputs {
                    match locked.inputs.get(name) {
                        Some(before) if before.sha256 == record.sha256 => {}
                        _ => note(format!("input `{name}` changed")),
                    }
                }
                for record in &deps {
                    let before = locked.deps.iter().find(|d| d.path == record.path);
                    if before.is_none_or(|b| b.sha256 != record.sha256) {
                        note(format!("`{}` changed", record.path));
                    }
                }
                if locked.fingerprint != fingerprint {
                    note("its inputs changed".to_owned());
                }
                for output in &locked.outputs {
                    match file_record(&output.path, &self.out.join(&output.path), &known)? {
                        None => note(format!("its output `{}` is missing", output.path)),
                        Some(now) if now.sha256 != output.sha256 => note(format!(
                            "its output `{}` was changed outside the pipeline",
                            output.path
                        )),
                        Some(_) => {}
                    }
                }
                for declared in stage.outputs() {
                    if !declared.ends_with('/')
                        && !locked.outputs.iter().any(|o| o.path == declared)
                    {
                        note(format!("its output `{declared}` is new"));
                    }
                }
            }
        }
        Ok(Freshness {
            stale,
            inputs,
            deps,
            fingerprint,
        })
    }

    /// Runs a stage with its retries, commits its outputs and writes its lock entry.
    fn execute(
        &self,
        stage: &dyn Stage,
        freshness: Freshness,
        lock: &mut Lock,
    ) -> Result<Executed, (u32, Error)> {
        let retry = stage.retry();
        let clock = Instant::now();
        let mut attempt = 0;
        let (staged, lines) = loop {
            attempt += 1;
            let mut staged = StagedOutput::new(&self.out).map_err(|e| (attempt, e.into()))?;
            let mut context = StageContext {
                out: &self.out,
                staged: &mut staged,
            };
            match stage.run(&mut context) {
                Ok(lines) => break (staged, lines),
                Err(source) if attempt >= retry.attempts.max(1) => {
                    return Err((
                        attempt,
                        Error::Stage {
                            stage: stage.name().to_owned(),
                            attempts: attempt,
                            source,
                        },
                    ));
                }
                Err(error) => {
                    let wait = retry.backoff(attempt);
                    tracing::warn!(attempt, %error, ?wait, "stage failed; retrying");
                    drop(staged);
                    std::thread::sleep(wait);
                }
            }
        };
        let declared = stage.outputs();
        let written: Vec<String> = staged
            .staged_files()
            .iter()
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .collect();
        let fail = |error: Error| (attempt, error);
        for path in &written {
            if !declared.iter().any(|d| covers(d, path)) {
                return Err(fail(Error::UndeclaredOutput {
                    stage: stage.name().to_owned(),
                    path: path.clone(),
                }));
            }
        }
        for output in declared.iter().filter(|d| !d.ends_with('/')) {
            if !written.contains(output) {
                return Err(fail(Error::MissingOutput {
                    stage: stage.name().to_owned(),
                    path: output.clone(),
                }));
            }
        }
        // Files left in a folder output by an earlier run that this run did not write.
        let leftovers: Vec<PathBuf> = declared
            .iter()
            .filter(|d| d.ends_with('/'))
            .flat_map(|folder| files_under(&self.out, folder))
            .filter(|relative| !written.contains(relative))
            .map(|relative| self.out.join(relative))
            .collect();
        let files = staged.commit().map_err(|e| fail(e.into()))?;
        for leftover in leftovers {
            if let Err(error) = std::fs::remove_file(&leftover) {
                tracing::warn!(path = %leftover.display(), %error, "could not remove an old output");
            }
        }
        let none = BTreeMap::new();
        let mut outputs = Vec::with_capacity(written.len());
        for path in &written {
            let record = file_record(path, &self.out.join(path), &none)
                .map_err(fail)?
                .ok_or_else(|| {
                    fail(Error::MissingOutput {
                        stage: stage.name().to_owned(),
                        path: path.clone(),
                    })
                })?;
            outputs.push(record);
        }
        lock.stages.insert(
            stage.name().to_owned(),
            LockedStage {
                fingerprint: freshness.fingerprint,
                version: stage.version(),
                params: stage.params(),
                inputs: freshness.inputs,
                deps: freshness.deps,
                outputs,
                finished_at: chrono::Utc::now(),
                seconds: clock.elapsed().as_secs_f64(),
            },
        );
        lock.write(&self.out).map_err(fail)?;
        Ok((attempt, lines, files))
    }
}

/// Top-level keys (dotted for nested objects) whose values differ between two parameter sets.
fn changed_params(before: &serde_json::Value, now: &serde_json::Value) -> Vec<String> {
    fn walk(prefix: &str, a: &serde_json::Value, b: &serde_json::Value, found: &mut Vec<String>) {
        match (a, b) {
            (serde_json::Value::Object(a), serde_json::Value::Object(b)) => {
                let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
                for key in keys {
                    let path = if prefix.is_empty() {
                        key.clone()
                    } else {
                        format!("{prefix}.{key}")
                    };
                    let null = serde_json::Value::Null;
                    walk(
                        &path,
                        a.get(key).unwrap_or(&null),
                        b.get(key).unwrap_or(&null),
                        found,
                    );
                }
            }
            _ if a != b => found.push(if prefix.is_empty() {
                "(all)".to_owned()
            } else {
                prefix.to_owned()
            }),
            _ => {}
        }
    }
    let mut found = Vec::new();
    walk("", before, now, &mut found);
    found
}

/// Files under `folder` (relative, ending in `/`) of `out`, as relative paths with `/`.
fn files_under(out: &Path, folder: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut pending = vec![out.join(folder)];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if let Ok(relative) = path.strip_prefix(out) {
                found.push(relative.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    found
}

/// Removes the staging folders of processes that died before committing.
fn remove_stale_staging(out: &Path) {
    let Ok(entries) = std::fs::read_dir(out) else {
        return;
    };
    for entry in entries.flatten() {
        if entry
            .file_name()
            .to_string_lossy()
            .starts_with(".custseg-staging-")
        {
            let path = entry.path();
            tracing::info!(path = %path.display(), "removing the staging folder of an interrupted run");
            if let Err(error) = std::fs::remove_dir_all(&path) {
                tracing::warn!(path = %path.display(), %error, "could not remove a stale staging folder");
            }
        }
    }
}

#[cfg(test)]
mod tests;
