//! Cleaning: every raw row is either kept or quarantined with the rule that dropped it.

mod config;
mod duplicates;
mod invalid_price;
mod missing_values;
mod plan;
mod profile;
mod quality;
mod rule;
mod service_description;
mod split;
mod stock_code;

pub use config::{CleanConfig, ServiceDescriptionConfig, StockCodeConfig};
pub use duplicates::{DUPLICATE_ROWS_TABLE, Duplicates};
pub use invalid_price::InvalidPrice;
pub use missing_values::MissingValues;
pub use plan::annotate_sql;
pub use quality::{InputReport, QualityReport, StepReport, TableProfile, ValueCount};
pub use rule::CleaningRule;
pub use service_description::ServiceDescription;
pub use split::{SplitCounts, clean_schema, quarantine_schema};
pub use stock_code::NonProductStockCode;

use std::collections::BTreeMap;
use std::path::Path;

use datafusion::prelude::SessionContext;

use crate::engine::CONCURRENT_STATEMENTS_MAX_ROWS;
use crate::error::{Error, Result};

/// Table names the cleaning stage registers.
pub const RAW_TABLE: &str = "raw_transactions";
/// The quarantine table's name once registered.
pub const QUARANTINE_TABLE: &str = "quarantined_transactions";
/// The cleaned table's name once registered.
pub const CLEAN_TABLE: &str = "clean_transactions";

/// What cleaning produced, for the quality report.
#[derive(Debug, Clone)]
pub struct CleanSummary {
    /// Rows read, kept, dropped.
    pub counts: SplitCounts,
    /// The funnel.
    pub steps: Vec<StepReport>,
    /// Empty values per raw column.
    pub nulls: BTreeMap<String, u64>,
    /// Facts of the raw table.
    pub raw: TableProfile,
    /// Facts of the cleaned table.
    pub clean: TableProfile,
    /// Most frequent values among each rule's dropped rows.
    pub top_quarantined: BTreeMap<String, Vec<ValueCount>>,
}

/// Cleans the canonical Parquet file `parsed`, which holds `rows` rows, writing `clean_path`
/// and `quarantine_path`, and registers both (as [`CLEAN_TABLE`] and
/// [`QUARANTINE_TABLE`]) in `context` for the stages that follow. Intermediate tables go
/// under `scratch`, which the caller removes.
///
/// Independent statements run side by side only on tables of at most
/// [`CONCURRENT_STATEMENTS_MAX_ROWS`] rows: there each one is mostly latency, while on a
/// large table two aggregates at once would share one memory pool and spill sooner.
pub async fn clean(
    context: &SessionContext,
    parsed: &Path,
    rows: u64,
    config: &CleanConfig,
    clean_path: &Path,
    quarantine_path: &Path,
    scratch: &Path,
) -> Result<CleanSummary> {
    let rules = config.build()?;
    let clock = std::time::Instant::now();
    let lap = |step: &str| {
        tracing::debug!(
            step,
            seconds = clock.elapsed().as_secs_f64(),
            "clean step done"
        )
    };
    crate::tables::register_parquet(context, RAW_TABLE, parsed).await?;
    let small = rows <= CONCURRENT_STATEMENTS_MAX_ROWS;
    let raw_profile = profile::raw_profile(context, RAW_TABLE, &config.cancellation_prefix);
    let duplicates = duplicates::find_duplicates(context, RAW_TABLE, rows, scratch);
    let (raw, nulls) = if small {
        let (profiled, _) = futures::try_join!(raw_profile, duplicates)?;
        lap("raw profile and duplicates");
        profiled
    } else {
        let profiled = raw_profile.await?;
        lap("raw profile");
        duplicates.await?;
        lap("duplicates");
        profiled
    };

    let annotated = context
        .sql(&annotate_sql(
            RAW_TABLE,
            &rules,
            &config.cancellation_prefix,
        ))
        .await?;
    let counts = split::split(annotated, clean_path, quarantine_path, scratch).await?;
    context.deregister_table(DUPLICATE_ROWS_TABLE)?;
    lap("annotate and split");

    crate::tables::register_parquet(context, QUARANTINE_TABLE, quarantine_path).await?;
    crate::tables::register_parquet(context, CLEAN_TABLE, clean_path).await?;
    let top_quarantined = profile::top_values(context, QUARANTINE_TABLE, &rules, 10);
    let clean = profile::table_profile(context, CLEAN_TABLE, &config.cancellation_prefix);
    let (top_quarantined, clean) = if small {
        futures::try_join!(top_quarantined, clean)?
    } else {
        (top_quarantined.await?, clean.await?)
    };
    // The rows per rule were counted as they were written; the file's footer says how
    // many rows it holds, so the funnel below is checked against both files.
    let quarantined_in_file = parquet_rows(quarantine_path)?;
    let per_rule = &counts.per_rule;
    lap("quarantine and clean profiles");

    let mut steps = Vec::new();
    let mut remaining = counts.total;
    let mut charged = 0;
    for (position, rule) in rules.iter().enumerate() {
        if position == usize::from(config.missing_values) + usize::from(config.duplicates) {
            steps.push(status_step(remaining, clean.cancellation_lines, config));
        }
        let dropped = per_rule.get(rule.name()).copied().unwrap_or(0);
        charged += dropped;
        steps.push(StepReport {
            rule: rule.name().to_owned(),
            description: rule.description(),
            rows_in: remaining,
            rows_out: remaining - dropped.min(remaining),
            dropped,
            flagged: None,
        });
        remaining -= dropped.min(remaining);
    }
    if !steps.iter().any(|step| step.rule == "transaction_status") {
        steps.push(status_step(remaining, clean.cancellation_lines, config));
    }
    // The funnel and the writers must agree row for row.
    let unexplained: Vec<String> = per_rule
        .keys()
        .filter(|name| !rules.iter().any(|rule| rule.name() == name.as_str()))
        .cloned()
        .collect();
    if raw.rows != counts.total
        || counts.total != counts.clean + counts.quarantined
        || charged != counts.quarantined
        || remaining != counts.clean
        || clean.rows != counts.clean
        || quarantined_in_file != counts.quarantined
        || !unexplained.is_empty()
    {
        return Err(Error::Invariant(format!(
            "row accounting does not add up: raw {} (profiled {}), clean {} (profiled {}), quarantined {} \
             (in its file {quarantined_in_file}, charged to rules {charged}), unknown rules {unexplained:?}",
            counts.total, raw.rows, counts.clean, clean.rows, counts.quarantined
        )));
    }
    Ok(CleanSummary {
        counts,
        steps,
        nulls,
        raw,
        clean,
        top_quarantined,
    })
}

fn status_step(rows: u64, flagged: u64, config: &CleanConfig) -> StepReport {
    StepReport {
        rule: "transaction_status".to_owned(),
        description: format!(
            "InvoiceNo starting with `{}` is a cancellation: kept and flagged in `status`",
            config.cancellation_prefix
        ),
        rows_in: rows,
        rows_out: rows,
        dropped: 0,
        flagged: Some(flagged),
    }
}

/// Rows of the Parquet file at `path`, from its footer.
pub(crate) fn parquet_rows(path: &Path) -> Result<u64> {
    let file = std::fs::File::open(path).map_err(|source| Error::io(path, source))?;
    let reader = parquet::file::reader::SerializedFileReader::new(file)?;
    let rows = parquet::file::reader::FileReader::metadata(&reader)
        .file_metadata()
        .num_rows();
    Ok(u64::try_from(rows).unwrap_or(0))
}

/// Runs `statements` one after another, keeps their results together as the Parquet
/// file `path` (an empty table too) and registers it as the table `name` (read by absolute
/// path, so cluster executors read it too). Returns the result's batches.
pub(crate) async fn materialize(
    context: &SessionContext,
    statements: impl IntoIterator<Item = String>,
    path: &Path,
    name: &str,
) -> Result<Vec<arrow::record_batch::RecordBatch>> {
    let mut batches = Vec::new();
    let mut schema = None;
    for (index, sql) in statements.into_iter().enumerate() {
        let clock = std::time::Instant::now();
        let frame = context.sql(&sql).await?;
        schema.get_or_insert_with(|| frame.schema().inner().clone());
        batches.extend(crate::plan_metrics::collect(frame, &format!("{name} {index}")).await?);
        tracing::debug!(
            table = name,
            statement = index,
            seconds = clock.elapsed().as_secs_f64(),
            "statement materialized"
        );
    }
    let schema =
        schema.ok_or_else(|| Error::Invariant(format!("no statement for table `{name}`")))?;
    crate::tables::write_parquet_with_schema(path, schema, &batches)?;
    crate::tables::register_parquet_unordered(context, name, path).await?;
    Ok(batches)
}
