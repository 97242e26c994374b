//! Where runs and registered models go, resolved once from the settings and the environment,
//! and what a pipeline run records.

mod fetch;
mod promote;
mod record;
mod scores;

pub use fetch::{fetch, registry_reference, resolve};
pub use promote::{promote, rollback};
pub use record::{RunRecorder, flatten_params};
pub use scores::model_scores;

use std::path::PathBuf;

use anyhow::Result;
use custseg_track::local::LocalStore;
use custseg_track::mlflow::MlflowClient;
use custseg_track::{Registry, Tracker};

use crate::settings::{RegistrySettings, TrackingSettings};

/// The tracking store: the local one under a directory, or an MLflow server.
#[derive(Debug, Clone, PartialEq)]
pub enum Store {
    /// Plain files under this directory.
    Local(PathBuf),
    /// An MLflow tracking server.
    Mlflow(String),
}

/// Tracking and registry settings, resolved.
#[derive(Debug, Clone)]
pub struct Tracking {
    /// Whether runs are recorded.
    pub enabled: bool,
    /// Where.
    pub store: Store,
    /// The experiment runs go to.
    pub experiment: String,
    /// What `custseg run` registers and promotes.
    pub registry: RegistrySettings,
}

impl Tracking {
    /// Resolves the settings: `MLFLOW_TRACKING_URI` > `[tracking] mlflow_uri` > the local store,
    /// `MLFLOW_EXPERIMENT_NAME` > `[tracking] experiment`.
    pub fn resolve(tracking: &TrackingSettings, registry: &RegistrySettings) -> Self {
        let uri = std::env::var("MLFLOW_TRACKING_URI")
            .ok()
            .filter(|u| !u.trim().is_empty())
            .or_else(|| tracking.mlflow_uri.clone());
        let store = match uri {
            Some(uri) => Store::Mlflow(uri),
            None => Store::Local(tracking.dir.clone()),
        };
        let experiment = std::env::var("MLFLOW_EXPERIMENT_NAME")
            .ok()
            .filter(|e| !e.trim().is_empty())
            .unwrap_or_else(|| tracking.experiment.clone());
        Self {
            enabled: tracking.enabled,
            store,
            experiment,
            registry: registry.clone(),
        }
    }

    /// The tracker of the store.
    pub fn tracker(&self) -> Result<Box<dyn Tracker>> {
        Ok(match &self.store {
            Store::Local(dir) => Box::new(LocalStore::new(dir)),
            Store::Mlflow(uri) => Box::new(MlflowClient::new(uri)?),
        })
    }

    /// How often a stage that talks to the store is attempted: with backoff on MLflow, once
    /// on local files.
    pub fn retry(&self) -> custseg_dag::Retry {
        match self.store {
            Store::Mlflow(_) => custseg_dag::Retry::NETWORK,
            Store::Local(_) => custseg_dag::Retry::NONE,
        }
    }

    /// The registry of the store.
    pub fn registry(&self) -> Result<Box<dyn Registry>> {
        Ok(match &self.store {
            Store::Local(dir) => Box::new(LocalStore::new(dir)),
            Store::Mlflow(uri) => Box::new(MlflowClient::new(uri)?),
        })
    }
}
