//! Drift of the served inputs: the prediction log against the training reference stored in
//! the model file (`custseg monitor drift`, and the windows `custseg bench drift` draws).

use std::path::Path;

use anyhow::{Context, Result, bail};
use custseg_model::ModelFile;
use custseg_serve::drift::{DriftReport, PreparedReference, Thresholds, WindowSpec, report};
use custseg_serve::prediction_log;

use crate::model_stage::read_model;

/// The model's prepared drift reference, or the reason there is none.
pub fn prepared_reference(model: &ModelFile, path: &Path) -> Result<PreparedReference> {
    let Some(reference) = model.drift_reference.clone() else {
        bail!(
            "`{}` holds no drift reference (it was trained by an older custseg); retrain it",
            path.display()
        );
    };
    if reference.rows() == 0 || reference.features.len() != model.features.len() {
        bail!(
            "`{}`: the drift reference is empty or does not match the model's {} features",
            path.display(),
            model.features.len()
        );
    }
    Ok(PreparedReference::new(
        reference,
        model.segments.iter().map(|s| (s.id, s.size)).collect(),
    ))
}

/// The drift report of the inputs logged under `log_dir` (since `since`, an RFC 3339 time
/// or date) for the model at `model_path`, window by window.
pub fn drift_of_log(
    model_path: &Path,
    log_dir: &Path,
    since: Option<&str>,
    spec: WindowSpec,
    thresholds: &Thresholds,
) -> Result<DriftReport> {
    let model = read_model(model_path)?;
    let prepared = prepared_reference(&model, model_path)?;
    let clock = std::time::Instant::now();
    let (logged, broken) = prediction_log::read_inputs(log_dir, since)
        .with_context(|| format!("reading the prediction log `{}`", log_dir.display()))?;
    if broken > 0 {
        tracing::warn!(
            broken,
            "prediction log lines that do not parse (cut by a crash) were skipped"
        );
    }
    let width = model.features.len();
    let rows = prediction_log::LoggedInput::rows_of_width(&logged, width);
    if rows.is_empty() {
        bail!(
            "no logged predictions with this model's {width} features under `{}`{}",
            log_dir.display(),
            since.map(|s| format!(" since {s}")).unwrap_or_default()
        );
    }
    tracing::debug!(
        rows = rows.len(),
        seconds = clock.elapsed().as_secs_f64(),
        "read the prediction log"
    );
    let clock = std::time::Instant::now();
    let drift = report(&prepared, &rows, spec, thresholds);
    tracing::debug!(
        windows = drift.windows.len(),
        seconds = clock.elapsed().as_secs_f64(),
        "analysed"
    );
    Ok(drift)
}

/// Writes `drift` to `out` as pretty JSON, atomically (the retraining policy reads it).
pub fn write_drift_report(out: &Path, drift: &DriftReport) -> Result<()> {
    let mut json = serde_json::to_vec_pretty(drift)?;
    json.push(b'\n');
    custseg_io::write_atomic(out, &json)?;
    Ok(())
}
