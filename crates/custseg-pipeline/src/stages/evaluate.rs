//! Stage `evaluate`: the new model's scores against the model currently holding the promotion
//! alias, through the champion/challenger gate (`model/evaluation.json`).

use std::collections::BTreeMap;

use custseg_dag::{BoxError, Retry, Stage, StageContext};
use custseg_track::gate::{self, GATED_METRICS, TOLERANCE};

use crate::model_stage::paths as model_paths;
use crate::request::{PipelineRequest, boxed, read_model, stage_version};
use crate::tracking::{Tracking, model_scores};

/// The evaluation file.
pub const EVALUATION: &str = "model/evaluation.json";

/// Scores the model and compares it with the champion.
pub struct Evaluate {
    tracking: Tracking,
}

impl Evaluate {
    /// The stage for `request`.
    pub fn new(request: &PipelineRequest) -> Self {
        Self {
            tracking: request.tracking.clone(),
        }
    }
}

/// The version holding `alias` of `name`, with its scores; none when the alias is free or
/// the model is not registered.
pub fn champion(
    tracking: &Tracking,
    name: &str,
    alias: &str,
) -> anyhow::Result<Option<(u32, BTreeMap<String, f64>)>> {
    let registry = tracking.registry()?;
    let aliases = match registry.aliases(name) {
        Ok(aliases) => aliases,
        Err(custseg_track::Error::NoSuchModel(_)) => return Ok(None),
        Err(error) => return Err(error.into()),
    };
    let Some(&version) = aliases.get(alias) else {
        return Ok(None);
    };
    Ok(Some((version, registry.version(name, version)?.metrics)))
}

impl Stage for Evaluate {
    fn name(&self) -> &str {
        "evaluate"
    }

    fn description(&self) -> &str {
        "score the model and compare it with the production model through the promotion gate"
    }

    fn deps(&self) -> Vec<String> {
        vec![model_paths::MODEL.to_owned()]
    }

    fn params(&self) -> serde_json::Value {
        // The champion is read when the stage runs, not fingerprinted: a model is evaluated
        // against the model that was live when it was trained.
        serde_json::json!({
            "gate": GATED_METRICS.iter().map(|(m, d)| serde_json::json!([m, d])).collect::<Vec<_>>(),
            "tolerance": TOLERANCE,
            "model": self.tracking.registry.model,
            "alias": self.tracking.registry.promote_to,
        })
    }

    fn outputs(&self) -> Vec<String> {
        vec![EVALUATION.to_owned()]
    }

    fn version(&self) -> String {
        stage_version()
    }

    fn retry(&self) -> Retry {
        self.tracking.retry()
    }

    fn run(&self, context: &mut StageContext<'_>) -> Result<Vec<String>, BoxError> {
        let path = context.dep(model_paths::MODEL);
        let model = read_model(&path)?;
        let scores = model_scores(&model);
        let alias = self
            .tracking
            .registry
            .promote_to
            .clone()
            .unwrap_or_else(|| "production".to_owned());
        let champion = if self.tracking.enabled && self.tracking.registry.register {
            champion(&self.tracking, &self.tracking.registry.model, &alias).map_err(boxed)?
        } else {
            None
        };
        let verdict = gate::compare(&scores, champion.as_ref().map(|(_, s)| s));
        let line = match &champion {
            Some((version, _)) => format!(
                "against {}@{alias} (version {version}): {}",
                self.tracking.registry.model, verdict.summary
            ),
            None => format!(
                "{}@{alias}: {}",
                self.tracking.registry.model, verdict.summary
            ),
        };
        let evaluation = serde_json::json!({
            "scores": scores,
            "alias": alias,
            "champion": champion.as_ref().map(|(version, scores)| serde_json::json!({
                "version": version, "scores": scores,
            })),
            "gate": verdict,
        });
        let mut bytes = serde_json::to_vec_pretty(&evaluation).map_err(|e| boxed(e.into()))?;
        bytes.push(b'\n');
        context
            .staged()
            .write(EVALUATION, &bytes)
            .map_err(|e| boxed(e.into()))?;
        Ok(vec![line])
    }
}
