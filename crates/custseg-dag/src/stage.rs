//! What a stage declares and what it gets when it runs.

use std::path::{Path, PathBuf};
use std::time::Duration;

use custseg_io::StagedOutput;

use crate::error::BoxError;

/// Something from outside the pipeline that a stage reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A local file, fingerprinted by its content.
    File {
        /// What the stage calls it (`source`, `settings`...).
        name: String,
        /// Where it is.
        path: PathBuf,
    },
    /// A value fingerprinted as given, such as a URL whose download is checksummed elsewhere.
    Value {
        /// What the stage calls it.
        name: String,
        /// The value.
        value: String,
    },
}

/// How often a stage is attempted and how long to wait between attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    /// Attempts in all (1 = no retry).
    pub attempts: u32,
    /// Wait before the second attempt; it doubles after each further failure.
    pub first_backoff: Duration,
}

impl Retry {
    /// One attempt.
    pub const NONE: Retry = Retry {
        attempts: 1,
        first_backoff: Duration::ZERO,
    };

    /// For stages that talk to a network: three attempts, 1 s then 2 s apart.
    pub const NETWORK: Retry = Retry {
        attempts: 3,
        first_backoff: Duration::from_secs(1),
    };

    /// The wait after failed attempt `attempt` (1-based).
    pub fn backoff(&self, attempt: u32) -> Duration {
        self.first_backoff
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
    }
}

/// One step of the pipeline.
///
/// A stage reads the pipeline files it lists in [`Stage::deps`] (outputs of earlier stages,
/// relative to the output directory) and the outside [`Stage::inputs`], is configured by
/// [`Stage::params`], and writes exactly its [`Stage::outputs`] into the [`StageContext`]'s
/// staged output. The runner hashes all of them: a stage whose hashes match the lock is
/// skipped. An output ending in `/` is a folder: the stage may write any files under it.
pub trait Stage: Send + Sync {
    /// A short unique name (`clean`, `train`).
    fn name(&self) -> &str;

    /// One line on what the stage does.
    fn description(&self) -> &str {
        ""
    }

    /// Pipeline files read, relative to the output directory. The stages writing them come
    /// first; these edges make the DAG.
    fn deps(&self) -> Vec<String> {
        Vec::new()
    }

    /// Files and values from outside the pipeline.
    fn inputs(&self) -> Vec<Input> {
        Vec::new()
    }

    /// The parameters that change what the stage produces. Keys of objects are hashed in
    /// sorted order, so their order does not matter.
    fn params(&self) -> serde_json::Value {
        serde_json::Value::Null
    }

    /// Files (or folders, ending in `/`) written, relative to the output directory.
    fn outputs(&self) -> Vec<String>;

    /// A version of the stage's code: changing it re-runs the stage.
    fn version(&self) -> String {
        String::new()
    }

    /// How often to attempt it.
    fn retry(&self) -> Retry {
        Retry::NONE
    }

    /// Does the work. Lines returned are what the stage found, for people.
    fn run(&self, context: &mut StageContext<'_>) -> Result<Vec<String>, BoxError>;
}

/// What a running stage gets.
pub struct StageContext<'a> {
    pub(crate) out: &'a Path,
    pub(crate) staged: &'a mut StagedOutput,
}

impl StageContext<'_> {
    /// Where a pipeline file an earlier stage wrote is (to read it).
    pub fn dep(&self, relative: &str) -> PathBuf {
        self.out.join(relative)
    }

    /// The output directory.
    pub fn out(&self) -> &Path {
        self.out
    }

    /// The staged output this stage writes into; the runner commits it when the stage succeeds.
    pub fn staged(&mut self) -> &mut StagedOutput {
        self.staged
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_backoff_doubles() {
        assert_eq!(Retry::NETWORK.backoff(1), Duration::from_secs(1));
        assert_eq!(Retry::NETWORK.backoff(2), Duration::from_secs(2));
        assert_eq!(Retry::NETWORK.backoff(3), Duration::from_secs(4));
    }
}
