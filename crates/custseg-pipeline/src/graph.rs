//! The pipeline as a DAG of cached stages: ingest -> clean -> features -> lifetime value ->
//! train -> evaluate -> register -> report. Each stage is one file in `stages/`;
//! `custseg-dag` runs them and keeps `custseg.lock`.

use anyhow::Result;
use custseg_dag::{Dag, Stage};

use crate::request::{PipelineRequest, Scope};
use crate::stages;
use crate::tracking::RunRecorder;

/// The pipeline's stages for `request`, in a DAG; `recorder` is the run new models are
/// registered under.
pub fn build(request: &PipelineRequest, recorder: Option<RunRecorder>) -> Result<Dag> {
    match &request.scope {
        Scope::Pipeline => {}
        Scope::TrainOn(_) => {
            return Ok(Dag::new(vec![Box::new(stages::train::Train::new(
                request,
            ))])?);
        }
        Scope::Report => {
            return Ok(Dag::new(vec![Box::new(stages::report::Report::new(
                request,
            ))])?);
        }
    }
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
