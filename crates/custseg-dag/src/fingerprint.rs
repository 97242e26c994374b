//! Content hashes of files, parameters and whole stages.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::UNIX_EPOCH;

use custseg_io::ContentHasher;

use crate::error::{Error, Result};
use crate::lock::FileRecord;

/// Hashes the file at `path`, recorded under `name`, reusing `known`'s hash when the file's
/// size and modification time are those it had then (as DVC's state database does). A
/// directory (a partitioned log) is hashed over every file under it.
pub(crate) fn file_record(
    name: &str,
    path: &Path,
    known: &BTreeMap<&str, &FileRecord>,
) -> Result<Option<FileRecord>> {
    let path_error = |source| Error::Path {
        path: path.to_path_buf(),
        source,
    };
    let metadata = match std::fs::metadata(path) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(path_error(source)),
    };
    let (size, mtime_ns, files) = if metadata.is_dir() {
        let mut files = Vec::new();
        let (size, mtime_ns) = walk(path, path, &mut files).map_err(path_error)?;
        (size, mtime_ns, Some(files))
    } else {
        (metadata.len(), modified_ns(&metadata), None)
    };
    if let Some(previous) = known.get(name)
        && previous.size == size
        && previous.mtime_ns == mtime_ns
        && mtime_ns != 0
    {
        return Ok(Some((*previous).clone()));
    }
    let sha256 = match files {
        None => custseg_io::sha256_file(path)?,
        Some(files) => {
            let mut hasher = ContentHasher::new();
            for (relative, file) in &files {
                hasher.part(relative, custseg_io::sha256_file(file)?.as_bytes());
            }
            hasher.finish()
        }
    };
    Ok(Some(FileRecord {
        path: name.to_owned(),
        sha256,
        size,
        mtime_ns,
    }))
}

/// A file's modification time in nanoseconds since the epoch; 0 when unknown.
fn modified_ns(metadata: &std::fs::Metadata) -> i128 {
    metadata
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as i128)
}

/// Collects the files under `dir` (relative path from `root`, full path) in name order, and
/// returns their total size and the latest modification of any file or folder under it:
/// adding, removing or renaming a file changes its folder's, editing it its own.
fn walk(
    root: &Path,
    dir: &Path,
    files: &mut Vec<(String, std::path::PathBuf)>,
) -> std::io::Result<(u64, i128)> {
    let mut size = 0;
    let mut latest = modified_ns(&std::fs::metadata(dir)?);
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<std::io::Result<_>>()?;
    entries.sort_by_key(|entry| entry.file_name());
    for entry in entries {
        let path = entry.path();
        let metadata = std::fs::metadata(&path)?;
        if metadata.is_dir() {
            let (inner, modified) = walk(root, &path, files)?;
            size += inner;
            latest = latest.max(modified);
        } else {
            size += metadata.len();
            latest = latest.max(modified_ns(&metadata));
            let relative = path.strip_prefix(root).unwrap_or(&path);
            files.push((relative.to_string_lossy().into_owned(), path));
        }
    }
    Ok((size, latest))
}

/// Hash of a value, for inputs fingerprinted as given.
pub(crate) fn value_hash(value: &str) -> String {
    ContentHasher::new()
        .part("value", value.as_bytes())
        .finish()
}

/// JSON with object keys sorted, so that equal parameters hash equally.
pub(crate) fn canonical_json(value: &serde_json::Value) -> String {
    fn sorted(value: &serde_json::Value) -> serde_json::Value {
        match value {
            serde_json::Value::Object(map) => {
                let ordered: BTreeMap<&String, serde_json::Value> =
                    map.iter().map(|(k, v)| (k, sorted(v))).collect();
                serde_json::to_value(ordered).unwrap_or(serde_json::Value::Null)
            }
            serde_json::Value::Array(items) => {
                serde_json::Value::Array(items.iter().map(sorted).collect())
            }
            other => other.clone(),
        }
    }
    sorted(value).to_string()
}

/// The fingerprint of a stage: its code version, parameters, inputs and dependencies.
pub(crate) fn stage_fingerprint(
    version: &str,
    params: &serde_json::Value,
    inputs: &BTreeMap<String, FileRecord>,
    deps: &[FileRecord],
) -> String {
    let mut hasher = ContentHasher::new();
    hasher.part("version", version.as_bytes());
    hasher.part("params", canonical_json(params).as_bytes());
    for (name, record) in inputs {
        hasher.part("input", name.as_bytes());
        hasher.part("sha256", record.sha256.as_bytes());
    }
    for record in deps {
        hasher.part("dep", record.path.as_bytes());
        hasher.part("sha256", record.sha256.as_bytes());
    }
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_key_order_does_not_change_the_hash() {
        let a = serde_json::json!({"k": {"min": 2, "max": 8}, "seed": 1});
        let b = serde_json::json!({"seed": 1, "k": {"max": 8, "min": 2}});
        assert_eq!(canonical_json(&a), canonical_json(&b));
        let c = serde_json::json!({"seed": 2, "k": {"max": 8, "min": 2}});
        assert_ne!(
            stage_fingerprint("1", &a, &BTreeMap::new(), &[]),
            stage_fingerprint("1", &c, &BTreeMap::new(), &[])
        );
    }

    #[test]
    fn an_unchanged_file_reuses_its_recorded_hash_and_a_changed_one_is_rehashed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        std::fs::write(&path, b"abc").unwrap();
        let first = file_record("a.txt", &path, &BTreeMap::new())
            .unwrap()
            .unwrap();
        // A record with a wrong hash but the same size and time is trusted...
        let mut planted = first.clone();
        planted.sha256 = "planted".into();
        let known = BTreeMap::from([("a.txt", &planted)]);
        let reused = file_record("a.txt", &path, &known).unwrap().unwrap();
        assert_eq!(reused.sha256, "planted");
        // ...until the file changes size.
        std::fs::write(&path, b"abcd").unwrap();
        let fresh = file_record("a.txt", &path, &known).unwrap().unwrap();
        assert_eq!(
            fresh.sha256,
            "88d4266fd4e6338d13b845fcf289579d209c897823b9217da3e161936f031589"
        );
        assert!(
            file_record("gone", &dir.path().join("gone"), &known)
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn a_directory_is_hashed_over_its_files_and_any_change_under_it_is_seen() {
        let dir = tempfile::tempdir().unwrap();
        let parts = dir.path().join("parts");
        std::fs::create_dir_all(parts.join("day=1")).unwrap();
        std::fs::write(parts.join("day=1/a.csv"), b"abc").unwrap();
        std::fs::write(parts.join("b.csv"), b"xyz").unwrap();
        let record = |known: &BTreeMap<&str, &FileRecord>| {
            file_record("parts", &parts, known).unwrap().unwrap()
        };
        let first = record(&BTreeMap::new());
        assert_eq!(first.size, 6);
        assert_eq!(record(&BTreeMap::new()).sha256, first.sha256);
        // Unchanged: the recorded hash is reused, as for a file.
        let mut planted = first.clone();
        planted.sha256 = "planted".into();
        assert_eq!(
            record(&BTreeMap::from([("parts", &planted)])).sha256,
            "planted"
        );
        // The same bytes under another name are another input.
        std::fs::rename(parts.join("b.csv"), parts.join("c.csv")).unwrap();
        let renamed = record(&BTreeMap::new());
        assert_ne!(renamed.sha256, first.sha256);
        // So is one edited file of the same size, even below a folder.
        std::fs::write(parts.join("day=1/a.csv"), b"abd").unwrap();
        assert_ne!(record(&BTreeMap::new()).sha256, renamed.sha256);
        // A new file is seen with a record to compare (through the total size here; an empty
        // one through its folder's time, as fine as the file system keeps it).
        let before = record(&BTreeMap::new());
        std::fs::write(parts.join("day=1/z.csv"), b"new").unwrap();
        let after = record(&BTreeMap::from([("parts", &before)]));
        assert_ne!(after.sha256, before.sha256);
    }
}
