//! The embedded store: plain files under one root (default `runs/`).
//!
//! ```text
//! runs/
//!   <experiment>/<run_id>/run.json        parameters, metrics, tags, status, times, error
//!   <experiment>/<run_id>/artifacts/...   copies of the run's files
//!   models/<name>/versions/<n>.json       one file per version, created exclusively
//!   models/<name>/aliases.json            alias -> version
//!   models/<name>/alias-history.jsonl     one line per alias change
//!   models/<name>/.lock                   held while aliases change
//! ```
//! Every file is written whole to a temporary sibling and renamed. Two processes may write at
//! once: run ids are random, version numbers are taken by creating their file exclusively, and
//! alias changes hold an exclusive file lock.

mod registry;
mod tracker;

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};

/// The folder of the registry inside the store; no experiment may take the name.
const MODELS: &str = "models";

/// A store of runs and registered models in a directory.
#[derive(Debug, Clone)]
pub struct LocalStore {
    root: PathBuf,
}

impl LocalStore {
    /// A store rooted at `root` (created on first write).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// Its root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }
}

/// Refuses names that would leave their folder or clash with the store's own.
pub(crate) fn check_name(name: &str, what: &'static str) -> Result<()> {
    let bad = |why| {
        Err(Error::BadName {
            name: name.to_owned(),
            what,
            why,
        })
    };
    if name.is_empty() || name.len() > 200 {
        return bad("it must have 1 to 200 characters");
    }
    if name.starts_with('.') || name.contains(['/', '\\', '\0']) {
        return bad("it must not start with `.` or contain `/` or `\\`");
    }
    Ok(())
}

pub(crate) fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T> {
    let bytes = std::fs::read(path).map_err(|source| Error::io(path, source))?;
    serde_json::from_slice(&bytes).map_err(|error| Error::Corrupt {
        path: path.to_path_buf(),
        message: error.to_string(),
    })
}

pub(crate) fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let mut bytes = serde_json::to_vec_pretty(value).map_err(|error| Error::Corrupt {
        path: path.to_path_buf(),
        message: error.to_string(),
    })?;
    bytes.push(b'\n');
    custseg_io::write_atomic(path, &bytes)?;
    Ok(())
}
