//! Stage `train`: outlier removal, scaling, PCA, the K-Means search, profiles and RFM segments.

use std::path::PathBuf;
use std::sync::Arc;

use custseg_dag::{BoxError, Input, Stage, StageContext};
use custseg_data::Progress;
use custseg_data::pipeline::{self, IngestRecord, paths};
use custseg_model::config::ModelConfig;

use crate::clv_stage as clv;
use crate::model_stage::{self, load_previous, paths as model_paths, training_columns};
use crate::request::{PipelineRequest, Scope, boxed, stage_version};
use crate::tables::read_customer_table;

/// Trains the segmentation model.
pub struct Train {
    config: ModelConfig,
    clv: bool,
    previous: Option<PathBuf>,
    /// The feature table of `custseg train`; none: the `features` stage's.
    features_file: Option<PathBuf>,
    progress: Arc<dyn Progress>,
}

impl Train {
    /// The stage for `request`.
    pub fn new(request: &PipelineRequest) -> Self {
        Self {
            config: request.settings.model.clone(),
            clv: request.clv,
            previous: request.previous.clone(),
            features_file: match &request.scope {
                Scope::TrainOn(path) => Some(path.clone()),
                _ => None,
            },
            progress: Arc::clone(&request.progress),
        }
    }
}

impl Train {
    /// The `features` stage's table, with the lifetime-value columns when that stage ran,
    /// and the SHA-256 of the transaction log it came from.
    fn pipeline_table(
        &self,
        context: &StageContext<'_>,
    ) -> Result<(custseg_model::table::CustomerTable, String), BoxError> {
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
        Ok((table, record.input.sha256))
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
        if self.features_file.is_some() {
            return Vec::new();
        }
        let mut deps = vec![paths::FEATURES_PARQUET.to_owned(), paths::INGEST.to_owned()];
        if self.clv {
            deps.push(clv::PREDICTIONS.to_owned());
        }
        deps
    }

    fn inputs(&self) -> Vec<Input> {
        let features = self.features_file.iter().map(|path| Input::File {
            name: "features".into(),
            path: path.clone(),
        });
        let previous = self.previous.iter().map(|path| Input::File {
            name: "previous model".into(),
            path: path.clone(),
        });
        features.chain(previous).collect()
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
        let (table, input_sha256) = match &self.features_file {
            Some(path) => {
                let (table, _) =
                    read_customer_table(path, &training_columns(&self.config)).map_err(boxed)?;
                let sha = custseg_io::sha256_file(path).map_err(|e| boxed(e.into()))?;
                (table, sha)
            }
            None => self.pipeline_table(context)?,
        };
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
            Some(input_sha256),
            previous.as_ref(),
            self.progress.as_ref(),
        )
        .map_err(boxed)?;
        Ok(model_stage::summary_lines(&outcome))
    }
}
