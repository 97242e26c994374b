use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, IoContext, Result};

static STAGING_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A set of output files that appear together, whole, or not at all.
///
/// Files are written under a hidden staging directory inside the destination
/// (same filesystem, so the final step is a `rename`). [`StagedOutput::commit`]
/// moves each staged file over its final path; dropping an uncommitted
/// `StagedOutput` deletes the staging directory and leaves the destination as it was (a
/// destination it created is removed again when nothing else was put there).
/// Each file is replaced atomically; a crash inside `commit` itself can leave some
/// files new and others old, never a half-written file.
pub struct StagedOutput {
    destination: PathBuf,
    staging: PathBuf,
    files: Vec<PathBuf>,
    committed: bool,
    /// Whether [`StagedOutput::new`] created the destination directory.
    created_destination: bool,
}

impl StagedOutput {
    /// Starts staging outputs for `destination` (created if missing).
    pub fn new(destination: &Path) -> Result<Self> {
        let created_destination = !destination.exists();
        std::fs::create_dir_all(destination).at(destination)?;
        let unique = format!(
            ".custseg-staging-{}-{}",
            std::process::id(),
            STAGING_COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let staging = destination.join(unique);
        std::fs::create_dir_all(&staging).at(&staging)?;
        Ok(Self {
            destination: destination.to_path_buf(),
            staging,
            files: Vec::new(),
            committed: false,
            created_destination,
        })
    }

    /// The final directory the outputs go to.
    pub fn destination(&self) -> &Path {
        &self.destination
    }

    /// The temporary path to write `relative` to; its parent directory exists.
    pub fn path(&mut self, relative: &str) -> Result<PathBuf> {
        let relative_path = Path::new(relative);
        let is_plain = relative_path
            .components()
            .all(|component| matches!(component, Component::Normal(_)));
        if relative.is_empty() || !is_plain {
            return Err(Error::BadName(relative.to_owned()));
        }
        let staged = self.staging.join(relative_path);
        if let Some(parent) = staged.parent() {
            std::fs::create_dir_all(parent).at(parent)?;
        }
        if !self.files.iter().any(|known| known == relative_path) {
            self.files.push(relative_path.to_path_buf());
        }
        Ok(staged)
    }

    /// Where `relative` is now: its staged copy when this output set wrote it, else the file
    /// in the destination (which may not exist).
    pub fn current_path(&self, relative: &str) -> PathBuf {
        let relative_path = Path::new(relative);
        if self.files.iter().any(|known| known == relative_path) {
            self.staging.join(relative_path)
        } else {
            self.destination.join(relative_path)
        }
    }

    /// A directory for intermediate files that are never committed (created; removed with
    /// the staging directory if the caller does not remove it first).
    pub fn scratch_dir(&self, name: &str) -> Result<PathBuf> {
        let directory = self.staging.join(".scratch").join(name);
        std::fs::create_dir_all(&directory).at(&directory)?;
        Ok(directory)
    }

    /// The files staged so far, relative to the destination, in the order first staged.
    pub fn staged_files(&self) -> &[PathBuf] {
        &self.files
    }

    /// Writes `bytes` as the staged file `relative`.
    pub fn write(&mut self, relative: &str, bytes: &[u8]) -> Result<PathBuf> {
        let path = self.path(relative)?;
        std::fs::write(&path, bytes).at(&path)?;
        Ok(path)
    }

    /// Moves every staged file to its final place and removes the staging directory.
    pub fn commit(mut self) -> Result<Vec<PathBuf>> {
        let mut finals = Vec::with_capacity(self.files.len());
        for relative in &self.files {
            let from = self.staging.join(relative);
            let to = self.destination.join(relative);
            if let Some(parent) = to.parent() {
                std::fs::create_dir_all(parent).at(parent)?;
            }
            std::fs::rename(&from, &to).at(&to)?;
            finals.push(to);
        }
        self.committed = true;
        std::fs::remove_dir_all(&self.staging).at(&self.staging)?;
        Ok(finals)
    }
}

impl Drop for StagedOutput {
    fn drop(&mut self) {
        if self.committed {
            return;
        }
        if let Err(error) = std::fs::remove_dir_all(&self.staging) {
            tracing::warn!(path = %self.staging.display(), %error, "could not remove staging directory");
        }
        if self.created_destination {
            // Fails, as it should, when something else was put there meanwhile.
            let _ = std::fs::remove_dir(&self.destination);
        }
    }
}

/// Writes one file atomically: a temporary sibling, then `rename`.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let parent = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(parent).at(parent)?;
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temporary = parent.join(format!(
        ".{name}.tmp-{}-{}",
        std::process::id(),
        STAGING_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::write(&temporary, bytes).at(&temporary)?;
    std::fs::rename(&temporary, path).at(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uncommitted_output_leaves_destination_untouched() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("reports")).unwrap();
        std::fs::write(dir.path().join("reports/quality.json"), b"old").unwrap();
        {
            let mut staged = StagedOutput::new(dir.path()).unwrap();
            staged.write("reports/quality.json", b"new").unwrap();
            staged.write("features/x.csv", b"1").unwrap();
        }
        assert_eq!(
            std::fs::read(dir.path().join("reports/quality.json")).unwrap(),
            b"old"
        );
        assert!(!dir.path().join("features").exists());
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "only `reports` should remain");
    }

    #[test]
    fn an_uncommitted_output_removes_the_destination_it_created_when_empty() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        {
            let mut staged = StagedOutput::new(&out).unwrap();
            staged.write("reports/quality.json", b"new").unwrap();
        }
        assert!(!out.exists());
        // Something else written into it meanwhile stays, and so does the directory.
        {
            let _staged = StagedOutput::new(&out).unwrap();
            std::fs::write(out.join("note.txt"), b"kept").unwrap();
        }
        assert_eq!(std::fs::read(out.join("note.txt")).unwrap(), b"kept");
    }

    #[test]
    fn commit_replaces_every_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("reports")).unwrap();
        std::fs::write(dir.path().join("reports/quality.json"), b"old").unwrap();
        let mut staged = StagedOutput::new(dir.path()).unwrap();
        staged.write("reports/quality.json", b"new").unwrap();
        staged.write("features/x.csv", b"1").unwrap();
        let finals = staged.commit().unwrap();
        assert_eq!(finals.len(), 2);
        assert_eq!(
            std::fs::read(dir.path().join("reports/quality.json")).unwrap(),
            b"new"
        );
        assert_eq!(
            std::fs::read(dir.path().join("features/x.csv")).unwrap(),
            b"1"
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    #[test]
    fn current_path_prefers_the_staged_copy() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("old.txt"), "old").unwrap();
        let mut staged = StagedOutput::new(dir.path()).unwrap();
        staged.write("new.txt", b"new").unwrap();
        assert_eq!(
            std::fs::read_to_string(staged.current_path("new.txt")).unwrap(),
            "new"
        );
        assert_eq!(staged.current_path("old.txt"), dir.path().join("old.txt"));
    }

    #[test]
    fn staged_names_cannot_escape() {
        let dir = tempfile::tempdir().unwrap();
        let mut staged = StagedOutput::new(dir.path()).unwrap();
        assert!(matches!(staged.path("../x"), Err(Error::BadName(_))));
        assert!(matches!(staged.path("/etc/x"), Err(Error::BadName(_))));
    }

    #[test]
    fn write_atomic_replaces_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b.json");
        write_atomic(&path, b"1").unwrap();
        write_atomic(&path, b"2").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"2");
        assert_eq!(std::fs::read_dir(dir.path().join("a")).unwrap().count(), 1);
    }
}
