//! The model registry trait: named models, numbered versions, aliases and their history.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::Result;

/// One version of a registered model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelVersion {
    /// The model's name.
    pub name: String,
    /// 1, 2, 3... in the order registered.
    pub version: u32,
    /// The run that produced it.
    pub run_id: String,
    /// Where its files are (`runs:/<run>/model` or a path).
    pub source: String,
    /// Its scores (silhouette, Davies-Bouldin, stability...), for the promotion gate.
    pub metrics: BTreeMap<String, f64>,
    /// When it was registered.
    pub created_at: DateTime<Utc>,
    /// Free text.
    pub description: String,
}

/// One change of an alias: who moved it, when, from which version to which, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AliasEvent {
    /// The alias (`production`).
    pub alias: String,
    /// The version it pointed to before (none when new).
    pub from: Option<u32>,
    /// The version it points to now (none when removed).
    pub to: Option<u32>,
    /// When.
    pub at: DateTime<Utc>,
    /// Who (the user name of the process).
    pub by: String,
    /// Why (`promote`, `rollback`, free text).
    pub reason: String,
}

/// Versions of named models, aliases pointing at them, and every alias change kept.
pub trait Registry: Send + Sync {
    /// Where the registry is, for messages.
    fn location(&self) -> String;

    /// Registers a new version of `name` (creating the model when missing).
    fn create_version(
        &self,
        name: &str,
        run_id: &str,
        source: &str,
        metrics: &BTreeMap<String, f64>,
        description: &str,
    ) -> Result<ModelVersion>;

    /// Names of the registered models.
    fn models(&self) -> Result<Vec<String>>;

    /// Versions of `name`, oldest first.
    fn versions(&self, name: &str) -> Result<Vec<ModelVersion>>;

    /// One version.
    fn version(&self, name: &str, version: u32) -> Result<ModelVersion>;

    /// The aliases of `name` and the versions they point to.
    fn aliases(&self, name: &str) -> Result<BTreeMap<String, u32>>;

    /// Points `alias` at `version` (or removes it with `None`), recording who, when and why.
    fn set_alias(
        &self,
        name: &str,
        alias: &str,
        version: Option<u32>,
        by: &str,
        reason: &str,
    ) -> Result<AliasEvent>;

    /// Every alias change of `name`, oldest first.
    fn alias_history(&self, name: &str) -> Result<Vec<AliasEvent>>;
}

/// The version `alias` pointed to at `time`, from an alias history.
pub fn live_at(history: &[AliasEvent], alias: &str, time: DateTime<Utc>) -> Option<u32> {
    history
        .iter()
        .filter(|e| e.alias == alias && e.at <= time)
        .max_by_key(|e| e.at)
        .and_then(|e| e.to)
}

/// The user name of this process, for alias history: `USER`, `LOGNAME`, else the name
/// `/etc/passwd` gives this process's user id.
pub fn current_user() -> String {
    if let Some(name) = ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|key| std::env::var(key).ok().filter(|v| !v.is_empty()))
    {
        return name;
    }
    let uid = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|rest| rest.split_whitespace().next().map(str::to_owned))
        });
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    uid.and_then(|uid| {
        passwd.lines().find_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            (fields.len() > 2 && fields[2] == uid).then(|| fields[0].to_owned())
        })
    })
    .unwrap_or_else(|| "unknown".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(alias: &str, to: Option<u32>, at: &str) -> AliasEvent {
        AliasEvent {
            alias: alias.into(),
            from: None,
            to,
            at: at.parse().unwrap(),
            by: "ana".into(),
            reason: "promote".into(),
        }
    }

    #[test]
    fn live_at_answers_which_version_an_alias_pointed_to_on_a_date() {
        let history = [
            event("production", Some(1), "2026-11-01T00:00:00Z"),
            event("staging", Some(3), "2026-11-10T00:00:00Z"),
            event("production", Some(2), "2026-11-15T00:00:00Z"),
            event("production", None, "2026-11-20T00:00:00Z"),
        ];
        let at = |t: &str| live_at(&history, "production", t.parse().unwrap());
        assert_eq!(at("2026-10-31T00:00:00Z"), None);
        assert_eq!(at("2026-11-14T23:59:59Z"), Some(1));
        assert_eq!(at("2026-11-15T00:00:00Z"), Some(2));
        assert_eq!(at("2026-11-21T00:00:00Z"), None);
    }
}
