//! A directory of Parquet or CSV files read as one log.
//!
//! The files are found recursively (hive-style `key=value/` folders included; their
//! values are not added as columns), skipping hidden and `_`-prefixed names such as
//! `_SUCCESS` or `.crc` files, and read in path order. `source_row` numbers the rows of
//! that concatenation, so a log split into parts by `custseg demo-data --partitions`
//! numbers its rows exactly as the single file does.
//!
//! Every file must have the schema of the first (Parquet: the same column names and
//! types; CSV: the same header line); a file that differs is an error naming both.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{Array, AsArray, Int64Array};
use arrow::datatypes::{Int64Type, SchemaRef};
use arrow::record_batch::RecordBatch;
use custseg_io::ContentHasher;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::dates::detected_order;
use super::format::{Format, detect_file};
use super::options::IngestOptions;
use super::{ReadOutcome, Sink};
use crate::Progress;
use crate::error::{Error, Result};
use crate::schema::SOURCE_ROW;

/// The data files of a directory input, in reading order, all of one format.
#[derive(Debug, Clone)]
pub struct DirectoryListing {
    /// The files, sorted by path.
    pub files: Vec<PathBuf>,
    /// Their common format.
    pub format: Format,
}

pub(crate) fn is_skipped(name: &str) -> bool {
    name.starts_with('.') || name.starts_with('_')
}

fn collect(directory: &Path, found: &mut Vec<PathBuf>) -> Result<()> {
    let entries = std::fs::read_dir(directory).map_err(|source| Error::io(directory, source))?;
    for entry in entries {
        let entry = entry.map_err(|source| Error::io(directory, source))?;
        let name = entry.file_name();
        if is_skipped(&name.to_string_lossy()) {
            continue;
        }
        let path = entry.path();
        if path.is_dir() {
            collect(&path, found)?;
        } else if path.is_file() {
            found.push(path);
        }
    }
    Ok(())
}

/// Lists the data files under `directory` and checks they share one format.
pub fn list(directory: &Path) -> Result<DirectoryListing> {
    let shown = directory.display().to_string();
    let mut files = Vec::new();
    collect(directory, &mut files)?;
    files.sort();
    let Some(first) = files.first() else {
        return Err(Error::in_file(
            &shown,
            "the directory holds no data files (expected Parquet, CSV or CSV.gz files; \
             names starting with `.` or `_` are skipped)",
        ));
    };
    let format = file_format(first)?;
    for file in &files[1..] {
        let other = file_format(file)?;
        if other != format {
            return Err(Error::in_file(
                &file.display().to_string(),
                format!(
                    "is {} but `{}`, the first file of the directory, is {}: a directory input \
                     must hold one format",
                    other.name(),
                    first.display(),
                    format.name()
                ),
            ));
        }
    }
    Ok(DirectoryListing { files, format })
}

fn file_format(file: &Path) -> Result<Format> {
    let shown = file.display().to_string();
    let format = detect_file(file, &shown)?;
    match format {
        Format::Parquet | Format::Csv | Format::CsvGz => Ok(format),
        other => Err(Error::in_file(
            &shown,
            format!(
                "is {}: a directory input holds Parquet, CSV or CSV.gz files only",
                other.name()
            ),
        )),
    }
}

impl DirectoryListing {
    /// A content hash of the whole input: every file's path (relative to `root`) and bytes.
    pub fn sha256(&self, root: &Path) -> Result<String> {
        let mut hasher = ContentHasher::new();
        for file in &self.files {
            let relative = file.strip_prefix(root).unwrap_or(file);
            let digest = custseg_io::sha256_file(file)?;
            hasher
                .part("path", relative.to_string_lossy().as_bytes())
                .part("sha256", digest.as_bytes());
        }
        Ok(hasher.finish())
    }

    /// Fails unless every file has the first file's schema.
    pub fn check_schemas(&self) -> Result<()> {
        let first = &self.files[0];
        match self.format {
            Format::Parquet => {
                let expected = parquet_schema(first)?;
                for file in &self.files[1..] {
                    let schema = parquet_schema(file)?;
                    if let Some(difference) = schema_difference(&expected, &schema) {
                        return Err(different_schema(file, first, &difference));
                    }
                }
            }
            _ => {
                let expected = header_line(first, self.format)?;
                for file in &self.files[1..] {
                    let header = header_line(file, self.format)?;
                    if header != expected {
                        return Err(different_schema(
                            file,
                            first,
                            &format!("its header is `{header}`, the first file's `{expected}`"),
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

fn different_schema(file: &Path, first: &Path, difference: &str) -> Error {
    Error::in_file(
        &file.display().to_string(),
        format!(
            "has a different schema from `{}`, the first file of the directory: {difference}",
            first.display()
        ),
    )
}

fn parquet_schema(file: &Path) -> Result<SchemaRef> {
    parquet_footer(file).map(|(schema, _)| schema)
}

/// What a Parquet file's footer says: its Arrow schema and its number of rows.
pub(crate) fn parquet_footer(file: &Path) -> Result<(SchemaRef, u64)> {
    let shown = file.display().to_string();
    let handle = std::fs::File::open(file).map_err(|source| Error::io(file, source))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(handle)
        .map_err(|error| Error::in_file(&shown, format!("not a readable Parquet file: {error}")))?;
    let rows = u64::try_from(builder.metadata().file_metadata().num_rows()).unwrap_or(0);
    Ok((Arc::clone(builder.schema()), rows))
}

/// How `schema` differs from `expected`, in words; `None` when the columns and types match.
fn schema_difference(expected: &SchemaRef, schema: &SchemaRef) -> Option<String> {
    for field in expected.fields() {
        match schema.field_with_name(field.name()) {
            Err(_) => return Some(format!("it has no column `{}`", field.name())),
            Ok(other) if other.data_type() != field.data_type() => {
                return Some(format!(
                    "its column `{}` is {} where the first file's is {}",
                    field.name(),
                    other.data_type(),
                    field.data_type()
                ));
            }
            Ok(_) => {}
        }
    }
    schema
        .fields()
        .iter()
        .find(|field| expected.field_with_name(field.name()).is_err())
        .map(|field| format!("it has a column `{}` the first file lacks", field.name()))
}

/// The first line of a CSV or CSV.gz file, without a byte-order mark or line ending.
fn header_line(file: &Path, format: Format) -> Result<String> {
    let handle = std::fs::File::open(file).map_err(|source| Error::io(file, source))?;
    let reader: Box<dyn Read> = if format == Format::CsvGz {
        Box::new(flate2::read::MultiGzDecoder::new(handle))
    } else {
        Box::new(handle)
    };
    let mut line = Vec::new();
    BufReader::new(reader)
        .read_until(b'\n', &mut line)
        .map_err(|source| Error::io(file, source))?;
    let text = String::from_utf8_lossy(&line);
    Ok(text
        .trim_start_matches('\u{feff}')
        .trim_end_matches(['\r', '\n'])
        .to_owned())
}

/// Reads every file with `read_file`, renumbering `source_row` to count through the
/// whole directory. Once a file settles an automatically detected timestamp order, the
/// files after it are read with that order, so one log is not read two ways.
pub(crate) fn read_all(
    listing: &DirectoryListing,
    options: &IngestOptions,
    progress: &dyn Progress,
    sink: &mut Sink<'_>,
    mut read_file: impl FnMut(&Path, &str, &IngestOptions, &mut Sink<'_>) -> Result<ReadOutcome>,
) -> Result<ReadOutcome> {
    let mut options = options.clone();
    let mut offset: u64 = 0;
    let mut first: Option<ReadOutcome> = None;
    progress.begin("files", Some(listing.files.len() as u64));
    for (index, file) in listing.files.iter().enumerate() {
        let shown = file.display().to_string();
        let mut renumber = |batch: RecordBatch| sink(shift_source_rows(batch, offset)?);
        let outcome = read_file(file, &shown, &options, &mut renumber)?;
        if let Some(order) = detected_order(&outcome.date_format) {
            options.date_format = order;
        }
        offset += outcome.rows;
        progress.advance_to(index as u64 + 1);
        if first.is_none() {
            first = Some(outcome);
        }
    }
    progress.end();
    let mut outcome = first.ok_or_else(|| Error::Invariant("empty directory listing".into()))?;
    outcome.rows = offset;
    outcome.date_format = options.date_format.to_string();
    Ok(outcome)
}

/// `batch` with `offset` added to its `source_row` column.
fn shift_source_rows(batch: RecordBatch, offset: u64) -> Result<RecordBatch> {
    if offset == 0 {
        return Ok(batch);
    }
    let schema = batch.schema();
    let index = schema.index_of(SOURCE_ROW)?;
    let rows = batch.column(index).as_primitive::<Int64Type>();
    let shift = i64::try_from(offset)
        .map_err(|_| Error::Invariant(format!("row offset {offset} overflows")))?;
    let shifted: Int64Array = rows.unary(|row| row + shift);
    debug_assert_eq!(shifted.null_count(), 0);
    let mut columns = batch.columns().to_vec();
    columns[index] = Arc::new(shifted);
    Ok(RecordBatch::try_new(schema, columns)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_and_marker_files_are_skipped() {
        assert!(is_skipped("_SUCCESS"));
        assert!(is_skipped(".part-0.parquet.crc"));
        assert!(!is_skipped("part-00000.parquet"));
    }

    #[test]
    fn an_empty_directory_is_an_error_that_names_it() {
        let directory = tempfile::tempdir().unwrap();
        std::fs::write(directory.path().join("_SUCCESS"), b"").unwrap();
        let error = list(directory.path()).unwrap_err().to_string();
        assert!(
            error.contains(&directory.path().display().to_string()),
            "{error}"
        );
        assert!(error.contains("no data files"), "{error}");
    }

    #[test]
    fn csv_headers_must_agree() {
        let directory = tempfile::tempdir().unwrap();
        std::fs::write(directory.path().join("a.csv"), "InvoiceNo,StockCode\n1,2\n").unwrap();
        std::fs::write(
            directory.path().join("b.csv"),
            "\u{feff}InvoiceNo,StockCode\r\n3,4\n",
        )
        .unwrap();
        let listing = list(directory.path()).unwrap();
        listing.check_schemas().unwrap();
        std::fs::write(directory.path().join("c.csv"), "Invoice,StockCode\n5,6\n").unwrap();
        let error = schema_error(directory.path());
        assert!(
            error.contains("c.csv") && error.contains("a.csv"),
            "{error}"
        );
        assert!(error.contains("`Invoice,StockCode`"), "{error}");
    }

    /// The schema check's error for the files in `directory`.
    fn schema_error(directory: &Path) -> String {
        list(directory)
            .unwrap()
            .check_schemas()
            .unwrap_err()
            .to_string()
    }

    fn write_parquet(path: &Path, quantity: arrow::array::ArrayRef) {
        let batch = RecordBatch::try_from_iter([("Quantity", quantity)]).unwrap();
        let file = std::fs::File::create(path).unwrap();
        let mut writer = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();
    }

    #[test]
    fn parquet_column_types_must_agree() {
        let directory = tempfile::tempdir().unwrap();
        write_parquet(
            &directory.path().join("a.parquet"),
            Arc::new(Int64Array::from(vec![1, 2])),
        );
        write_parquet(
            &directory.path().join("b.parquet"),
            Arc::new(arrow::array::StringArray::from(vec!["3"])),
        );
        let error = schema_error(directory.path());
        assert!(
            error.contains("b.parquet`: has a different schema from `")
                && error.contains("its column `Quantity` is Utf8 where the first file's is Int64"),
            "{error}"
        );
    }

    #[test]
    fn mixed_formats_are_refused() {
        let directory = tempfile::tempdir().unwrap();
        std::fs::write(directory.path().join("a.csv"), "InvoiceNo\n1\n").unwrap();
        std::fs::write(directory.path().join("b.parquet"), b"PAR1....PAR1").unwrap();
        let error = list(directory.path()).unwrap_err().to_string();
        assert!(
            error.contains("b.parquet") && error.contains("one format"),
            "{error}"
        );
    }
}
