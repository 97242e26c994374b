//! Stage `clean`: cleaning rules with quarantine and the quality report.

use custseg_dag::{BoxError, Stage, StageContext};
use custseg_data::pipeline::{self, FeaturesRequest, IngestRecord, paths};

use crate::engine_stage::on_engine;
use crate::request::{PipelineRequest, boxed, stage_version};

/// Cleans the canonical transactions.
pub struct Clean {
    request: FeaturesRequest,
}

impl Clean {
    /// The stage for `request`.
    pub fn new(request: &PipelineRequest) -> Self {
        Self {
            request: request.features.clone(),
        }
    }
}

impl Stage for Clean {
    fn name(&self) -> &str {
        "clean"
    }

    fn description(&self) -> &str {
        "drop invalid rows into the quarantine with their reason; write the quality report"
    }

    fn deps(&self) -> Vec<String> {
        vec![paths::RAW.into(), paths::INGEST.into()]
    }

    fn params(&self) -> serde_json::Value {
        serde_json::json!({ "clean": self.request.clean })
    }

    fn outputs(&self) -> Vec<String> {
        vec![
            paths::CLEAN.into(),
            paths::QUARANTINE.into(),
            paths::QUALITY.into(),
        ]
    }

    fn version(&self) -> String {
        stage_version()
    }

    fn run(&self, context: &mut StageContext<'_>) -> Result<Vec<String>, BoxError> {
        let record: IngestRecord =
            pipeline::read_record(&context.dep(paths::INGEST)).map_err(|e| boxed(e.into()))?;
        let raw = context.dep(paths::RAW);
        let report = on_engine(&self.request.engine, async |session| {
            pipeline::clean_into(session, &raw, &record, &self.request, context.staged()).await
        })?;
        let mut lines = vec![format!(
            "{} raw = {} clean + {} quarantined",
            report.raw_rows, report.clean_rows, report.quarantined_rows
        )];
        for step in &report.steps {
            lines.push(match step.flagged {
                Some(flagged) => {
                    format!("  {:<24} {flagged:>9} flagged as cancellations", step.rule)
                }
                None => format!("  {:<24} {:>9} dropped", step.rule, step.dropped),
            });
        }
        Ok(lines)
    }
}
