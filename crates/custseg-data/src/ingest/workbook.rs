//! What the workbook readers (xlsx; xls and ods) share: choosing the sheets, reading
//! them one after another as one log, finding a sheet's table under its header row, and
//! converting calamine's cell values.
//!
//! The chosen sheets are read in order; `source_row` counts on from one sheet to the next.
//! Each sheet finds its own columns, so sheets may order or name them differently. Once a
//! sheet settles an automatically detected timestamp order, the sheets after it are read
//! with that order.

use calamine::{Data, DataRef, ExcelDateTime};
use chrono::{NaiveDateTime, TimeDelta};

use super::cells::{CanonicalBuilder, Cell};
use super::columns::ColumnMapping;
use super::csv_reader::mapping_report;
use super::dates::{DateParser, detected_order};
use super::decimals::DecimalParser;
use super::format::Format;
use super::options::{EVERY_SHEET, IngestOptions};
use super::{ReadOutcome, SheetRows, Sink};
use crate::error::{Error, Result, quoted};

/// Reads the sheets `options` chooses among the `format` workbook's `names` with `read_sheet`
/// (called with the sheet's name, its name as errors show it, the options, the rows read
/// before it and the sink), and sums up what they gave.
pub(crate) fn read_sheets(
    format: Format,
    shown: &str,
    names: &[String],
    options: &IngestOptions,
    sink: &mut Sink<'_>,
    mut read_sheet: impl FnMut(
        &str,
        &str,
        &IngestOptions,
        u64,
        &mut Sink<'_>,
    ) -> std::result::Result<SheetOutcome, SheetError>,
) -> Result<ReadOutcome> {
    let every = options.sheet.iter().any(|name| name == EVERY_SHEET);
    let sheets = selected_sheets(names, &options.sheet, every, shown)?;
    let mut options = options.clone();
    let mut rows: u64 = 0;
    let mut read: Vec<SheetRows> = Vec::with_capacity(sheets.len());
    let mut date_formats: Vec<String> = Vec::new();
    let mut columns: Vec<(String, String)> = Vec::new();
    for sheet in sheets {
        let sheet_shown = format!("{shown}[{sheet}]");
        let outcome = match read_sheet(&sheet, &sheet_shown, &options, rows, sink) {
            Ok(outcome) => outcome,
            // With every sheet asked for, a sheet without data (a blank or header-only
            // sheet, such as a template) is passed over and reported with 0 rows.
            Err(SheetError::NoData(_)) if every => {
                tracing::warn!(sheet = %sheet_shown, "sheet has no data rows; passed over");
                read.push(SheetRows {
                    name: sheet,
                    rows: 0,
                });
                continue;
            }
            Err(SheetError::NoData(error) | SheetError::Other(error)) => return Err(error),
        };
        rows += outcome.rows;
        if let Some(order) = detected_order(&outcome.date_format) {
            options.date_format = order;
        }
        if !date_formats.contains(&outcome.date_format) {
            date_formats.push(outcome.date_format);
        }
        merge_columns(&mut columns, outcome.columns);
        read.push(SheetRows {
            name: sheet,
            rows: outcome.rows,
        });
    }
    if rows == 0 {
        return Err(Error::in_file(
            shown,
            format!(
                "no sheet has data rows (read {})",
                quoted(
                    &read
                        .iter()
                        .map(|sheet| sheet.name.clone())
                        .collect::<Vec<_>>()
                )
            ),
        ));
    }
    Ok(ReadOutcome {
        rows,
        date_format: date_formats.join("; "),
        encoding: format.name().to_owned(),
        delimiter: None,
        decimal_separator: None,
        columns,
        sheets: read,
    })
}

/// The sheets `wanted` names, in reading order: the first sheet when it names none, every
/// sheet in workbook order when `every` (it holds [`EVERY_SHEET`]), else the named ones in
/// the order given (each once). A name the workbook lacks is an error listing the sheets it
/// has.
fn selected_sheets(
    names: &[String],
    wanted: &[String],
    every: bool,
    shown: &str,
) -> Result<Vec<String>> {
    if names.is_empty() {
        return Err(Error::in_file(shown, "the workbook has no sheets"));
    }
    if wanted.is_empty() {
        return Ok(vec![names[0].clone()]);
    }
    if every {
        return Ok(names.to_vec());
    }
    let mut selected: Vec<String> = Vec::with_capacity(wanted.len());
    for name in wanted {
        if !names.contains(name) {
            return Err(Error::in_file(
                shown,
                format!(
                    "no sheet named `{name}`; the workbook has {}",
                    quoted(names)
                ),
            ));
        }
        if !selected.contains(name) {
            selected.push(name.clone());
        }
    }
    Ok(selected)
}

/// Adds one sheet's column mapping to `columns`: a canonical column that a later sheet
/// takes from a differently named input column lists both names (`Invoice | InvoiceNo`).
fn merge_columns(columns: &mut Vec<(String, String)>, sheet: Vec<(String, String)>) {
    for (canonical, input) in sheet {
        match columns.iter_mut().find(|(known, _)| *known == canonical) {
            Some((_, inputs)) => {
                if !inputs.split(" | ").any(|name| name == input) {
                    inputs.push_str(" | ");
                    inputs.push_str(&input);
                }
            }
            None => columns.push((canonical, input)),
        }
    }
}

/// Why a sheet could not be read.
pub(crate) enum SheetError {
    /// The sheet is blank or has a header but no data rows.
    NoData(Error),
    /// Anything else: unreadable XML, missing columns, a bad cell.
    Other(Error),
}

impl From<Error> for SheetError {
    fn from(error: Error) -> Self {
        Self::Other(error)
    }
}

/// What one sheet gave.
pub(crate) struct SheetOutcome {
    pub(crate) rows: u64,
    pub(crate) date_format: String,
    pub(crate) columns: Vec<(String, String)>,
}

/// Where a sheet's table sits: its first column and its number of columns, taken from the
/// header row (its first filled row). Cells left of the header's first filled one have no
/// column name and are not read.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Layout {
    /// Sheet column of the table's first column.
    pub(crate) origin: u32,
    /// Columns of the table.
    pub(crate) width: usize,
}

impl Layout {
    /// The table under `header` (sheet column, name), and the builder of its canonical
    /// rows.
    pub(crate) fn from_header(
        header: &[(u32, String)],
        shown: &str,
        options: &IngestOptions,
    ) -> Result<(Self, CanonicalBuilder)> {
        let origin = header.iter().map(|(column, _)| *column).min().unwrap_or(0);
        let width = header
            .iter()
            .map(|(column, _)| (column - origin) as usize + 1)
            .max()
            .unwrap_or(0);
        let mut headers = vec![String::new(); width];
        for (column, name) in header {
            headers[(column - origin) as usize] = name.clone();
        }
        let mapping = ColumnMapping::resolve(shown, &headers, &options.columns)?;
        let builder =
            CanonicalBuilder::new(shown, mapping, DateParser::new(options.date_format.clone()))
                .with_decimals(DecimalParser::new(options.decimal, false));
        Ok((Self { origin, width }, builder))
    }
}

/// Ends a sheet of `rows` data rows: hands its last batch to the sink and says what it gave.
pub(crate) fn finish_sheet(
    mut builder: CanonicalBuilder,
    shown: &str,
    rows: u64,
    sink: &mut Sink<'_>,
) -> std::result::Result<SheetOutcome, SheetError> {
    if rows == 0 {
        return Err(SheetError::NoData(Error::in_file(
            shown,
            "the sheet has a header but no data rows",
        )));
    }
    if let Some(batch) = builder.finish_batch()? {
        sink(batch)?;
    }
    Ok(SheetOutcome {
        rows,
        date_format: builder.date_format_settled(),
        columns: mapping_report(builder.mapping()),
    })
}

/// A header cell's text, trimmed.
pub(crate) fn header_text(cell: &DataRef<'_>) -> String {
    match cell {
        DataRef::String(text) => text.trim().to_owned(),
        DataRef::SharedString(text) => text.trim().to_owned(),
        DataRef::Empty => String::new(),
        DataRef::Int(value) => value.to_string(),
        DataRef::Float(value) => value.to_string(),
        other => format!("{other:?}"),
    }
}

/// A cell value as the canonical builder takes it.
pub(crate) fn to_cell<'a>(cell: &'a DataRef<'a>) -> Cell<'a> {
    match cell {
        DataRef::Empty => Cell::Empty,
        DataRef::Int(value) => Cell::Int(*value),
        DataRef::Float(value) => Cell::Float(*value),
        DataRef::String(text) | DataRef::DateTimeIso(text) | DataRef::DurationIso(text) => {
            Cell::Text(text)
        }
        DataRef::SharedString(text) => Cell::Text(text),
        DataRef::Bool(true) => Cell::Text("TRUE"),
        DataRef::Bool(false) => Cell::Text("FALSE"),
        DataRef::DateTime(value) => date_time_cell(value),
        DataRef::Error(_) => Cell::Text("#ERROR"),
    }
}

/// [`to_cell`] for the owned values of a loaded range (xls, ods).
pub(crate) fn data_cell(cell: &Data) -> Cell<'_> {
    match cell {
        Data::Empty => Cell::Empty,
        Data::Int(value) => Cell::Int(*value),
        Data::Float(value) => Cell::Float(*value),
        Data::String(text) | Data::DateTimeIso(text) | Data::DurationIso(text) => Cell::Text(text),
        Data::Bool(true) => Cell::Text("TRUE"),
        Data::Bool(false) => Cell::Text("FALSE"),
        Data::DateTime(value) => date_time_cell(value),
        Data::Error(_) => Cell::Text("#ERROR"),
    }
}

/// A cell formatted as a date: its moment, or its serial number when calamine cannot tell
/// one (a duration, say).
fn date_time_cell(value: &ExcelDateTime) -> Cell<'static> {
    match value.as_datetime() {
        Some(moment) => Cell::DateTime(round_to_second(moment)),
        None => Cell::ExcelSerial(value.as_f64()),
    }
}

/// Excel keeps times as fractions of a day; round to the second so that a workbook
/// and its CSV export give the same timestamps.
fn round_to_second(moment: NaiveDateTime) -> NaiveDateTime {
    let nanos = i64::from(moment.and_utc().timestamp_subsec_nanos());
    let truncated = moment - TimeDelta::nanoseconds(nanos);
    if nanos >= 500_000_000 {
        truncated + TimeDelta::seconds(1)
    } else {
        truncated
    }
}
