use std::path::PathBuf;

/// An error a stage returns: anything that can be shown and sent between threads.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Errors of building a DAG and running it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Two stages have the same name.
    #[error("two stages are named `{0}`")]
    DuplicateStage(String),
    /// Two stages declare the same output.
    #[error("`{path}` is an output of both `{first}` and `{second}`")]
    DuplicateOutput {
        /// The output.
        path: String,
        /// One stage.
        first: String,
        /// The other.
        second: String,
    },
    /// A stage reads a pipeline file no earlier stage writes.
    #[error("stage `{stage}` depends on `{path}`, which no stage writes")]
    UnknownDependency {
        /// The stage.
        stage: String,
        /// The file.
        path: String,
    },
    /// The stages' dependencies go round in a circle.
    #[error("the stages depend on each other in a cycle through `{0}`")]
    Cycle(String),
    /// A stage name given on the command line is not in the DAG.
    #[error("no stage is named `{name}`; the stages are {known}")]
    NoSuchStage {
        /// The name given.
        name: String,
        /// The names there are.
        known: String,
    },
    /// `--only STAGE` while an upstream stage is not up to date.
    #[error(
        "stage `{stage}` needs `{upstream}` to be up to date first ({reason}); run it, or the whole pipeline"
    )]
    UpstreamStale {
        /// The stage asked for.
        stage: String,
        /// The stale stage before it.
        upstream: String,
        /// Why it is stale.
        reason: String,
    },
    /// A stage failed (after its retries).
    #[error("stage `{stage}` failed (attempt {attempts} of {attempts}): {source}")]
    Stage {
        /// The stage.
        stage: String,
        /// Attempts made.
        attempts: u32,
        /// The error of the last attempt.
        #[source]
        source: BoxError,
    },
    /// A stage did not write an output it declared.
    #[error("stage `{stage}` did not write its declared output `{path}`")]
    MissingOutput {
        /// The stage.
        stage: String,
        /// The output.
        path: String,
    },
    /// A stage wrote a file it did not declare.
    #[error("stage `{stage}` wrote `{path}`, which it does not declare as an output")]
    UndeclaredOutput {
        /// The stage.
        stage: String,
        /// The file.
        path: String,
    },
    /// Another process is running a pipeline in the same directory.
    #[error("another custseg process is running the pipeline in `{}`; wait for it to finish", .0.display())]
    Busy(PathBuf),
    /// The lock file cannot be read.
    #[error("`{}` is not a custseg lock file: {message}; delete it to rebuild every stage", path.display())]
    BadLock {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A file could not be read, written or hashed.
    #[error(transparent)]
    Io(#[from] custseg_io::Error),
    /// An I/O error on a named path.
    #[error("`{}`: {source}", path.display())]
    Path {
        /// The path.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
