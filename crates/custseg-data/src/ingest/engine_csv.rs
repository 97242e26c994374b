//! The parse of CSV and CSV.gz inputs as query-engine statements, so that on a Ballista
//! cluster the executors read delimited logs too, not only Parquet ones.
//!
//! The client reads the first line of the first file (delimiter and header, exactly as its
//! own reader settles them) and the engine does the rest with DataFusion's CSV reader, every
//! column read as text, and SQL that converts the text as the client's cell-by-cell rules
//! ([`super::cells`], [`super::dates`]) do. Those rules accept many shapes (AM/PM times,
//! Excel serial dates, exponents in quantities); the SQL accepts a common subset on which
//! both give the same values, and every file is first counted for values outside that
//! subset. A file with any, a file that is not UTF-8, a file the engine's reader refuses (a
//! row with the wrong number of fields), or a date order the client would settle
//! differently: the client parses the input instead, with its own messages and rules.
//!
//! Two jobs per file: one counts what settling needs (rows, the first day-first, month-first
//! and ambiguous `a/b/yyyy` date, values outside the subset under each date order), one
//! writes the file's canonical part. Between them the client settles the date order file by
//! file, as its reader would ([`settle_date_orders`]).

use std::path::{Path, PathBuf};

use arrow::array::{Array, AsArray};
use arrow::datatypes::{DataType, Field, Int64Type, Schema};
use datafusion::prelude::{CsvReadOptions, SessionContext};
use futures::{StreamExt, TryStreamExt};

use super::ReadOutcome;
use super::columns::ColumnMapping;
use super::csv_reader::{mapping_report, read_header, utf8_encoding_outcome};
use super::dates::DateFormat;
use super::decimals::{DecimalParser, DecimalSeparator};
use super::engine_parse::{in_order_session, write_part};
use super::format::Format;
use super::options::{Encoding, IngestOptions};
use crate::error::{Error, Result};
use crate::schema::{RawColumn, SOURCE_ROW};

/// `a/b/yyyy` with an optional `h:mm[:ss]` (separators `/`, `.` or `-`; a space or `T`
/// before the time): the slash shape the client reads month- or day-first. Groups: the two
/// leading fields, the year, hour, minute, second.
const SLASH_DATE: &str = r"^\s*([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{4})(?:[ T]([0-9]{1,2}):([0-9]{1,2})(?::([0-9]{1,2}))?)?\s*$";

/// `yyyy-mm-dd` with an optional `h:mm[:ss]` (a space or `T` before the time).
const ISO_DATE: &str = r"^\s*([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:[ T]([0-9]{1,2}):([0-9]{1,2})(?::([0-9]{1,2}))?)?\s*$";

/// A whole number the client reads as `i64` directly (up to 18 digits) or through `f64` as
/// `6.0` (up to 15 digits, so it stays exact), with surrounding white space; or only white
/// space (the client's empty cell).
const WHOLE_NUMBER: &str = r"^\s*([+-]?[0-9]{1,18}|[+-]?[0-9]{1,15}\.0*)?\s*$";

/// A decimal number with at most 30 digits on either side of the point and a two-digit
/// exponent (always finite, and read to the same `f64` by Rust's parser and Arrow's), with
/// surrounding white space; or only white space.
const DECIMAL_NUMBER: &str =
    r"^\s*([+-]?([0-9]{1,30}(\.[0-9]{0,30})?|\.[0-9]{1,30})([eE][+-]?[0-9]{1,2})?)?\s*$";

/// Only white space: the client's empty cell.
const BLANK: &str = r"^\s*$";

/// How the `a/b/yyyy` dates of one file are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DateOrder {
    MonthFirst,
    DayFirst,
}

/// The date rule a file is read with: the input's format, or the order an earlier file of
/// the directory detected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DateRule {
    /// ISO and `a/b/yyyy` dates, the order settled from the file's values.
    Auto,
    /// `a/b/yyyy` only, in this order.
    Slash(DateOrder),
    /// ISO only.
    Iso,
}

/// What the count job finds in one file.
#[derive(Debug, Default, Clone, Copy)]
struct FileCounts {
    rows: u64,
    /// First row (1-based, in the file) of an `a/b/yyyy` date only day-first can read.
    first_day_first: Option<u64>,
    /// First row of one only month-first can read.
    first_month_first: Option<u64>,
    /// First row of one both orders read (both fields 12 or less).
    first_ambiguous: Option<u64>,
    /// Rows with a quantity, price or customer id outside the SQL's number shapes.
    bad_numbers: u64,
    /// Non-empty dates of neither shape.
    bad_date_shape: u64,
    /// ISO-shaped dates (refused under an explicit slash order).
    iso_dates: u64,
    /// ISO-shaped dates that are not a valid timestamp.
    bad_iso_dates: u64,
    /// Slash-shaped dates (refused under `--date-format iso`).
    slash_dates: u64,
    /// Slash-shaped dates invalid month-first and day-first.
    bad_month_first: u64,
    bad_day_first: u64,
}

/// How one file is written, once settled.
#[derive(Debug, Clone, Copy)]
struct SettledFile {
    rows_before: u64,
    rule: DateRule,
    order: DateOrder,
}

/// The parse of one or more CSV or CSV.gz files (all with the first file's header) as
/// statements.
#[derive(Debug)]
pub(crate) struct EngineCsvParse {
    files: Vec<PathBuf>,
    compressed: bool,
    delimiter: u8,
    columns: usize,
    mapping: ColumnMapping,
    directory: bool,
}

impl EngineCsvParse {
    /// The statements that parse `files` (`format` CSV or CSV.gz, in reading order), or
    /// `None` when the client must parse them: an encoding other than UTF-8, a date format
    /// the SQL does not read (Excel serials, a chrono pattern), an empty file or a header
    /// that is not UTF-8.
    pub(crate) fn plan(
        files: &[PathBuf],
        format: Format,
        options: &IngestOptions,
        directory: bool,
    ) -> Result<Option<Self>> {
        let Some(first) = files.first() else {
            return Ok(None);
        };
        // The SQL reads decimal points only; a file with a decimal comma in auto mode has
        // values outside its subset, so the client reads that file (see `super::decimals`).
        if options.encoding == Encoding::Latin1
            || options.decimal == DecimalSeparator::Comma
            || rule_of(&options.date_format).is_none()
        {
            return Ok(None);
        }
        let compressed = format == Format::CsvGz;
        let Some((delimiter, headers)) = read_header(first, compressed, options)? else {
            return Ok(None);
        };
        let mapping =
            ColumnMapping::resolve(&first.display().to_string(), &headers, &options.columns)?;
        Ok(Some(Self {
            files: files.to_vec(),
            compressed,
            delimiter,
            columns: headers.len(),
            mapping,
            directory,
        }))
    }

    /// Parses the input into `parts` (an existing, empty directory), one part per file, on
    /// `context`'s engine, and returns what the client's reader would report; `None` when
    /// the client must parse the input after all (see the module's documentation).
    pub(crate) async fn run(
        &self,
        context: &SessionContext,
        options: &IngestOptions,
        parts: &Path,
    ) -> Result<Option<ReadOutcome>> {
        let parts = std::fs::canonicalize(parts).map_err(|source| Error::io(parts, source))?;
        let parse = in_order_session(context);
        let tables: Vec<String> = (0..self.files.len())
            .map(|index| format!("custseg_csv_input_{index}"))
            .collect();
        let result = async {
            // DataFusion 55's plan serialization drops a CSV scan's compression
            // (apache/datafusion#24180, fixed after 55), so a Ballista executor would read gzip
            // bytes as text. The client only inflates the files, beside the parts, where every
            // executor reads them; the parse itself stays on the engine.
            let inflated = if self.compressed {
                let files = self.files.clone();
                let beside = parts.parent().unwrap_or(&parts).to_path_buf();
                Some(
                    tokio::task::spawn_blocking(move || inflate(&files, &beside))
                        .await
                        .map_err(|error| {
                            Error::Invariant(format!("inflating failed: {error}"))
                        })??,
                )
            } else {
                None
            };
            let sources = match &inflated {
                Some((_, copies)) => copies.clone(),
                None => self.files.clone(),
            };
            self.register_and_run(&parse, &sources, &tables, options, &parts)
                .await
        }
        .await;
        for table in &tables {
            let _ = parse.deregister_table(table);
        }
        match result {
            Ok(outcome) => Ok(outcome),
            Err(error) => {
                // The engine's CSV reader refuses what the client's reader names with its
                // row (a row with the wrong number of fields, bytes that are not UTF-8); any
                // other failure here (a lost cluster) shows up again in the stages after.
                tracing::warn!(%error, "the engine could not read the input; the client parses it");
                Ok(None)
            }
        }
    }

    async fn register_and_run(
        &self,
        parse: &SessionContext,
        sources: &[PathBuf],
        tables: &[String],
        options: &IngestOptions,
        parts: &Path,
    ) -> Result<Option<ReadOutcome>> {
        let schema = Schema::new(
            (0..self.columns)
                .map(|index| Field::new(format!("c{index}"), DataType::Utf8, true))
                .collect::<Vec<_>>(),
        );
        for (file, table) in sources.iter().zip(tables) {
            // By absolute path: the executors' working directory is not ours.
            let file = std::fs::canonicalize(file).map_err(|source| Error::io(file, source))?;
            let path = file.to_str().ok_or_else(|| {
                Error::Config(format!("path `{}` is not valid UTF-8", file.display()))
            })?;
            let read = CsvReadOptions::new()
                .has_header(true)
                .delimiter(self.delimiter)
                .schema(&schema)
                .file_extension("")
                .newlines_in_values(true);
            parse.register_csv(table, path, read).await?;
        }
        let concurrency = parse.state().config().target_partitions().max(1);
        let counts: Vec<FileCounts> = futures::stream::iter(tables)
            .map(|table| self.count(parse, table))
            .buffered(concurrency)
            .try_collect()
            .await?;
        let Some((settled, date_format)) = settle_date_orders(&counts, &options.date_format) else {
            tracing::info!("the dates need the client's reader; the client parses the input");
            return Ok(None);
        };
        let rows: u64 = counts.iter().map(|c| c.rows).sum();
        let refused = counts.iter().zip(&settled).position(|(counts, file)| {
            counts.rows == 0 || counts.bad_numbers > 0 || failing_dates(counts, file) > 0
        });
        if let Some(index) = refused {
            tracing::info!(
                file = %self.files[index].display(),
                "a value needs the client's reader; the client parses the input to name it"
            );
            return Ok(None);
        }
        futures::stream::iter(tables.iter().zip(&settled).enumerate())
            .map(|(index, (table, file))| {
                self.write_file_part(
                    parse,
                    table,
                    file,
                    parts.join(format!("part-{index:05}.parquet")),
                )
            })
            .buffer_unordered(concurrency)
            .try_collect::<Vec<()>>()
            .await?;
        Ok(Some(ReadOutcome {
            rows,
            date_format: if self.directory {
                date_format.directory
            } else {
                date_format.single
            },
            encoding: utf8_encoding_outcome(options.encoding),
            delimiter: Some(char::from(self.delimiter)),
            decimal_separator: Some(
                DecimalParser::new(options.decimal, self.delimiter != b',').settled(),
            ),
            columns: mapping_report(&self.mapping),
            sheets: Vec::new(),
        }))
    }

    /// The input column of raw column `column`.
    fn input(&self, column: RawColumn) -> String {
        let slot = RawColumn::ALL
            .iter()
            .position(|candidate| *candidate == column)
            .unwrap_or_default();
        format!("c{}", self.mapping.indices[slot])
    }

    /// Counts what settling one file needs.
    async fn count(&self, parse: &SessionContext, table: &str) -> Result<FileCounts> {
        let date = self.input(RawColumn::InvoiceDate);
        let numbers_ok = [
            (RawColumn::Quantity, WHOLE_NUMBER),
            (RawColumn::CustomerId, WHOLE_NUMBER),
            (RawColumn::UnitPrice, DECIMAL_NUMBER),
        ]
        .map(|(column, shape)| {
            let input = self.input(column);
            format!("({input} IS NULL OR regexp_like({input}, '{shape}'))")
        })
        .join(" AND ");
        let iso = timestamp_from(DateShape::Iso, 1, 2, 3);
        let month_first = timestamp_from(DateShape::Slash, 3, 1, 2);
        let day_first = timestamp_from(DateShape::Slash, 3, 2, 1);
        let (slash_columns, iso_columns) = (DateShape::Slash.columns(), DateShape::Iso.columns());
        let (first_field, second_field) = (DateShape::Slash.group(1), DateShape::Slash.group(2));
        let sql = format!(
            "SELECT arrow_cast(count(*), 'Int64'), \
               min(CASE WHEN first_field > 12 AND second_field <= 12 THEN rn END), \
               min(CASE WHEN second_field > 12 AND first_field <= 12 THEN rn END), \
               min(CASE WHEN first_field <= 12 AND second_field <= 12 THEN rn END), \
               sum(CASE WHEN NOT ({numbers_ok}) THEN 1 ELSE 0 END), \
               sum(CASE WHEN has_date AND NOT is_slash AND NOT is_iso THEN 1 ELSE 0 END), \
               sum(CASE WHEN is_iso THEN 1 ELSE 0 END), \
               sum(CASE WHEN is_iso AND {iso} IS NULL THEN 1 ELSE 0 END), \
               sum(CASE WHEN is_slash THEN 1 ELSE 0 END), \
               sum(CASE WHEN is_slash AND {month_first} IS NULL THEN 1 ELSE 0 END), \
               sum(CASE WHEN is_slash AND {day_first} IS NULL THEN 1 ELSE 0 END) \
             FROM (SELECT *, \
                     CASE WHEN is_slash THEN arrow_cast({first_field}, 'Int64') END AS first_field, \
                     CASE WHEN is_slash THEN arrow_cast({second_field}, 'Int64') END AS second_field \
                   FROM (SELECT *, \
                           arrow_cast(row_number() OVER (), 'Int64') AS rn, \
                           {slash_columns}, {iso_columns}, \
                           ({DATE} IS NOT NULL AND NOT regexp_like({DATE}, '{BLANK}')) AS has_date \
                         FROM (SELECT *, {date} AS {DATE} FROM {table})))"
        );
        let batches = parse.sql(&sql).await?.collect().await?;
        let batch = batches
            .iter()
            .find(|batch| batch.num_rows() > 0)
            .ok_or_else(|| Error::Invariant("the count job returned no row".into()))?;
        let value = |index: usize| -> Option<u64> {
            let column = batch.column(index);
            let column = column.as_primitive_opt::<Int64Type>()?;
            column
                .is_valid(0)
                .then(|| u64::try_from(column.value(0)).unwrap_or(0))
        };
        Ok(FileCounts {
            rows: value(0).unwrap_or(0),
            first_day_first: value(1),
            first_month_first: value(2),
            first_ambiguous: value(3),
            bad_numbers: value(4).unwrap_or(0),
            bad_date_shape: value(5).unwrap_or(0),
            iso_dates: value(6).unwrap_or(0),
            bad_iso_dates: value(7).unwrap_or(0),
            slash_dates: value(8).unwrap_or(0),
            bad_month_first: value(9).unwrap_or(0),
            bad_day_first: value(10).unwrap_or(0),
        })
    }

    /// Writes the canonical rows of one file as the Parquet file `part`.
    async fn write_file_part(
        &self,
        parse: &SessionContext,
        table: &str,
        file: &SettledFile,
        part: PathBuf,
    ) -> Result<()> {
        let conversions: Vec<String> = RawColumn::ALL
            .iter()
            .map(|column| {
                let input = self.input(*column);
                let converted = match column {
                    RawColumn::Quantity | RawColumn::CustomerId => format!(
                        // The count job checked every value: the digits, or nothing for a
                        // blank cell.
                        "arrow_cast(nullif(regexp_replace({input}, '^\\s*([+-]?[0-9]+)?(\\.0*)?\\s*$', '\\1'), ''), 'Int64')"
                    ),
                    RawColumn::UnitPrice => format!(
                        "arrow_cast(nullif(regexp_replace({input}, '^\\s*(.*?)\\s*$', '\\1'), ''), 'Float64')"
                    ),
                    RawColumn::InvoiceDate => date_sql(file),
                    _ => format!("nullif({input}, '')"),
                };
                format!("{converted} AS {}", column.sql())
            })
            .collect();
        let sql = format!(
            "SELECT arrow_cast(row_number() OVER (), 'Int64') + {} AS {SOURCE_ROW}, {} \
             FROM (SELECT *, {}, {} \
                   FROM (SELECT *, {date} AS {DATE} FROM {table}))",
            file.rows_before,
            conversions.join(", "),
            DateShape::Slash.columns(),
            DateShape::Iso.columns(),
            date = self.input(RawColumn::InvoiceDate),
        );
        write_part(parse, &sql, &part).await
    }
}

/// The canonical timestamp of a row under `file`'s settled rule, from its date text
/// ([`DATE`]) and which shape that has (`is_slash`, `is_iso`).
fn date_sql(file: &SettledFile) -> String {
    let slash = match file.order {
        DateOrder::MonthFirst => timestamp_from(DateShape::Slash, 3, 1, 2),
        DateOrder::DayFirst => timestamp_from(DateShape::Slash, 3, 2, 1),
    };
    let iso = timestamp_from(DateShape::Iso, 1, 2, 3);
    match file.rule {
        DateRule::Auto => format!("coalesce({slash}, {iso})"),
        DateRule::Slash(_) => slash,
        DateRule::Iso => iso,
    }
}

/// Decompresses each gzip file of `files` into a temporary directory in `directory` (removed
/// when the returned handle is dropped); returns the handle and the copies, in order.
fn inflate(files: &[PathBuf], directory: &Path) -> Result<(tempfile::TempDir, Vec<PathBuf>)> {
    let clock = std::time::Instant::now();
    let temporary = tempfile::Builder::new()
        .prefix(".inflate-")
        .tempdir_in(directory)
        .map_err(|source| Error::io(directory, source))?;
    let mut copies = Vec::with_capacity(files.len());
    for (index, file) in files.iter().enumerate() {
        let copy = temporary.path().join(format!("file-{index:05}.csv"));
        let input = std::fs::File::open(file).map_err(|source| Error::io(file, source))?;
        let output = std::fs::File::create(&copy).map_err(|source| Error::io(&copy, source))?;
        let mut reader = flate2::read::MultiGzDecoder::new(std::io::BufReader::new(input));
        let mut writer = std::io::BufWriter::with_capacity(1 << 20, output);
        std::io::copy(&mut reader, &mut writer).map_err(|source| Error::io(file, source))?;
        std::io::Write::flush(&mut writer).map_err(|source| Error::io(&copy, source))?;
        copies.push(copy);
    }
    tracing::debug!(
        files = files.len(),
        seconds = clock.elapsed().as_secs_f64(),
        "inflated the gzip inputs for the engine"
    );
    Ok((temporary, copies))
}

/// The date rule of a `--date-format`, when the SQL reads it.
fn rule_of(format: &DateFormat) -> Option<DateRule> {
    match format {
        DateFormat::Auto => Some(DateRule::Auto),
        DateFormat::Mdy => Some(DateRule::Slash(DateOrder::MonthFirst)),
        DateFormat::Dmy => Some(DateRule::Slash(DateOrder::DayFirst)),
        DateFormat::Iso => Some(DateRule::Iso),
        DateFormat::Excel | DateFormat::Pattern(_) => None,
    }
}

/// Column holding a row's date text in the statements' inner query.
const DATE: &str = "custseg_date_text";

/// The two date shapes the SQL reads.
#[derive(Debug, Clone, Copy)]
enum DateShape {
    Slash,
    Iso,
}

impl DateShape {
    fn pattern(self) -> &'static str {
        match self {
            DateShape::Slash => SLASH_DATE,
            DateShape::Iso => ISO_DATE,
        }
    }

    /// Whether the row's date has this shape (a boolean column of the inner query).
    fn flag(self) -> &'static str {
        match self {
            DateShape::Slash => "is_slash",
            DateShape::Iso => "is_iso",
        }
    }

    /// The inner query's column holding the shape's six capture groups, `|`-separated.
    fn fields_column(self) -> &'static str {
        match self {
            DateShape::Slash => "slash_fields",
            DateShape::Iso => "iso_fields",
        }
    }

    /// The inner query's columns for this shape: its flag and its fields. One
    /// `regexp_replace` with back-references lists the groups, and `split_part` takes them
    /// apart; not `regexp_match` and a list index, as Ballista's executors decode no list
    /// functions (`array_element`).
    fn columns(self) -> String {
        let (pattern, flag, fields) = (self.pattern(), self.flag(), self.fields_column());
        // A date the pattern does not match comes back unchanged; one it matches comes back
        // with `|`s it cannot have held. The engine evaluates the expression once for both.
        let listed = format!("regexp_replace({DATE}, '{pattern}', '\\1|\\2|\\3|\\4|\\5|\\6')");
        format!("coalesce({listed} <> {DATE}, false) AS {flag}, {listed} AS {fields}")
    }

    /// Capture group `group` (1-based) of the row's date, empty when the group took no part.
    fn group(self, group: usize) -> String {
        format!("split_part({}, '|', {group})", self.fields_column())
    }
}

/// A microsecond timestamp (NULL when the row's date has another shape or its fields make no
/// valid timestamp) from the capture groups of `shape`: the year, month and day groups given,
/// hour, minute and second in groups 4 to 6 (0 when absent).
fn timestamp_from(shape: DateShape, year: usize, month: usize, day: usize) -> String {
    let field = |group: usize| {
        format!(
            "lpad(coalesce(nullif({}, ''), '0'), 2, '0')",
            shape.group(group)
        )
    };
    format!(
        "CASE WHEN {} THEN arrow_cast(TRY_CAST(concat({}, '-', {}, '-', {}, 'T', {}, ':', {}, ':', {}) AS TIMESTAMP), \
         'Timestamp(Microsecond, None)') END",
        shape.flag(),
        shape.group(year),
        field(month),
        field(day),
        field(4),
        field(5),
        field(6)
    )
}

/// What the client's reader reports as the settled timestamp format.
struct SettledFormat {
    /// For a single file (the file's own settlement).
    single: String,
    /// For a directory (the format the last file was read with).
    directory: String,
}

/// Settles each file's date rule as the client's reader does: a file read in `auto` mode
/// settles day-first at its first date only day-first can read, when that comes before any
/// other `a/b/yyyy` date (an ambiguous date first makes the client stop: it had assumed
/// month-first), and month-first at the first one only month-first can read; a settled
/// order holds for the files after it. `None` when the client would stop.
fn settle_date_orders(
    counts: &[FileCounts],
    format: &DateFormat,
) -> Option<(Vec<SettledFile>, SettledFormat)> {
    let mut rule = rule_of(format)?;
    let mut settled = Vec::with_capacity(counts.len());
    let mut rows_before = 0;
    let mut single = format.to_string();
    for file in counts {
        let order = match rule {
            DateRule::Slash(order) => order,
            DateRule::Iso => DateOrder::MonthFirst,
            DateRule::Auto => {
                let earliest = [file.first_month_first, file.first_ambiguous]
                    .into_iter()
                    .flatten()
                    .min();
                match (file.first_day_first, file.first_month_first) {
                    (Some(day_first), _) if earliest.is_none_or(|other| day_first < other) => {
                        single = "dmy (detected)".to_owned();
                        DateOrder::DayFirst
                    }
                    (Some(_), _) => return None,
                    (None, Some(_)) => {
                        single = "mdy (detected)".to_owned();
                        DateOrder::MonthFirst
                    }
                    (None, None) => {
                        if file.first_ambiguous.is_some() {
                            single =
                                "mdy (assumed: every day-and-month pair was 12 or less)".to_owned();
                        }
                        DateOrder::MonthFirst
                    }
                }
            }
        };
        settled.push(SettledFile {
            rows_before,
            rule,
            order,
        });
        rows_before += file.rows;
        if rule == DateRule::Auto && single.ends_with("(detected)") {
            rule = DateRule::Slash(order);
        }
    }
    let directory = match rule {
        DateRule::Auto => DateFormat::Auto,
        DateRule::Slash(DateOrder::MonthFirst) => DateFormat::Mdy,
        DateRule::Slash(DateOrder::DayFirst) => DateFormat::Dmy,
        DateRule::Iso => DateFormat::Iso,
    }
    .to_string();
    Some((settled, SettledFormat { single, directory }))
}

/// Dates of `counts` the client would refuse under `file`'s settled rule.
fn failing_dates(counts: &FileCounts, file: &SettledFile) -> u64 {
    let bad_slash = match file.order {
        DateOrder::MonthFirst => counts.bad_month_first,
        DateOrder::DayFirst => counts.bad_day_first,
    };
    counts.bad_date_shape
        + match file.rule {
            DateRule::Auto => counts.bad_iso_dates + bad_slash,
            DateRule::Slash(_) => counts.iso_dates + bad_slash,
            DateRule::Iso => counts.slash_dates + counts.bad_iso_dates,
        }
}
