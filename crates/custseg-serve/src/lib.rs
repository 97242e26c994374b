//! The prediction API: segments (Vertex AI's `{"instances": ...}` shape) and lifetime value over
//! HTTP with axum. [`router`] builds the routes over an [`AppState`]; `custseg-pipeline` loads the
//! model files into a [`ServedModel`] and the binary binds the socket.
//!
//! No DataFusion, no file formats: the state is built from already-loaded models.

pub mod dashboard;
pub mod drift;
pub mod error;
pub mod explain;
pub mod guard;
pub mod instances;
pub mod live;
pub mod metrics;
pub mod prediction_log;
pub mod routes;
pub mod state;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

pub use error::{ApiError, ErrorCode};
pub use prediction_log::{LoggedPrediction, LoggedRequest, PredictionLog};
pub use state::{AppState, ClvService, ServeOptions, ServedModel, StoredClv};

/// The routes over `state`: the prediction and health routes at their configured paths (Vertex
/// AI's `AIP_PREDICT_ROUTE` and `AIP_HEALTH_ROUTE`), `/v1/model`, `/v1/clv`,
/// `/v1/clv/new-customer`, `/v1/clv/{customer}`, `/metrics`, the dashboard (`/`, `/v1/dashboard`) and `/report`.
///
/// With a token, every route but the health route requires it ([`guard::require_token`]).
/// Without one, the guard is not layered at all: a request then pays nothing for it.
pub fn router(state: Arc<AppState>) -> Router {
    let limit = state.options.max_body_bytes;
    let mut guarded = Router::new()
        .route(&state.options.predict_route, post(routes::predict))
        .route("/v1/model", get(routes::model))
        .route("/v1/clv", post(routes::clv))
        .route("/v1/clv/new-customer", get(routes::clv_new_customer))
        .route("/v1/clv/{customer}", get(routes::clv_customer))
        .route("/metrics", get(routes::metrics))
        .route("/", get(dashboard::page))
        .route("/v1/dashboard", get(dashboard::data))
        .route("/report", get(dashboard::report));
    if state.options.token.is_some() {
        guarded = guarded.route_layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state),
            guard::require_token,
        ));
    }
    Router::new()
        .route(&state.options.health_route, get(routes::health))
        .merge(guarded)
        .fallback(routes::not_found)
        .layer(DefaultBodyLimit::max(limit))
        .route_layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state.metrics),
            metrics::track,
        ))
        .with_state(state)
}
