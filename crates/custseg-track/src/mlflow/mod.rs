//! The MLflow backend: runs, metrics, params, tags and artifacts (through the server's
//! artifact proxy), registered models, versions and aliases, over MLflow's REST API.
//!
//! MLflow has no alias history, so each alias change is also kept as a tag of the
//! registered model, `custseg.alias_event.<n>`, holding the event as JSON.

mod client;
mod registry;
mod tracker;

pub use client::MlflowClient;
