//! Joins Parquet files of one schema into one file by copying their encoded row groups.
//!
//! The clean stage writes each engine partition's rows to a file of its own, encoded beside
//! the others, and then needs them as one file in `source_row` order. Copying the encoded
//! column chunks (parquet's `append_column`, the routine behind its `parquet-concat` tool)
//! costs the bytes' I/O only; decoding and encoding them again would cost as much as
//! writing them did. Parquet has no library function for a whole file, so the loop over
//! row groups and columns is written here.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parquet::column::writer::ColumnCloseResult;
use parquet::file::metadata::{PageIndexPolicy, ParquetMetaData, ParquetMetaDataReader};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;

use crate::error::{Error, Result};

/// Writes the row groups of `parts`, in order, to a new file at `out` with `properties`.
/// The parts must share one schema; the first part's key-value metadata (the Arrow schema
/// among it) is carried over. Page indexes are kept.
pub(crate) fn concat_parquet_files(
    parts: &[PathBuf],
    out: &Path,
    properties: WriterProperties,
) -> Result<()> {
    let inputs = parts
        .iter()
        .map(|path| -> Result<(File, ParquetMetaData)> {
            let file = File::open(path).map_err(|source| Error::io(path, source))?;
            let metadata = ParquetMetaDataReader::new()
                .with_page_index_policy(PageIndexPolicy::Optional)
                .parse_and_finish(&file)?;
            Ok((file, metadata))
        })
        .collect::<Result<Vec<_>>>()?;
    let (_, first) = inputs
        .first()
        .ok_or_else(|| Error::Invariant(format!("no parts to join into `{}`", out.display())))?;
    let schema = first.file_metadata().schema_descr().root_schema_ptr();
    let key_values = first
        .file_metadata()
        .key_value_metadata()
        .cloned()
        .unwrap_or_default();
    for ((_, metadata), path) in inputs.iter().zip(parts) {
        if metadata.file_metadata().schema_descr().root_schema_ptr() != schema {
            return Err(Error::Invariant(format!(
                "`{}` has another schema than `{}`",
                path.display(),
                parts[0].display()
            )));
        }
    }

    let output = File::create(out).map_err(|source| Error::io(out, source))?;
    let mut writer = SerializedFileWriter::new(output, schema, Arc::new(properties))?;
    for key_value in key_values {
        writer.append_key_value_metadata(key_value);
    }
    for (input, metadata) in &inputs {
        for (group_index, group) in metadata.row_groups().iter().enumerate() {
            let column_indexes = metadata
                .column_index()
                .and_then(|indexes| indexes.get(group_index));
            let offset_indexes = metadata
                .offset_index()
                .and_then(|indexes| indexes.get(group_index));
            let mut group_writer = writer.next_row_group()?;
            for (column_index, column) in group.columns().iter().enumerate() {
                let chunk = ColumnCloseResult {
                    bytes_written: column.compressed_size() as u64,
                    rows_written: group.num_rows() as u64,
                    metadata: column.clone(),
                    bloom_filter: None,
                    column_index: column_indexes
                        .and_then(|columns| columns.get(column_index))
                        .cloned(),
                    offset_index: offset_indexes
                        .and_then(|columns| columns.get(column_index))
                        .cloned(),
                };
                group_writer.append_column(input, chunk)?;
            }
            group_writer.close()?;
        }
    }
    writer.close()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use arrow::array::{Int64Array, RecordBatch, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};
    use parquet::arrow::ArrowWriter;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    use super::*;

    fn batch(rows: std::ops::Range<i64>) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![
            Field::new("source_row", DataType::Int64, false),
            Field::new("text", DataType::Utf8, true),
        ]));
        let texts: Vec<Option<String>> = rows
            .clone()
            .map(|row| (row % 3 != 0).then(|| format!("row {row}")))
            .collect();
        RecordBatch::try_new(
            schema,
            vec![
                Arc::new(Int64Array::from_iter_values(rows)),
                Arc::new(StringArray::from(texts)),
            ],
        )
        .unwrap()
    }

    fn write(path: &Path, batches: &[RecordBatch], group_rows: usize) {
        let properties = WriterProperties::builder()
            .set_max_row_group_row_count(Some(group_rows))
            .build();
        let mut writer = ArrowWriter::try_new(
            File::create(path).unwrap(),
            batches[0].schema(),
            Some(properties),
        )
        .unwrap();
        for batch in batches {
            writer.write(batch).unwrap();
        }
        writer.close().unwrap();
    }

    #[test]
    fn the_joined_file_holds_every_part_in_order_with_its_arrow_schema() {
        let directory = tempfile::tempdir().unwrap();
        let parts: Vec<PathBuf> = (0..3)
            .map(|part| directory.path().join(format!("part-{part}.parquet")))
            .collect();
        write(&parts[0], &[batch(0..250)], 100);
        write(&parts[1], &[batch(250..250)], 100);
        write(&parts[2], &[batch(250..300), batch(300..420)], 64);
        let out = directory.path().join("all.parquet");
        concat_parquet_files(&parts, &out, WriterProperties::default()).unwrap();

        let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(&out).unwrap()).unwrap();
        let key_values = reader.metadata().file_metadata().key_value_metadata();
        assert!(
            key_values.is_some_and(|pairs| pairs.iter().any(|pair| pair.key == "ARROW:schema")),
            "{key_values:?}"
        );
        // 250 rows in groups of 100, none, 170 rows in groups of 64.
        assert_eq!(reader.metadata().num_row_groups(), 6);
        let batches: Vec<RecordBatch> = reader.build().unwrap().map(Result::unwrap).collect();
        let joined = arrow::compute::concat_batches(&batches[0].schema(), &batches).unwrap();
        assert_eq!(joined, batch(0..420));
    }

    #[test]
    fn parts_of_different_schemas_are_refused() {
        let directory = tempfile::tempdir().unwrap();
        let first = directory.path().join("first.parquet");
        let second = directory.path().join("second.parquet");
        write(&first, &[batch(0..10)], 100);
        let other = RecordBatch::try_new(
            Arc::new(Schema::new(vec![Field::new("x", DataType::Int64, false)])),
            vec![Arc::new(Int64Array::from(vec![1, 2]))],
        )
        .unwrap();
        write(&second, &[other], 100);
        let error = concat_parquet_files(
            &[first, second.clone()],
            &directory.path().join("all.parquet"),
            WriterProperties::default(),
        )
        .unwrap_err();
        assert!(error.to_string().contains("second.parquet"), "{error}");
    }
}
