//! Excel workbooks to canonical batches, through calamine.
//!
//! The sheet is streamed with calamine's cell reader instead of being loaded as a whole
//! range: a range holds every cell of the sheet at once (the real UCI sheet is 212 MB of
//! XML, 4.2 million cells) and is then copied into its dense grid. Decompressing and parsing
//! the XML is most of the work and runs on a thread of its own, which hands rows over in
//! blocks; this thread converts them to canonical batches (and the sink encodes those), so
//! the two halves run side by side on two cores.

use std::io::{Read, Seek};
use std::sync::mpsc;

use calamine::{DataRef, Reader, Xlsx, XlsxCellReader};
use chrono::{NaiveDateTime, TimeDelta};

use super::cells::{CanonicalBuilder, Cell, RecordPosition};
use super::columns::ColumnMapping;
use super::csv_reader::mapping_report;
use super::dates::DateParser;
use super::decimals::DecimalParser;
use super::options::{EVERY_SHEET, IngestOptions};
use super::{ReadOutcome, SheetRows, Sink};
use crate::error::{Error, Result, quoted};

/// Rows the parsing thread hands over at a time: large enough that the hand-over costs
/// nothing next to the rows, small enough that both threads start at once.
const ROWS_PER_BLOCK: usize = 4096;

/// Blocks parsed ahead of the conversion, at most.
const BLOCKS_AHEAD: usize = 4;

/// Reads the configured worksheets (default: the first) of the workbook in `input`, one after
/// another, as one log: `source_row` counts on from one sheet to the next. Each sheet finds
/// its own columns, so sheets may order them differently. Once a sheet settles an
/// automatically detected timestamp order, the sheets after it are read with that order.
pub(crate) fn read_xlsx<R: Read + Seek + Send>(
    input: R,
    shown: &str,
    options: &IngestOptions,
    sink: &mut Sink<'_>,
) -> Result<ReadOutcome> {
    let mut workbook: Xlsx<R> = Xlsx::new(input)
        .map_err(|error| Error::in_file(shown, format!("not a readable xlsx workbook: {error}")))?;
    let every = options.sheet.iter().any(|name| name == EVERY_SHEET);
    let sheets = selected_sheets(&workbook.sheet_names(), &options.sheet, shown)?;
    let mut options = options.clone();
    let mut rows: u64 = 0;
    let mut read: Vec<SheetRows> = Vec::with_capacity(sheets.len());
    let mut date_formats: Vec<String> = Vec::new();
    let mut columns: Vec<(String, String)> = Vec::new();
    for sheet in sheets {
        let sheet_shown = format!("{shown}[{sheet}]");
        let outcome = match read_sheet(&mut workbook, &sheet, &sheet_shown, &options, rows, sink) {
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
        if let Some(order) = super::directory::detected_order(&outcome.date_format) {
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
        encoding: "xlsx".to_owned(),
        delimiter: None,
        decimal_separator: None,
        columns,
        sheets: read,
    })
}

/// The sheets `wanted` names, in reading order: the first sheet when it names none, every
/// sheet in workbook order for [`EVERY_SHEET`], else the named ones in the order given (each
/// once). A name the workbook lacks is an error listing the sheets it has.
fn selected_sheets(names: &[String], wanted: &[String], shown: &str) -> Result<Vec<String>> {
    if names.is_empty() {
        return Err(Error::in_file(shown, "the workbook has no sheets"));
    }
    if wanted.is_empty() {
        return Ok(vec![names[0].clone()]);
    }
    if wanted.iter().any(|name| name == EVERY_SHEET) {
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
enum SheetError {
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
struct SheetOutcome {
    rows: u64,
    date_format: String,
    columns: Vec<(String, String)>,
}

/// Reads one worksheet; its rows are numbered from `rows_before + 1`.
fn read_sheet<R: Read + Seek + Send>(
    workbook: &mut Xlsx<R>,
    sheet: &str,
    shown: &str,
    options: &IngestOptions,
    rows_before: u64,
    sink: &mut Sink<'_>,
) -> std::result::Result<SheetOutcome, SheetError> {
    let unreadable = |error: calamine::XlsxError| {
        Error::in_file(shown, format!("cannot read the sheet: {error}"))
    };
    let mut cells = SheetCells {
        reader: workbook.worksheet_cells_reader(sheet).map_err(unreadable)?,
        pending: None,
        finished: false,
    };
    let mut header = Vec::new();
    if cells.next_row(&mut header).map_err(unreadable)?.is_none() {
        return Err(SheetError::NoData(Error::in_file(
            shown,
            "the sheet is empty",
        )));
    }
    // The table's first column is the header's first filled one; cells left of it have no
    // column name and are not read.
    let origin = header.iter().map(|(column, _)| *column).min().unwrap_or(0);
    let width = header
        .iter()
        .map(|(column, _)| (column - origin) as usize + 1)
        .max()
        .unwrap_or(0);
    let mut headers = vec![String::new(); width];
    for (column, value) in &header {
        headers[(column - origin) as usize] = header_text(value);
    }
    let mapping = ColumnMapping::resolve(shown, &headers, &options.columns)?;
    let mut builder =
        CanonicalBuilder::new(shown, mapping, DateParser::new(options.date_format.clone()))
            .with_decimals(DecimalParser::new(options.decimal, false));

    let (sender, receiver) =
        mpsc::sync_channel::<std::result::Result<Block<'_>, calamine::XlsxError>>(BLOCKS_AHEAD);
    let mut count = rows_before;
    let converted = std::thread::scope(|scope| {
        scope.spawn(move || {
            let layout = Layout { origin, width };
            loop {
                let block = cells.next_block(layout);
                let last = !matches!(&block, Ok(block) if block.rows() == ROWS_PER_BLOCK);
                // A closed channel means the conversion stopped on an error of its own.
                if sender.send(block).is_err() || last {
                    return;
                }
            }
        });
        for block in receiver {
            let block = block.map_err(unreadable)?;
            for (sheet_row, row) in block
                .sheet_rows
                .iter()
                .zip(block.cells.chunks_exact(width.max(1)))
            {
                count += 1;
                builder.append(
                    RecordPosition {
                        row: count,
                        // sheet rows are 1-based
                        line: Some(u64::from(*sheet_row) + 1),
                    },
                    |index| row.get(index).map_or(Cell::Empty, to_cell),
                )?;
                builder.flush_full(sink)?;
            }
        }
        Ok::<(), Error>(())
    });
    converted?;
    if count == rows_before {
        return Err(SheetError::NoData(Error::in_file(
            shown,
            "the sheet has a header but no data rows",
        )));
    }
    if let Some(batch) = builder.finish_batch()? {
        sink(batch)?;
    }
    Ok(SheetOutcome {
        rows: count - rows_before,
        date_format: builder.date_format_settled(),
        columns: mapping_report(builder.mapping()),
    })
}

/// Where the table sits in the sheet: its first column and its number of columns.
#[derive(Debug, Clone, Copy)]
struct Layout {
    origin: u32,
    width: usize,
}

/// Up to [`ROWS_PER_BLOCK`] rows of the table, dense: `width` cells per row, row after row.
struct Block<'a> {
    sheet_rows: Vec<u32>,
    cells: Vec<DataRef<'a>>,
}

impl Block<'_> {
    fn rows(&self) -> usize {
        self.sheet_rows.len()
    }
}

/// The sheet's filled cells, grouped into rows. Rows without a filled cell are skipped, as
/// the sheet shows them: blank.
struct SheetCells<'a, R: Read + Seek> {
    reader: XlsxCellReader<'a, R>,
    /// The first cell of the next row, read while finding where the last one ended.
    pending: Option<calamine::Cell<DataRef<'a>>>,
    /// Whether the reader has reached the end of the sheet's data (reading on is an error).
    finished: bool,
}

impl<'a, R: Read + Seek> SheetCells<'a, R> {
    /// The next filled cell.
    fn next_filled(
        &mut self,
    ) -> std::result::Result<Option<calamine::Cell<DataRef<'a>>>, calamine::XlsxError> {
        if let Some(cell) = self.pending.take() {
            return Ok(Some(cell));
        }
        while !self.finished {
            match self.reader.next_cell()? {
                Some(cell) if matches!(cell.get_value(), DataRef::Empty) => {}
                Some(cell) => return Ok(Some(cell)),
                None => self.finished = true,
            }
        }
        Ok(None)
    }

    /// Reads the next row with a filled cell into `cells` (column, value) and returns its
    /// sheet row; `None` at the end of the sheet.
    fn next_row(
        &mut self,
        cells: &mut Vec<(u32, DataRef<'a>)>,
    ) -> std::result::Result<Option<u32>, calamine::XlsxError> {
        cells.clear();
        let Some(first) = self.next_filled()? else {
            return Ok(None);
        };
        let (row, column) = first.get_position();
        cells.push((column, first.get_value().clone()));
        while let Some(cell) = self.next_filled()? {
            if cell.get_position().0 != row {
                self.pending = Some(cell);
                break;
            }
            cells.push((cell.get_position().1, cell.get_value().clone()));
        }
        Ok(Some(row))
    }

    /// The next [`ROWS_PER_BLOCK`] rows (fewer at the end of the sheet), laid out densely.
    fn next_block(
        &mut self,
        layout: Layout,
    ) -> std::result::Result<Block<'a>, calamine::XlsxError> {
        let mut block = Block {
            sheet_rows: Vec::with_capacity(ROWS_PER_BLOCK),
            cells: Vec::with_capacity(ROWS_PER_BLOCK * layout.width),
        };
        let mut row_cells = Vec::new();
        while block.rows() < ROWS_PER_BLOCK {
            let Some(row) = self.next_row(&mut row_cells)? else {
                break;
            };
            let start = block.cells.len();
            block.cells.resize(start + layout.width, DataRef::Empty);
            for (column, value) in row_cells.drain(..) {
                if let Some(offset) = column.checked_sub(layout.origin)
                    && (offset as usize) < layout.width
                {
                    block.cells[start + offset as usize] = value;
                }
            }
            block.sheet_rows.push(row);
        }
        Ok(block)
    }
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
