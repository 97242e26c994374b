//! Turning one input record's cells into a canonical row, with errors that say
//! which record, which column and what was expected.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, Float64Builder, Int64Builder, StringBuilder, TimestampMicrosecondBuilder,
};
use arrow::record_batch::RecordBatch;
use chrono::NaiveDateTime;

use super::columns::ColumnMapping;
use super::dates::{DateError, DateParser, from_excel_serial};
use super::decimals::{DecimalError, DecimalParser, DecimalSeparator};
use crate::error::{Error, Location, Result};
use crate::schema::{RawColumn, canonical_schema};

/// One cell as a reader found it, before conversion to the canonical type.
#[derive(Debug, Clone, Copy)]
pub enum Cell<'a> {
    /// No value.
    Empty,
    /// Text (already decoded).
    Text(&'a str),
    /// A whole number.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// A timestamp.
    DateTime(NaiveDateTime),
    /// A spreadsheet date stored as an Excel serial number.
    ExcelSerial(f64),
}

/// Where the record being converted came from.
#[derive(Debug, Clone, Copy)]
pub struct RecordPosition {
    /// 1-based data record number.
    pub row: u64,
    /// Physical line (text) or sheet row (workbook), when known.
    pub line: Option<u64>,
}

/// Accumulates canonical rows into Arrow batches.
pub struct CanonicalBuilder {
    file: String,
    mapping: ColumnMapping,
    dates: DateParser,
    decimals: DecimalParser,
    source_row: Int64Builder,
    invoice: StringBuilder,
    stock_code: StringBuilder,
    description: StringBuilder,
    quantity: Int64Builder,
    invoice_date: TimestampMicrosecondBuilder,
    unit_price: Float64Builder,
    customer: Int64Builder,
    country: StringBuilder,
    rows: usize,
}

/// Rows per batch handed to the sink.
pub const BATCH_ROWS: usize = 64 * 1024;

impl CanonicalBuilder {
    /// A builder for the input `file` with its column `mapping`.
    pub fn new(file: &str, mapping: ColumnMapping, dates: DateParser) -> Self {
        Self {
            file: file.to_owned(),
            mapping,
            dates,
            decimals: DecimalParser::new(DecimalSeparator::Auto, false),
            source_row: Int64Builder::with_capacity(BATCH_ROWS),
            invoice: StringBuilder::with_capacity(BATCH_ROWS, BATCH_ROWS * 8),
            stock_code: StringBuilder::with_capacity(BATCH_ROWS, BATCH_ROWS * 8),
            description: StringBuilder::with_capacity(BATCH_ROWS, BATCH_ROWS * 32),
            quantity: Int64Builder::with_capacity(BATCH_ROWS),
            invoice_date: TimestampMicrosecondBuilder::with_capacity(BATCH_ROWS),
            unit_price: Float64Builder::with_capacity(BATCH_ROWS),
            customer: Int64Builder::with_capacity(BATCH_ROWS),
            country: StringBuilder::with_capacity(BATCH_ROWS, BATCH_ROWS * 16),
            rows: 0,
        }
    }

    /// The builder reading numbers in text with `decimals` (by default: auto-detection
    /// that never settles on the decimal comma, as for typed inputs).
    pub fn with_decimals(mut self, decimals: DecimalParser) -> Self {
        self.decimals = decimals;
        self
    }

    /// The decimal separator as settled so far.
    pub fn decimal_separator_settled(&self) -> String {
        self.decimals.settled()
    }

    /// The column mapping in use.
    pub fn mapping(&self) -> &ColumnMapping {
        &self.mapping
    }

    /// The timestamp format as settled so far.
    pub fn date_format_settled(&self) -> String {
        self.dates.settled()
    }

    fn error(&self, position: RecordPosition, column: RawColumn, message: String) -> Error {
        Error::Input {
            location: Location {
                file: self.file.clone(),
                row: Some(position.row),
                line: position.line,
                column: Some(self.mapping.input_name(column).to_owned()),
            },
            message,
        }
    }

    /// Converts and appends one record; `cell(i)` returns the cell of input column `i`.
    pub fn append<'a>(
        &mut self,
        position: RecordPosition,
        cell: impl Fn(usize) -> Cell<'a>,
    ) -> Result<()> {
        let cells: [Cell<'a>; 8] = std::array::from_fn(|slot| cell(self.mapping.indices[slot]));
        let quantity = self.whole_number(position, RawColumn::Quantity, cells[3])?;
        let customer = self.whole_number(position, RawColumn::CustomerId, cells[6])?;
        let price = self.decimal(position, RawColumn::UnitPrice, cells[5])?;
        let date = self.timestamp(position, cells[4])?;
        append_text(&mut self.invoice, cells[0]);
        append_text(&mut self.stock_code, cells[1]);
        append_text(&mut self.description, cells[2]);
        append_text(&mut self.country, cells[7]);
        self.quantity.append_option(quantity);
        self.customer.append_option(customer);
        self.unit_price.append_option(price);
        self.invoice_date
            .append_option(date.map(|value| value.and_utc().timestamp_micros()));
        self.source_row.append_value(position.row as i64);
        self.rows += 1;
        Ok(())
    }

    /// Hands a batch to `sink` once [`BATCH_ROWS`] rows are buffered.
    pub(crate) fn flush_full(&mut self, sink: &mut super::Sink<'_>) -> Result<()> {
        if self.rows >= BATCH_ROWS
            && let Some(batch) = self.finish_batch()?
        {
            sink(batch)?;
        }
        Ok(())
    }

    /// Takes the buffered rows as one batch (`None` when empty).
    pub fn finish_batch(&mut self) -> Result<Option<RecordBatch>> {
        if self.rows == 0 {
            return Ok(None);
        }
        self.rows = 0;
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.source_row.finish()),
            Arc::new(self.invoice.finish()),
            Arc::new(self.stock_code.finish()),
            Arc::new(self.description.finish()),
            Arc::new(self.quantity.finish()),
            Arc::new(self.invoice_date.finish()),
            Arc::new(self.unit_price.finish()),
            Arc::new(self.customer.finish()),
            Arc::new(self.country.finish()),
        ];
        Ok(Some(RecordBatch::try_new(canonical_schema(), columns)?))
    }

    /// `text` in the notation Rust's number parsers read (see [`DecimalParser`]).
    fn number_text<'t>(
        &mut self,
        position: RecordPosition,
        column: RawColumn,
        text: &'t str,
        whole: bool,
    ) -> Result<std::borrow::Cow<'t, str>> {
        self.decimals
            .normalise(text, position.row, whole)
            .map_err(|error| match error {
                DecimalError::CommaAfterPoint {
                    assumed_at,
                    assumed,
                } => self.error(
                    position,
                    column,
                    format!(
                        "`{}` is written with a decimal comma or thousands points, but row {assumed_at} read \
                         `{assumed}` with a decimal point; pass `--decimal comma` or `--decimal point`",
                        text.trim()
                    ),
                ),
                DecimalError::NotComma => self.error(
                    position,
                    column,
                    format!(
                        "is not a number with a decimal comma: `{text}` (set `--decimal` if the file uses points)"
                    ),
                ),
            })
    }

    fn whole_number(
        &mut self,
        position: RecordPosition,
        column: RawColumn,
        cell: Cell<'_>,
    ) -> Result<Option<i64>> {
        let not_whole = |this: &Self, shown: &str, hint: &str| {
            this.error(
                position,
                column,
                format!("is not a whole number: `{shown}`{hint}"),
            )
        };
        match cell {
            Cell::Empty => Ok(None),
            Cell::Int(value) => Ok(Some(value)),
            Cell::Float(value) => float_to_whole(value)
                .map(Some)
                .ok_or_else(|| not_whole(self, &value.to_string(), "")),
            Cell::Text(text) => {
                if text.trim().is_empty() {
                    return Ok(None);
                }
                let number = self.number_text(position, column, text, true)?;
                number
                    .parse::<i64>()
                    .ok()
                    .or_else(|| number.parse::<f64>().ok().and_then(float_to_whole))
                    .map(Some)
                    .ok_or_else(|| not_whole(self, text, DecimalParser::hint(text)))
            }
            Cell::DateTime(value) => Err(not_whole(self, &value.to_string(), "")),
            Cell::ExcelSerial(value) => Err(not_whole(self, &value.to_string(), "")),
        }
    }

    fn decimal(
        &mut self,
        position: RecordPosition,
        column: RawColumn,
        cell: Cell<'_>,
    ) -> Result<Option<f64>> {
        let not_number = |this: &Self, shown: &str, hint: &str| {
            this.error(
                position,
                column,
                format!("is not a number: `{shown}`{hint}"),
            )
        };
        match cell {
            Cell::Empty => Ok(None),
            Cell::Int(value) => Ok(Some(value as f64)),
            Cell::Float(value) if value.is_finite() => Ok(Some(value)),
            Cell::Float(value) => Err(not_number(self, &value.to_string(), "")),
            Cell::Text(text) => {
                if text.trim().is_empty() {
                    return Ok(None);
                }
                let number = self.number_text(position, column, text, false)?;
                match number.parse::<f64>() {
                    Ok(value) if value.is_finite() => Ok(Some(value)),
                    _ => Err(not_number(self, text, DecimalParser::hint(text))),
                }
            }
            Cell::DateTime(value) => Err(not_number(self, &value.to_string(), "")),
            Cell::ExcelSerial(value) => Err(not_number(self, &value.to_string(), "")),
        }
    }

    fn timestamp(
        &mut self,
        position: RecordPosition,
        cell: Cell<'_>,
    ) -> Result<Option<NaiveDateTime>> {
        let column = RawColumn::InvoiceDate;
        match cell {
            Cell::Empty => Ok(None),
            Cell::DateTime(value) => Ok(Some(value)),
            Cell::ExcelSerial(value) | Cell::Float(value) => {
                from_excel_serial(value).map(Some).ok_or_else(|| {
                    self.error(
                        position,
                        column,
                        format!("is not a valid Excel date: `{value}`"),
                    )
                })
            }
            Cell::Int(value) => from_excel_serial(value as f64).map(Some).ok_or_else(|| {
                self.error(
                    position,
                    column,
                    format!("is not a valid Excel date: `{value}`"),
                )
            }),
            Cell::Text(text) => {
                if text.trim().is_empty() {
                    return Ok(None);
                }
                match self.dates.parse(text, position.row) {
                    Ok(value) => Ok(Some(value)),
                    Err(DateError::Unparseable(expected)) => Err(self.error(
                        position,
                        column,
                        format!("cannot read the date `{text}`: {expected} (set `--date-format`)"),
                    )),
                    Err(DateError::Ambiguous { assumed_at }) => Err(self.error(
                        position,
                        column,
                        format!(
                            "the date `{text}` is day-first, but the dates up to row {assumed_at} read as month-first; \
                             pass `--date-format dmy` or `--date-format mdy`"
                        ),
                    )),
                }
            }
        }
    }
}

/// A float that is a whole number, within the range where `f64` is exact.
/// `value` as an integer when it is whole and exactly representable.
pub(crate) fn float_to_whole(value: f64) -> Option<i64> {
    (value.is_finite() && value.fract() == 0.0 && value.abs() <= WHOLE_LIMIT)
        .then_some(value as i64)
}

/// The largest magnitude up to which every whole `f64` is exact: 2^53.
pub(crate) const WHOLE_LIMIT: f64 = 9_007_199_254_740_992.0;

fn append_text(builder: &mut StringBuilder, cell: Cell<'_>) {
    match cell {
        Cell::Empty => builder.append_null(),
        Cell::Text("") => builder.append_null(),
        Cell::Text(text) => builder.append_value(text),
        Cell::Int(value) => builder.append_value(value.to_string()),
        // Workbooks store all-digit codes (`536365`) as numbers: print them back
        // without a fractional part, never as `536365.0`.
        Cell::Float(value) => match float_to_whole(value) {
            Some(whole) => builder.append_value(whole.to_string()),
            None => builder.append_value(value.to_string()),
        },
        Cell::DateTime(value) => builder.append_value(value.to_string()),
        Cell::ExcelSerial(value) => builder.append_value(value.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use arrow::array::{AsArray, Int64Array};
    use arrow::datatypes::Int64Type;

    use super::*;
    use crate::ingest::dates::DateFormat;

    fn builder() -> CanonicalBuilder {
        let headers: Vec<String> = RawColumn::ALL.iter().map(|c| c.name().to_owned()).collect();
        let mapping = ColumnMapping::resolve("t.xlsx", &headers, &BTreeMap::new()).unwrap();
        CanonicalBuilder::new("t.xlsx", mapping, DateParser::new(DateFormat::Auto))
    }

    fn position(row: u64) -> RecordPosition {
        RecordPosition {
            row,
            line: Some(row + 1),
        }
    }

    #[test]
    fn numeric_codes_keep_no_fraction_and_float_ids_become_integers() {
        let mut builder = builder();
        let cells = [
            Cell::Float(536365.0),
            Cell::Text("85123A"),
            Cell::Text("WHITE HANGING HEART T-LIGHT HOLDER"),
            Cell::Float(6.0),
            Cell::ExcelSerial(40513.35138888889),
            Cell::Float(2.55),
            Cell::Float(17850.0),
            Cell::Text("United Kingdom"),
        ];
        builder.append(position(1), |i| cells[i]).unwrap();
        let batch = builder.finish_batch().unwrap().unwrap();
        assert_eq!(batch.column(1).as_string::<i32>().value(0), "536365");
        assert_eq!(batch.column(4).as_primitive::<Int64Type>().value(0), 6);
        assert_eq!(batch.column(7).as_primitive::<Int64Type>().value(0), 17850);
        let rows: &Int64Array = batch.column(0).as_primitive();
        assert_eq!(rows.value(0), 1);
    }

    #[test]
    fn empty_cells_become_nulls() {
        let mut builder = builder();
        let cells = [
            Cell::Text("536365"),
            Cell::Text("85123A"),
            Cell::Empty,
            Cell::Text("6"),
            Cell::Text("12/1/2010 8:26"),
            Cell::Text("2.55"),
            Cell::Text(""),
            Cell::Text("United Kingdom"),
        ];
        builder.append(position(1), |i| cells[i]).unwrap();
        let batch = builder.finish_batch().unwrap().unwrap();
        assert!(batch.column(3).is_null(0));
        assert!(batch.column(7).is_null(0));
    }

    #[test]
    fn non_numeric_quantity_names_row_and_column() {
        let mut builder = builder();
        let cells = [
            Cell::Text("536365"),
            Cell::Text("85123A"),
            Cell::Text("X"),
            Cell::Text("1O"),
            Cell::Text("12/1/2010 8:26"),
            Cell::Text("2.55"),
            Cell::Text("17850"),
            Cell::Text("United Kingdom"),
        ];
        let error = builder
            .append(position(1042), |i| cells[i])
            .unwrap_err()
            .to_string();
        assert_eq!(
            error,
            "`t.xlsx`, row 1042 (line 1043), column `Quantity`: is not a whole number: `1O`"
        );
    }

    #[test]
    fn fractional_customer_id_is_rejected() {
        let mut builder = builder();
        let cells = [
            Cell::Text("1"),
            Cell::Text("2"),
            Cell::Text("X"),
            Cell::Int(1),
            Cell::Text("2010-12-01"),
            Cell::Float(1.0),
            Cell::Float(17850.5),
            Cell::Text("UK"),
        ];
        let error = builder
            .append(position(3), |i| cells[i])
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("column `CustomerID`: is not a whole number"),
            "{error}"
        );
    }
}
