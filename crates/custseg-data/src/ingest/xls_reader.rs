//! Legacy Excel workbooks (`.xls`: BIFF8 records in an OLE compound file) to canonical
//! batches, through calamine.
//!
//! calamine reads an xls workbook's sheets whole (it has no cell streaming for this format);
//! a legacy sheet holds at most 65,536 rows, so that is a few MB at most. Sheet selection,
//! column mapping and cell conversion are those of the xlsx reader (see `workbook.rs`).

use std::io::{Read, Seek};

use calamine::{Data, DataType, Range, Reader, Xls};

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
    let mut workbook: Xls<R> = Xls::new(input)
        .map_err(|error| Error::in_file(shown, format!("not a readable xls workbook: {error}")))?;
    let names = workbook.sheet_names();
    read_sheets(
        Format::Xls,
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
