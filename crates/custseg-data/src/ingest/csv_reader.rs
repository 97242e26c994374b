//! Delimited text (plain or gzip) to canonical batches.
//!
//! Tokenising is the `csv` crate's; the conversion is ours because it has to
//! decode Latin-1, read month-first dates and name the row and column of every
//! bad value, none of which arrow's CSV reader does.

use std::borrow::Cow;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use super::cells::{CanonicalBuilder, Cell, RecordPosition};
use super::columns::ColumnMapping;
use super::dates::DateParser;
use super::decimals::DecimalParser;
use super::options::{Encoding, IngestOptions};
use super::{ReadOutcome, Sink};
use crate::error::{Error, Location, Result};

/// Reads delimited text from `input` (already decompressed); `shown` names it in errors.
pub(crate) fn read_csv(
    input: impl Read,
    shown: &str,
    compressed: bool,
    options: &IngestOptions,
    sink: &mut Sink<'_>,
) -> Result<ReadOutcome> {
    let Some((delimiter, mut reader)) = open_reader(input, shown, compressed, options)? else {
        return Err(Error::in_file(shown, "the file is empty"));
    };

    let mut decoder = Decoder::new(options.encoding);
    let mut record = csv::ByteRecord::new();
    let has_header = reader
        .read_byte_record(&mut record)
        .map_err(|error| csv_error(shown, compressed, 0, error))?;
    if !has_header {
        return Err(Error::in_file(shown, "the file is empty"));
    }
    let headers: Vec<String> = record
        .iter()
        .enumerate()
        .map(|(index, field)| {
            decoder
                .decode(
                    field,
                    shown,
                    0,
                    Some(1),
                    &format!("header field {}", index + 1),
                )
                .map(|text| header_name(&text))
        })
        .collect::<Result<_>>()?;
    let mapping = ColumnMapping::resolve(shown, &headers, &options.columns)?;
    // Where the comma separates fields, auto-detection never reads it as a decimal comma.
    let mut builder =
        CanonicalBuilder::new(shown, mapping, DateParser::new(options.date_format.clone()))
            .with_decimals(DecimalParser::new(options.decimal, delimiter != b','));

    let mut row: u64 = 0;
    let mut scratch: Vec<String> = vec![String::new(); headers.len()];
    loop {
        let more = reader
            .read_byte_record(&mut record)
            .map_err(|error| csv_error(shown, compressed, row + 1, error))?;
        if !more {
            break;
        }
        let line = record.position().map(|position| position.line());
        if record.len() == 1 && record.get(0).is_some_and(<[u8]>::is_empty) {
            continue; // a blank line is not a record
        }
        row += 1;
        if record.len() != headers.len() {
            return Err(Error::Input {
                location: Location {
                    file: shown.to_owned(),
                    row: Some(row),
                    line,
                    column: None,
                },
                message: format!(
                    "has {} fields, the header has {} (is the delimiter `{}` right? set `--delimiter`)",
                    record.len(),
                    headers.len(),
                    char::from(delimiter).escape_default()
                ),
            });
        }
        let position = RecordPosition { row, line };
        if decoder.is_utf8() {
            // Validate the whole record at once and borrow its fields: no copies.
            match csv::StringRecord::from_byte_record(std::mem::take(&mut record)) {
                Ok(text) => {
                    builder.append(position, |index| Cell::Text(&text[index]))?;
                    record = text.into_byte_record();
                    builder.flush_full(sink)?;
                    continue;
                }
                Err(error) => {
                    let field = error.utf8_error().field();
                    record = error.into_byte_record();
                    let bytes = record.get(field).unwrap_or_default();
                    decoder.decode(bytes, shown, row, line, &headers[field])?;
                }
            }
        }
        for (slot, field) in scratch.iter_mut().zip(record.iter()) {
            slot.clear();
            slot.push_str(
                &encoding_rs::WINDOWS_1252
                    .decode_without_bom_handling(field)
                    .0,
            );
        }
        builder.append(position, |index| Cell::Text(&scratch[index]))?;
        builder.flush_full(sink)?;
    }
    if row == 0 {
        return Err(Error::in_file(
            shown,
            "the file has a header but no data rows",
        ));
    }
    if let Some(batch) = builder.finish_batch()? {
        sink(batch)?;
    }
    Ok(ReadOutcome {
        rows: row,
        date_format: builder.date_format_settled(),
        encoding: decoder.settled(),
        delimiter: Some(char::from(delimiter)),
        decimal_separator: Some(builder.decimal_separator_settled()),
        columns: mapping_report(builder.mapping()),
        sheets: Vec::new(),
    })
}

/// The delimiter and the header names of the delimited text file `path` (gzip when
/// `compressed`), as [`read_csv`] settles them, or `None` when the file is empty or its
/// header is not UTF-8 (then only [`read_csv`] can read it).
pub(crate) fn read_header(
    path: &Path,
    compressed: bool,
    options: &IngestOptions,
) -> Result<Option<(u8, Vec<String>)>> {
    let file = std::fs::File::open(path).map_err(|source| Error::io(path, source))?;
    let input: Box<dyn Read> = if compressed {
        Box::new(flate2::read::MultiGzDecoder::new(file))
    } else {
        Box::new(file)
    };
    let shown = path.display().to_string();
    let Some((delimiter, mut reader)) = open_reader(input, &shown, compressed, options)? else {
        return Ok(None);
    };
    let mut record = csv::ByteRecord::new();
    if !reader
        .read_byte_record(&mut record)
        .map_err(|error| csv_error(&shown, compressed, 0, error))?
    {
        return Ok(None);
    }
    let headers: Option<Vec<String>> = record
        .iter()
        .map(|field| std::str::from_utf8(field).ok().map(header_name))
        .collect();
    Ok(headers.map(|headers| (delimiter, headers)))
}

/// A reader of the records of `input` with its delimiter settled (set, or sniffed from the
/// first block), or `None` when the input holds only white space.
fn open_reader<R: Read>(
    input: R,
    shown: &str,
    compressed: bool,
    options: &IngestOptions,
) -> Result<Option<(u8, csv::Reader<BufReader<R>>)>> {
    let mut buffered = BufReader::with_capacity(1 << 20, input);
    let head = buffered
        .fill_buf()
        .map_err(|error| stream_error(shown, compressed, 0, &error))?;
    if head.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let delimiter = choose_delimiter(options, head)?;
    let reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(buffered);
    Ok(Some((delimiter, reader)))
}

/// The text encoding [`read_csv`] reports for a file it read as UTF-8 throughout.
pub(crate) fn utf8_encoding_outcome(encoding: Encoding) -> String {
    Decoder::new(encoding).settled()
}

/// The delimiter set in `options`, or the one sniffed from the start of the file.
fn choose_delimiter(options: &IngestOptions, head: &[u8]) -> Result<u8> {
    match options.delimiter {
        Some(delimiter) => u8::try_from(delimiter).map_err(|_| {
            Error::Config(format!(
                "the delimiter `{delimiter}` must be a single ASCII character"
            ))
        }),
        None => Ok(sniff_delimiter(head)),
    }
}

/// A header field as a column name: trimmed, without a byte-order mark.
fn header_name(text: &str) -> String {
    text.trim().trim_start_matches('\u{feff}').to_owned()
}

/// Which input column feeds each canonical column, for the quality report.
pub(crate) fn mapping_report(mapping: &ColumnMapping) -> Vec<(String, String)> {
    crate::schema::RawColumn::ALL
        .iter()
        .map(|column| {
            (
                column.name().to_owned(),
                mapping.input_name(*column).to_owned(),
            )
        })
        .collect()
}

/// Picks the delimiter that occurs most often, outside quotes, on the header line.
fn sniff_delimiter(head: &[u8]) -> u8 {
    let line_end = head
        .iter()
        .position(|byte| *byte == b'\n')
        .unwrap_or(head.len());
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for byte in &head[..line_end] {
        match byte {
            b'"' => quoted = !quoted,
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let candidates = [b',', b';', b'\t'];
    let best = (0..3)
        .max_by_key(|index| (counts[*index], 3 - index))
        .unwrap_or(0);
    if counts[best] == 0 {
        b','
    } else {
        candidates[best]
    }
}

/// Decodes fields in the configured encoding, switching once in `auto` mode.
struct Decoder {
    encoding: Encoding,
    switched_at: Option<u64>,
}

impl Decoder {
    fn new(encoding: Encoding) -> Self {
        Self {
            encoding,
            switched_at: None,
        }
    }

    /// Whether fields are (still) read as UTF-8.
    fn is_utf8(&self) -> bool {
        self.encoding != Encoding::Latin1 && self.switched_at.is_none()
    }

    fn settled(&self) -> String {
        match (self.encoding, self.switched_at) {
            (Encoding::Auto, Some(row)) => format!("windows-1252 (detected at row {row})"),
            (Encoding::Auto, None) => "utf-8 (detected)".to_owned(),
            (encoding, _) => encoding.to_string(),
        }
    }

    fn decode<'a>(
        &mut self,
        bytes: &'a [u8],
        shown: &str,
        row: u64,
        line: Option<u64>,
        column: &str,
    ) -> Result<Cow<'a, str>> {
        if self.encoding == Encoding::Latin1 || self.switched_at.is_some() {
            return Ok(encoding_rs::WINDOWS_1252
                .decode_without_bom_handling(bytes)
                .0);
        }
        match std::str::from_utf8(bytes) {
            Ok(text) => Ok(Cow::Borrowed(text)),
            Err(error) if self.encoding == Encoding::Auto => {
                tracing::warn!(
                    file = shown,
                    row,
                    offset = error.valid_up_to(),
                    "input is not UTF-8; reading it as Windows-1252 (Latin-1) from here on"
                );
                self.switched_at = Some(row.max(1));
                Ok(encoding_rs::WINDOWS_1252
                    .decode_without_bom_handling(bytes)
                    .0)
            }
            Err(error) => {
                let byte = bytes[error.valid_up_to()];
                Err(Error::Input {
                    location: Location {
                        file: shown.to_owned(),
                        row: (row > 0).then_some(row),
                        line,
                        column: Some(column.to_owned()),
                    },
                    message: format!(
                        "invalid UTF-8 (byte 0x{byte:02X} after `{}`); if the file is Latin-1 or \
                         Windows-1252, pass `--encoding latin-1` (or `--encoding auto`)",
                        String::from_utf8_lossy(&bytes[..error.valid_up_to()])
                    ),
                })
            }
        }
    }
}

fn stream_error(shown: &str, compressed: bool, row: u64, error: &std::io::Error) -> Error {
    let what = if compressed {
        "cannot decompress: the gzip data is truncated or corrupt"
    } else {
        "cannot read the file"
    };
    Error::Input {
        location: Location {
            file: shown.to_owned(),
            row: (row > 0).then_some(row),
            line: None,
            column: None,
        },
        message: format!("{what} ({error})"),
    }
}

fn csv_error(shown: &str, compressed: bool, row: u64, error: csv::Error) -> Error {
    match error.into_kind() {
        csv::ErrorKind::Io(io) => stream_error(shown, compressed, row, &io),
        other => Error::Input {
            location: Location {
                file: shown.to_owned(),
                row: (row > 0).then_some(row),
                line: None,
                column: None,
            },
            message: format!("malformed CSV: {other:?}"),
        },
    }
}

/// Reads gzip-compressed delimited text.
pub(crate) fn read_csv_gz(
    input: impl Read + Send,
    shown: &str,
    options: &IngestOptions,
    sink: &mut Sink<'_>,
) -> Result<ReadOutcome> {
    // Decompression runs ahead on a thread of its own (see `read_ahead`).
    super::read_ahead::read_ahead(flate2::read::MultiGzDecoder::new(input), |text| {
        read_csv(text, shown, true, options, sink)
    })
}

/// Collects the batches of a CSV read, for tests.
#[cfg(test)]
pub(crate) fn read_csv_bytes(
    bytes: &[u8],
    options: &IngestOptions,
) -> Result<(Vec<arrow::record_batch::RecordBatch>, ReadOutcome)> {
    let mut batches = Vec::new();
    let outcome = read_csv(bytes, "test.csv", false, options, &mut |batch| {
        batches.push(batch);
        Ok(())
    })?;
    Ok((batches, outcome))
}

#[cfg(test)]
mod tests {
    use arrow::array::AsArray;
    use arrow::datatypes::{Float64Type, Int64Type, TimestampMicrosecondType};

    use super::*;

    const HEADER: &str =
        "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n";

    #[test]
    fn uci_rows_are_read_with_their_types() {
        let text = format!(
            "{HEADER}536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,12/1/2010 8:26,2.55,17850,United Kingdom\n\
             C536379,D,Discount,-1,12/1/2010 9:41,27.5,14527,United Kingdom\n\
             536414,22139,,56,12/1/2010 11:52,0,,United Kingdom\n"
        );
        let (batches, outcome) =
            read_csv_bytes(text.as_bytes(), &IngestOptions::default()).unwrap();
        assert_eq!(outcome.rows, 3);
        assert_eq!(outcome.delimiter, Some(','));
        let batch = &batches[0];
        assert_eq!(batch.column(1).as_string::<i32>().value(1), "C536379");
        assert_eq!(batch.column(4).as_primitive::<Int64Type>().value(1), -1);
        assert_eq!(batch.column(6).as_primitive::<Float64Type>().value(0), 2.55);
        assert!(batch.column(3).is_null(2));
        assert!(batch.column(7).is_null(2));
        let micros = batch
            .column(5)
            .as_primitive::<TimestampMicrosecondType>()
            .value(0);
        assert_eq!(micros, 1_291_191_960_000_000); // 2010-12-01 08:26:00
    }

    #[test]
    fn semicolon_and_tab_delimiters_are_detected() {
        for delimiter in [";", "\t"] {
            let text = format!(
                "{}1;2;X;3;2010-12-01 08:00;1,5;7;UK\n",
                HEADER.replace(',', delimiter)
            )
            .replace(';', delimiter)
            .replace("1,5", "1.5");
            let (batches, outcome) =
                read_csv_bytes(text.as_bytes(), &IngestOptions::default()).unwrap();
            assert_eq!(outcome.delimiter, delimiter.chars().next());
            assert_eq!(batches[0].num_rows(), 1);
        }
    }

    #[test]
    fn quoted_fields_keep_their_commas() {
        let text = format!("{HEADER}1,2,\"SET OF 3, RED\",3,2010-12-01,1.5,7,UK\n");
        let (batches, _) = read_csv_bytes(text.as_bytes(), &IngestOptions::default()).unwrap();
        assert_eq!(
            batches[0].column(3).as_string::<i32>().value(0),
            "SET OF 3, RED"
        );
    }

    #[test]
    fn latin1_needs_the_encoding_option() {
        let mut bytes = HEADER.as_bytes().to_vec();
        bytes.extend_from_slice(b"1,2,CAF\xC9 MUG,3,2010-12-01,1.5,7,UK\n");
        let error = read_csv_bytes(&bytes, &IngestOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("row 1 (line 2), column `Description`: invalid UTF-8 (byte 0xC9"),
            "{error}"
        );
        let options = IngestOptions {
            encoding: Encoding::Latin1,
            ..IngestOptions::default()
        };
        let (batches, _) = read_csv_bytes(&bytes, &options).unwrap();
        assert_eq!(batches[0].column(3).as_string::<i32>().value(0), "CAFÉ MUG");
        let auto = IngestOptions {
            encoding: Encoding::Auto,
            ..IngestOptions::default()
        };
        let (batches, outcome) = read_csv_bytes(&bytes, &auto).unwrap();
        assert_eq!(batches[0].column(3).as_string::<i32>().value(0), "CAFÉ MUG");
        assert!(outcome.encoding.starts_with("windows-1252"));
    }

    #[test]
    fn wrong_field_count_names_the_row() {
        let text = format!("{HEADER}1,2,X,3,2010-12-01,1.5,7,UK\n1,2,X,3,2010-12-01,1.5,UK\n");
        let error = read_csv_bytes(text.as_bytes(), &IngestOptions::default())
            .unwrap_err()
            .to_string();
        assert_eq!(
            error,
            "`test.csv`, row 2 (line 3): has 7 fields, the header has 8 (is the delimiter `,` right? set `--delimiter`)"
        );
    }

    #[test]
    fn empty_and_header_only_files_are_refused() {
        let empty = read_csv_bytes(b"", &IngestOptions::default())
            .unwrap_err()
            .to_string();
        assert_eq!(empty, "`test.csv`: the file is empty");
        let header_only = read_csv_bytes(HEADER.as_bytes(), &IngestOptions::default())
            .unwrap_err()
            .to_string();
        assert_eq!(
            header_only,
            "`test.csv`: the file has a header but no data rows"
        );
    }

    #[test]
    fn unparseable_date_names_row_and_column() {
        let text = format!("{HEADER}1,2,X,3,2010-12-01,1.5,7,UK\n1,2,X,3,not a date,1.5,7,UK\n");
        let error = read_csv_bytes(text.as_bytes(), &IngestOptions::default())
            .unwrap_err()
            .to_string();
        assert!(error.starts_with("`test.csv`, row 2 (line 3), column `InvoiceDate`: cannot read the date `not a date`"), "{error}");
    }
}
