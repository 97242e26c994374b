//! A journal of the runs this machine has started and not yet ended in their store, so that a
//! run whose end could not be recorded (the server was down) or whose process died (killed,
//! crashed) is not left `RUNNING` for ever: the next run started with the same journal ends it
//! as `FAILED` with the reason, or with the outcome its own process could not record.
//!
//! ```text
//! <dir>/<run_id>.json   {run_id, store, pid, host, process_start, started, ending?}
//! ```
//! An entry is written when a run starts, rewritten with the run's ending when that ending
//! could not reach the store, and removed once the store holds the ending. Neither store
//! offers a lease or heartbeat for runs, so this is done here, on the client's side.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::local::{read_json, write_json};
use crate::run::{RunStatus, now_ms};
use crate::tracker::Tracker;

/// A run started here whose end the store does not hold yet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenRun {
    /// Its id in the store.
    pub run_id: String,
    /// The store ([`Tracker::location`]).
    pub store: String,
    /// The process that runs it.
    pub pid: u32,
    /// The machine it runs on.
    pub host: String,
    /// The process's start time in clock ticks since boot (Linux), to tell a reused pid apart.
    pub process_start: Option<u64>,
    /// Epoch milliseconds.
    pub started: i64,
    /// How it ended, when the store could not be told.
    pub ending: Option<Ending>,
}

/// An ending its process could not record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ending {
    /// Finished or failed.
    pub status: RunStatus,
    /// The run's error, for a failed run.
    pub error: Option<String>,
    /// Why the store was not told (the store's error).
    pub unrecorded_because: String,
    /// Epoch milliseconds.
    pub at: i64,
}

/// What [`OpenRuns::settle`] did to one run of an earlier process.
#[derive(Debug, Clone, PartialEq)]
pub struct Settled {
    /// The run.
    pub run_id: String,
    /// The status it now has in the store.
    pub status: RunStatus,
    /// The error it was ended with.
    pub error: Option<String>,
}

/// The journal in one directory.
#[derive(Debug, Clone)]
pub struct OpenRuns {
    dir: PathBuf,
    host: String,
}

impl OpenRuns {
    /// The journal kept in `dir` (created on first write), for runs of this machine, `host`.
    pub fn new(dir: impl Into<PathBuf>, host: &str) -> Self {
        Self {
            dir: dir.into(),
            host: host.to_owned(),
        }
    }

    fn path(&self, run_id: &str) -> PathBuf {
        self.dir.join(format!("{run_id}.json"))
    }

    /// Notes that this process started `run_id` in `store`.
    pub fn opened(&self, run_id: &str, store: &str) -> Result<()> {
        let pid = std::process::id();
        write_json(
            &self.path(run_id),
            &OpenRun {
                run_id: run_id.to_owned(),
                store: store.to_owned(),
                pid,
                host: self.host.clone(),
                process_start: process_start(pid),
                started: now_ms(),
                ending: None,
            },
        )
    }

    /// Notes that the store holds the run's end.
    pub fn closed(&self, run_id: &str) -> Result<()> {
        let path = self.path(run_id);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(Error::io(&path, source)),
        }
    }

    /// Keeps the ending the store could not be told, for the next run to record.
    pub fn unrecorded(&self, run_id: &str, ending: Ending) -> Result<()> {
        let path = self.path(run_id);
        let mut open: OpenRun = read_json(&path)?;
        open.ending = Some(ending);
        write_json(&path, &open)
    }

    /// The entries, oldest first.
    pub fn entries(&self) -> Result<Vec<OpenRun>> {
        let listing = match std::fs::read_dir(&self.dir) {
            Ok(listing) => listing,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => return Err(Error::io(&self.dir, source)),
        };
        let mut entries = Vec::new();
        for entry in listing {
            let path = entry.map_err(|source| Error::io(&self.dir, source))?.path();
            if path.extension().is_some_and(|e| e == "json") {
                entries.push(read_json::<OpenRun>(&path)?);
            }
        }
        entries.sort_by(|a, b| a.started.cmp(&b.started).then(a.run_id.cmp(&b.run_id)));
        Ok(entries)
    }

    /// Ends in `tracker` every run of this journal in that store whose process is gone: with
    /// the ending it could not record, or as failed because its process died. A run the store
    /// already shows as ended is only taken off the journal; a run whose process still runs
    /// (this machine, same pid and start time) is left alone, as is a run of another machine.
    pub fn settle(&self, tracker: &dyn Tracker) -> Result<Vec<Settled>> {
        let store = tracker.location();
        let mut settled = Vec::new();
        for open in self.entries()? {
            if open.store != store || open.host != self.host || is_alive(&open) {
                continue;
            }
            let recorded = match tracker.get_run(&open.run_id) {
                Ok(run) => run,
                // The store lost it or it was deleted: nothing to end.
                Err(Error::NoSuchRun(_)) => {
                    self.closed(&open.run_id)?;
                    continue;
                }
                Err(error) => return Err(error),
            };
            if recorded.status == RunStatus::Running {
                let (status, error) = match &open.ending {
                    Some(ending) => {
                        let error = ending.error.as_ref().map(|error| {
                            format!(
                                "{error}\n(recorded by a later run: the store could not be told when the run ended: {})",
                                ending.unrecorded_because
                            )
                        });
                        (ending.status, error)
                    }
                    None => (
                        RunStatus::Failed,
                        Some(format!(
                            "the custseg process (pid {} on {}) ended before the run did: it was killed or crashed; outputs logged after its last record are missing",
                            open.pid, open.host
                        )),
                    ),
                };
                tracker.end_run(&open.run_id, status, error.as_deref())?;
                tracing::warn!(
                    run_id = open.run_id,
                    status = status.as_str(),
                    "ended a run an earlier process left open"
                );
                settled.push(Settled {
                    run_id: open.run_id.clone(),
                    status,
                    error,
                });
            }
            self.closed(&open.run_id)?;
        }
        Ok(settled)
    }
}

/// This machine's name: the kernel's host name, else `HOSTNAME`, else `unknown`.
pub fn current_host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// Whether the process that opened the run still runs. Reads `/proc`; where there is none, a
/// process is taken to be alive, so a live run is never ended by mistake.
fn is_alive(open: &OpenRun) -> bool {
    if open.pid == std::process::id() {
        return true;
    }
    if !Path::new("/proc/self").exists() {
        return true;
    }
    match (process_start(open.pid), open.process_start) {
        (None, _) => false,
        (Some(now), Some(then)) => now == then,
        (Some(_), None) => true,
    }
}

/// Field 22 of `/proc/<pid>/stat`: when the process started, in clock ticks since boot.
fn process_start(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces.
    let after_name = &stat[stat.rfind(')')? + 1..];
    after_name.split_whitespace().nth(19)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::local::LocalStore;

    fn journal(dir: &Path) -> OpenRuns {
        OpenRuns::new(dir.join("open"), "here")
    }

    #[test]
    fn this_process_start_time_is_read() {
        assert!(process_start(std::process::id()).is_some());
        let open = OpenRun {
            run_id: "r".into(),
            store: "s".into(),
            pid: std::process::id(),
            host: "here".into(),
            process_start: process_start(std::process::id()),
            started: 0,
            ending: None,
        };
        assert!(is_alive(&open));
        // The same pid with another start time is a reused pid: that process is gone.
        let reused = OpenRun {
            pid: 1,
            process_start: Some(u64::MAX),
            ..open
        };
        assert!(!is_alive(&reused));
    }

    #[test]
    fn a_run_whose_process_died_is_ended_as_failed_and_one_whose_end_was_lost_gets_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path().join("runs"));
        let journal = journal(dir.path());
        let died = store.start_run("e", "died", &[]).unwrap();
        let lost = store.start_run("e", "lost", &[]).unwrap();
        let done = store.start_run("e", "done", &[]).unwrap();
        for run in [&died, &lost, &done] {
            journal.opened(run, &store.location()).unwrap();
        }
        journal
            .unrecorded(
                &lost,
                Ending {
                    status: RunStatus::Failed,
                    error: Some("stage `train` failed".into()),
                    unrecorded_because: "server down".into(),
                    at: 0,
                },
            )
            .unwrap();
        store.end_run(&done, RunStatus::Finished, None).unwrap();
        // All three look like another process's: a pid that is not running.
        for entry in journal.entries().unwrap() {
            let mut entry = entry;
            entry.pid = u32::MAX;
            write_json(&journal.path(&entry.run_id), &entry).unwrap();
        }
        // Another store's runs are not touched.
        let other = LocalStore::new(dir.path().join("other"));
        assert!(journal.settle(&other).unwrap().is_empty());
        assert_eq!(journal.entries().unwrap().len(), 3);

        let settled = journal.settle(&store).unwrap();
        assert_eq!(settled.len(), 2, "{settled:?}");
        let died_run = store.get_run(&died).unwrap();
        assert_eq!(died_run.status, RunStatus::Failed);
        assert!(
            died_run
                .error
                .unwrap()
                .contains("ended before the run did: it was killed or crashed")
        );
        let lost_run = store.get_run(&lost).unwrap();
        assert_eq!(lost_run.status, RunStatus::Failed);
        let error = lost_run.error.unwrap();
        assert!(error.starts_with("stage `train` failed\n"), "{error}");
        assert!(error.contains("server down"), "{error}");
        assert_eq!(store.get_run(&done).unwrap().status, RunStatus::Finished);
        assert!(journal.entries().unwrap().is_empty());
    }

    #[test]
    fn a_run_whose_process_still_runs_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path().join("runs"));
        let journal = journal(dir.path());
        let run = store.start_run("e", "live", &[]).unwrap();
        journal.opened(&run, &store.location()).unwrap();
        assert!(journal.settle(&store).unwrap().is_empty());
        assert_eq!(store.get_run(&run).unwrap().status, RunStatus::Running);
        // Another machine's entry in a shared folder is left alone too.
        let elsewhere = OpenRuns::new(dir.path().join("open"), "elsewhere");
        assert!(elsewhere.settle(&store).unwrap().is_empty());
        journal.closed(&run).unwrap();
        assert!(journal.entries().unwrap().is_empty());
    }
}
