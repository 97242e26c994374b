//! Parquet to canonical batches: columns found by name, types normalised.

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::compute::cast;
use arrow::datatypes::{
    DataType, Date32Type, Float64Type, Int64Type, TimeUnit, TimestampMicrosecondType,
};
use chrono::{DateTime, NaiveDate};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::cells::{BATCH_ROWS, CanonicalBuilder, Cell, RecordPosition};
use super::columns::ColumnMapping;
use super::csv_reader::mapping_report;
use super::dates::DateParser;
use super::options::IngestOptions;
use super::{ReadOutcome, Sink};
use crate::error::{Error, Result};

/// Where Parquet bytes come from: a file, or memory for an archive member.
pub(crate) enum ParquetInput {
    /// A file on disk.
    File(std::fs::File),
    /// Bytes in memory.
    Bytes(bytes::Bytes),
}

/// One input column, cast once per batch to the widest type of its kind.
enum Column {
    Text(ArrayRef),
    Int(ArrayRef),
    Float(ArrayRef),
    Timestamp(ArrayRef),
    Date(ArrayRef),
}

impl Column {
    fn from_array(array: &ArrayRef, shown: &str, name: &str) -> Result<Column> {
        let data_type = array.data_type();
        Ok(match data_type {
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
                Column::Text(cast(array, &DataType::Utf8)?)
            }
            DataType::Boolean => Column::Text(cast(array, &DataType::Utf8)?),
            kind if kind.is_integer() => Column::Int(cast(array, &DataType::Int64)?),
            kind if kind.is_floating()
                || matches!(kind, DataType::Decimal128(..) | DataType::Decimal256(..)) =>
            {
                Column::Float(cast(array, &DataType::Float64)?)
            }
            DataType::Timestamp(..) => Column::Timestamp(cast(
                array,
                &DataType::Timestamp(TimeUnit::Microsecond, None),
            )?),
            DataType::Date32 | DataType::Date64 => Column::Date(cast(array, &DataType::Date32)?),
            other => {
                return Err(Error::in_file(
                    shown,
                    format!("column `{name}` has the unsupported Parquet type `{other}`"),
                ));
            }
        })
    }

    fn cell(&self, index: usize) -> Cell<'_> {
        let array = match self {
            Column::Text(a)
            | Column::Int(a)
            | Column::Float(a)
            | Column::Timestamp(a)
            | Column::Date(a) => a,
        };
        if array.is_null(index) {
            return Cell::Empty;
        }
        match self {
            Column::Text(a) => Cell::Text(a.as_string::<i32>().value(index)),
            Column::Int(a) => Cell::Int(a.as_primitive::<Int64Type>().value(index)),
            Column::Float(a) => Cell::Float(a.as_primitive::<Float64Type>().value(index)),
            Column::Timestamp(a) => {
                let micros = a.as_primitive::<TimestampMicrosecondType>().value(index);
                DateTime::from_timestamp_micros(micros)
                    .map_or(Cell::Empty, |moment| Cell::DateTime(moment.naive_utc()))
            }
            Column::Date(a) => {
                let days = a.as_primitive::<Date32Type>().value(index);
                NaiveDate::from_ymd_opt(1970, 1, 1)
                    .and_then(|epoch| {
                        epoch.checked_add_signed(chrono::TimeDelta::days(i64::from(days)))
                    })
                    .and_then(|date| date.and_hms_opt(0, 0, 0))
                    .map_or(Cell::Empty, Cell::DateTime)
            }
        }
    }
}

/// Reads a Parquet file, in row order.
pub(crate) fn read_parquet(
    input: ParquetInput,
    shown: &str,
    options: &IngestOptions,
    sink: &mut Sink<'_>,
) -> Result<ReadOutcome> {
    let unreadable = |error: parquet::errors::ParquetError| {
        Error::in_file(shown, format!("not a readable Parquet file: {error}"))
    };
    let reader = match input {
        ParquetInput::File(file) => ParquetRecordBatchReaderBuilder::try_new(file)
            .map_err(unreadable)?
            .with_batch_size(BATCH_ROWS)
            .build()
            .map_err(unreadable)?,
        ParquetInput::Bytes(bytes) => ParquetRecordBatchReaderBuilder::try_new(bytes)
            .map_err(unreadable)?
            .with_batch_size(BATCH_ROWS)
            .build()
            .map_err(unreadable)?,
    };
    let schema = arrow::record_batch::RecordBatchReader::schema(&reader);
    let headers: Vec<String> = schema
        .fields()
        .iter()
        .map(|field| field.name().clone())
        .collect();
    let mapping = ColumnMapping::resolve(shown, &headers, &options.columns)?;
    let mut builder =
        CanonicalBuilder::new(shown, mapping, DateParser::new(options.date_format.clone()));
    let mut row: u64 = 0;
    for batch in reader {
        let batch = batch
            .map_err(|error| Error::in_file(shown, format!("cannot read Parquet data: {error}")))?;
        let columns: Vec<Option<Column>> = (0..batch.num_columns())
            .map(|index| {
                if builder.mapping().indices.contains(&index) {
                    Column::from_array(batch.column(index), shown, &headers[index]).map(Some)
                } else {
                    Ok(None)
                }
            })
            .collect::<Result<_>>()?;
        for index in 0..batch.num_rows() {
            row += 1;
            builder.append(RecordPosition { row, line: None }, |column| {
                columns[column]
                    .as_ref()
                    .map_or(Cell::Empty, |values| values.cell(index))
            })?;
        }
        if let Some(batch) = builder.finish_batch()? {
            sink(batch)?;
        }
    }
    if row == 0 {
        return Err(Error::in_file(shown, "the Parquet file has no rows"));
    }
    Ok(ReadOutcome {
        rows: row,
        date_format: builder.date_format_settled(),
        encoding: "parquet".to_owned(),
        delimiter: None,
        columns: mapping_report(builder.mapping()),
    })
}
