//! The parsed-input cache: canonical Parquet files keyed by content hash.

use std::path::{Path, PathBuf};

use custseg_io::ContentHasher;
use serde::{Deserialize, Serialize};

use super::options::IngestOptions;
use super::{ReadOutcome, Sink};
use crate::background_writer::BackgroundWriter;
use crate::error::{Error, Result};
use crate::schema::{CANONICAL_SCHEMA_VERSION, canonical_schema};

/// What is recorded beside a cached parse.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct CacheRecord {
    pub(crate) outcome: ReadOutcome,
    pub(crate) member: Option<String>,
}

/// The cache key of an input with these bytes read with these settings.
pub(crate) fn key(sha256: &str, options: &IngestOptions) -> String {
    ContentHasher::new()
        .part("input-sha256", sha256.as_bytes())
        .part("settings", options.parse_fingerprint().as_bytes())
        .part("schema", &CANONICAL_SCHEMA_VERSION.to_le_bytes())
        .finish()
}

/// Where parsed inputs are kept.
pub(crate) fn directory(data_dir: &Path) -> PathBuf {
    data_dir.join("parsed")
}

fn paths(directory: &Path, key: &str) -> (PathBuf, PathBuf) {
    (
        directory.join(format!("{}.parquet", &key[..24])),
        directory.join(format!("{}.json", &key[..24])),
    )
}

/// The directory of parts and the record of a parse the query engine wrote.
fn parts_paths(directory: &Path, key: &str) -> (PathBuf, PathBuf) {
    (
        directory.join(format!("{}.parts", &key[..24])),
        directory.join(format!("{}.parts.json", &key[..24])),
    )
}

/// A cached parse written by the client (one Parquet file), when one exists and is complete.
pub(crate) fn lookup(data_dir: &Path, key: &str) -> Result<Option<(PathBuf, CacheRecord)>> {
    let (parquet, record) = paths(&directory(data_dir), key);
    if !parquet.is_file() {
        return Ok(None);
    }
    read_record(parquet, &record)
}

/// A cached parse written by the query engine (a directory of Parquet parts), when one
/// exists and is complete.
pub(crate) fn lookup_parts(data_dir: &Path, key: &str) -> Result<Option<(PathBuf, CacheRecord)>> {
    let (parts, record) = parts_paths(&directory(data_dir), key);
    if !parts.is_dir() {
        return Ok(None);
    }
    read_record(parts, &record)
}

/// A temporary directory in `directory` for the parts of a parse the engine writes, removed
/// when dropped unless [`persist_parts`] keeps it.
pub(crate) fn parts_in_progress(directory: &Path) -> Result<tempfile::TempDir> {
    std::fs::create_dir_all(directory).map_err(|source| Error::io(directory, source))?;
    tempfile::Builder::new()
        .prefix(".parse-")
        .suffix(".parts")
        .tempdir_in(directory)
        .map_err(|source| Error::io(directory, source))
}

/// Makes the finished `parts` the cache entry of `key` (the directory first, then its
/// record) and returns the directory's path.
pub(crate) fn persist_parts(
    parts: tempfile::TempDir,
    directory: &Path,
    key: &str,
    record: &CacheRecord,
) -> Result<PathBuf> {
    let (final_path, record_path) = parts_paths(directory, key);
    if final_path.exists() {
        // Another run wrote the same entry meanwhile; its bytes are the same parse.
        std::fs::remove_dir_all(&final_path).map_err(|source| Error::io(&final_path, source))?;
    }
    let kept = parts.keep();
    std::fs::rename(&kept, &final_path).map_err(|source| Error::io(&final_path, source))?;
    let json =
        serde_json::to_vec_pretty(record).map_err(|error| Error::Invariant(error.to_string()))?;
    custseg_io::write_atomic(&record_path, &json)?;
    Ok(final_path)
}

fn read_record(parsed: PathBuf, record: &Path) -> Result<Option<(PathBuf, CacheRecord)>> {
    if !record.is_file() {
        return Ok(None);
    }
    let bytes = std::fs::read(record).map_err(|source| Error::io(record, source))?;
    match serde_json::from_slice::<CacheRecord>(&bytes) {
        Ok(read) => Ok(Some((parsed, read))),
        Err(error) => {
            tracing::warn!(path = %record.display(), %error, "ignoring unreadable cache record");
            Ok(None)
        }
    }
}

/// Runs `read` on this thread while `writer` encodes its batches on another, so that
/// decoding the input and encoding the cache file share the cores.
fn read_while_writing(
    read: impl FnOnce(&mut Sink<'_>) -> Result<(ReadOutcome, Option<String>)>,
    writer: BackgroundWriter,
) -> Result<(ReadOutcome, Option<String>)> {
    let read = read(&mut |batch| writer.write(batch));
    // A writer's own error says more than the "stopped" the reader saw.
    writer.finish()?;
    read
}

/// Runs `read`, writing its batches to a temporary file that becomes the cache
/// entry (Parquet first, then its record) only when the read succeeded.
pub(crate) fn write(
    directory: &Path,
    key: &str,
    read: impl FnOnce(&mut Sink<'_>) -> Result<(ReadOutcome, Option<String>)>,
) -> Result<(PathBuf, ReadOutcome, Option<String>)> {
    std::fs::create_dir_all(directory).map_err(|source| Error::io(directory, source))?;
    let (parquet_path, record_path) = paths(directory, key);
    let temporary = tempfile::Builder::new()
        .prefix(".parse-")
        .suffix(".parquet")
        .tempfile_in(directory)
        .map_err(|source| Error::io(directory, source))?;
    let properties = crate::parquet_settings::cache_properties();
    let file = temporary
        .reopen()
        .map_err(|source| Error::io(temporary.path(), source))?;
    let writer = BackgroundWriter::create(file, canonical_schema(), Some(properties))?;
    let (outcome, member) = read_while_writing(read, writer)?;
    temporary
        .persist(&parquet_path)
        .map_err(|error| Error::io(&parquet_path, error.error))?;
    let record = CacheRecord {
        outcome: outcome.clone(),
        member: member.clone(),
    };
    let json =
        serde_json::to_vec_pretty(&record).map_err(|error| Error::Invariant(error.to_string()))?;
    custseg_io::write_atomic(&record_path, &json)?;
    Ok((parquet_path, outcome, member))
}
