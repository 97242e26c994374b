//! Parquet files this crate writes, and registers with the query engine as tables (by absolute
//! path, so a cluster's executors, whose working directory is not ours, read them too). A leaf
//! of the crate: ingest, clean and the pipeline all use it, and it uses none of them.

use std::path::Path;

use arrow::record_batch::RecordBatch;
use datafusion::prelude::{ParquetReadOptions, SessionContext, col};
use parquet::arrow::ArrowWriter;

use crate::error::{Error, Result};
use crate::schema::SOURCE_ROW;

/// Registers a Parquet file this crate wrote in `source_row` order as a table, by its
/// absolute path: on a Ballista cluster the executors, whose working directory is not ours,
/// read it.
pub(crate) async fn register_parquet(
    context: &SessionContext,
    name: &str,
    path: &Path,
) -> Result<()> {
    // Saying the file is sorted lets the engine keep that order through streaming
    // operators instead of sorting again.
    let options = ParquetReadOptions::default()
        .file_sort_order(vec![vec![col(SOURCE_ROW).sort(true, false)]]);
    register_with(context, name, path, options).await
}

/// Registers a Parquet file without a known order (see [`register_parquet`]).
pub(crate) async fn register_parquet_unordered(
    context: &SessionContext,
    name: &str,
    path: &Path,
) -> Result<()> {
    register_with(context, name, path, ParquetReadOptions::default()).await
}

async fn register_with(
    context: &SessionContext,
    name: &str,
    path: &Path,
    options: ParquetReadOptions<'_>,
) -> Result<()> {
    if context.table_exist(name)? {
        context.deregister_table(name)?;
    }
    let path = std::fs::canonicalize(path).map_err(|source| Error::io(path, source))?;
    let path_text = path
        .to_str()
        .ok_or_else(|| Error::Config(format!("path `{}` is not valid UTF-8", path.display())))?;
    context.register_parquet(name, path_text, options).await?;
    Ok(())
}

/// Writes batches to a Parquet file.
pub fn write_parquet(path: &Path, batches: &[RecordBatch]) -> Result<()> {
    let Some(first) = batches.first() else {
        return Err(Error::Invariant(format!(
            "nothing to write to `{}`",
            path.display()
        )));
    };
    write_parquet_with_schema(path, first.schema(), batches)
}

/// Writes batches of `schema` (none, for an empty table) to a Parquet file.
pub fn write_parquet_with_schema(
    path: &Path,
    schema: arrow::datatypes::SchemaRef,
    batches: &[RecordBatch],
) -> Result<()> {
    let file = std::fs::File::create(path).map_err(|source| Error::io(path, source))?;
    let mut writer = ArrowWriter::try_new(
        file,
        schema,
        Some(crate::parquet_settings::output_properties()),
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
