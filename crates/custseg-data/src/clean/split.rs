//! Writes the annotated table, in one pass, to the clean and quarantine files.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, StringArray};
use arrow::compute::{filter_record_batch, is_not_null, is_null};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use datafusion::prelude::DataFrame;
use futures::StreamExt;

use super::plan::{CLEAN_DESCRIPTION, IS_DUPLICATE};
use crate::background_writer::BackgroundWriter;
use crate::error::{Error, Result};
use crate::parquet_settings::output_properties;
use crate::schema::{LINE_TOTAL, RULE, RawColumn, SOURCE_ROW, STATUS, canonical_schema};

/// Row counts seen while splitting.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SplitCounts {
    /// Rows of the annotated table.
    pub total: u64,
    /// Rows written to the clean file.
    pub clean: u64,
    /// Rows written to quarantine.
    pub quarantined: u64,
    /// Exact duplicates of an earlier row, whichever rule dropped them.
    pub duplicates: u64,
    /// Rows written to quarantine, per rule that dropped them.
    pub per_rule: BTreeMap<String, u64>,
}

impl SplitCounts {
    /// Adds the dropped rows of `rules` (a `rule` column: NULL for a kept row) to
    /// [`SplitCounts::per_rule`].
    fn count_rules(&mut self, rules: &StringArray) {
        // A handful of rules: a short list compared by text beats hashing every row.
        let mut seen: Vec<(&str, u64)> = Vec::new();
        for rule in rules.iter().flatten() {
            match seen.iter_mut().find(|(name, _)| *name == rule) {
                Some((_, rows)) => *rows += 1,
                None => seen.push((rule, 1)),
            }
        }
        for (name, rows) in seen {
            *self.per_rule.entry(name.to_owned()).or_default() += rows;
        }
    }
}

/// The cleaned transactions' schema: canonical columns, `status`, `line_total`.
pub fn clean_schema() -> SchemaRef {
    let mut fields: Vec<Field> = canonical_schema()
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    fields.push(Field::new(STATUS, DataType::Utf8, false));
    fields.push(Field::new(LINE_TOTAL, DataType::Float64, true));
    Arc::new(Schema::new(fields))
}

/// The quarantine's schema: canonical columns and `rule`.
pub fn quarantine_schema() -> SchemaRef {
    let mut fields: Vec<Field> = canonical_schema()
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    fields.push(Field::new(RULE, DataType::Utf8, false));
    Arc::new(Schema::new(fields))
}

/// The annotated table's column `name`, as the type it has in the output schemas
/// (the engine may hand strings over as `Utf8View`).
fn column(batch: &RecordBatch, name: &str) -> Result<ArrayRef> {
    let array = batch
        .column_by_name(name)
        .ok_or_else(|| Error::Invariant(format!("annotated table has no column `{name}`")))?;
    let wanted = match array.data_type() {
        DataType::Utf8View | DataType::LargeUtf8 => DataType::Utf8,
        other => other.clone(),
    };
    if &wanted == array.data_type() {
        Ok(Arc::clone(array))
    } else {
        Ok(arrow::compute::cast(array, &wanted)?)
    }
}

/// Executes `annotated` once and writes its kept rows to `clean_path` and its
/// dropped rows to `quarantine_path`, each file encoded on a thread of its own.
pub async fn split(
    annotated: DataFrame,
    clean_path: &Path,
    quarantine_path: &Path,
) -> Result<SplitCounts> {
    let create = |path: &Path, schema: &SchemaRef| -> Result<BackgroundWriter> {
        let file = std::fs::File::create(path).map_err(|source| Error::io(path, source))?;
        BackgroundWriter::create(file, Arc::clone(schema), Some(output_properties()))
    };
    let clean_writer = create(clean_path, &clean_schema())?;
    let quarantine_writer = create(quarantine_path, &quarantine_schema())?;
    let streamed = stream_into(annotated, &clean_writer, &quarantine_writer).await;
    let clean_written = clean_writer.finish();
    let quarantine_written = quarantine_writer.finish();
    // A writer's own error says more than the "stopped" the stream saw.
    clean_written?;
    quarantine_written?;
    streamed
}

/// Sends each batch's kept rows to `clean` and its dropped rows to `quarantine`.
async fn stream_into(
    annotated: DataFrame,
    clean: &BackgroundWriter,
    quarantine: &BackgroundWriter,
) -> Result<SplitCounts> {
    let clean_schema = clean_schema();
    let quarantine_schema = quarantine_schema();
    let dropped_schema = Arc::new(Schema::new(
        quarantine_schema
            .fields()
            .iter()
            .map(|field| field.as_ref().clone().with_nullable(true))
            .collect::<Vec<_>>(),
    ));
    let mut counts = SplitCounts::default();
    let mut stream = annotated.execute_stream().await?;
    while let Some(batch) = stream.next().await {
        let batch = batch?;
        counts.total += batch.num_rows() as u64;
        let rule = column(&batch, RULE)?;
        counts.count_rules(rule.as_string_opt::<i32>().ok_or_else(|| {
            Error::Invariant(format!("`{RULE}` is {}, not text", rule.data_type()))
        })?);
        let duplicates = column(&batch, IS_DUPLICATE)?;
        let duplicates: &BooleanArray = duplicates.as_boolean();
        counts.duplicates += duplicates.true_count() as u64;

        let mut raw: Vec<ArrayRef> = vec![column(&batch, SOURCE_ROW)?];
        for raw_column in RawColumn::ALL {
            raw.push(column(&batch, raw_column.name())?);
        }

        let mut kept_columns = raw.clone();
        kept_columns[3] = column(&batch, CLEAN_DESCRIPTION)?;
        kept_columns.push(column(&batch, STATUS)?);
        kept_columns.push(column(&batch, LINE_TOTAL)?);
        let kept = RecordBatch::try_new(Arc::clone(&clean_schema), kept_columns)?;
        let kept = filter_record_batch(&kept, &is_null(rule.as_ref())?)?;
        counts.clean += kept.num_rows() as u64;
        clean.write(kept)?;

        let mut dropped_columns = raw;
        dropped_columns.push(rule.clone());
        let dropped = RecordBatch::try_new(Arc::clone(&dropped_schema), dropped_columns)?;
        let dropped = filter_record_batch(&dropped, &is_not_null(rule.as_ref())?)?;
        counts.quarantined += dropped.num_rows() as u64;
        let dropped =
            RecordBatch::try_new(Arc::clone(&quarantine_schema), dropped.columns().to_vec())?;
        quarantine.write(dropped)?;
        debug_assert!(rule.len() == batch.num_rows());
    }
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_counted_across_batches_and_kept_rows_are_not() {
        let mut counts = SplitCounts::default();
        counts.count_rules(&StringArray::from(vec![
            Some("duplicate"),
            None,
            Some("missing_values"),
            Some("duplicate"),
        ]));
        counts.count_rules(&StringArray::from(vec![None, Some("duplicate"), None]));
        let expected: BTreeMap<String, u64> = [
            ("duplicate".to_owned(), 3),
            ("missing_values".to_owned(), 1),
        ]
        .into();
        assert_eq!(counts.per_rule, expected);
    }
}
