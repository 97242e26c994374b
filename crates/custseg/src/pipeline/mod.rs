//! `custseg run` as a DAG of cached stages: ingest -> clean -> features -> lifetime value ->
//! train -> evaluate -> register -> report. Each stage is one file here; `custseg-dag` runs
//! them and keeps `custseg.lock`.

mod clean;
mod clv;
pub mod evaluate;
mod features;
mod ingest;
pub mod register;
mod report;
mod train;

use anyhow::Result;
use custseg_dag::{BoxError, Dag, Stage};
use custseg_data::ingest::InputSource;
use custseg_data::pipeline::FeaturesRequest;

use crate::settings::Settings;
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
    /// Hide progress bars.
    pub quiet: bool,
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
    let mut stages: Vec<Box<dyn Stage>> = vec![
        Box::new(ingest::Ingest::new(request)),
        Box::new(clean::Clean::new(request)),
        Box::new(features::Features::new(request)),
    ];
    if request.clv {
        stages.push(Box::new(clv::Clv::new(request)?));
    }
    stages.push(Box::new(train::Train::new(request)));
    stages.push(Box::new(evaluate::Evaluate::new(request)));
    stages.push(Box::new(register::Register::new(request, recorder)));
    if request.report {
        stages.push(Box::new(report::Report::new(request)));
    }
    Ok(Dag::new(stages)?)
}
