//! Experiment tracking and the model registry.
//!
//! Two traits, [`Tracker`] (runs with parameters, metrics, tags and artifacts) and
//! [`Registry`] (named models with numbered versions, aliases and an alias history), each with
//! two backends: a local store of plain files under `runs/` ([`local`]) and a real MLflow
//! server through its REST API ([`mlflow`]). [`gate`] is the champion/challenger rule
//! `promote` applies, the same for both.
//!
//! This crate knows what a model's scores are called, not how they are computed: it must not
//! depend on DataFusion or the model crates.

pub mod error;
pub mod float_text;
pub mod gate;
pub mod local;
pub mod mlflow;
pub mod open_runs;
mod registry;
mod run;
mod tracker;

pub use error::{Error, Result};
pub use open_runs::{OpenRuns, current_host};
pub use registry::{AliasEvent, ModelVersion, Registry, current_user, live_at};
pub use run::{Metric, RunInfo, RunStatus};
pub use tracker::Tracker;
