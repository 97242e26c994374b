//! Parquet to canonical batches: columns found by name, types normalised.

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::compute::cast;
use arrow::datatypes::{
    DataType, Date32Type, Float64Type, Int64Type, TimeUnit, TimestampMicrosecondType,
};
use arrow::record_batch::RecordBatch;
use chrono::{DateTime, NaiveDate};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::cells::{BATCH_ROWS, CanonicalBuilder, Cell, RecordPosition};
use super::columns::ColumnMapping;
use super::columnwise::ColumnwisePlan;
use super::csv_reader::mapping_report;
use super::dates::DateParser;
use super::decimals::DecimalParser;
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

/// Appends `batch` to `builder` cell by cell, the rows numbered after `rows_before`;
/// returns the number of the last row.
fn append_cells(
    builder: &mut CanonicalBuilder,
    batch: &RecordBatch,
    shown: &str,
    headers: &[String],
    rows_before: u64,
) -> Result<u64> {
    let columns: Vec<Option<Column>> = (0..batch.num_columns())
        .map(|index| {
            if builder.mapping().indices.contains(&index) {
                Column::from_array(batch.column(index), shown, &headers[index]).map(Some)
            } else {
                Ok(None)
            }
        })
        .collect::<Result<_>>()?;
    let mut row = rows_before;
    for index in 0..batch.num_rows() {
        row += 1;
        builder.append(RecordPosition { row, line: None }, |column| {
            columns[column]
                .as_ref()
                .map_or(Cell::Empty, |values| values.cell(index))
        })?;
    }
    Ok(row)
}

/// Reads a Parquet file, in row order: whole columns at a time when the column types
/// allow it (see [`ColumnwisePlan`]), cell by cell otherwise.
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
        CanonicalBuilder::new(shown, mapping, DateParser::new(options.date_format.clone()))
            .with_decimals(DecimalParser::new(options.decimal, false));
    let columnwise = ColumnwisePlan::for_schema(shown, &schema, builder.mapping());
    tracing::debug!(
        file = shown,
        columnwise = columnwise.is_some(),
        "reading Parquet"
    );
    let mut row: u64 = 0;
    for batch in reader {
        let batch = batch
            .map_err(|error| Error::in_file(shown, format!("cannot read Parquet data: {error}")))?;
        if let Some(plan) = &columnwise {
            sink(plan.convert(&batch, row)?)?;
            row += batch.num_rows() as u64;
            continue;
        }
        row = append_cells(&mut builder, &batch, shown, &headers, row)?;
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
        decimal_separator: None,
        columns: mapping_report(builder.mapping()),
        sheets: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Arc;

    use arrow::array::{
        ArrayRef, BooleanArray, Date32Array, Decimal128Array, Float32Array, Float64Array,
        Int32Array, Int64Array, LargeStringArray, StringArray, StringViewArray,
        TimestampNanosecondArray,
    };
    use arrow::datatypes::{Field, Schema};

    use super::*;
    use crate::ingest::dates::DateFormat;

    const NAMES: [&str; 8] = [
        "InvoiceNo",
        "StockCode",
        "Description",
        "Quantity",
        "InvoiceDate",
        "UnitPrice",
        "CustomerID",
        "Country",
    ];

    fn batch(columns: Vec<ArrayRef>) -> RecordBatch {
        let mut names: Vec<&str> = NAMES.to_vec();
        names.push("Extra");
        let fields: Vec<Field> = names
            .iter()
            .zip(&columns)
            .map(|(name, column)| Field::new(*name, column.data_type().clone(), true))
            .collect();
        RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).unwrap()
    }

    fn headers(batch: &RecordBatch) -> Vec<String> {
        batch
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect()
    }

    /// Both conversions of `batch`, its rows numbered after 10.
    fn both(batch: &RecordBatch) -> (Result<RecordBatch>, Result<RecordBatch>) {
        let headers = headers(batch);
        let mapping = ColumnMapping::resolve("t.parquet", &headers, &BTreeMap::new()).unwrap();
        let plan = ColumnwisePlan::for_schema("t.parquet", &batch.schema(), &mapping)
            .expect("these types convert column-wise");
        let columnwise = plan.convert(batch, 10);
        let mut builder =
            CanonicalBuilder::new("t.parquet", mapping, DateParser::new(DateFormat::Auto));
        let cells = append_cells(&mut builder, batch, "t.parquet", &headers, 10)
            .and_then(|_| builder.finish_batch())
            .map(|finished| finished.expect("rows were appended"));
        (columnwise, cells)
    }

    #[test]
    fn columnwise_conversion_equals_the_cell_path() {
        let typed = batch(vec![
            Arc::new(Int64Array::from(vec![Some(536365), None, Some(536366)])),
            Arc::new(LargeStringArray::from(vec![Some("85123A"), Some(""), None])),
            Arc::new(StringViewArray::from(vec![
                Some("WHITE HEART"),
                Some(""),
                Some("  X "),
            ])),
            Arc::new(Int32Array::from(vec![Some(6), Some(-1), None])),
            Arc::new(
                TimestampNanosecondArray::from(vec![
                    Some(1_291_191_960_000_000_000),
                    None,
                    Some(1_323_430_000_123_456_789),
                ])
                .with_timezone("+01:00"),
            ),
            Arc::new(
                Decimal128Array::from(vec![Some(255), None, Some(0)])
                    .with_precision_and_scale(10, 2)
                    .unwrap(),
            ),
            Arc::new(Float64Array::from(vec![Some(17850.0), None, Some(-12.0)])),
            Arc::new(StringArray::from(vec![
                Some("United Kingdom"),
                None,
                Some(""),
            ])),
            Arc::new(Float64Array::from(vec![Some(0.5), Some(1.5), None])),
        ]);
        let (columnwise, cells) = both(&typed);
        let (columnwise, cells) = (columnwise.unwrap(), cells.unwrap());
        assert_eq!(columnwise, cells);
        assert_eq!(columnwise.column(1).as_string::<i32>().value(0), "536365");
        assert!(columnwise.column(2).is_null(1), "empty strings become NULL");
        assert_eq!(
            columnwise
                .column(0)
                .as_primitive::<Int64Type>()
                .values()
                .to_vec(),
            vec![11, 12, 13]
        );

        let other_kinds = batch(vec![
            Arc::new(StringArray::from(vec!["536365", "C536366"])),
            Arc::new(StringArray::from(vec!["POST", "22752"])),
            Arc::new(StringArray::from(vec!["POSTAGE", "SET 7 BABUSHKA"])),
            Arc::new(Int64Array::from(vec![1, -2])),
            Arc::new(Date32Array::from(vec![14944, 15317])),
            Arc::new(Float32Array::from(vec![18.0, 7.65])),
            Arc::new(Int64Array::from(vec![None, Some(12583)])),
            Arc::new(BooleanArray::from(vec![true, false])),
            Arc::new(Int64Array::from(vec![1, 2])),
        ]);
        let (columnwise, cells) = both(&other_kinds);
        assert_eq!(columnwise.unwrap(), cells.unwrap());
    }

    #[test]
    fn columnwise_errors_name_the_same_row_and_column_as_the_cell_path() {
        let prices = |price: f64, customer: f64| {
            batch(vec![
                Arc::new(StringArray::from(vec!["1", "2", "3"])),
                Arc::new(StringArray::from(vec!["A", "B", "C"])),
                Arc::new(StringArray::from(vec!["a", "b", "c"])),
                Arc::new(Int64Array::from(vec![1, 1, 1])),
                Arc::new(TimestampNanosecondArray::from(vec![0, 0, 0])),
                Arc::new(Float64Array::from(vec![1.0, price, 1.0])),
                Arc::new(Float64Array::from(vec![None, Some(1.0), Some(customer)])),
                Arc::new(StringArray::from(vec!["UK", "UK", "UK"])),
                Arc::new(Int64Array::from(vec![1, 2, 3])),
            ])
        };
        for (typed, expected) in [
            (prices(1.0, 17850.5), "row 13"),
            (prices(f64::INFINITY, 1.0), "row 12"),
        ] {
            let (columnwise, cells) = both(&typed);
            let (columnwise, cells) = (columnwise.unwrap_err(), cells.unwrap_err());
            assert_eq!(columnwise.to_string(), cells.to_string());
            assert!(columnwise.to_string().contains(expected), "{columnwise}");
        }
    }

    #[test]
    fn text_numbers_and_text_dates_take_the_cell_path() {
        let strings = |n: usize| -> ArrayRef { Arc::new(StringArray::from(vec!["1"; n])) };
        let mut columns: Vec<ArrayRef> = (0..9).map(|_| strings(1)).collect();
        let schema = batch(columns.clone()).schema();
        let headers = headers(&batch(columns.clone()));
        let mapping = ColumnMapping::resolve("t.parquet", &headers, &BTreeMap::new()).unwrap();
        assert!(ColumnwisePlan::for_schema("t.parquet", &schema, &mapping).is_none());
        // numbers typed as numbers, but the date still text
        columns[3] = Arc::new(Int64Array::from(vec![1]));
        columns[5] = Arc::new(Float64Array::from(vec![1.0]));
        columns[6] = Arc::new(Int64Array::from(vec![1]));
        let schema = batch(columns.clone()).schema();
        assert!(ColumnwisePlan::for_schema("t.parquet", &schema, &mapping).is_none());
        columns[4] = Arc::new(TimestampNanosecondArray::from(vec![0]));
        let schema = batch(columns).schema();
        assert!(ColumnwisePlan::for_schema("t.parquet", &schema, &mapping).is_some());
    }
}
