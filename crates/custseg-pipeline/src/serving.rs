//! What `custseg serve` serves, from files: the model, the lifetime-value outputs beside it
//! and the name it is registered under; a model that follows a registry alias; and the watch
//! that swaps in a changed file. The binary binds, serves and shuts down.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use custseg_clv::model_file::ClvModelFile;
use custseg_model::ModelFile;
use custseg_serve::{AppState, ClvService, ServedModel, StoredClv};
use sha2::{Digest, Sha256};

use crate::clv_stage::read_predictions;
use crate::registered::RegisteredFile;
use crate::tracking::{Tracking, fetch, registry_reference, resolve};

/// A registered model served by alias: the version the alias named at start, fetched into a
/// local directory.
#[derive(Debug, Clone)]
pub struct AliasedModel {
    /// The registered model's name.
    pub name: String,
    /// The model file of the version fetched.
    pub path: PathBuf,
}

/// For `--model NAME@ALIAS` (when no such file exists): fetches the version the alias names
/// into `root`, and, with a non-zero `interval`, starts a thread that fetches the new version
/// whenever the alias moves, so that the file watcher swaps it in. `None` for a plain file.
pub fn follow_alias(
    model: &Path,
    tracking: Tracking,
    root: PathBuf,
    interval: Option<Duration>,
) -> Result<Option<AliasedModel>> {
    let shown = model.to_string_lossy().into_owned();
    let Some((name, reference)) = registry_reference(&shown).filter(|_| !model.exists()) else {
        return Ok(None);
    };
    let version =
        resolve(&tracking, &name, &reference).with_context(|| format!("`--model {shown}`"))?;
    let path =
        fetch(&tracking, &name, version, &root).with_context(|| format!("`--model {shown}`"))?;
    tracing::info!(model = %name, %reference, version, path = %path.display(), "serving a registered model");
    let aliased = AliasedModel {
        name: name.clone(),
        path,
    };
    let Some(interval) = interval else {
        return Ok(Some(aliased));
    };
    // Detached: it lives as long as the process.
    std::thread::spawn(move || {
        let mut current = version;
        loop {
            std::thread::sleep(interval);
            match resolve(&tracking, &name, &reference) {
                Ok(now) if now != current => match fetch(&tracking, &name, now, &root) {
                    Ok(_) => {
                        tracing::info!(model = %name, %reference, from = current, to = now, "the alias moved; fetched the new version");
                        current = now;
                    }
                    Err(error) => tracing::warn!(
                        error = format!("{error:#}"),
                        "cannot fetch the new version; keeping the one served"
                    ),
                },
                Ok(_) => {}
                Err(error) => tracing::warn!(
                    error = format!("{error:#}"),
                    "cannot read the registry; keeping the model served"
                ),
            }
        }
    });
    Ok(Some(aliased))
}

/// The files a server serves from, and the name it serves them under.
#[derive(Debug, Clone)]
pub struct ServedFiles {
    /// The model file.
    pub model: PathBuf,
    /// The lifetime-value outputs (`clv/`), when served.
    pub clv: Option<PathBuf>,
    /// The name the model is served under.
    pub name: String,
}

impl ServedFiles {
    /// `model` with the lifetime-value outputs `clv` (else the `clv/` beside the model's
    /// directory, when it holds a model), served as `name` (else the registered model's name
    /// from the `registered.json` the run wrote beside it, else `registry_model`, the name
    /// `custseg run` registers under; never the output directory's name).
    pub fn new(
        model: PathBuf,
        clv: Option<PathBuf>,
        name: Option<String>,
        registry_model: &str,
    ) -> Self {
        let clv = clv.or_else(|| {
            let beside = model.parent()?.parent()?.join("clv");
            beside.join("model.json").exists().then_some(beside)
        });
        let name = name.unwrap_or_else(|| {
            RegisteredFile::name_beside(&model).unwrap_or_else(|| registry_model.to_owned())
        });
        Self { model, clv, name }
    }

    /// Loads what is served, and the fingerprint of the files it came from.
    pub fn load(&self) -> Result<(ServedModel, String)> {
        let bytes = fs_err::read(&self.model)?;
        let model =
            ModelFile::from_bytes(&bytes).with_context(|| format!("`{}`", self.model.display()))?;
        let model_sha = sha256(&bytes);
        let version = model_sha[..12].to_owned();
        let clv = self.clv.as_deref().map(load_clv).transpose()?;
        let fingerprint = model_sha + &clv.as_ref().map_or(String::new(), |(_, f)| format!("-{f}"));
        Ok((
            ServedModel {
                name: self.name.clone(),
                version,
                model,
                clv: clv.map(|(service, _)| service),
            },
            fingerprint,
        ))
    }

    /// The fingerprint of the files as they are now.
    pub fn fingerprint(&self) -> Result<String> {
        let mut parts = vec![sha256(&fs_err::read(&self.model)?)];
        if let Some(dir) = &self.clv {
            parts.push(sha256(&fs_err::read(dir.join("model.json"))?));
        }
        Ok(parts.join("-"))
    }
}

/// Checks the served files every `interval`; a changed file that loads is served from the
/// next request on, one that does not is logged and ignored.
pub async fn watch(
    state: Arc<AppState>,
    files: ServedFiles,
    mut fingerprint: String,
    interval: Duration,
) {
    let mut ticker = tokio::time::interval(interval);
    loop {
        ticker.tick().await;
        let now = match files.fingerprint() {
            Ok(now) => now,
            Err(error) => {
                tracing::warn!(%error, "cannot read the model files; keeping the model served");
                continue;
            }
        };
        if now == fingerprint {
            continue;
        }
        match files.load() {
            Ok((served, loaded)) => {
                tracing::info!(version = %served.version, "model changed on disk; now serving it");
                state.replace(served);
                fingerprint = loaded;
            }
            Err(error) => tracing::warn!(
                error = format!("{error:#}"),
                "the changed model does not load; keeping the one served"
            ),
        }
    }
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The lifetime-value model and every customer's stored predictions, from `clv/`.
fn load_clv(dir: &Path) -> Result<(ClvService, String)> {
    let model_path = dir.join("model.json");
    let bytes = fs_err::read(&model_path)?;
    let fingerprint = sha256(&bytes);
    let model = ClvModelFile::from_json_bytes(&bytes)
        .with_context(|| format!("`{}`", model_path.display()))?;
    let (purchase, spend, unit, options) = (
        model.chosen_model(),
        model.gamma_gamma.params,
        model.unit,
        model.clv,
    );
    let customers: HashMap<i64, StoredClv> = read_predictions(&dir.join("predictions.parquet"))?
        .into_iter()
        .collect();
    Ok((
        ClvService {
            purchase,
            spend,
            unit,
            options,
            customers,
            standard_errors: model.standard_errors_by_name(),
            new_customer: model.new_customer,
            draws: model.uncertainty,
        },
        fingerprint,
    ))
}
