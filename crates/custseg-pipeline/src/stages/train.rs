//! Stage `train`: outlier removal, scaling, PCA, the K-Means search, profiles and RFM segments.

use std::path::PathBuf;
use std::sync::Arc;

use custseg_dag::{BoxError, Input, Stage, StageContext};
use custseg_data::Progress;
use custseg_data::pipeline::{self, IngestRecord, paths};
use custseg_model::config::ModelConfig;

use crate::clv_stage as clv;
use crate::graph::{PipelineRequest, boxed, stage_version};
use crate::model_stage::{self, load_previous, paths as model_paths, training_columns};
use crate::tables::read_customer_table;

/// Trains the segmentation model.
pub struct Train {
    config: ModelConfig,
    clv: bool,
    previous: Option<PathBuf>,
    progress: Arc<dyn Progress>,
}

impl Train {
    /// The stage for `request`.
    pub fn new(request: &PipelineRequest) -> Self {
        Self {
            config: request.settings.model.clone(),
            clv: request.clv,
            previous: request.previous.clone(),
            progress: Arc::clone(&request.progress),
        }
    }
}

impl Stage for Train {
    fn name(&self) -> &str {
        "train"
    }

    fn description(&self) -> &str {
        "isolation forest, scaling, PCA, K-Means search; segment profiles and RFM segments"
    }

    fn deps(&self) -> Vec<String> {
        let mut deps = vec![paths::FEATURES_PARQUET.to_owned(), paths::INGEST.to_owned()];
        if self.clv {
            deps.push(clv::PREDICTIONS.to_owned());
        }
        deps
    }

    fn inputs(&self) -> Vec<Input> {
        self.previous
            .iter()
            .map(|path| Input::File {
                name: "previous model".into(),
                path: path.clone(),
            })
            .collect()
    }

    fn params(&self) -> serde_json::Value {
        serde_json::json!({ "model": self.config })
    }

    fn outputs(&self) -> Vec<String> {
        let mut outputs: Vec<String> = [
            model_paths::MODEL,
            model_paths::SEARCH,
            model_paths::SEGMENTS,
            model_paths::PROFILES_JSON,
            model_paths::PROFILES_MD,
        ]
        .map(str::to_owned)
        .to_vec();
        if self.previous.is_some() {
            outputs.push(model_paths::TRANSITIONS.to_owned());
        }
        outputs
    }

    fn version(&self) -> String {
        stage_version()
    }

    fn run(&self, context: &mut StageContext<'_>) -> Result<Vec<String>, BoxError> {
        let (mut table, _) = read_customer_table(
            &context.dep(paths::FEATURES_PARQUET),
            &training_columns(&self.config),
        )
        .map_err(boxed)?;
        if self.clv {
            clv::join_predictions_file(&mut table, &context.dep(clv::PREDICTIONS))
                .map_err(boxed)?;
        }
        let record: IngestRecord =
            pipeline::read_record(&context.dep(paths::INGEST)).map_err(|e| boxed(e.into()))?;
        let previous = self
            .previous
            .as_deref()
            .map(|path| load_previous(path, &table))
            .transpose()
            .map_err(boxed)?;
        let outcome = model_stage::stage_model(
            context.staged(),
            &table,
            &self.config,
            Some(record.input.sha256),
            previous.as_ref(),
            self.progress.as_ref(),
        )
        .map_err(boxed)?;
        Ok(model_stage::summary_lines(&outcome))
    }
}
