//! Stage `features`: one row of features per customer.

use custseg_dag::{BoxError, Stage, StageContext};
use custseg_data::pipeline::{self, FeaturesRequest, paths};

use crate::engine_stage::on_engine;
use crate::request::{PipelineRequest, stage_version};

/// Builds the customer feature table.
pub struct Features {
    request: FeaturesRequest,
}

impl Features {
    /// The stage for `request`.
    pub fn new(request: &PipelineRequest) -> Self {
        Self {
            request: request.features.clone(),
        }
    }
}

impl Stage for Features {
    fn name(&self) -> &str {
        "features"
    }

    fn description(&self) -> &str {
        "RFM, diversity, shopping times, geography, cancellations and monthly trends per customer"
    }

    fn deps(&self) -> Vec<String> {
        vec![paths::CLEAN.into()]
    }

    fn params(&self) -> serde_json::Value {
        serde_json::json!({ "as_of": self.request.as_of })
    }

    fn outputs(&self) -> Vec<String> {
        vec![
            paths::FEATURES_PARQUET.into(),
            paths::FEATURES_CSV.into(),
            paths::FEATURES_META.into(),
        ]
    }

    fn version(&self) -> String {
        stage_version()
    }

    fn run(&self, context: &mut StageContext<'_>) -> Result<Vec<String>, BoxError> {
        let clean = context.dep(paths::CLEAN);
        let shown = clean.display().to_string();
        let built = on_engine(&self.request.engine, async |session| {
            let rows = pipeline::register_clean(session, &clean).await?;
            pipeline::features_into(session, &shown, rows, self.request.as_of, context.staged())
                .await
        })?;
        Ok(vec![format!(
            "{} customers (as of {})",
            built.meta.customers, built.meta.as_of
        )])
    }
}
