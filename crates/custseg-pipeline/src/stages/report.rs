//! Stage `report`: the self-contained HTML report (and PNG charts) from every earlier output.

use custseg_dag::{BoxError, Stage, StageContext};
use custseg_data::engine::EngineOptions;
use custseg_data::pipeline::paths;
use custseg_model::config::ModelConfig;

use crate::clv_stage as clv;
use crate::model_stage::paths as model_paths;
use crate::report_stage;
use crate::request::{PipelineRequest, Scope, boxed, stage_version};

/// Draws the report.
pub struct Report {
    engine: EngineOptions,
    config: ModelConfig,
    clv: bool,
    png: bool,
    /// `custseg report`: drawn from whatever the output directory holds, with no stage
    /// before it in the DAG.
    redraw: bool,
}

impl Report {
    /// The stage for `request`.
    pub fn new(request: &PipelineRequest) -> Self {
        Self {
            engine: request.features.engine.clone(),
            config: request.settings.model.clone(),
            clv: request.clv,
            png: request.png,
            redraw: request.scope == Scope::Report,
        }
    }
}

impl Stage for Report {
    fn name(&self) -> &str {
        "report"
    }

    fn description(&self) -> &str {
        "the HTML report: quality funnel, business overview, features, k choice, segments, RFM, cohorts, CLV"
    }

    fn deps(&self) -> Vec<String> {
        if self.redraw {
            // What it reads is whatever an earlier run left (the report says which parts
            // are missing); `custseg report` always draws it again.
            return Vec::new();
        }
        let mut deps: Vec<String> = [
            paths::QUALITY,
            paths::CLEAN,
            paths::FEATURES_PARQUET,
            model_paths::MODEL,
            model_paths::SEARCH,
            model_paths::SEGMENTS,
            model_paths::PROFILES_JSON,
        ]
        .map(str::to_owned)
        .to_vec();
        if self.clv {
            deps.push(clv::MODEL.to_owned());
            deps.push(clv::PREDICTIONS.to_owned());
            deps.push(clv::SUMMARY.to_owned());
        }
        deps
    }

    fn params(&self) -> serde_json::Value {
        serde_json::json!({ "png": self.png })
    }

    fn outputs(&self) -> Vec<String> {
        vec!["report/".to_owned()]
    }

    fn version(&self) -> String {
        stage_version()
    }

    fn run(&self, context: &mut StageContext<'_>) -> Result<Vec<String>, BoxError> {
        let drawn =
            report_stage::stage_report(context.staged(), &self.engine, &self.config, self.png)
                .map_err(boxed)?;
        Ok(report_stage::summary_lines(&drawn))
    }
}
