//! Errors of tracking and the registry.

use std::path::PathBuf;

/// What can go wrong talking to a store.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file of the local store could not be read or written.
    #[error("`{}`: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// Writing a file atomically failed.
    #[error(transparent)]
    Write(#[from] custseg_io::Error),
    /// A file of the local store is not what it should be.
    #[error("`{}` is not valid: {message}", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// No run with this id.
    #[error("no run `{0}` in the tracking store")]
    NoSuchRun(String),
    /// No model with this name, or no such version.
    #[error("no registered model `{0}`")]
    NoSuchModel(String),
    /// No such version of a model.
    #[error("model `{name}` has no version {version}")]
    NoSuchVersion {
        /// The model.
        name: String,
        /// The version asked for.
        version: u32,
    },
    /// An alias is not set.
    #[error("model `{name}` has no alias `{alias}`")]
    NoSuchAlias {
        /// The model.
        name: String,
        /// The alias.
        alias: String,
    },
    /// A name that cannot be used.
    #[error("`{name}` cannot be used as {what}: {why}")]
    BadName {
        /// The name.
        name: String,
        /// What it was meant to name.
        what: &'static str,
        /// Why not.
        why: &'static str,
    },
    /// The promotion gate refused a candidate.
    #[error("{0}")]
    Refused(String),
    /// The MLflow server could not be reached (after retries).
    #[error("the MLflow server at `{url}` cannot be reached: {message}")]
    Unreachable {
        /// The tracking URI.
        url: String,
        /// What failed.
        message: String,
    },
    /// The MLflow server refused a request.
    #[error("the MLflow server refused `{method} {endpoint}` with HTTP {status}{}: {message}", code.as_ref().map(|c| format!(" ({c})")).unwrap_or_default())]
    Refusal {
        /// HTTP method.
        method: &'static str,
        /// The endpoint.
        endpoint: String,
        /// HTTP status.
        status: u16,
        /// MLflow's `error_code`.
        code: Option<String>,
        /// MLflow's message.
        message: String,
    },
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }

    /// Whether this is MLflow's `RESOURCE_ALREADY_EXISTS`.
    pub fn already_exists(&self) -> bool {
        matches!(self, Error::Refusal { code: Some(code), .. } if code == "RESOURCE_ALREADY_EXISTS")
    }
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
