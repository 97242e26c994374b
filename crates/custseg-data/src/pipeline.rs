//! `custseg features`: ingest -> clean -> features, written atomically.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use arrow::record_batch::RecordBatch;
use chrono::NaiveDate;
use custseg_io::StagedOutput;
use parquet::arrow::ArrowWriter;
use serde::{Deserialize, Serialize};

use crate::Progress;
use crate::clean::{self, CLEAN_TABLE, CleanConfig, InputReport, QualityReport};
use crate::engine::{self, EngineOptions};
use crate::error::{Error, Result};
use crate::features;
use crate::ingest::{self, IngestOptions};

/// Output files, relative to the output directory.
pub mod paths {
    /// Cleaned transactions.
    pub const CLEAN: &str = "clean/transactions.parquet";
    /// Quarantined rows.
    pub const QUARANTINE: &str = "quarantine/rejected.parquet";
    /// Customer features (Parquet).
    pub const FEATURES_PARQUET: &str = "features/customer_features.parquet";
    /// Customer features (CSV).
    pub const FEATURES_CSV: &str = "features/customer_features.csv";
    /// Data-quality report.
    pub const QUALITY: &str = "reports/quality.json";
}

/// Everything `custseg features` needs.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FeaturesRequest {
    /// Reading the input.
    pub ingest: IngestOptions,
    /// Cleaning.
    pub clean: CleanConfig,
    /// The engine.
    pub engine: EngineOptions,
    /// The date recency is measured to. Default: the last date in the cleaned data.
    pub as_of: Option<NaiveDate>,
}

/// Wall time of one stage.
#[derive(Debug, Clone, Serialize)]
pub struct StageTiming {
    /// Stage name.
    pub stage: &'static str,
    /// Seconds.
    pub seconds: f64,
}

/// What a `features` run produced.
#[derive(Debug)]
pub struct FeaturesOutcome {
    /// The quality report written.
    pub report: QualityReport,
    /// Customers in the feature table.
    pub customers: usize,
    /// The as-of date used.
    pub as_of: NaiveDate,
    /// Files written, final paths.
    pub files: Vec<PathBuf>,
    /// Time per stage.
    pub timings: Vec<StageTiming>,
    /// The customer feature table.
    pub table: Vec<RecordBatch>,
}

/// Runs ingest -> clean -> features on `input`, writing under `out`. Nothing in
/// `out` changes unless every stage succeeds.
pub async fn run_features(
    input: &str,
    out: &Path,
    request: &FeaturesRequest,
    progress: &dyn Progress,
) -> Result<FeaturesOutcome> {
    let mut staged = StagedOutput::new(out)?;
    let mut outcome = stage_features(input, &mut staged, request, progress).await?;
    let clock = Instant::now();
    outcome.files = staged.commit()?;
    outcome.timings.push(StageTiming {
        stage: "write",
        seconds: clock.elapsed().as_secs_f64(),
    });
    Ok(outcome)
}

/// Runs ingest -> clean -> features on `input`, writing into `staged` without committing it,
/// so that later stages (`custseg run`) can add their outputs to the same atomic commit.
/// `files` of the outcome is empty.
pub async fn stage_features(
    input: &str,
    staged: &mut StagedOutput,
    request: &FeaturesRequest,
    progress: &dyn Progress,
) -> Result<FeaturesOutcome> {
    let mut timings = Vec::new();
    let mut clock = Instant::now();
    let mut lap = |stage: &'static str, timings: &mut Vec<StageTiming>| {
        timings.push(StageTiming {
            stage,
            seconds: clock.elapsed().as_secs_f64(),
        });
        tracing::debug!(
            stage,
            seconds = clock.elapsed().as_secs_f64(),
            "stage finished"
        );
        clock = Instant::now();
    };

    let ingested = {
        let _span = tracing::info_span!("ingest", input).entered();
        ingest::ingest(input, &request.ingest, progress)?
    };
    lap("ingest", &mut timings);

    let context = engine::session(&request.engine)?;
    let clean_path = staged.path(paths::CLEAN)?;
    let quarantine_path = staged.path(paths::QUARANTINE)?;
    let summary = clean::clean(
        &context,
        &ingested.parsed,
        &request.clean,
        &clean_path,
        &quarantine_path,
    )
    .await?;
    lap("clean", &mut timings);

    let as_of = match request.as_of {
        Some(date) => date,
        None => features::last_date(&context, CLEAN_TABLE)
            .await?
            .ok_or_else(|| {
                Error::in_file(
                    input,
                    "no rows are left after cleaning; no features can be computed",
                )
            })?,
    };
    let table = features::build(&context, CLEAN_TABLE, as_of).await?;
    let customers: usize = table.iter().map(RecordBatch::num_rows).sum();
    write_parquet(&staged.path(paths::FEATURES_PARQUET)?, &table)?;
    write_csv(&staged.path(paths::FEATURES_CSV)?, &table)?;
    lap("features", &mut timings);

    let report = QualityReport {
        input: InputReport {
            source: ingested.input.clone(),
            format: ingested.format.name().to_owned(),
            member: ingested.member.clone(),
            sha256: ingested.sha256.clone(),
            date_format: ingested.outcome.date_format.clone(),
            encoding: ingested.outcome.encoding.clone(),
            delimiter: ingested.outcome.delimiter,
            columns: ingested.outcome.columns.iter().cloned().collect(),
            parsed_from_cache: ingested.from_cache,
        },
        raw_rows: summary.counts.total,
        clean_rows: summary.counts.clean,
        quarantined_rows: summary.counts.quarantined,
        steps: summary.steps,
        nulls: summary.nulls,
        duplicates: summary.counts.duplicates,
        raw: summary.raw,
        clean: summary.clean,
        top_quarantined: summary.top_quarantined,
    };
    if report.raw_rows != report.clean_rows + report.quarantined_rows
        || report.raw_rows != ingested.outcome.rows
    {
        return Err(Error::Invariant(format!(
            "raw_rows {} != clean_rows {} + quarantined_rows {} (input had {} rows)",
            report.raw_rows, report.clean_rows, report.quarantined_rows, ingested.outcome.rows
        )));
    }
    let json =
        serde_json::to_vec_pretty(&report).map_err(|error| Error::Invariant(error.to_string()))?;
    staged.write(paths::QUALITY, &json)?;
    Ok(FeaturesOutcome {
        report,
        customers,
        as_of,
        files: Vec::new(),
        timings,
        table,
    })
}

/// Writes batches to a Parquet file.
pub fn write_parquet(path: &Path, batches: &[RecordBatch]) -> Result<()> {
    let Some(first) = batches.first() else {
        return Err(Error::Invariant(format!(
            "nothing to write to `{}`",
            path.display()
        )));
    };
    let file = std::fs::File::create(path).map_err(|source| Error::io(path, source))?;
    let mut writer = ArrowWriter::try_new(
        file,
        Arc::clone(&first.schema()),
        Some(clean::output_properties()),
    )?;
    for batch in batches {
        writer.write(batch)?;
    }
    writer.close()?;
    Ok(())
}

/// Writes batches to a CSV file with a header.
pub fn write_csv(path: &Path, batches: &[RecordBatch]) -> Result<()> {
    let file = std::fs::File::create(path).map_err(|source| Error::io(path, source))?;
    let mut writer = arrow::csv::WriterBuilder::new()
        .with_header(true)
        .build(std::io::BufWriter::new(file));
    for batch in batches {
        writer.write(batch)?;
    }
    Ok(())
}
