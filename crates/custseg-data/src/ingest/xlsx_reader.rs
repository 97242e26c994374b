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

use super::cells::{Cell, RecordPosition};
use super::format::Format;
use super::options::IngestOptions;
use super::workbook::{
    Layout, SheetError, SheetOutcome, finish_sheet, header_text, read_sheets, to_cell,
};
use super::{ReadOutcome, Sink};
use crate::error::{Error, Result};

/// Rows the parsing thread hands over at a time: large enough that the hand-over costs
/// nothing next to the rows, small enough that both threads start at once.
const ROWS_PER_BLOCK: usize = 4096;

/// Blocks parsed ahead of the conversion, at most.
const BLOCKS_AHEAD: usize = 4;

/// Reads the configured worksheets (default: the first) of the workbook in `input` as one
/// log (see [`read_sheets`]).
pub(crate) fn read_xlsx<R: Read + Seek + Send>(
    input: R,
    shown: &str,
    options: &IngestOptions,
    sink: &mut Sink<'_>,
) -> Result<ReadOutcome> {
    let mut workbook: Xlsx<R> = Xlsx::new(input)
        .map_err(|error| Error::in_file(shown, format!("not a readable xlsx workbook: {error}")))?;
    let names = workbook.sheet_names();
    read_sheets(
        Format::Xlsx,
        shown,
        &names,
        options,
        sink,
        |sheet, shown, options, rows_before, sink| {
            read_sheet(&mut workbook, sheet, shown, options, rows_before, sink)
        },
    )
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
    let names: Vec<(u32, String)> = header
        .iter()
        .map(|(column, value)| (*column, header_text(value)))
        .collect();
    let (layout, mut builder) = Layout::from_header(&names, shown, options)?;
    let width = layout.width;

    let (sender, receiver) =
        mpsc::sync_channel::<std::result::Result<Block<'_>, calamine::XlsxError>>(BLOCKS_AHEAD);
    let mut count = rows_before;
    let converted = std::thread::scope(|scope| {
        scope.spawn(move || {
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
    finish_sheet(builder, shown, count - rows_before, sink)
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
