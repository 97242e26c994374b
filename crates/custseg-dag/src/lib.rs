//! The pipeline runner: a DAG of [`Stage`]s, each declaring its inputs, parameters and
//! outputs; a lock file (`custseg.lock`, as `dvc.lock`) with the content hash of each; and a
//! [`Runner`] that re-executes only the stages whose inputs or parameters changed.
//!
//! This crate knows nothing about customers or data formats: a stage is opaque work that reads
//! files and writes files. It must not depend on DataFusion or any custseg crate but
//! `custseg-io`.

mod dag;
mod error;
mod fingerprint;
mod lock;
mod render;
mod runner;
mod stage;

pub use dag::Dag;
pub use error::{BoxError, Error, Result};
pub use lock::{FileRecord, LOCK_FILE, Lock, LockedStage};
pub use render::{to_dot, to_json, to_text};
pub use runner::{RUN_LOCK, RunPlan, RunReport, Runner, StageOutcome, StageStatus};
pub use stage::{Input, Retry, Stage, StageContext};
