//! `custseg serve`: load the model (and the lifetime-value outputs), bind, serve until SIGTERM
//! or Ctrl-C, draining requests in flight; reload the model when its file changes.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use custseg_clv::model_file::ClvModelFile;
use custseg_model::ModelFile;
use custseg_serve::{
    AppState, ClvService, PredictionLog, ServeOptions, ServedModel, StoredClv, router,
};
use sha2::{Digest, Sha256};

use crate::cli::ServeArgs;
use crate::settings::Settings;
use custseg_pipeline::clv_stage::read_predictions;
use custseg_pipeline::registered::RegisteredFile;
use custseg_pipeline::tracking::{Tracking, fetch, registry_reference, resolve};

/// For `--model NAME@ALIAS`: fetches the version the alias names into the data directory,
/// points `args.model` at it (and `--name` at NAME), and starts a thread that fetches the new
/// version whenever the alias moves, so that the file watcher swaps it in.
fn registry_model(
    args: &mut ServeArgs,
    settings: &Settings,
) -> Result<Option<std::thread::JoinHandle<()>>> {
    let shown = args.model.to_string_lossy().into_owned();
    let Some((name, reference)) = registry_reference(&shown).filter(|_| !args.model.exists())
    else {
        return Ok(None);
    };
    let tracking = Tracking::resolve(&settings.tracking, &settings.registry);
    let root = settings.ingest.data_dir.join("models");
    let version =
        resolve(&tracking, &name, &reference).with_context(|| format!("`--model {shown}`"))?;
    let path =
        fetch(&tracking, &name, version, &root).with_context(|| format!("`--model {shown}`"))?;
    tracing::info!(model = %name, %reference, version, path = %path.display(), "serving a registered model");
    args.model = path;
    args.name.get_or_insert_with(|| name.clone());
    if args.reload_interval_ms == 0 {
        return Ok(None);
    }
    let interval = Duration::from_millis(args.reload_interval_ms);
    let handle = std::thread::spawn(move || {
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
    Ok(Some(handle))
}

/// The name a model file is served under when `--name` is not given: the registered model's
/// name from the `registered.json` the run wrote beside it, else the name `custseg run`
/// registers under (`[registry] model`), never the output directory's name.
fn served_name(model: &Path, registry_model: &str) -> String {
    RegisteredFile::name_beside(model).unwrap_or_else(|| registry_model.to_owned())
}

/// Runs `custseg serve`.
pub fn run(args: &ServeArgs, settings: &Settings) -> Result<()> {
    let mut args = args.clone();
    // Detached: it lives as long as the process.
    let _follow = registry_model(&mut args, settings)?;
    let args = &args;
    let clv_dir = args.clv.clone().or_else(|| {
        let beside = args.model.parent()?.parent()?.join("clv");
        beside.join("model.json").exists().then_some(beside)
    });
    let name = args
        .name
        .clone()
        .unwrap_or_else(|| served_name(&args.model, &settings.registry.model));
    let (served, fingerprint) = load(&args.model, clv_dir.as_deref(), &name)?;
    let token = match &args.token_file {
        Some(path) => {
            let token = fs_err::read_to_string(path)?.trim().to_owned();
            if token.is_empty() {
                bail!("token file `{}` is empty", path.display());
            }
            Some(token)
        }
        None => None,
    };
    let env = |key: &str| std::env::var(key).ok().filter(|v| !v.is_empty());
    let addr = match env("AIP_HTTP_PORT") {
        Some(port) => format!("0.0.0.0:{port}"),
        None => args.addr.clone(),
    };
    let options = ServeOptions {
        max_body_bytes: args.max_body_bytes,
        max_instances: args.max_instances,
        token,
        health_route: env("AIP_HEALTH_ROUTE").unwrap_or_else(|| "/health".into()),
        predict_route: env("AIP_PREDICT_ROUTE").unwrap_or_else(|| "/predict".into()),
        report_file: args
            .model
            .parent()
            .and_then(Path::parent)
            .map(|dir| dir.join("report/index.html"))
            .filter(|path| path.exists()),
        log_dir: (!args.no_log).then(|| args.log_dir.clone()),
        drift_history: Duration::from_secs(args.drift_hours.max(1) * 3600),
        drift_refresh: Duration::from_millis(args.drift_refresh_ms),
        drift_thresholds: custseg_serve::drift::Thresholds::default(),
    };
    let state = Arc::new(AppState::new(served, options));
    let runtime = super::runtime()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(&addr)
            .await
            .with_context(|| format!("cannot listen on `{addr}`"))?;
        let local = listener.local_addr()?;
        let current = state.current();
        tracing::info!(%local, model = %current.name, version = %current.version, "serving");
        println!(
            "serving    {} version {} on http://{local}",
            current.name, current.version
        );
        drop(current);
        let writer = if args.no_log {
            None
        } else {
            let (log, task) = PredictionLog::start(
                args.log_dir.clone(),
                Duration::from_millis(args.log_flush_ms.max(1)),
            )
            .with_context(|| {
                format!(
                    "cannot open the prediction log under `{}`",
                    args.log_dir.display()
                )
            })?;
            state.set_log(log);
            Some(task)
        };
        if args.reload_interval_ms > 0 {
            tokio::spawn(watch(
                Arc::clone(&state),
                args.model.clone(),
                clv_dir.clone(),
                name.clone(),
                fingerprint,
                Duration::from_millis(args.reload_interval_ms),
            ));
        }
        axum::serve(listener, router(Arc::clone(&state)))
            .with_graceful_shutdown(shutdown_signal())
            .await
            .context("the server failed")?;
        state.close_log();
        if let Some(task) = writer {
            task.await.context("the prediction log writer failed")?;
        }
        let _ = writeln!(
            std::io::stdout(),
            "stopped    after draining requests in flight"
        );
        Ok(())
    })
}

pub(crate) async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: draining requests in flight");
}

/// Checks the model file (and the lifetime-value model) every `interval`; a changed file that
/// loads is served from the next request on, one that does not is logged and ignored.
async fn watch(
    state: Arc<AppState>,
    model: PathBuf,
    clv: Option<PathBuf>,
    name: String,
    mut fingerprint: String,
    interval: Duration,
) {
    let mut ticker = tokio::time::interval(interval);
    loop {
        ticker.tick().await;
        let now = match files_fingerprint(&model, clv.as_deref()) {
            Ok(now) => now,
            Err(error) => {
                tracing::warn!(%error, "cannot read the model files; keeping the model served");
                continue;
            }
        };
        if now == fingerprint {
            continue;
        }
        match load(&model, clv.as_deref(), &name) {
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

fn files_fingerprint(model: &Path, clv: Option<&Path>) -> Result<String> {
    let mut parts = vec![sha256(&fs_err::read(model)?)];
    if let Some(dir) = clv {
        parts.push(sha256(&fs_err::read(dir.join("model.json"))?));
    }
    Ok(parts.join("-"))
}

/// Loads what is served and the fingerprint of the files it came from.
fn load(model_path: &Path, clv: Option<&Path>, name: &str) -> Result<(ServedModel, String)> {
    let bytes = fs_err::read(model_path)?;
    let model =
        ModelFile::from_bytes(&bytes).with_context(|| format!("`{}`", model_path.display()))?;
    let version = sha256(&bytes)[..12].to_owned();
    let clv = clv.map(load_clv).transpose()?;
    let fingerprint = files_fingerprint(model_path, None)?
        + &clv.as_ref().map_or(String::new(), |(_, f)| format!("-{f}"));
    Ok((
        ServedModel {
            name: name.to_owned(),
            version,
            model,
            clv: clv.map(|(service, _)| service),
        },
        fingerprint,
    ))
}

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
        .map(|row| {
            let stored = StoredClv {
                frequency: row.frequency,
                recency: row.recency,
                t: row.t,
                monetary_value: row.monetary_value,
                p_alive: row.p_alive,
                expected_purchases: row.expected_purchases,
                expected_value: row.expected_value,
                clv: row.clv,
            };
            (row.customer, stored)
        })
        .collect();
    Ok((
        ClvService {
            purchase,
            spend,
            unit,
            options,
            customers,
        },
        fingerprint,
    ))
}
