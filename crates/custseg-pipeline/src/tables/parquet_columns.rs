//! One reader for the Parquet files custseg writes and reads back (segments, lifetime-value
//! predictions and summaries): the file read whole, and its columns as plain vectors. A null
//! where the file's contract has none is an error naming the file, the row and the column, not
//! a number made up in its place.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Float64Type, Int64Type, UInt8Type};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

/// A Parquet file's record batches, with typed access to its columns.
#[derive(Debug, Clone)]
pub struct ParquetColumns {
    path: PathBuf,
    batches: Vec<RecordBatch>,
}

impl ParquetColumns {
    /// Reads every batch of `path`.
    pub fn read(path: &Path) -> Result<Self> {
        let file = fs_err::File::open(path)?;
        let reader = ParquetRecordBatchReaderBuilder::try_new(file.into_parts().0)
            .with_context(|| format!("`{}` is not a readable Parquet file", path.display()))?
            .build()?;
        let batches = reader
            .collect::<Result<Vec<_>, _>>()
            .with_context(|| format!("reading `{}`", path.display()))?;
        Ok(Self {
            path: path.to_owned(),
            batches,
        })
    }

    /// The batches as read.
    pub fn batches(&self) -> &[RecordBatch] {
        &self.batches
    }

    /// Whether the file has a column `name` (false for a file without batches).
    pub fn has_column(&self, name: &str) -> bool {
        self.batches
            .first()
            .is_some_and(|batch| batch.column_by_name(name).is_some())
    }

    /// Rows in the file.
    pub fn rows(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }

    /// Column `name` of every batch, cast to `to`; an error if it is missing.
    fn arrays(&self, name: &str, to: &DataType) -> Result<Vec<ArrayRef>> {
        self.batches
            .iter()
            .map(|batch| {
                let column = batch
                    .column_by_name(name)
                    .with_context(|| format!("`{}` has no column `{name}`", self.path.display()))?;
                // Not arrow's "safe" cast, which turns what does not convert into nulls.
                let options = arrow::compute::CastOptions {
                    safe: false,
                    ..Default::default()
                };
                arrow::compute::cast_with_options(column, to, &options).with_context(|| {
                    format!("`{}`: column `{name}` is not {to}", self.path.display())
                })
            })
            .collect()
    }

    /// Column `name` with its nulls as `None`, for the columns whose contract allows them.
    fn optional<T>(
        &self,
        name: &str,
        to: &DataType,
        value: impl Fn(&ArrayRef, usize) -> T,
    ) -> Result<Vec<Option<T>>> {
        let mut out = Vec::with_capacity(self.rows());
        for array in self.arrays(name, to)? {
            out.extend((0..array.len()).map(|i| (!array.is_null(i)).then(|| value(&array, i))));
        }
        Ok(out)
    }

    /// Column `name`, which must have no null.
    fn required<T>(
        &self,
        name: &str,
        to: &DataType,
        value: impl Fn(&ArrayRef, usize) -> T,
    ) -> Result<Vec<T>> {
        self.optional(name, to, value)?
            .into_iter()
            .enumerate()
            .map(|(row, v)| match v {
                Some(v) => Ok(v),
                None => bail!(
                    "`{}` row {}: column `{name}` is empty (null)",
                    self.path.display(),
                    row + 1
                ),
            })
            .collect()
    }

    /// Column `name` as numbers; no nulls.
    pub fn f64s(&self, name: &str) -> Result<Vec<f64>> {
        self.required(name, &DataType::Float64, |a, i| {
            a.as_primitive::<Float64Type>().value(i)
        })
    }

    /// Column `name` as whole numbers; no nulls.
    pub fn i64s(&self, name: &str) -> Result<Vec<i64>> {
        self.required(name, &DataType::Int64, |a, i| {
            a.as_primitive::<Int64Type>().value(i)
        })
    }

    /// Column `name` as small whole numbers (RFM scores); no nulls.
    pub fn u8s(&self, name: &str) -> Result<Vec<u8>> {
        self.required(name, &DataType::UInt8, |a, i| {
            a.as_primitive::<UInt8Type>().value(i)
        })
    }

    /// Column `name` as text; no nulls.
    pub fn strings(&self, name: &str) -> Result<Vec<String>> {
        self.required(name, &DataType::Utf8, |a, i| {
            a.as_string::<i32>().value(i).to_owned()
        })
    }

    /// Column `name` as flags; no nulls.
    pub fn bools(&self, name: &str) -> Result<Vec<bool>> {
        self.required(name, &DataType::Boolean, |a, i| a.as_boolean().value(i))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Float64Array, Int64Array, StringArray};
    use parquet::arrow::ArrowWriter;

    use super::*;

    fn write(path: &Path, columns: Vec<(&str, ArrayRef)>) {
        let batch = RecordBatch::try_from_iter(columns).unwrap();
        let mut writer =
            ArrowWriter::try_new(std::fs::File::create(path).unwrap(), batch.schema(), None)
                .unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();
    }

    #[test]
    fn columns_read_typed_and_a_null_is_an_error_naming_file_row_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("predictions.parquet");
        write(
            &path,
            vec![
                (
                    "CustomerID",
                    Arc::new(Int64Array::from(vec![12346, 12347, 12348])),
                ),
                (
                    "clv",
                    Arc::new(Float64Array::from(vec![Some(1.5), None, Some(-0.25)])),
                ),
                ("segment", Arc::new(StringArray::from(vec!["a", "b", "c"]))),
            ],
        );
        let table = ParquetColumns::read(&path).unwrap();
        assert_eq!(table.rows(), 3);
        assert_eq!(table.i64s("CustomerID").unwrap(), [12346, 12347, 12348]);
        // Whole numbers cast to numbers where a number is asked for.
        assert_eq!(
            table.f64s("CustomerID").unwrap(),
            [12346.0, 12347.0, 12348.0]
        );
        assert_eq!(table.strings("segment").unwrap(), ["a", "b", "c"]);
        let error = table.f64s("clv").unwrap_err().to_string();
        assert!(
            error.contains("predictions.parquet` row 2: column `clv` is empty (null)"),
            "{error}"
        );
        let missing = table.f64s("p_alive").unwrap_err().to_string();
        assert!(missing.contains("has no column `p_alive`"), "{missing}");
        let not_a_number = table.i64s("segment").unwrap_err().to_string();
        assert!(
            not_a_number.contains("column `segment` is not Int64"),
            "{not_a_number}"
        );
        let not_parquet = dir.path().join("x.parquet");
        std::fs::write(&not_parquet, "CustomerID\n1\n").unwrap();
        assert!(ParquetColumns::read(&not_parquet).is_err());
    }
}
