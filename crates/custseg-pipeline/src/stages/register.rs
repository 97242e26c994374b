//! Stage `register`: the new model becomes a version of the registered model, linked to this
//! run; with `[registry] promote_to` it is promoted through the gate.

use custseg_dag::{BoxError, Retry, Stage, StageContext};

use super::evaluate::EVALUATION;
use crate::model_stage::paths as model_paths;
use crate::registered::{PromotionRecord, RegisteredFile};
use crate::request::{PipelineRequest, boxed, read_model, stage_version};
use crate::tracking::{RunRecorder, Store, Tracking, model_scores, promote};

pub use crate::registered::REGISTERED;

/// Registers the model.
pub struct Register {
    tracking: Tracking,
    recorder: Option<RunRecorder>,
}

impl Register {
    /// The stage for `request`, registering under the run `recorder` records.
    pub fn new(request: &PipelineRequest, recorder: Option<RunRecorder>) -> Self {
        Self {
            tracking: request.tracking.clone(),
            recorder,
        }
    }
}

impl Stage for Register {
    fn name(&self) -> &str {
        "register"
    }

    fn description(&self) -> &str {
        "register the model as a new version linked to its run; promote it through the gate"
    }

    fn deps(&self) -> Vec<String> {
        vec![model_paths::MODEL.to_owned(), EVALUATION.to_owned()]
    }

    fn params(&self) -> serde_json::Value {
        serde_json::json!({
            "model": self.tracking.registry.model,
            "register": self.tracking.registry.register && self.tracking.enabled,
            "promote_to": self.tracking.registry.promote_to,
            "store": match &self.tracking.store {
                Store::Local(dir) => dir.display().to_string(),
                Store::Mlflow(uri) => uri.clone(),
            },
        })
    }

    fn outputs(&self) -> Vec<String> {
        vec![REGISTERED.to_owned()]
    }

    fn version(&self) -> String {
        stage_version()
    }

    fn retry(&self) -> Retry {
        self.tracking.retry()
    }

    fn run(&self, context: &mut StageContext<'_>) -> Result<Vec<String>, BoxError> {
        let settings = &self.tracking.registry;
        let Some(recorder) = self.recorder.as_ref().filter(|_| settings.register) else {
            let why = if settings.register {
                "tracking is off (`[tracking] enabled = false`)"
            } else {
                "`[registry] register = false`"
            };
            let record = RegisteredFile::NotRegistered {
                registered: false,
                why: why.to_owned(),
            };
            let bytes = record.to_json_bytes().map_err(|e| boxed(e.into()))?;
            context
                .staged()
                .write(REGISTERED, &bytes)
                .map_err(|e| boxed(e.into()))?;
            return Ok(vec![format!("not registered: {why}")]);
        };
        let path = context.dep(model_paths::MODEL);
        let model = read_model(&path)?;
        // The version's source must lie inside its run's artifacts (MLflow checks it).
        recorder
            .artifact(&path, model_paths::MODEL)
            .map_err(boxed)?;
        let run_id = recorder.run_id().to_owned();
        let registry = self.tracking.registry().map_err(boxed)?;
        let description = format!(
            "k = {} on {} customers; {}",
            model.selection.k, model.training.customers, model.selection.reason
        );
        let source = format!("runs:/{run_id}/model");
        // A retry of this stage after a create whose outcome stayed unknown takes the version
        // the earlier attempt made: a run registers its model once.
        let made_before = match registry.versions(&settings.model) {
            Ok(versions) => versions
                .into_iter()
                .find(|v| v.run_id == run_id && v.source == source),
            Err(custseg_track::Error::NoSuchModel(_)) => None,
            Err(error) => return Err(boxed(error.into())),
        };
        let version = match made_before {
            Some(version) => version,
            None => registry
                .create_version(
                    &settings.model,
                    &run_id,
                    &source,
                    &model_scores(&model),
                    &description,
                )
                .map_err(|e| boxed(e.into()))?,
        };
        let mut lines = vec![format!(
            "{} version {} (run {run_id}) in {}",
            settings.model,
            version.version,
            registry.location()
        )];
        let promotion = match &settings.promote_to {
            Some(alias) => {
                let promotion = promote(
                    registry.as_ref(),
                    &settings.model,
                    version.version,
                    alias,
                    false,
                    "custseg run",
                )
                .map_err(boxed)?;
                lines.push(match &promotion.event {
                    Some(_) => format!("promoted to `{alias}`: {}", promotion.verdict.summary),
                    None => format!("not promoted to `{alias}`: {}", promotion.verdict.summary),
                });
                Some(Box::new(PromotionRecord {
                    alias: alias.clone(),
                    promoted: promotion.event.is_some(),
                    gate: promotion.verdict,
                    event: promotion.event,
                }))
            }
            None => None,
        };
        let record = RegisteredFile::Registered {
            model: settings.model.clone(),
            promotion,
            registered: true,
            run_id,
            source: version.source,
            version: version.version,
        };
        let bytes = record.to_json_bytes().map_err(|e| boxed(e.into()))?;
        context
            .staged()
            .write(REGISTERED, &bytes)
            .map_err(|e| boxed(e.into()))?;
        Ok(lines)
    }
}
