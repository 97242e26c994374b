//! Stage `ingest`: the input, read into the canonical schema (`raw/`).

use std::sync::Arc;

use custseg_dag::{BoxError, Input, Retry, Stage, StageContext};
use custseg_data::Progress;
use custseg_data::ingest::InputSource;
use custseg_data::pipeline::{self, FeaturesRequest, paths};

use crate::engine_stage::on_engine;
use crate::request::{PipelineRequest, boxed, stage_version};

/// Reads the transaction log.
pub struct Ingest {
    input: InputSource,
    request: FeaturesRequest,
    progress: Arc<dyn Progress>,
}

impl Ingest {
    /// The stage for `request`.
    pub fn new(request: &PipelineRequest) -> Self {
        Self {
            input: request.input.clone(),
            request: request.features.clone(),
            progress: Arc::clone(&request.progress),
        }
    }
}

impl Stage for Ingest {
    fn name(&self) -> &str {
        "ingest"
    }

    fn description(&self) -> &str {
        "read the transaction log (CSV, CSV.gz, xlsx, xls, ods, Parquet, zip, URL) into the canonical schema"
    }

    fn inputs(&self) -> Vec<Input> {
        // An object-store URL stays a `File` input that never exists locally, so the stage
        // always runs: the ingest code re-lists the objects and copies only changed ones, and
        // the parse cache is keyed by content, so that is cheap, and a changed object under the
        // same URL is never missed (a `Value` input would trust the unchanged URL).
        match &self.input {
            // The download is cached and checksummed by the ingest code itself.
            InputSource::Url(url) => vec![Input::Value {
                name: "source".into(),
                value: url.clone(),
            }],
            InputSource::ObjectStore(url) => vec![Input::File {
                name: "source".into(),
                path: url.into(),
            }],
            InputSource::Local(path) => vec![Input::File {
                name: "source".into(),
                path: path.clone(),
            }],
        }
    }

    fn params(&self) -> serde_json::Value {
        serde_json::json!({
            "parse": self.request.ingest.parse_fingerprint(),
            "sha256": self.request.ingest.sha256,
        })
    }

    fn outputs(&self) -> Vec<String> {
        vec![paths::RAW.into(), paths::INGEST.into()]
    }

    fn version(&self) -> String {
        stage_version()
    }

    fn retry(&self) -> Retry {
        if self.input.is_remote() {
            Retry::NETWORK
        } else {
            Retry::NONE
        }
    }

    fn run(&self, context: &mut StageContext<'_>) -> Result<Vec<String>, BoxError> {
        let progress = self.progress.as_ref();
        let record = if self.request.engine.cluster.is_some() {
            // On a cluster the executors parse what they can.
            on_engine(&self.request.engine, async |session| {
                pipeline::stage_ingest_on_engine(
                    session,
                    &self.input,
                    &self.request,
                    context.staged(),
                    progress,
                )
                .await
            })?
        } else {
            pipeline::stage_ingest(&self.input, &self.request, context.staged(), progress)
                .map_err(|e| boxed(e.into()))?
        };
        let input = &record.input;
        let mut lines = vec![format!(
            "{} rows from `{}` ({}{}, sha256 {}…{})",
            record.rows,
            input.source,
            input.format,
            input
                .member
                .as_ref()
                .map(|member| format!(": {member}"))
                .unwrap_or_default(),
            &input.sha256[..12.min(input.sha256.len())],
            if input.parsed_from_cache {
                ", parse cached"
            } else {
                ""
            }
        )];
        if input.sheets.len() > 1 {
            let sheets: Vec<String> = input
                .sheets
                .iter()
                .map(|sheet| format!("{} ({} rows)", sheet.name, sheet.rows))
                .collect();
            lines.push(format!("sheets: {}", sheets.join(", ")));
        }
        Ok(lines)
    }
}
