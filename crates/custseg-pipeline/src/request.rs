//! What a pipeline run is built from, and the small helpers every stage shares.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Result;
use custseg_dag::BoxError;
use custseg_data::Progress;
use custseg_data::ingest::InputSource;
use custseg_data::pipeline::FeaturesRequest;

use crate::settings::Settings;
use crate::tracking::Tracking;

/// Which part of the pipeline a request builds.
#[derive(Debug, Clone, PartialEq)]
pub enum Scope {
    /// Every stage the settings ask for, from the transaction log (`custseg run`, and
    /// `custseg features` and `custseg clv` up to their stage).
    Pipeline,
    /// The `train` stage alone, on this customer feature table instead of the `features`
    /// stage's (`custseg train`).
    TrainOn(PathBuf),
    /// The `report` stage alone, drawn from whatever outputs the output directory holds
    /// (`custseg report`).
    Report,
}

/// What the pipeline is built from: the resolved settings and the run's choices.
#[derive(Clone)]
pub struct PipelineRequest {
    /// The input named on the command line (or the demo dataset's path), classified.
    pub input: InputSource,
    /// Every setting.
    pub settings: Settings,
    /// Reading, cleaning and engine settings, and the as-of date.
    pub features: FeaturesRequest,
    /// A previous model file to track segment moves against.
    pub previous: Option<std::path::PathBuf>,
    /// Which stages the DAG has.
    pub scope: Scope,
    /// Include the lifetime-value stage.
    pub clv: bool,
    /// Fit the lifetime-value models on purchases up to this date and score them on the rest.
    pub calibration_end: Option<chrono::NaiveDate>,
    /// Include the report stage.
    pub report: bool,
    /// Also draw each chart as PNG.
    pub png: bool,
    /// Where the long steps inside stages (reading, training) report their progress.
    pub progress: Arc<dyn Progress>,
    /// Where runs and registered models go.
    pub tracking: Tracking,
}

impl PipelineRequest {
    /// The whole pipeline on `input` with `settings` (the command line already laid over
    /// them): the stages the settings ask for, tracked where they say. `as_of` overrides
    /// `[features] as_of`.
    pub fn new(
        input: InputSource,
        settings: Settings,
        as_of: Option<chrono::NaiveDate>,
        progress: Arc<dyn Progress>,
    ) -> Self {
        let features = FeaturesRequest {
            ingest: settings.ingest.clone(),
            clean: settings.clean.clone(),
            engine: settings.engine.clone(),
            as_of: as_of.or(settings.features.as_of),
        };
        let tracking = Tracking::resolve(&settings.tracking, &settings.registry);
        Self {
            input,
            features,
            previous: None,
            scope: Scope::Pipeline,
            clv: settings.clv.in_run,
            calibration_end: None,
            report: true,
            png: false,
            progress,
            tracking,
            settings,
        }
    }
}

/// The code version every stage records: a new custseg release re-runs every stage.
pub(crate) fn stage_version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// An `anyhow` error as a stage error, keeping its whole chain of context in the message.
pub(crate) fn boxed(error: anyhow::Error) -> BoxError {
    format!("{error:#}").into()
}

/// Reads the model file a train stage committed, as a stage's error.
pub(crate) fn read_model(path: &std::path::Path) -> Result<custseg_model::ModelFile, BoxError> {
    crate::model_stage::read_model(path).map_err(boxed)
}
