//! Registered models, versions and aliases on an MLflow server, with the alias history kept
//! as registered-model tags.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::client::MlflowClient;
use super::tracker::REQUEST_TAG;
use super::tracker::{key_values, number, text};
use crate::error::{Error, Result};
use crate::registry::{AliasEvent, ModelVersion, Registry};

/// Prefix of the version tags holding a version's scores.
const METRIC_TAG: &str = "custseg.metric.";
/// Prefix of the registered-model tags holding the alias history; zero-padded sequence
/// numbers keep them in order.
const EVENT_TAG: &str = "custseg.alias_event.";
/// Retries of an alias move that collided with a concurrent one.
const ALIAS_ATTEMPTS: u32 = 8;

/// Whether `error` is MLflow refusing an alias move because a concurrent move took the alias's
/// row first (a unique-key violation on its alias table, whatever the SQL backend).
fn alias_collision(error: &Error) -> bool {
    matches!(error, Error::Refusal { status: 400, message, .. }
        if message.contains("registered_model_aliases")
            && (message.contains("UNIQUE") || message.contains("unique") || message.contains("duplicate")))
}

impl MlflowClient {
    fn registered_model(&self, name: &str) -> Result<Value> {
        match self.get("registered-models/get", &[("name", name)]) {
            Ok(found) => Ok(found["registered_model"].clone()),
            Err(Error::Refusal { status: 404, .. }) => Err(Error::NoSuchModel(name.to_owned())),
            Err(error) => Err(error),
        }
    }
}

fn version_from(value: &Value) -> ModelVersion {
    let tags = key_values(&value["tags"]);
    let metrics = tags
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix(METRIC_TAG)?.to_owned(), v.parse().ok()?)))
        .collect();
    ModelVersion {
        name: text(&value["name"]),
        version: text(&value["version"]).parse().unwrap_or(0),
        run_id: text(&value["run_id"]),
        source: text(&value["source"]),
        metrics,
        created_at: chrono::DateTime::from_timestamp_millis(number(&value["creation_timestamp"]))
            .unwrap_or_default(),
        description: text(&value["description"]),
    }
}

impl Registry for MlflowClient {
    fn location(&self) -> String {
        format!("{} (model registry)", self.base())
    }

    fn create_version(
        &self,
        name: &str,
        run_id: &str,
        source: &str,
        metrics: &BTreeMap<String, f64>,
        description: &str,
    ) -> Result<ModelVersion> {
        match self.post("registered-models/create", &json!({"name": name})) {
            Ok(_) => {}
            Err(error) if error.already_exists() => {}
            Err(error) => return Err(error),
        }
        // As a run's creation: a tag of this request's own lets a retry after an unknown
        // outcome find the version the first attempt may have made.
        let request = uuid::Uuid::new_v4().to_string();
        let mut tags: Vec<Value> = metrics
            .iter()
            .map(|(k, v)| json!({"key": format!("{METRIC_TAG}{k}"), "value": v.to_string()}))
            .collect();
        tags.push(json!({"key": REQUEST_TAG, "value": request}));
        let filter = format!("name='{}'", name.replace('\'', "\\'"));
        let recover = || -> Result<Option<Value>> {
            let versions = self.get_all(
                "model-versions/search",
                &[("filter", &filter)],
                "model_versions",
            )?;
            Ok(versions
                .into_iter()
                .find(|v| {
                    v["tags"].as_array().into_iter().flatten().any(|tag| {
                        tag["key"] == REQUEST_TAG && tag["value"].as_str() == Some(&request)
                    })
                })
                .map(|v| json!({"model_version": v})))
        };
        let created = self.post_create(
            "model-versions/create",
            &json!({
                "name": name,
                "source": source,
                "run_id": run_id,
                "tags": tags,
                "description": description,
            }),
            &recover,
        )?;
        Ok(version_from(&created["model_version"]))
    }

    fn models(&self) -> Result<Vec<String>> {
        let found = self.get_all("registered-models/search", &[], "registered_models")?;
        let mut names: Vec<String> = found.iter().map(|m| text(&m["name"])).collect();
        names.sort();
        Ok(names)
    }

    fn versions(&self, name: &str) -> Result<Vec<ModelVersion>> {
        self.registered_model(name)?;
        let filter = format!("name='{}'", name.replace('\'', "\\'"));
        let found = self.get_all(
            "model-versions/search",
            &[("filter", &filter)],
            "model_versions",
        )?;
        let mut versions: Vec<ModelVersion> = found.iter().map(version_from).collect();
        versions.sort_by_key(|v| v.version);
        Ok(versions)
    }

    fn version(&self, name: &str, version: u32) -> Result<ModelVersion> {
        let shown = version.to_string();
        match self.get("model-versions/get", &[("name", name), ("version", &shown)]) {
            Ok(found) => Ok(version_from(&found["model_version"])),
            Err(Error::Refusal { status: 404, .. }) => Err(Error::NoSuchVersion {
                name: name.to_owned(),
                version,
            }),
            Err(error) => Err(error),
        }
    }

    fn aliases(&self, name: &str) -> Result<BTreeMap<String, u32>> {
        let model = self.registered_model(name)?;
        Ok(model["aliases"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|a| Some((text(&a["alias"]), text(&a["version"]).parse().ok()?)))
            .collect())
    }

    fn set_alias(
        &self,
        name: &str,
        alias: &str,
        version: Option<u32>,
        by: &str,
        reason: &str,
    ) -> Result<AliasEvent> {
        if let Some(version) = version {
            self.version(name, version)?;
        }
        self.registered_model(name)?;
        let from = self.aliases(name)?.get(alias).copied();
        let mut event = AliasEvent {
            alias: alias.to_owned(),
            from,
            to: version,
            at: chrono::Utc::now(),
            by: by.to_owned(),
            reason: reason.to_owned(),
        };
        // The move first, then its record: a move that fails leaves no record of a change that
        // never happened (a record that then fails leaves a move without one, which `models
        // show` reports as a change outside the history).
        let mut attempt = 0;
        loop {
            let moved = match version {
                // Versions are strings in MLflow's API: a number is a 400.
                Some(v) => self.post(
                    "registered-models/alias",
                    &json!({"name": name, "alias": alias, "version": v.to_string()}),
                ),
                None => self.delete(
                    "registered-models/alias",
                    &[("name", name), ("alias", alias)],
                ),
            };
            match moved {
                Ok(_) => break,
                // MLflow replaces an alias by a delete and an insert; two moves at once can
                // collide on its unique key and the loser gets a 400. Nothing moved: try again.
                Err(error) if alias_collision(&error) && attempt < ALIAS_ATTEMPTS => {
                    attempt += 1;
                    tracing::info!(
                        alias,
                        attempt,
                        "the alias moved under a concurrent change; trying again"
                    );
                    std::thread::sleep(std::time::Duration::from_millis(50 * u64::from(attempt)));
                }
                Err(error) => return Err(error),
            }
        }
        // The change's time is when the move was done, so that concurrent changes read back in
        // the order the server made them as nearly as a client can tell (MLflow has no
        // compare-and-set on aliases).
        event.at = chrono::Utc::now();
        // A key no other change can take, even one made at the same moment by another
        // process: the time to the microsecond and a random suffix.
        let key = format!(
            "{EVENT_TAG}{}-{}",
            event.at.format("%Y%m%dT%H%M%S%.6fZ"),
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        self.post(
            "registered-models/set-tag",
            &json!({
                "name": name,
                "key": key,
                "value": serde_json::to_string(&event).unwrap_or_default(),
            }),
        )?;
        Ok(event)
    }

    fn alias_history(&self, name: &str) -> Result<Vec<AliasEvent>> {
        let model = self.registered_model(name)?;
        let tags = key_values(&model["tags"]);
        let mut events: Vec<(String, AliasEvent)> = tags
            .iter()
            .filter(|(k, _)| k.starts_with(EVENT_TAG))
            .map(|(k, v)| {
                serde_json::from_str(v)
                    .map(|event| (k.clone(), event))
                    .map_err(|error| Error::Corrupt {
                        path: format!("{}: registered model `{name}`, tag `{k}`", self.base())
                            .into(),
                        message: error.to_string(),
                    })
            })
            .collect::<Result<_>>()?;
        // In the order they were made; keys of earlier versions (numbered) and of this one
        // (timed) both sort after the time.
        events.sort_by(|(ka, a), (kb, b)| a.at.cmp(&b.at).then_with(|| ka.cmp(kb)));
        Ok(events.into_iter().map(|(_, event)| event).collect())
    }
}
