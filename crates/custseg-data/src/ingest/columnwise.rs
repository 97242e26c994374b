//! Whole-column conversion of typed batches (Parquet) to the canonical schema.
//!
//! [`super::cells::CanonicalBuilder`] converts one cell at a time, which every format
//! needs when a column's values can be of any kind (text dates, codes stored as floats).
//! When a Parquet file's column types already say what the values are, Arrow's cast and
//! comparison kernels do the same conversion on whole columns, several times faster; the
//! checks the cell path makes (whole numbers, finite prices) are made here too, and the
//! first failing value is reported with its row, as the cell path would.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Int64Array, StringArray, new_null_array};
use arrow::compute::kernels::cmp::eq;
use arrow::compute::{cast, nullif};
use arrow::datatypes::{DataType, Float64Type, Schema, TimeUnit};
use arrow::record_batch::RecordBatch;

use super::cells::{WHOLE_LIMIT, float_to_whole};
use super::columns::ColumnMapping;
use crate::error::{Error, Location, Result};
use crate::schema::{RawColumn, canonical_schema};

/// How one input column becomes its canonical column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Conversion {
    /// Strings (or booleans) to `Utf8`, empty strings to NULL.
    Text,
    /// Integers printed as text (codes stored as numbers).
    IntegerText,
    /// Integers to `Int64`.
    Integer,
    /// Floats or decimals to `Int64`, each value checked to be whole.
    WholeFloat,
    /// Integers to `Float64`.
    IntegerDecimal,
    /// Floats or decimals to `Float64`, each value checked to be finite.
    Decimal,
    /// Timestamps to microsecond timestamps.
    Timestamp,
    /// Dates to microsecond timestamps at midnight.
    Date,
}

/// The canonical timestamp type as `arrow_cast` names it.
const SQL_TIMESTAMP: &str = "Timestamp(Microsecond, None)";

/// The conversions of one file's columns, when every mapped column has one.
#[derive(Debug)]
pub(crate) struct ColumnwisePlan {
    file: String,
    mapping: ColumnMapping,
    conversions: [Conversion; 8],
}

impl ColumnwisePlan {
    /// The plan for `schema` as mapped by `mapping`, or `None` when some column needs
    /// the cell-by-cell rules (text numbers, text dates, Excel serial dates, floats in a
    /// text column).
    pub(crate) fn for_schema(
        file: &str,
        schema: &Schema,
        mapping: &ColumnMapping,
    ) -> Option<ColumnwisePlan> {
        let mut conversions = [Conversion::Text; 8];
        for (slot, column) in RawColumn::ALL.iter().enumerate() {
            let data_type = schema.field(mapping.indices[slot]).data_type();
            conversions[slot] = conversion(*column, data_type)?;
        }
        Some(ColumnwisePlan {
            file: file.to_owned(),
            mapping: mapping.clone(),
            conversions,
        })
    }

    /// `batch` as a canonical batch whose `source_row` starts after `rows_before`.
    pub(crate) fn convert(&self, batch: &RecordBatch, rows_before: u64) -> Result<RecordBatch> {
        let rows = batch.num_rows();
        let first = i64::try_from(rows_before)
            .map_err(|_| Error::Invariant(format!("row number {rows_before} overflows")))?;
        let source_row: Int64Array = (1..=rows as i64).map(|row| first + row).collect();
        let mut columns: Vec<ArrayRef> = vec![Arc::new(source_row)];
        for (slot, column) in RawColumn::ALL.iter().enumerate() {
            let input = batch.column(self.mapping.indices[slot]);
            columns.push(self.convert_column(
                *column,
                self.conversions[slot],
                input,
                rows_before,
            )?);
        }
        Ok(RecordBatch::try_new(canonical_schema(), columns)?)
    }

    fn convert_column(
        &self,
        column: RawColumn,
        conversion: Conversion,
        input: &ArrayRef,
        rows_before: u64,
    ) -> Result<ArrayRef> {
        Ok(match conversion {
            Conversion::Text => empty_to_null(cast(input, &DataType::Utf8)?)?,
            Conversion::IntegerText => cast(&cast(input, &DataType::Int64)?, &DataType::Utf8)?,
            Conversion::Integer => cast(input, &DataType::Int64)?,
            Conversion::IntegerDecimal => {
                cast(&cast(input, &DataType::Int64)?, &DataType::Float64)?
            }
            Conversion::WholeFloat => {
                let values = cast(input, &DataType::Float64)?;
                self.check(
                    column,
                    &values,
                    rows_before,
                    "is not a whole number",
                    |value| float_to_whole(value).is_some(),
                )?;
                cast(&values, &DataType::Int64)?
            }
            Conversion::Decimal => {
                let values = cast(input, &DataType::Float64)?;
                self.check(
                    column,
                    &values,
                    rows_before,
                    "is not a number",
                    f64::is_finite,
                )?;
                values
            }
            Conversion::Date => cast(
                &cast(input, &DataType::Date32)?,
                &DataType::Timestamp(TimeUnit::Microsecond, None),
            )?,
            Conversion::Timestamp => {
                cast(input, &DataType::Timestamp(TimeUnit::Microsecond, None))?
            }
        })
    }

    /// The same conversions as SQL expressions over the input's columns, one per raw column
    /// in canonical order, each named by the canonical name: the plan a query engine runs
    /// where the rows are (see [`super::engine_parse`]). They convert exactly as
    /// [`Self::convert`] does, by the same Arrow cast kernels (`arrow_cast`); the checks it
    /// makes on the way are [`Self::sql_checks`].
    pub(crate) fn sql_conversions(&self) -> Vec<String> {
        RawColumn::ALL
            .iter()
            .enumerate()
            .map(|(slot, column)| {
                let input = self.sql_input(slot);
                let converted = match self.conversions[slot] {
                    Conversion::Text => format!("nullif(arrow_cast({input}, 'Utf8'), '')"),
                    Conversion::IntegerText => {
                        format!("arrow_cast(arrow_cast({input}, 'Int64'), 'Utf8')")
                    }
                    Conversion::Integer => format!("arrow_cast({input}, 'Int64')"),
                    Conversion::IntegerDecimal => {
                        format!("arrow_cast(arrow_cast({input}, 'Int64'), 'Float64')")
                    }
                    Conversion::WholeFloat => {
                        format!("arrow_cast(arrow_cast({input}, 'Float64'), 'Int64')")
                    }
                    Conversion::Decimal => format!("arrow_cast({input}, 'Float64')"),
                    Conversion::Date => {
                        format!("arrow_cast(arrow_cast({input}, 'Date32'), '{SQL_TIMESTAMP}')")
                    }
                    Conversion::Timestamp => format!("arrow_cast({input}, '{SQL_TIMESTAMP}')"),
                };
                format!("{converted} AS {}", column.sql())
            })
            .collect()
    }

    /// SQL conditions that hold on a row exactly when [`Self::convert`] accepts its values
    /// (whole numbers where an integer column is read from floats, finite prices). Empty
    /// when no column is checked.
    pub(crate) fn sql_checks(&self) -> Vec<String> {
        (0..RawColumn::ALL.len())
            .filter_map(|slot| {
                let value = format!("arrow_cast({}, 'Float64')", self.sql_input(slot));
                // Arrow orders NaN above every number, so both bounds refuse NaN and the
                // infinities, as `float_to_whole` and `f64::is_finite` do.
                match self.conversions[slot] {
                    Conversion::WholeFloat => Some(format!(
                        "({value} IS NULL OR ({value} = trunc({value}) AND abs({value}) <= {WHOLE_LIMIT:.1}))"
                    )),
                    Conversion::Decimal => Some(format!(
                        "({value} IS NULL OR abs({value}) <= {:e})",
                        f64::MAX
                    )),
                    _ => None,
                }
            })
            .collect()
    }

    /// The input column feeding raw column `slot`, quoted for SQL.
    fn sql_input(&self, slot: usize) -> String {
        let name = &self.mapping.headers[self.mapping.indices[slot]];
        format!("\"{}\"", name.replace('"', "\"\""))
    }

    /// Fails on the first non-null value of the `Float64` array `values` that `valid`
    /// refuses, naming its row and column.
    fn check(
        &self,
        column: RawColumn,
        values: &ArrayRef,
        rows_before: u64,
        problem: &str,
        valid: impl Fn(f64) -> bool,
    ) -> Result<()> {
        let values = values.as_primitive::<Float64Type>();
        let bad =
            (0..values.len()).find(|&index| values.is_valid(index) && !valid(values.value(index)));
        match bad {
            None => Ok(()),
            Some(index) => Err(Error::Input {
                location: Location {
                    file: self.file.clone(),
                    row: Some(rows_before + index as u64 + 1),
                    line: None,
                    column: Some(self.mapping.input_name(column).to_owned()),
                },
                message: format!("{problem}: `{}`", values.value(index)),
            }),
        }
    }
}

/// The conversion of an input column of `data_type` into `column`, if it has one.
fn conversion(column: RawColumn, data_type: &DataType) -> Option<Conversion> {
    let integer = data_type.is_integer();
    let float = data_type.is_floating()
        || matches!(
            data_type,
            DataType::Decimal128(..) | DataType::Decimal256(..)
        );
    let text = matches!(
        data_type,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Boolean
    );
    match column.data_type() {
        DataType::Utf8 if text => Some(Conversion::Text),
        DataType::Utf8 if integer => Some(Conversion::IntegerText),
        DataType::Int64 if integer => Some(Conversion::Integer),
        DataType::Int64 if float => Some(Conversion::WholeFloat),
        DataType::Float64 if integer => Some(Conversion::IntegerDecimal),
        DataType::Float64 if float => Some(Conversion::Decimal),
        DataType::Timestamp(..) if matches!(data_type, DataType::Timestamp(..)) => {
            Some(Conversion::Timestamp)
        }
        DataType::Timestamp(..) if matches!(data_type, DataType::Date32 | DataType::Date64) => {
            Some(Conversion::Date)
        }
        _ => None,
    }
}

/// `strings` (a `Utf8` array) with empty values as NULL, as the cell path stores them.
fn empty_to_null(strings: ArrayRef) -> Result<ArrayRef> {
    let empty = eq(&strings, &StringArray::new_scalar(""))?;
    if empty.true_count() == 0 {
        return Ok(strings);
    }
    if empty.true_count() == strings.len() {
        return Ok(new_null_array(&DataType::Utf8, strings.len()));
    }
    Ok(nullif(&strings, &empty)?)
}
