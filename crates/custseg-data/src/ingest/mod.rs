//! Reading a transaction log, in any supported format, into the canonical schema.
//!
//! Every input (CSV, CSV.gz, xlsx, xls, ods, Parquet, a zip holding one of those, or a URL to
//! any of them) is converted once into a canonical Parquet file under
//! `<data_dir>/parsed/`, keyed by the input's SHA-256 and the parse settings. Later
//! runs on the same bytes skip parsing. All further work scans that file.

mod archive;
mod cache;
mod cells;
mod columns;
mod columnwise;
mod csv_reader;
pub mod dates;
pub mod decimals;
mod directory;
mod download;
mod engine_csv;
mod engine_parse;
mod format;
mod object_store_input;
mod options;
mod parquet_reader;
mod range_reader;
mod read_ahead;
mod source;
mod workbook;
mod xlsx_reader;

use std::path::{Path, PathBuf};

use arrow::record_batch::RecordBatch;
use serde::{Deserialize, Serialize};

pub use columns::normalise as normalise_header;
pub use dates::DateFormat;
pub use decimals::DecimalSeparator;
pub use format::Format;
pub use options::{Encoding, IngestOptions};
pub use source::InputSource;

use crate::error::{Error, Result};
use crate::{NoProgress, Progress};

/// Receives canonical batches as a reader produces them.
pub(crate) type Sink<'a> = dyn FnMut(RecordBatch) -> Result<()> + 'a;

/// What a reader learned while reading.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadOutcome {
    /// Data records read.
    pub rows: u64,
    /// The timestamp format used (as settled by detection).
    pub date_format: String,
    /// The text encoding used, or the binary format's name.
    pub encoding: String,
    /// The CSV delimiter, for text input.
    pub delimiter: Option<char>,
    /// The decimal separator of numbers in text (`point`, `comma`, or what `auto` settled
    /// on), for text input.
    #[serde(default)]
    pub decimal_separator: Option<String>,
    /// Canonical column -> input column.
    pub columns: Vec<(String, String)>,
    /// Rows read from each worksheet, in reading order, for a workbook.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sheets: Vec<SheetRows>,
}

/// Rows read from one worksheet of a workbook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SheetRows {
    /// The sheet's name.
    pub name: String,
    /// Data rows read from it (0 for a sheet skipped as empty).
    pub rows: u64,
}

/// An input converted to the canonical schema.
#[derive(Debug)]
pub struct Ingested {
    /// The input as the user named it.
    pub input: String,
    /// The local file read (the download, for a URL).
    pub local_path: PathBuf,
    /// Its detected format.
    pub format: Format,
    /// The archive member read, for a zip.
    pub member: Option<String>,
    /// The number of files read, for a directory.
    pub files: Option<u64>,
    /// SHA-256 of the local file.
    pub sha256: String,
    /// The canonical Parquet file.
    pub parsed: PathBuf,
    /// Whether `parsed` came from the cache.
    pub from_cache: bool,
    /// What the reader learned.
    pub outcome: ReadOutcome,
    _temporary: Option<tempfile::TempDir>,
}

/// Reads `input` into the canonical schema.
pub fn ingest(
    input: &InputSource,
    options: &IngestOptions,
    progress: &dyn Progress,
) -> Result<Ingested> {
    let prepared = prepare(input, options, progress)?;
    if let Some(cached) = prepared.cached(options, cache::lookup)? {
        return Ok(cached);
    }
    prepared.parse_here(options, progress)
}

/// Reads `input` into the canonical schema, letting `context`'s query engine do the parse
/// where it can (Parquet files whose column types the column-wise conversion handles, and CSV
/// or CSV.gz files whose values its SQL reads as the client would; see [`engine_parse`] and
/// [`engine_csv`]): on a Ballista cluster the executors read the log then, not this
/// process. Everything else is parsed here, as by [`ingest`]. The engine writes its parse
/// as a directory of parts under `<data_dir>/parsed/`, a path every executor must see.
pub async fn ingest_with_engine(
    input: &InputSource,
    options: &IngestOptions,
    progress: &dyn Progress,
    context: &datafusion::prelude::SessionContext,
) -> Result<Ingested> {
    let prepared = prepare(input, options, progress)?;
    tracing::debug!(sha256 = prepared.sha256, "input located and hashed");
    if let Some(cached) = prepared.cached(options, cache::lookup)? {
        return Ok(cached);
    }
    if let Some(cached) = prepared.cached(options, cache::lookup_parts)? {
        return Ok(cached);
    }
    let files: Vec<PathBuf> = match &prepared.source {
        Source::File(path) => vec![path.clone()],
        Source::Directory(_, listing) => listing.files.clone(),
    };
    let directory = cache::directory(&options.data_dir);
    let parts = cache::parts_in_progress(&directory)?;
    progress.begin("parse", None);
    let parsed_there = parse_on_engine(&prepared, &files, options, context, parts.path()).await;
    progress.end();
    let Some(outcome) = parsed_there? else {
        return prepared.parse_here(options, progress);
    };
    tracing::info!(
        %input,
        rows = outcome.rows,
        files = files.len(),
        "parsed input on the query engine"
    );
    let (parsed, temporary) = if options.cache {
        let record = cache::CacheRecord {
            outcome: outcome.clone(),
            member: None,
        };
        let kept = cache::persist_parts(parts, &directory, &prepared.key, &record)?;
        (kept, None)
    } else {
        (parts.path().to_path_buf(), Some(parts))
    };
    Ok(prepared.ingested(parsed, false, outcome, None, temporary))
}

/// Parses `files` (the input's) into `parts` on `context`'s engine when it can, returning what
/// the client's reader would have reported; `None` when the client must parse the input:
/// xlsx and zip inputs, Parquet columns that need the cell-by-cell rules, CSV values outside
/// what the engine's SQL reads (see [`engine_parse`] and [`engine_csv`]).
async fn parse_on_engine(
    prepared: &Prepared,
    files: &[PathBuf],
    options: &IngestOptions,
    context: &datafusion::prelude::SessionContext,
    parts: &Path,
) -> Result<Option<ReadOutcome>> {
    let directory = prepared.files.is_some();
    match prepared.format {
        Format::Parquet => {
            let Some(plan) = engine_parse::EngineParse::plan(files, options)? else {
                return Ok(None);
            };
            let parsed = plan.run(context, parts).await?;
            Ok(parsed.then(|| plan.outcome(options, directory)))
        }
        Format::Csv | Format::CsvGz => {
            let Some(plan) =
                engine_csv::EngineCsvParse::plan(files, prepared.format, options, directory)?
            else {
                return Ok(None);
            };
            plan.run(context, options, parts).await
        }
        Format::Xlsx | Format::Xls | Format::Ods | Format::Zip => Ok(None),
    }
}

/// An input located, identified and hashed, not yet parsed.
struct Prepared {
    input: String,
    source: Source,
    shown: String,
    format: Format,
    files: Option<u64>,
    sha256: String,
    key: String,
}

fn prepare(
    input: &InputSource,
    options: &IngestOptions,
    progress: &dyn Progress,
) -> Result<Prepared> {
    let source = locate(input, options, progress)?;
    let shown = display_name(input, source.path());
    let (format, sha256) = match &source {
        Source::File(path) => {
            let format = format::detect_file(path, &shown)?;
            (format, custseg_io::sha256_file(path)?)
        }
        Source::Directory(root, listing) => {
            listing.check_schemas()?;
            (listing.format, listing.sha256(root)?)
        }
    };
    download::check_pin(source.path(), &sha256, options)?;
    if !options.sheet.is_empty() && matches!(format, Format::Csv | Format::CsvGz | Format::Parquet)
    {
        tracing::warn!(
            input = %shown,
            format = format.name(),
            "`sheet` is set but the input is not a workbook; it has no sheets to choose"
        );
    }
    let files = match &source {
        Source::File(_) => None,
        Source::Directory(_, listing) => Some(listing.files.len() as u64),
    };
    let key = cache::key(&sha256, options);
    Ok(Prepared {
        input: input.to_string(),
        source,
        shown,
        format,
        files,
        sha256,
        key,
    })
}

impl Prepared {
    fn ingested(
        &self,
        parsed: PathBuf,
        from_cache: bool,
        outcome: ReadOutcome,
        member: Option<String>,
        temporary: Option<tempfile::TempDir>,
    ) -> Ingested {
        Ingested {
            input: self.input.clone(),
            local_path: self.source.path().to_path_buf(),
            format: self.format,
            member,
            files: self.files,
            sha256: self.sha256.clone(),
            parsed,
            from_cache,
            outcome,
            _temporary: temporary,
        }
    }

    /// The cached parse `lookup` finds, when the cache is on.
    fn cached(
        &self,
        options: &IngestOptions,
        lookup: impl Fn(&Path, &str) -> Result<Option<(PathBuf, cache::CacheRecord)>>,
    ) -> Result<Option<Ingested>> {
        if !options.cache {
            return Ok(None);
        }
        let Some((parsed, record)) = lookup(&options.data_dir, &self.key)? else {
            return Ok(None);
        };
        tracing::info!(input = self.input, parsed = %parsed.display(), "parsed input found in cache; skipping parse");
        Ok(Some(self.ingested(
            parsed,
            true,
            record.outcome,
            record.member,
            None,
        )))
    }

    /// Parses the input in this process into the cache (or a temporary file without it).
    fn parse_here(&self, options: &IngestOptions, progress: &dyn Progress) -> Result<Ingested> {
        let (directory, temporary) = if options.cache {
            (cache::directory(&options.data_dir), None)
        } else {
            let temporary =
                tempfile::tempdir().map_err(|source| Error::io(std::env::temp_dir(), source))?;
            (temporary.path().to_path_buf(), Some(temporary))
        };
        let (shown, format) = (&self.shown, self.format);
        let (parsed, outcome, member) =
            cache::write(&directory, &self.key, |sink| match &self.source {
                Source::File(path) => read_any(path, shown, format, options, progress, sink),
                Source::Directory(_, listing) => directory::read_all(
                    listing,
                    options,
                    progress,
                    sink,
                    |file, shown, options, sink| {
                        // each file without a bar of its own: the directory's bar counts files
                        read_any(file, shown, listing.format, options, &NoProgress, sink)
                            .map(|(outcome, _)| outcome)
                    },
                )
                .map(|outcome| (outcome, None)),
            })?;
        tracing::info!(
            input = self.input,
            rows = outcome.rows,
            format = format.name(),
            files = self.files,
            "parsed input"
        );
        Ok(self.ingested(parsed, false, outcome, member, temporary))
    }
}

/// Where an input's bytes are.
enum Source {
    /// One local file (a download, for a URL).
    File(PathBuf),
    /// A directory of Parquet or CSV files.
    Directory(PathBuf, directory::DirectoryListing),
}

impl Source {
    fn path(&self) -> &Path {
        match self {
            Source::File(path) | Source::Directory(path, _) => path,
        }
    }
}

fn locate(input: &InputSource, options: &IngestOptions, progress: &dyn Progress) -> Result<Source> {
    let path = match input {
        InputSource::Url(url) => return Ok(Source::File(download::fetch(url, options, progress)?)),
        InputSource::ObjectStore(url) => object_store_input::fetch(url, options, progress)?,
        InputSource::Local(path) => path.clone(),
    };
    if path.is_dir() {
        let listing = directory::list(&path)?;
        Ok(Source::Directory(path, listing))
    } else if path.is_file() {
        Ok(Source::File(path))
    } else {
        Err(Error::in_file(
            &input.to_string(),
            if path.exists() {
                "is neither a file nor a directory"
            } else {
                "no such file or directory"
            },
        ))
    }
}

/// How the input is named in messages: as written for a remote input, else its local path.
fn display_name(input: &InputSource, local_path: &Path) -> String {
    if input.is_remote() {
        input.to_string()
    } else {
        local_path.display().to_string()
    }
}

fn read_any(
    path: &Path,
    shown: &str,
    format: Format,
    options: &IngestOptions,
    progress: &dyn Progress,
    sink: &mut Sink<'_>,
) -> Result<(ReadOutcome, Option<String>)> {
    let open = || std::fs::File::open(path).map_err(|source| Error::io(path, source));
    let size = std::fs::metadata(path).map(|meta| meta.len()).ok();
    progress.begin("parse", size);
    let result = match format {
        Format::Csv => csv_reader::read_csv(
            progress_reader(open()?, progress),
            shown,
            false,
            options,
            sink,
        )
        .map(|outcome| (outcome, None)),
        Format::CsvGz => {
            csv_reader::read_csv_gz(progress_reader(open()?, progress), shown, options, sink)
                .map(|outcome| (outcome, None))
        }
        Format::Xlsx => {
            xlsx_reader::read_xlsx(std::io::BufReader::new(open()?), shown, options, sink)
                .map(|outcome| (outcome, None))
        }
        Format::Xls => {
            range_reader::read_xls(std::io::BufReader::new(open()?), shown, options, sink)
                .map(|outcome| (outcome, None))
        }
        Format::Ods => {
            range_reader::read_ods(std::io::BufReader::new(open()?), shown, options, sink)
                .map(|outcome| (outcome, None))
        }
        Format::Parquet => parquet_reader::read_parquet(
            parquet_reader::ParquetInput::File(open()?),
            shown,
            options,
            sink,
        )
        .map(|outcome| (outcome, None)),
        Format::Zip => archive::read_zip(path, shown, options, sink)
            .map(|(outcome, member)| (outcome, Some(member))),
    };
    progress.end();
    result
}

/// Reports how far a reader has got through a file.
struct ProgressReader<'a, R> {
    inner: R,
    position: u64,
    reported: u64,
    progress: &'a dyn Progress,
}

fn progress_reader<R: std::io::Read>(inner: R, progress: &dyn Progress) -> ProgressReader<'_, R> {
    ProgressReader {
        inner,
        position: 0,
        reported: 0,
        progress,
    }
}

impl<R: std::io::Read> std::io::Read for ProgressReader<'_, R> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buffer)?;
        self.position += read as u64;
        if self.position - self.reported >= 1 << 20 {
            self.reported = self.position;
            self.progress.advance_to(self.position);
        }
        Ok(read)
    }
}
