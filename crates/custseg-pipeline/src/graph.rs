//! The pipeline as a DAG of cached stages: ingest -> clean -> features -> lifetime value ->
//! train -> evaluate -> register -> report. Each stage is one file in `stages/`;
//! `custseg-dag` runs them and keeps `custseg.lock`.

use std::sync::Arc;

use anyhow::Result;
use custseg_dag::{BoxError, Dag, Stage};
use custseg_data::Progress;
use custseg_data::ingest::InputSource;
use custseg_data::pipeline::FeaturesRequest;

use crate::settings::Settings;
use crate::stages;
use crate::tracking::{RunRecorder, Tracking};

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
    /// Include the lifetime-value stage.
    pub clv: bool,
    /// Include the report stage.
    pub report: bool,
    /// Also draw each chart as PNG.
    pub png: bool,
    /// Where the long steps inside stages (reading, training) report their progress.
    pub progress: Arc<dyn Progress>,
    /// Where runs and registered models go.
    pub tracking: Tracking,
}

/// The code version every stage records: a new custseg release re-runs every stage.
pub(crate) fn stage_version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// An `anyhow` error as a stage error, keeping its whole chain of context in the message.
pub(crate) fn boxed(error: anyhow::Error) -> BoxError {
    format!("{error:#}").into()
}

/// Reads the model file a train stage committed.
pub(crate) fn read_model(path: &std::path::Path) -> Result<custseg_model::ModelFile, BoxError> {
    use anyhow::Context;
    let bytes = fs_err::read(path).map_err(|e| boxed(e.into()))?;
    custseg_model::ModelFile::from_bytes(&bytes)
        .with_context(|| format!("`{}`", path.display()))
        .map_err(boxed)
}

/// The pipeline's stages for `request`, in a DAG; `recorder` is the run new models are
/// registered under.
pub fn build(request: &PipelineRequest, recorder: Option<RunRecorder>) -> Result<Dag> {
    let mut chosen: Vec<Box<dyn Stage>> = vec![
        Box::new(stages::ingest::Ingest::new(request)),
        Box::new(stages::clean::Clean::new(request)),
        Box::new(stages::features::Features::new(request)),
    ];
    if request.clv {
        chosen.push(Box::new(stages::clv::Clv::new(request)?));
    }
    chosen.push(Box::new(stages::train::Train::new(request)));
    chosen.push(Box::new(stages::evaluate::Evaluate::new(request)));
    chosen.push(Box::new(stages::register::Register::new(request, recorder)));
    if request.report {
        chosen.push(Box::new(stages::report::Report::new(request)));
    }
    Ok(Dag::new(chosen)?)
}
