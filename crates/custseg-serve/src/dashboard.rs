//! The live dashboard: `GET /` serves one page (no external resource; its script is embedded
//! in the binary) that polls `GET /v1/dashboard` every two seconds.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::response::Html;
use serde_json::{Value, json};

use crate::drift::{psi_of_shares, shares};
use crate::state::AppState;

/// The page.
pub const PAGE: &str = include_str!("dashboard.html");

/// `GET /`.
pub async fn page() -> Html<&'static str> {
    Html(PAGE)
}

/// `GET /report`: the run's report page, read when asked for (so a new report shows at once).
pub async fn report(State(state): State<Arc<AppState>>) -> Result<Html<String>, crate::ApiError> {
    let missing = || {
        crate::ApiError::with_status(
            404,
            crate::ErrorCode::NotFound,
            "no report beside this model",
        )
    };
    let path = state.options.report_file.as_ref().ok_or_else(missing)?;
    tokio::fs::read_to_string(path)
        .await
        .map(Html)
        .map_err(|_| missing())
}

/// Each feature's PSI between the training histogram (in the model file) and the recent
/// inputs, for the dashboard and `/metrics`.
pub fn live_psi(state: &AppState) -> Vec<(String, f64)> {
    let served = state.current();
    let (names, rows) = state.metrics.recent();
    served
        .model
        .feature_stats
        .iter()
        .filter_map(|stats| {
            let j = names.iter().position(|n| *n == stats.name)?;
            let values: Vec<f64> = rows.iter().map(|r| r[j]).collect();
            if values.is_empty() {
                return None;
            }
            let n = stats.histogram_counts.iter().sum::<u64>().max(1) as f64;
            let reference: Vec<f64> = stats
                .histogram_counts
                .iter()
                .map(|c| *c as f64 / n)
                .collect();
            Some((
                stats.name.clone(),
                psi_of_shares(&reference, &shares(&values, &stats.histogram_edges)),
            ))
        })
        .collect()
}

/// `GET /v1/dashboard`: traffic, segments of recent predictions against training, and each
/// feature's PSI over the training histogram's bins.
pub async fn data(State(state): State<Arc<AppState>>) -> Json<Value> {
    let served = state.current();
    let model = &served.model;
    let traffic = state.metrics.traffic();
    let recent = state.metrics.recent_clusters();
    let total: usize = model.segments.iter().map(|s| s.size).sum::<usize>().max(1);
    let segments: Vec<Value> = model
        .segments
        .iter()
        .map(|s| {
            let count = recent.iter().filter(|c| **c == s.id).count();
            json!({
                "cluster": s.id,
                "segment": s.name,
                "training_share": s.size as f64 / total as f64,
                "recent_share": if recent.is_empty() { 0.0 } else { count as f64 / recent.len() as f64 },
            })
        })
        .collect();
    let drift: Vec<Value> = live_psi(&state)
        .into_iter()
        .map(|(feature, psi)| json!({ "feature": feature, "psi": psi }))
        .collect();
    Json(json!({
        "model": { "name": served.name, "version": served.version },
        "traffic": traffic,
        "recent_predictions": recent.len(),
        "segments": segments,
        "drift": drift,
        "report": state.options.report_file.as_ref().map(|_| "/report"),
    }))
}
