//! `custseg.lock`: the content hash of every input, parameter set and output of each stage
//! that last succeeded, as `dvc.lock` records them.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The lock file's name inside the output directory.
pub const LOCK_FILE: &str = "custseg.lock";

const FORMAT_VERSION: u32 = 1;

/// A file's content hash, with the size and modification time it had when hashed, so that an
/// unchanged file is not hashed again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRecord {
    /// Path: relative to the output directory for pipeline files, as given for inputs.
    pub path: String,
    /// SHA-256 of the bytes.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
    /// Modification time, nanoseconds since the Unix epoch.
    pub mtime_ns: i128,
}

/// What the lock holds for one stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LockedStage {
    /// Hash over the stage's code version, parameters, inputs and dependencies.
    pub fingerprint: String,
    /// The stage's code version.
    pub version: String,
    /// The parameters, as the stage gave them.
    pub params: serde_json::Value,
    /// Outside inputs by name: a file's record, or a value's hash in `sha256`.
    pub inputs: BTreeMap<String, FileRecord>,
    /// Pipeline files read.
    pub deps: Vec<FileRecord>,
    /// Files written.
    pub outputs: Vec<FileRecord>,
    /// When the stage finished.
    pub finished_at: chrono::DateTime<chrono::Utc>,
    /// How long it took.
    pub seconds: f64,
}

/// The whole lock file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Lock {
    /// Format version of the file.
    #[serde(default)]
    pub version: u32,
    /// Stages by name.
    #[serde(default)]
    pub stages: BTreeMap<String, LockedStage>,
}

impl Lock {
    /// Reads the lock in `out`; an empty lock when there is none.
    pub fn read(out: &Path) -> Result<Self> {
        let path = out.join(LOCK_FILE);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Self {
                    version: FORMAT_VERSION,
                    ..Self::default()
                });
            }
            Err(source) => return Err(Error::Path { path, source }),
        };
        let lock: Lock = serde_json::from_slice(&bytes).map_err(|error| Error::BadLock {
            path: path.clone(),
            message: error.to_string(),
        })?;
        if lock.version != FORMAT_VERSION {
            return Err(Error::BadLock {
                path,
                message: format!(
                    "format version {} (this custseg writes {FORMAT_VERSION})",
                    lock.version
                ),
            });
        }
        Ok(lock)
    }

    /// Writes the lock into `out` atomically.
    pub fn write(&self, out: &Path) -> Result<()> {
        let mut bytes = serde_json::to_vec_pretty(self).map_err(|error| Error::BadLock {
            path: out.join(LOCK_FILE),
            message: error.to_string(),
        })?;
        bytes.push(b'\n');
        custseg_io::write_atomic(&out.join(LOCK_FILE), &bytes)?;
        Ok(())
    }

    /// Every file record of the lock, by path, to reuse hashes of unchanged files.
    pub(crate) fn known_files(&self) -> BTreeMap<&str, &FileRecord> {
        let mut known = BTreeMap::new();
        for stage in self.stages.values() {
            for record in stage
                .inputs
                .values()
                .chain(&stage.deps)
                .chain(&stage.outputs)
            {
                if record.size > 0 || record.mtime_ns != 0 {
                    known.insert(record.path.as_str(), record);
                }
            }
        }
        known
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_lock_is_empty_and_a_written_one_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let empty = Lock::read(dir.path()).unwrap();
        assert!(empty.stages.is_empty());
        let mut lock = empty.clone();
        lock.stages.insert(
            "clean".into(),
            LockedStage {
                fingerprint: "f".into(),
                version: "1".into(),
                params: serde_json::json!({"drop": true}),
                inputs: BTreeMap::new(),
                deps: vec![],
                outputs: vec![FileRecord {
                    path: "clean.parquet".into(),
                    sha256: "ab".into(),
                    size: 3,
                    mtime_ns: 7,
                }],
                finished_at: chrono::DateTime::from_timestamp(0, 0).unwrap(),
                seconds: 0.5,
            },
        );
        lock.write(dir.path()).unwrap();
        assert_eq!(Lock::read(dir.path()).unwrap(), lock);
    }

    #[test]
    fn a_garbled_lock_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(LOCK_FILE), b"{ not json").unwrap();
        let message = Lock::read(dir.path()).unwrap_err().to_string();
        assert!(
            message.contains("custseg.lock` is not a custseg lock file"),
            "{message}"
        );
    }
}
