//! `custseg serve`: load the model (and the lifetime-value outputs), bind, serve until SIGTERM
//! or Ctrl-C, draining requests in flight; reload the model when its file changes.

use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use custseg_serve::{AppState, PredictionLog, ServeOptions, router};

use crate::cli::ServeArgs;
use crate::settings::Settings;
use custseg_pipeline::serving::{self, ServedFiles};
use custseg_pipeline::tracking::Tracking;

/// Runs `custseg serve`.
pub fn run(args: &ServeArgs, settings: &Settings) -> Result<()> {
    let tracking = Tracking::resolve(&settings.tracking, &settings.registry);
    let interval =
        (args.reload_interval_ms > 0).then(|| Duration::from_millis(args.reload_interval_ms));
    let root = settings.ingest.data_dir.join("models");
    let aliased = serving::follow_alias(&args.model, tracking, root, interval)?;
    let (model, name) = match aliased {
        Some(aliased) => (aliased.path, args.name.clone().or(Some(aliased.name))),
        None => (args.model.clone(), args.name.clone()),
    };
    let files = ServedFiles::new(model, args.clv.clone(), name, &settings.registry.model);
    let (served, fingerprint) = files.load()?;
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
        report_file: files
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
        if let Some(interval) = interval {
            tokio::spawn(serving::watch(
                Arc::clone(&state),
                files.clone(),
                fingerprint,
                interval,
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
