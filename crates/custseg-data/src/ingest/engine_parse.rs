//! The parse of Parquet inputs as query-engine statements, so that on a Ballista cluster the
//! executors read the log, not the client.
//!
//! When every mapped column of the input has a type the column-wise conversion handles (see
//! [`ColumnwisePlan`]), the same conversions are written as SQL (`arrow_cast`, the kernels the
//! client uses) and each input file becomes one canonical Parquet part, written by a job of
//! its own. The file is scanned as one partition, in order, so `row_number()` over it counts
//! its rows; adding the rows of the files before it (from their footers) numbers
//! `source_row` through the whole input exactly as the client's parse does. The parts, one
//! directory, are the parse: the clean stage reads them as it reads the client's single file.
//!
//! Inputs that need the cell-by-cell rules (text dates or numbers) are parsed by the client, as
//! are inputs whose values fail the conversions' checks (a fractional quantity, an infinite
//! price): the client's reader then stops at the first such value and names its file, row and
//! column, which a failed cast on an executor cannot.

use std::path::{Path, PathBuf};

use arrow::array::AsArray;
use arrow::datatypes::Int64Type;
use datafusion::dataframe::DataFrameWriteOptions;
use datafusion::prelude::SessionContext;
use futures::{StreamExt, TryStreamExt};

use super::ReadOutcome;
use super::columns::ColumnMapping;
use super::columnwise::ColumnwisePlan;
use super::csv_reader::mapping_report;
use super::dates::DateParser;
use super::directory::parquet_footer;
use super::options::IngestOptions;
use crate::error::{Error, Result};
use crate::schema::SOURCE_ROW;

/// One input file and where its rows start in the whole input.
#[derive(Debug)]
struct InputFile {
    path: PathBuf,
    /// Rows in the files before this one.
    rows_before: u64,
}

/// The parse of one or more Parquet files as statements.
#[derive(Debug)]
pub(crate) struct EngineParse {
    files: Vec<InputFile>,
    rows: u64,
    conversions: Vec<String>,
    checks: Vec<String>,
    mapping: ColumnMapping,
}

impl EngineParse {
    /// The statements that parse `files` (Parquet, all of the first file's schema, in
    /// reading order), or `None` when the client must parse them: a column needs the
    /// cell-by-cell rules, or a file is empty (the client's reader says which).
    pub(crate) fn plan(files: &[PathBuf], options: &IngestOptions) -> Result<Option<Self>> {
        let Some(first) = files.first() else {
            return Ok(None);
        };
        let shown = first.display().to_string();
        let footers = files
            .iter()
            .map(|path| parquet_footer(path))
            .collect::<Result<Vec<_>>>()?;
        let schema = &footers[0].0;
        let headers: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
        let mapping = ColumnMapping::resolve(&shown, &headers, &options.columns)?;
        let Some(columnwise) = ColumnwisePlan::for_schema(&shown, schema, &mapping) else {
            tracing::info!(
                file = shown,
                "some column needs the cell-by-cell rules; the client parses the input"
            );
            return Ok(None);
        };
        let mut planned = Vec::with_capacity(files.len());
        let mut rows: u64 = 0;
        for (path, (_, file_rows)) in files.iter().zip(&footers) {
            let file_rows = *file_rows;
            if file_rows == 0 {
                return Ok(None);
            }
            planned.push(InputFile {
                path: path.clone(),
                rows_before: rows,
            });
            rows += file_rows;
        }
        Ok(Some(Self {
            files: planned,
            rows,
            conversions: columnwise.sql_conversions(),
            checks: columnwise.sql_checks(),
            mapping,
        }))
    }

    /// What the client's reader would report for this input (`directory`: whether it was a
    /// directory of files).
    pub(crate) fn outcome(&self, options: &IngestOptions, directory: bool) -> ReadOutcome {
        let date_format = if directory {
            options.date_format.to_string()
        } else {
            DateParser::new(options.date_format.clone()).settled()
        };
        ReadOutcome {
            rows: self.rows,
            date_format,
            encoding: "parquet".to_owned(),
            delimiter: None,
            decimal_separator: None,
            columns: mapping_report(&self.mapping),
            sheets: Vec::new(),
        }
    }

    /// Parses the input into `parts` (an existing, empty directory), one part per input
    /// file, on `context`'s engine. Returns `false` when some file holds a value the
    /// conversions' checks refuse (that file's part is not written; the caller discards the
    /// directory): the client's reader then finds and names the value.
    pub(crate) async fn run(&self, context: &SessionContext, parts: &Path) -> Result<bool> {
        // By absolute path: the executors' working directory is not ours.
        let parts = std::fs::canonicalize(parts).map_err(|source| Error::io(parts, source))?;
        let parts = parts.as_path();
        let parse = in_order_session(context);
        let tables: Vec<String> = (0..self.files.len())
            .map(|index| format!("custseg_parse_input_{index}"))
            .collect();
        let result = self.register_and_run(&parse, &tables, parts).await;
        for table in &tables {
            let _ = parse.deregister_table(table);
        }
        result
    }

    async fn register_and_run(
        &self,
        parse: &SessionContext,
        tables: &[String],
        parts: &Path,
    ) -> Result<bool> {
        for (file, table) in self.files.iter().zip(tables) {
            crate::tables::register_parquet_unordered(parse, table, &file.path).await?;
        }
        tracing::debug!(files = tables.len(), "registered the input files");
        // Each file is checked, then written, as its own pair of jobs: one check over all the
        // files (a union of per-file counts) took 24 s on 100M rows in 32 files on a loopback
        // cluster of two executors, against about 1 s per file, check and write, this way.
        let concurrency = parse.state().config().target_partitions().max(1);
        let written: Vec<bool> = futures::stream::iter(self.files.iter().zip(tables).enumerate())
            .map(|(index, (file, table))| {
                let part = parts.join(format!("part-{index:05}.parquet"));
                async move {
                    let failing = self.count_failing(parse, table).await?;
                    if failing > 0 {
                        tracing::info!(
                            file = %file.path.display(),
                            failing,
                            "some values fail the conversions' checks; the client parses the input to name the first"
                        );
                        return Ok(false);
                    }
                    self.write_part(parse, table, file.rows_before, part)
                        .await
                        .map(|()| true)
                }
            })
            .buffer_unordered(concurrency)
            .try_collect()
            .await?;
        Ok(written.into_iter().all(|done| done))
    }

    /// Rows of `table` that fail a check (0 without checks).
    async fn count_failing(&self, parse: &SessionContext, table: &str) -> Result<u64> {
        if self.checks.is_empty() {
            return Ok(0);
        }
        let passes = self.checks.join(" AND ");
        let batches = parse
            .sql(&format!(
                "SELECT arrow_cast(count(*), 'Int64') FROM {table} WHERE NOT ({passes})"
            ))
            .await?
            .collect()
            .await?;
        let failing = batches
            .iter()
            .find(|batch| batch.num_rows() > 0)
            .map(|batch| batch.column(0).as_primitive::<Int64Type>().value(0))
            .ok_or_else(|| Error::Invariant("the check count returned no row".into()))?;
        Ok(u64::try_from(failing).unwrap_or(0))
    }

    /// Writes the canonical rows of one input file as the Parquet file `part`.
    async fn write_part(
        &self,
        parse: &SessionContext,
        table: &str,
        rows_before: u64,
        part: PathBuf,
    ) -> Result<()> {
        let sql = format!(
            "SELECT arrow_cast(row_number() OVER (), 'Int64') + {rows_before} AS {SOURCE_ROW}, {} FROM {table}",
            self.conversions.join(", ")
        );
        write_part(parse, &sql, &part).await
    }
}

/// A session of its own in which each file is read, numbered, converted and written as one
/// partition, in order: split into byte ranges, or its batches dealt out to several
/// partitions, the rows would reach `row_number()` or the writer out of order (the plan is
/// scan -> window -> projection -> sink). It shares `context`'s tables, so a parse
/// deregisters its inputs at the end.
pub(super) fn in_order_session(context: &SessionContext) -> SessionContext {
    let mut state = context.state();
    let optimizer = &mut state.config_mut().options_mut().optimizer;
    optimizer.repartition_file_scans = false;
    optimizer.enable_round_robin_repartition = false;
    SessionContext::new_with_state(state)
}

/// Writes the rows of the statement `sql` as the one Parquet file `part`, with the parse
/// cache's settings.
pub(super) async fn write_part(parse: &SessionContext, sql: &str, part: &Path) -> Result<()> {
    let clock = std::time::Instant::now();
    let target = part
        .to_str()
        .ok_or_else(|| Error::Config(format!("path `{}` is not valid UTF-8", part.display())))?;
    parse
        .sql(sql)
        .await?
        .write_parquet(
            target,
            DataFrameWriteOptions::new().with_single_file_output(true),
            Some(crate::parquet_settings::cache_table_options()),
        )
        .await?;
    tracing::debug!(
        part = %part.display(),
        seconds = clock.elapsed().as_secs_f64(),
        "parsed one input file on the engine"
    );
    Ok(())
}
