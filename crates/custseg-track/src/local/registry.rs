//! Registered models in the local store.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::{LocalStore, MODELS, check_name, read_json, write_json};
use crate::error::{Error, Result};
use crate::registry::{AliasEvent, ModelVersion, Registry};

impl LocalStore {
    fn model_dir(&self, name: &str) -> Result<PathBuf> {
        check_name(name, "a model name")?;
        Ok(self.root.join(MODELS).join(name))
    }

    fn existing_model_dir(&self, name: &str) -> Result<PathBuf> {
        let dir = self.model_dir(name)?;
        if dir.join("versions").is_dir() {
            Ok(dir)
        } else {
            Err(Error::NoSuchModel(name.to_owned()))
        }
    }

    /// Holds the model's exclusive lock while `change` runs.
    fn locked<T>(&self, name: &str, change: impl FnOnce(&PathBuf) -> Result<T>) -> Result<T> {
        let dir = self.existing_model_dir(name)?;
        let path = dir.join(".lock");
        let lock = std::fs::File::create(&path).map_err(|source| Error::io(&path, source))?;
        lock.lock().map_err(|source| Error::io(&path, source))?;
        let result = change(&dir);
        drop(lock);
        result
    }
}

impl Registry for LocalStore {
    fn location(&self) -> String {
        format!("{}/", self.root.join(MODELS).display())
    }

    fn create_version(
        &self,
        name: &str,
        run_id: &str,
        source: &str,
        metrics: &BTreeMap<String, f64>,
        description: &str,
    ) -> Result<ModelVersion> {
        let versions = self.model_dir(name)?.join("versions");
        std::fs::create_dir_all(&versions).map_err(|source| Error::io(&versions, source))?;
        // Take the next free number by creating its file exclusively: two processes
        // registering at once get different numbers.
        let mut next = self.versions(name)?.last().map_or(1, |v| v.version + 1);
        loop {
            let path = versions.join(format!("{next}.json"));
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(file) => {
                    drop(file);
                    let version = ModelVersion {
                        name: name.to_owned(),
                        version: next,
                        run_id: run_id.to_owned(),
                        source: source.to_owned(),
                        metrics: metrics.clone(),
                        created_at: chrono::Utc::now(),
                        description: description.to_owned(),
                    };
                    write_json(&path, &version)?;
                    return Ok(version);
                }
                Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => next += 1,
                Err(source) => return Err(Error::io(&path, source)),
            }
        }
    }

    fn models(&self) -> Result<Vec<String>> {
        let dir = self.root.join(MODELS);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return Ok(Vec::new());
        };
        let mut names: Vec<String> = entries
            .flatten()
            .filter(|e| e.path().join("versions").is_dir())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        Ok(names)
    }

    fn versions(&self, name: &str) -> Result<Vec<ModelVersion>> {
        let dir = self.model_dir(name)?.join("versions");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return Ok(Vec::new());
        };
        let mut versions = Vec::new();
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "json") {
                // A file just created by another process may still be empty.
                if std::fs::metadata(&path).is_ok_and(|m| m.len() == 0) {
                    continue;
                }
                versions.push(read_json::<ModelVersion>(&path)?);
            }
        }
        versions.sort_by_key(|v| v.version);
        Ok(versions)
    }

    fn version(&self, name: &str, version: u32) -> Result<ModelVersion> {
        let path = self
            .existing_model_dir(name)?
            .join("versions")
            .join(format!("{version}.json"));
        if !path.is_file() {
            return Err(Error::NoSuchVersion {
                name: name.to_owned(),
                version,
            });
        }
        read_json(&path)
    }

    fn aliases(&self, name: &str) -> Result<BTreeMap<String, u32>> {
        let path = self.existing_model_dir(name)?.join("aliases.json");
        if path.is_file() {
            read_json(&path)
        } else {
            Ok(BTreeMap::new())
        }
    }

    fn set_alias(
        &self,
        name: &str,
        alias: &str,
        version: Option<u32>,
        by: &str,
        reason: &str,
    ) -> Result<AliasEvent> {
        check_name(alias, "an alias")?;
        if let Some(version) = version {
            self.version(name, version)?;
        }
        self.locked(name, |dir| {
            let before = self.aliases(name)?;
            let mut aliases = before.clone();
            let from = match version {
                Some(v) => aliases.insert(alias.to_owned(), v),
                None => aliases.remove(alias),
            };
            let event = AliasEvent {
                alias: alias.to_owned(),
                from,
                to: version,
                at: chrono::Utc::now(),
                by: by.to_owned(),
                reason: reason.to_owned(),
            };
            // Under the lock, the move and its record stand or fall together: the move first
            // (a move that fails leaves no record), then the record; a record that fails puts
            // the alias back.
            write_json(&dir.join("aliases.json"), &aliases)?;
            if let Err(error) = append_event(&dir.join("alias-history.jsonl"), &event) {
                write_json(&dir.join("aliases.json"), &before)?;
                return Err(error);
            }
            Ok(event)
        })
    }

    fn alias_history(&self, name: &str) -> Result<Vec<AliasEvent>> {
        let path = self.existing_model_dir(name)?.join("alias-history.jsonl");
        // No history file yet is an empty history; any other read error is an error.
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(source) if source.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => return Err(Error::io(&path, source)),
        };
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .enumerate()
            .map(|(i, line)| {
                serde_json::from_str(line).map_err(|error| Error::Corrupt {
                    path: path.clone(),
                    message: format!("line {}: {error}", i + 1),
                })
            })
            .collect()
    }
}

/// Appends one event to an alias history, synced to disk.
fn append_event(history: &Path, event: &AliasEvent) -> Result<()> {
    let mut line = serde_json::to_vec(event).map_err(|error| Error::Corrupt {
        path: history.to_path_buf(),
        message: error.to_string(),
    })?;
    line.push(b'\n');
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(history)
        .map_err(|source| Error::io(history, source))?;
    file.write_all(&line)
        .and_then(|()| file.sync_data())
        .map_err(|source| Error::io(history, source))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scores(silhouette: f64) -> BTreeMap<String, f64> {
        BTreeMap::from([("silhouette".to_owned(), silhouette)])
    }

    #[test]
    fn versions_count_up_and_aliases_keep_their_history() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path());
        let one = store
            .create_version("segments", "run1", "runs:/run1/model", &scores(0.3), "")
            .unwrap();
        let two = store
            .create_version("segments", "run2", "runs:/run2/model", &scores(0.4), "")
            .unwrap();
        assert_eq!((one.version, two.version), (1, 2));
        store
            .set_alias("segments", "production", Some(1), "ana", "promote")
            .unwrap();
        let moved = store
            .set_alias("segments", "production", Some(2), "bo", "promote")
            .unwrap();
        assert_eq!((moved.from, moved.to), (Some(1), Some(2)));
        assert_eq!(store.aliases("segments").unwrap()["production"], 2);
        let history = store.alias_history("segments").unwrap();
        assert_eq!(history.len(), 2);
        assert_eq!(history[1].by, "bo");
        assert_eq!(store.models().unwrap(), ["segments"]);
        assert_eq!(store.version("segments", 2).unwrap().run_id, "run2");
    }

    #[test]
    fn an_alias_cannot_point_at_a_version_that_does_not_exist() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path());
        store
            .create_version("segments", "r", "s", &scores(0.3), "")
            .unwrap();
        let error = store
            .set_alias("segments", "production", Some(7), "ana", "promote")
            .unwrap_err();
        assert_eq!(error.to_string(), "model `segments` has no version 7");
        assert!(store.alias_history("segments").unwrap().is_empty());
        assert!(matches!(
            store.aliases("unknown"),
            Err(Error::NoSuchModel(_))
        ));
    }

    #[test]
    fn an_unreadable_alias_history_is_an_error_not_an_empty_history() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path());
        store
            .create_version("segments", "r", "s", &scores(0.3), "")
            .unwrap();
        let model_dir = store.existing_model_dir("segments").unwrap();
        // A directory where the history file belongs: reading it fails.
        std::fs::create_dir(model_dir.join("alias-history.jsonl")).unwrap();
        let error = store.alias_history("segments").unwrap_err();
        assert!(error.to_string().contains("alias-history.jsonl"), "{error}");
    }

    #[test]
    fn alias_moves_from_two_processes_at_once_leave_a_history_that_matches_the_alias() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path());
        for run in ["r1", "r2"] {
            store
                .create_version("m", run, "s", &scores(0.1), "")
                .unwrap();
        }
        let rounds = 10;
        std::thread::scope(|scope| {
            for version in [1u32, 2] {
                // A store of its own, as another process would have.
                let store = LocalStore::new(dir.path());
                scope.spawn(move || {
                    for round in 0..rounds {
                        store
                            .set_alias("m", "production", Some(version), "ci", &round.to_string())
                            .unwrap();
                    }
                });
            }
        });
        let history = store.alias_history("m").unwrap();
        assert_eq!(history.len(), 2 * rounds);
        // Each change starts where the one before it ended, and the last ends at the alias.
        assert_eq!(history[0].from, None);
        for pair in history.windows(2) {
            assert_eq!(pair[1].from, pair[0].to, "{history:?}");
        }
        assert_eq!(
            history.last().unwrap().to,
            Some(store.aliases("m").unwrap()["production"])
        );
    }

    #[test]
    fn two_processes_registering_at_once_get_different_versions() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path());
        let numbers: Vec<u32> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..8)
                .map(|i| {
                    let store = store.clone();
                    scope.spawn(move || {
                        store
                            .create_version("m", &format!("r{i}"), "s", &scores(0.1), "")
                            .unwrap()
                            .version
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let mut sorted = numbers.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (1..=8).collect::<Vec<u32>>());
        assert_eq!(store.versions("m").unwrap().len(), 8);
    }
}
