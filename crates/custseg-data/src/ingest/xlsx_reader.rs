//! Excel workbooks to canonical batches, through calamine.

use std::io::{Read, Seek};

use calamine::{DataRef, Reader, ReaderRef, Xlsx};
use chrono::{NaiveDateTime, TimeDelta};

use super::cells::{CanonicalBuilder, Cell, RecordPosition};
use super::columns::ColumnMapping;
use super::csv_reader::mapping_report;
use super::dates::DateParser;
use super::options::IngestOptions;
use super::{ReadOutcome, Sink};
use crate::error::{Error, Result, quoted};

/// Reads the configured (or first) worksheet of the workbook in `input`.
pub(crate) fn read_xlsx<R: Read + Seek>(
    input: R,
    shown: &str,
    options: &IngestOptions,
    sink: &mut Sink<'_>,
) -> Result<ReadOutcome> {
    let mut workbook: Xlsx<R> = Xlsx::new(input)
        .map_err(|error| Error::in_file(shown, format!("not a readable xlsx workbook: {error}")))?;
    let names = workbook.sheet_names();
    let sheet = match &options.sheet {
        Some(wanted) => names
            .iter()
            .find(|name| *name == wanted)
            .cloned()
            .ok_or_else(|| {
                Error::in_file(
                    shown,
                    format!(
                        "no sheet named `{wanted}`; the workbook has {}",
                        quoted(&names)
                    ),
                )
            })?,
        None => names
            .first()
            .cloned()
            .ok_or_else(|| Error::in_file(shown, "the workbook has no sheets"))?,
    };
    let shown = format!("{shown}[{sheet}]");
    let range = workbook
        .worksheet_range_ref(&sheet)
        .map_err(|error| Error::in_file(&shown, format!("cannot read the sheet: {error}")))?;
    let first_sheet_row = range.start().map(|(row, _)| row).unwrap_or(0);
    let mut rows = range.rows();
    let Some(header_row) = rows.next() else {
        return Err(Error::in_file(&shown, "the sheet is empty"));
    };
    let headers: Vec<String> = header_row.iter().map(header_text).collect();
    if headers.iter().all(String::is_empty) {
        return Err(Error::in_file(&shown, "the sheet is empty"));
    }
    let mapping = ColumnMapping::resolve(&shown, &headers, &options.columns)?;
    let mut builder = CanonicalBuilder::new(
        &shown,
        mapping,
        DateParser::new(options.date_format.clone()),
    );
    let mut count: u64 = 0;
    for (offset, cells) in rows.enumerate() {
        if cells.iter().all(|cell| matches!(cell, DataRef::Empty)) {
            continue;
        }
        count += 1;
        // sheet rows are 1-based; the header is the range's first row
        let line = u64::from(first_sheet_row) + offset as u64 + 2;
        builder.append(
            RecordPosition {
                row: count,
                line: Some(line),
            },
            |index| cells.get(index).map_or(Cell::Empty, to_cell),
        )?;
        builder.flush_full(sink)?;
    }
    if count == 0 {
        return Err(Error::in_file(
            &shown,
            "the sheet has a header but no data rows",
        ));
    }
    if let Some(batch) = builder.finish_batch()? {
        sink(batch)?;
    }
    Ok(ReadOutcome {
        rows: count,
        date_format: builder.date_format_settled(),
        encoding: "xlsx".to_owned(),
        delimiter: None,
        columns: mapping_report(builder.mapping()),
    })
}

fn header_text(cell: &DataRef<'_>) -> String {
    match cell {
        DataRef::String(text) => text.trim().to_owned(),
        DataRef::SharedString(text) => text.trim().to_owned(),
        DataRef::Empty => String::new(),
        DataRef::Int(value) => value.to_string(),
        DataRef::Float(value) => value.to_string(),
        other => format!("{other:?}"),
    }
}

fn to_cell<'a>(cell: &'a DataRef<'a>) -> Cell<'a> {
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
        DataRef::DateTime(value) => match value.as_datetime() {
            Some(moment) => Cell::DateTime(round_to_second(moment)),
            None => Cell::ExcelSerial(value.as_f64()),
        },
        DataRef::Error(_) => Cell::Text("#ERROR"),
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
