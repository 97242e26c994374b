//! Staging files and directories that a killed `demo-data` left behind.
//!
//! A demo log is written under a hidden name beside its final path (`.NAME.partial-PID`,
//! and `.NAME.old-PID` for the log it replaces) and renamed when complete. A process that
//! is killed never renames nor removes it, and at 100 million rows that leaves gigabytes
//! behind. Before writing, entries of that shape whose process no longer runs are removed.
//! Whether a process runs is read from `/proc`; where there is no `/proc`, nothing is removed,
//! since a live writer's files must never be.

use std::path::Path;

/// Removes from `parent` the staging entries of `name` (see the module documentation) whose
/// writer no longer runs; returns how many were removed. Failing to list or remove is not an
/// error: the new log is written all the same.
pub(crate) fn remove_abandoned(parent: &Path, name: &str) -> usize {
    if !Path::new("/proc/self").exists() {
        return 0;
    }
    let Ok(entries) = std::fs::read_dir(parent) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = staging_pid(&file_name, name) else {
            continue;
        };
        if pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        let path = entry.path();
        let gone = if path.is_dir() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        match gone {
            Ok(()) => {
                tracing::info!(path = %path.display(), pid, "removed what an interrupted demo-data run left");
                removed += 1;
            }
            Err(error) => {
                tracing::warn!(path = %path.display(), %error, "could not remove an interrupted run's file");
            }
        }
    }
    removed
}

/// The writer's process id when `file_name` is a staging entry of `name`.
fn staging_pid(file_name: &str, name: &str) -> Option<u32> {
    let rest = file_name.strip_prefix('.')?.strip_prefix(name)?;
    let pid = rest
        .strip_prefix(".partial-")
        .or_else(|| rest.strip_prefix(".old-"))?;
    pid.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staging_names_give_their_writers_pid() {
        assert_eq!(
            staging_pid(".demo.parquet.partial-42", "demo.parquet"),
            Some(42)
        );
        assert_eq!(staging_pid(".demo.old-7", "demo"), Some(7));
        assert_eq!(staging_pid(".demo.parquet.partial-42", "demo"), None);
        assert_eq!(staging_pid(".demo.parquet.partial-x", "demo.parquet"), None);
        assert_eq!(staging_pid("demo.parquet.partial-42", "demo.parquet"), None);
    }

    /// A dead writer's file and directory go; a live writer's entry, another log's and the
    /// log itself stay.
    #[test]
    fn only_dead_writers_entries_are_removed() {
        let directory = tempfile::tempdir().unwrap();
        let at = |name: &str| directory.path().join(name);
        // Above any Linux pid_max (2^22): no such process.
        let dead = 999_999_999u32;
        std::fs::write(at(&format!(".demo.parquet.partial-{dead}")), b"half").unwrap();
        std::fs::create_dir(at(&format!(".demo.parquet.old-{dead}"))).unwrap();
        std::fs::write(at(&format!(".demo.parquet.old-{dead}/part.csv")), b"x").unwrap();
        let live = format!(".demo.parquet.partial-{}", std::process::id());
        std::fs::write(at(&live), b"mine").unwrap();
        std::fs::write(at(&format!(".other.csv.partial-{dead}")), b"not ours").unwrap();
        std::fs::write(at("demo.parquet"), b"the log").unwrap();

        assert_eq!(remove_abandoned(directory.path(), "demo.parquet"), 2);
        let mut left: Vec<String> = std::fs::read_dir(directory.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        let mut expected = vec![
            ".other.csv.partial-999999999".to_owned(),
            "demo.parquet".to_owned(),
            live,
        ];
        expected.sort();
        assert_eq!(left, expected);
    }
}
