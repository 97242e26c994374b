//! Workbooks calamine loads sheet by sheet as a whole range: legacy Excel (`.xls`: BIFF8
//! records in an OLE compound file) and OpenDocument spreadsheets (`.ods`, as LibreOffice
//! saves them). calamine has no cell streaming for these formats; a legacy xls sheet holds at
//! most 65,536 rows, and ods files are rarely large. Sheet selection, column mapping and cell
//! conversion are those of the xlsx reader (see `workbook.rs`).

use std::fmt::Display;
use std::io::{Read, Seek};

use calamine::{Data, DataType, Ods, Range, Reader, Xls};

use super::cells::{Cell, RecordPosition};
use super::format::Format;
use super::options::IngestOptions;
use super::workbook::{Layout, SheetError, SheetOutcome, data_cell, finish_sheet, read_sheets};
use super::{ReadOutcome, Sink};
use crate::error::{Error, Result};

/// Reads the configured worksheets (default: the first) of the legacy workbook in `input`
/// as one log (see `workbook::read_sheets`).
pub(crate) fn read_xls<R: Read + Seek>(
    input: R,
    shown: &str,
    options: &IngestOptions,
    sink: &mut Sink<'_>,
) -> Result<ReadOutcome> {
    let workbook: Xls<R> = Xls::new(input)
        .map_err(|error| Error::in_file(shown, format!("not a readable xls workbook: {error}")))?;
    read_workbook(workbook, Format::Xls, shown, options, sink)
}

/// [`read_xls`] for an OpenDocument spreadsheet.
pub(crate) fn read_ods<R: Read + Seek>(
    input: R,
    shown: &str,
    options: &IngestOptions,
    sink: &mut Sink<'_>,
) -> Result<ReadOutcome> {
    let workbook: Ods<R> = Ods::new(input).map_err(|error| {
        Error::in_file(shown, format!("not a readable ods spreadsheet: {error}"))
    })?;
    read_workbook(workbook, Format::Ods, shown, options, sink)
}

fn read_workbook<R: Read + Seek, W: Reader<R>>(
    mut workbook: W,
    format: Format,
    shown: &str,
    options: &IngestOptions,
    sink: &mut Sink<'_>,
) -> Result<ReadOutcome>
where
    W::Error: Display,
{
    let names = workbook.sheet_names();
    read_sheets(
        format,
        shown,
        &names,
        options,
        sink,
        |sheet, shown, options, rows_before, sink| {
            let range = workbook.worksheet_range(sheet).map_err(|error| {
                Error::in_file(shown, format!("cannot read the sheet: {error}"))
            })?;
            read_range(&range, shown, options, rows_before, sink)
        },
    )
}

/// Converts one loaded sheet; its rows are numbered from `rows_before + 1`. As in an xlsx,
/// the first row with a filled cell is the header, and rows without one are skipped.
fn read_range(
    range: &Range<Data>,
    shown: &str,
    options: &IngestOptions,
    rows_before: u64,
    sink: &mut Sink<'_>,
) -> std::result::Result<SheetOutcome, SheetError> {
    let empty = || SheetError::NoData(Error::in_file(shown, "the sheet is empty"));
    let (first_row, first_column) = range.start().ok_or_else(empty)?;
    let mut rows = (first_row..)
        .zip(range.rows())
        .filter(|(_, cells)| cells.iter().any(|cell| !cell.is_empty()));
    let (_, header_cells) = rows.next().ok_or_else(empty)?;
    let header: Vec<(u32, String)> = (first_column..)
        .zip(header_cells)
        .filter(|(_, cell)| !cell.is_empty())
        .map(|(column, cell)| (column, cell.to_string().trim().to_owned()))
        .collect();
    let (layout, mut builder) = Layout::from_header(&header, shown, options)?;
    // The table's first column, as an index into the range's rows.
    let skip = (layout.origin - first_column) as usize;
    let mut count = rows_before;
    for (sheet_row, cells) in rows {
        count += 1;
        builder.append(
            RecordPosition {
                row: count,
                // sheet rows are 0-based here, 1-based as Excel shows them
                line: Some(u64::from(sheet_row) + 1),
            },
            |index| cells.get(skip + index).map_or(Cell::Empty, data_cell),
        )?;
        builder.flush_full(sink)?;
    }
    finish_sheet(builder, shown, count - rows_before, sink)
}
