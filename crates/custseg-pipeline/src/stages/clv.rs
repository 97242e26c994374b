//! Stage `clv`: BG/NBD (or Pareto/NBD) and Gamma-Gamma fits, P(alive) and CLV per customer.

use anyhow::Result;
use custseg_dag::{BoxError, Stage, StageContext};
use custseg_data::engine::EngineOptions;
use custseg_data::pipeline::{self, FeaturesMeta, paths};

use crate::clv_stage::{self as clv, ClvRequest};
use crate::request::{PipelineRequest, boxed, stage_version};
use crate::settings::ClvSettings;

/// Fits the lifetime-value models.
pub struct Clv {
    settings: ClvSettings,
    request: ClvRequest,
    engine: EngineOptions,
}

impl Clv {
    /// The stage for `request`; fails on invalid `[clv]` settings.
    pub fn new(request: &PipelineRequest) -> Result<Self> {
        Ok(Self {
            settings: request.settings.clv.clone(),
            request: ClvRequest::from_settings(&request.settings.clv, request.calibration_end)?,
            engine: request.features.engine.clone(),
        })
    }
}

impl Stage for Clv {
    fn name(&self) -> &str {
        "clv"
    }

    fn description(&self) -> &str {
        "customer lifetime value and P(alive): BG/NBD or Pareto/NBD with Gamma-Gamma"
    }

    fn deps(&self) -> Vec<String> {
        vec![paths::CLEAN.into(), paths::FEATURES_META.into()]
    }

    fn params(&self) -> serde_json::Value {
        let mut settings = serde_json::json!(self.settings);
        if let Some(map) = settings.as_object_mut() {
            map.remove("in_run");
            // Only when set, so that a run without a holdout keeps the parameters it had.
            if let Some(date) = self.request.calibration_end {
                map.insert("calibration_end".to_owned(), serde_json::json!(date));
            }
        }
        settings
    }

    fn outputs(&self) -> Vec<String> {
        vec![
            clv::SUMMARY.into(),
            clv::PREDICTIONS.into(),
            clv::MODEL.into(),
        ]
    }

    fn version(&self) -> String {
        stage_version()
    }

    fn run(&self, context: &mut StageContext<'_>) -> Result<Vec<String>, BoxError> {
        let meta: FeaturesMeta = pipeline::read_record(&context.dep(paths::FEATURES_META))
            .map_err(|e| boxed(e.into()))?;
        let outcome = clv::stage_clv(context.staged(), &self.engine, meta.as_of, &self.request)
            .map_err(boxed)?;
        Ok(clv::summary_lines(&outcome))
    }
}
