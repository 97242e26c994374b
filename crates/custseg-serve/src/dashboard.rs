//! The live dashboard: `GET /` serves one page (no external resource; its script is embedded
//! in the binary) that polls `GET /v1/dashboard` every two seconds.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::response::Html;
use serde_json::{Value, json};

use crate::drift::FeatureDrift;
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

/// `GET /v1/dashboard`: the verdict and its reason, traffic now and minute by minute, the
/// segments of recent predictions against training, and the live drift (overall and hour by
/// hour, each feature with its noise band).
pub async fn data(State(state): State<Arc<AppState>>) -> Result<Json<Value>, crate::ApiError> {
    let live = {
        let state = Arc::clone(&state);
        tokio::task::spawn_blocking(move || state.live_view())
            .await
            .map_err(|e| {
                crate::ApiError::with_status(500, crate::ErrorCode::Internal, e.to_string())
            })?
    };
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
    let feature_summary = |f: &FeatureDrift| {
        json!({
            "feature": f.feature,
            "change": f.change,
            "status": f.status,
            "effect": f.effect,
            "threshold": f.effect_threshold,
            "band": f.band,
            "p_adjusted": f.p_adjusted,
            "psi": f.psi,
        })
    };
    let overall = live.overall.as_ref();
    let windows: Vec<Value> = live
        .windows
        .iter()
        .map(|w| {
            json!({
                "window": w.window,
                "rows": w.rows,
                "decided": w.decided,
                "drift": w.drift,
                "features": w.features.iter().chain(&w.multivariate).map(|f| json!({
                    "feature": f.feature, "effect": f.effect, "threshold": f.effect_threshold,
                    "band": f.band, "status": f.status,
                })).collect::<Vec<_>>(),
                "segments": w.segments.as_ref().map(|s| &s.current),
            })
        })
        .collect();
    Ok(Json(json!({
        "model": { "name": served.name, "version": served.version },
        "traffic": traffic,
        "history": state.metrics.history(24 * 60),
        "recent_predictions": recent.len(),
        "segments": segments,
        "verdict": {
            "drift": overall.is_some_and(|o| o.drift),
            "decided": overall.is_some_and(|o| o.decided),
            "reason": overall.map_or_else(|| live.note.clone().unwrap_or_default(), |o| o.reason.clone()),
            "rows": overall.map_or(0, |o| o.rows),
            "since": live.since,
            "computed_at": live.computed_at,
            "drift_began": live.drift_began,
        },
        "drift": overall.map(|o| o.features.iter().chain(&o.multivariate).map(feature_summary).collect::<Vec<_>>()).unwrap_or_default(),
        "segment_drift": overall.and_then(|o| o.segments.as_ref()),
        "windows": windows,
        "report": state.options.report_file.as_ref().map(|_| "/report"),
    })))
}
