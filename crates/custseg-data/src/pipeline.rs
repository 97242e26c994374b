//! The data stages' bodies: ingest, clean and features, each writing into a staged output
//! that its caller commits, and the paths of what they write. The order of the stages and
//! their caching belong to the pipeline's DAG (`custseg-pipeline`), the one orchestrator.

use std::path::{Path, PathBuf};

use arrow::record_batch::RecordBatch;
use chrono::NaiveDate;
use custseg_io::StagedOutput;
use serde::{Deserialize, Serialize};
use tracing::Instrument;

use crate::Progress;
use crate::clean::{self, CLEAN_TABLE, CleanConfig, InputReport, QualityReport};
use crate::engine::EngineOptions;
use crate::error::{Error, Result};
use crate::features;
use crate::ingest::InputSource;
use crate::ingest::{self, IngestOptions};
use crate::tables::{write_csv, write_parquet};

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
    /// The input parsed into the canonical schema (written by the pipeline's ingest stage).
    pub const RAW: &str = "raw/transactions.parquet";
    /// What the ingest stage read.
    pub const INGEST: &str = "raw/ingest.json";
    /// The as-of date and size of the feature table.
    pub const FEATURES_META: &str = "features/meta.json";
}

/// Everything the data stages need.
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

/// What was read, as the ingest stage records it in [`paths::INGEST`].
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct IngestRecord {
    /// Where the rows came from and how they were read.
    pub input: InputReport,
    /// Rows read.
    pub rows: u64,
}

/// Reads `input` into the canonical schema (from the parse cache when it can).
fn ingest_input(
    input: &InputSource,
    request: &FeaturesRequest,
    progress: &dyn Progress,
) -> Result<(ingest::Ingested, IngestRecord)> {
    let _span = tracing::info_span!("ingest", %input).entered();
    let ingested = ingest::ingest(input, &request.ingest, progress)?;
    let record = ingest_record(&ingested);
    Ok((ingested, record))
}

/// What `ingested` records for the quality report and the pipeline.
fn ingest_record(ingested: &ingest::Ingested) -> IngestRecord {
    IngestRecord {
        input: InputReport {
            source: ingested.input.clone(),
            format: ingested.format.name().to_owned(),
            member: ingested.member.clone(),
            files: ingested.files,
            sha256: ingested.sha256.clone(),
            date_format: ingested.outcome.date_format.clone(),
            encoding: ingested.outcome.encoding.clone(),
            delimiter: ingested.outcome.delimiter,
            decimal_separator: ingested.outcome.decimal_separator.clone(),
            columns: ingested.outcome.columns.iter().cloned().collect(),
            sheets: ingested.outcome.sheets.clone(),
            parsed_from_cache: ingested.from_cache,
        },
        rows: ingested.outcome.rows,
    }
}

/// The ingest stage: reads `input` and stages its canonical Parquet file as [`paths::RAW`]
/// and what was read as [`paths::INGEST`].
pub fn stage_ingest(
    input: &InputSource,
    request: &FeaturesRequest,
    staged: &mut StagedOutput,
    progress: &dyn Progress,
) -> Result<IngestRecord> {
    let (ingested, record) = ingest_input(input, request, progress)?;
    stage_raw(&ingested, &record, staged)?;
    Ok(record)
}

/// [`stage_ingest`] on `context`'s engine: on a cluster the executors parse what they can
/// (see [`ingest::ingest_with_engine`]), and their parts are joined into [`paths::RAW`].
pub async fn stage_ingest_on_engine(
    context: &datafusion::prelude::SessionContext,
    input: &InputSource,
    request: &FeaturesRequest,
    staged: &mut StagedOutput,
    progress: &dyn Progress,
) -> Result<IngestRecord> {
    let ingested = ingest::ingest_with_engine(input, &request.ingest, progress, context)
        .instrument(tracing::info_span!("ingest", %input))
        .await?;
    let record = ingest_record(&ingested);
    stage_raw(&ingested, &record, staged)?;
    Ok(record)
}

/// Stages the canonical rows of `ingested` as [`paths::RAW`], one file: the client's parse
/// (linked, or copied), or the engine's parts joined in order by copying their row groups
/// (nothing decoded), and `record` as [`paths::INGEST`].
fn stage_raw(
    ingested: &ingest::Ingested,
    record: &IngestRecord,
    staged: &mut StagedOutput,
) -> Result<()> {
    let raw = staged.path(paths::RAW)?;
    if ingested.parsed.is_dir() {
        let mut parts: Vec<PathBuf> = std::fs::read_dir(&ingested.parsed)
            .map_err(|source| Error::io(&ingested.parsed, source))?
            .map(|entry| entry.map(|entry| entry.path()))
            .collect::<std::io::Result<_>>()
            .map_err(|source| Error::io(&ingested.parsed, source))?;
        parts.retain(|part| part.extension().is_some_and(|e| e == "parquet"));
        parts.sort();
        crate::parquet_concat::concat_parquet_files(
            &parts,
            &raw,
            crate::parquet_settings::cache_properties(),
        )?;
    } else if std::fs::hard_link(&ingested.parsed, &raw).is_err() {
        // A link where one can be made: the parse is never changed once written (the cache
        // replaces a file by renaming a new one over it), so the link is as good as a copy and
        // costs nothing at any size. A copy on another file system.
        std::fs::copy(&ingested.parsed, &raw).map_err(|source| Error::io(&raw, source))?;
    }
    staged.write(paths::INGEST, &to_json(&record)?)?;
    Ok(())
}

/// Cleans the canonical Parquet file `parsed` into `staged` ([`paths::CLEAN`],
/// [`paths::QUARANTINE`], [`paths::QUALITY`]), registering the clean table in `context` as
/// [`CLEAN_TABLE`]. Fails when the rows do not add up.
pub async fn clean_into(
    context: &datafusion::prelude::SessionContext,
    parsed: &Path,
    record: &IngestRecord,
    request: &FeaturesRequest,
    staged: &mut StagedOutput,
) -> Result<QualityReport> {
    let clean_path = staged.path(paths::CLEAN)?;
    let quarantine_path = staged.path(paths::QUARANTINE)?;
    let scratch = staged.scratch_dir("clean")?;
    let summary = clean::clean(
        context,
        parsed,
        record.rows,
        &request.clean,
        &clean_path,
        &quarantine_path,
        &scratch,
    )
    .await?;
    std::fs::remove_dir_all(&scratch).map_err(|source| Error::io(&scratch, source))?;
    let report = QualityReport {
        input: record.input.clone(),
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
        || report.raw_rows != record.rows
    {
        return Err(Error::Invariant(format!(
            "raw_rows {} != clean_rows {} + quarantined_rows {} (input had {} rows)",
            report.raw_rows, report.clean_rows, report.quarantined_rows, record.rows
        )));
    }
    staged.write(paths::QUALITY, &to_json(&report)?)?;
    Ok(report)
}

/// What the features stage records beside the table, in [`paths::FEATURES_META`].
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FeaturesMeta {
    /// The date recency is measured to.
    pub as_of: NaiveDate,
    /// Customers in the table.
    pub customers: usize,
}

/// A feature table and what it was built with.
pub struct BuiltFeatures {
    /// One row per customer.
    pub table: Vec<RecordBatch>,
    /// Its as-of date and size.
    pub meta: FeaturesMeta,
}

/// Builds the customer features from [`CLEAN_TABLE`] in `context`, which has `clean_rows`
/// rows, and stages them ([`paths::FEATURES_PARQUET`], [`paths::FEATURES_CSV`],
/// [`paths::FEATURES_META`]). `input` names the data in errors.
pub async fn features_into(
    context: &datafusion::prelude::SessionContext,
    input: &str,
    clean_rows: u64,
    as_of: Option<NaiveDate>,
    staged: &mut StagedOutput,
) -> Result<BuiltFeatures> {
    let as_of = match as_of {
        Some(date) => date,
        None => features::last_date(context, CLEAN_TABLE)
            .await?
            .ok_or_else(|| {
                Error::in_file(
                    input,
                    "no rows are left after cleaning; no features can be computed",
                )
            })?,
    };
    let scratch = staged.scratch_dir("feature-families")?;
    let table = features::build(context, CLEAN_TABLE, clean_rows, as_of, &scratch).await?;
    std::fs::remove_dir_all(&scratch).map_err(|source| Error::io(&scratch, source))?;
    let customers: usize = table.iter().map(RecordBatch::num_rows).sum();
    write_parquet(&staged.path(paths::FEATURES_PARQUET)?, &table)?;
    write_csv(&staged.path(paths::FEATURES_CSV)?, &table)?;
    let meta = FeaturesMeta { as_of, customers };
    staged.write(paths::FEATURES_META, &to_json(&meta)?)?;
    Ok(BuiltFeatures { table, meta })
}

/// Registers the committed cleaned transactions at `clean_path` as [`CLEAN_TABLE`] and
/// returns their row count (from the file's footer).
pub async fn register_clean(
    context: &datafusion::prelude::SessionContext,
    clean_path: &Path,
) -> Result<u64> {
    crate::tables::register_parquet(context, CLEAN_TABLE, clean_path).await?;
    clean::parquet_rows(clean_path)
}

/// Reads a JSON record a stage wrote.
pub fn read_record<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T> {
    let bytes = std::fs::read(path).map_err(|source| Error::io(path, source))?;
    serde_json::from_slice(&bytes)
        .map_err(|error| Error::in_file(&path.display().to_string(), error.to_string()))
}

fn to_json<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    let mut bytes =
        serde_json::to_vec_pretty(value).map_err(|error| Error::Invariant(error.to_string()))?;
    bytes.push(b'\n');
    Ok(bytes)
}
