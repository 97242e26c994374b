//! The routes: prediction in the Vertex AI shape, lifetime value, the model's description and
//! health. Each handler turns every failure into an [`ApiError`]; none panics on input.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use custseg_clv::clv::predict as clv_predict;
use custseg_clv::summary::CustomerSummary;
use custseg_model::predict::DESCRIPTIVE_COLUMNS;
use ndarray::Array2;
use serde::Serialize;
use serde_json::{Value, json};

use crate::error::{ApiError, ErrorCode};
use crate::explain::{Explanation, explain};
use crate::instances::parse;
use crate::prediction_log::LoggedRequest;
use crate::state::{AppState, ClvService, ServedModel};

/// Fields of a lifetime-value instance, in order.
pub const CLV_FIELDS: [&str; 4] = ["frequency", "recency", "T", "monetary_value"];

fn body_or_error(body: Result<Bytes, BytesRejection>, limit: usize) -> Result<Bytes, ApiError> {
    body.map_err(|rejection| {
        let status = rejection.status().as_u16();
        if status == 413 {
            ApiError::with_status(
                413,
                ErrorCode::BodyTooLarge,
                format!("the body is over the limit of {limit} bytes"),
            )
        } else {
            ApiError::with_status(status, ErrorCode::MalformedRequest, rejection.body_text())
        }
    })
}

/// A failure inside the server (a model that cannot score), as a 500.
fn internal(error: impl std::fmt::Display) -> ApiError {
    ApiError::with_status(500, ErrorCode::Internal, error.to_string())
}

/// Bodies over this many bytes (about 150 instances) are scored on a blocking thread.
const BLOCKING_BODY_BYTES: usize = 64 * 1024;

/// `POST /predict`.
///
/// A large batch takes milliseconds of CPU: scored on the runtime's worker it would hold up
/// every small request queued behind it, so it moves to a blocking thread (the await keeps
/// it in flight for a graceful shutdown).
pub async fn predict(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    crate::guard::require_json(&headers)?;
    let started = std::time::Instant::now();
    let body = body_or_error(body, state.options.max_body_bytes)?;
    if body.len() <= BLOCKING_BODY_BYTES {
        return score(&state, &body, started);
    }
    tokio::task::spawn_blocking(move || score(&state, &body, started))
        .await
        .map_err(internal)?
}

/// Parses, scores, logs and answers one prediction request.
fn score(state: &AppState, body: &[u8], started: std::time::Instant) -> Result<Response, ApiError> {
    let served = state.current();
    let model = &served.model;
    let request = parse(
        body,
        &model.features,
        &DESCRIPTIVE_COLUMNS,
        state.options.max_instances,
    )?;
    let n = request.rows.len();
    let flat: Vec<f64> = request.rows.iter().flatten().copied().collect();
    let x = Array2::from_shape_vec((n, model.features.len()), flat).map_err(internal)?;
    let predictions = model.predict_matrix(x.view()).map_err(internal)?;
    if let Some(index) = predictions.iter().position(|p| !p.distance.is_finite()) {
        return Err(ApiError {
            instance: Some(index),
            ..ApiError::with_status(
                422,
                ErrorCode::InvalidValue,
                format!(
                    "instance {index}: its values are too large for the model to score (the scaled distance is not finite)"
                ),
            )
        });
    }
    let segments: Vec<(usize, &str)> = predictions
        .iter()
        .map(|p| (p.cluster, p.segment.as_str()))
        .collect();
    state
        .metrics
        .scored(&model.features, &request.rows, &segments);
    let distances = if request.explain {
        Some(model.distances(x.view()).map_err(internal)?)
    } else {
        None
    };
    let out: Vec<PredictionAnswer> = predictions
        .iter()
        .enumerate()
        .map(|(i, p)| {
            // A known customer (its `CustomerID` in the instance) also gets its stored value.
            let stored = match (&served.clv, request.customer_ids[i]) {
                (Some(service), Some(id)) => service.customers.get(&id),
                _ => None,
            };
            PredictionAnswer {
                cluster: p.cluster,
                segment: &p.segment,
                distance: p.distance,
                outlier: p.outlier,
                explanation: distances
                    .as_ref()
                    .map(|distances| explain(model, &request.rows[i], &distances[i])),
                p_alive: stored.map(|stored| stored.p_alive),
                clv: stored.map(|stored| stored.clv),
            }
        })
        .collect();
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    let (dropped, failed) = state.log(|| LoggedRequest {
        time: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        model_version: served.version.clone(),
        latency_ms,
        features: request.rows.concat(),
        answers: predictions.iter().map(|p| (p.cluster, p.outlier)).collect(),
    });
    state.metrics.log_dropped(dropped);
    state.metrics.log_failed(failed);
    let answer = PredictAnswer {
        predictions: out,
        model: ModelName {
            name: &served.name,
            version: &served.version,
        },
    };
    let body = serde_json::to_vec(&answer).map_err(internal)?;
    Ok(([(CONTENT_TYPE, "application/json")], body).into_response())
}

/// The answer of `POST /predict`, serialised straight from the predictions (no tree of
/// `Value`s in between).
#[derive(Serialize)]
struct PredictAnswer<'a> {
    predictions: Vec<PredictionAnswer<'a>>,
    model: ModelName<'a>,
}

/// One prediction of [`PredictAnswer`].
#[derive(Serialize)]
struct PredictionAnswer<'a> {
    cluster: usize,
    segment: &'a str,
    distance: f64,
    outlier: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    explanation: Option<Explanation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    p_alive: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    clv: Option<f64>,
}

/// The served model's name and version.
#[derive(Serialize)]
struct ModelName<'a> {
    name: &'a str,
    version: &'a str,
}

/// `POST /v1/clv`: P(alive), expected purchases, expected spend and CLV from a history.
pub async fn clv(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    crate::guard::require_json(&headers)?;
    let body = body_or_error(body, state.options.max_body_bytes)?;
    let served = state.current();
    let Some(service) = &served.clv else {
        return Err(ApiError::with_status(
            404,
            ErrorCode::NoClvModel,
            "this server has no lifetime-value model (start it with `--clv`)",
        ));
    };
    let names: Vec<String> = CLV_FIELDS.iter().map(|f| (*f).to_owned()).collect();
    let request = parse(&body, &names, &["CustomerID"], state.options.max_instances)?;
    let mut out = Vec::with_capacity(request.rows.len());
    for (index, row) in request.rows.iter().enumerate() {
        let summary = CustomerSummary {
            customer: request.customer_ids[index].unwrap_or(0),
            frequency: row[0],
            recency: row[1],
            t: row[2],
            monetary_value: row[3],
            holdout_purchases: 0.0,
            holdout_spend: 0.0,
        };
        for (value, field) in row.iter().zip(CLV_FIELDS) {
            if *value < 0.0 {
                return Err(ApiError::at(
                    ErrorCode::InvalidValue,
                    index,
                    field,
                    format!("instance {index}: `{field}` is negative"),
                ));
            }
        }
        if summary.recency > summary.t {
            return Err(ApiError::at(
                ErrorCode::InvalidValue,
                index,
                "recency",
                format!(
                    "instance {index}: `recency` {} is beyond `T` {}",
                    summary.recency, summary.t
                ),
            ));
        }
        if summary.frequency.fract() != 0.0 {
            return Err(ApiError::at(
                ErrorCode::InvalidValue,
                index,
                "frequency",
                format!(
                    "instance {index}: `frequency` counts purchases; {} is not whole",
                    summary.frequency
                ),
            ));
        }
        let p = clv_predict(
            &service.purchase,
            &service.spend,
            &summary,
            service.unit,
            &service.options,
        )
        .map_err(|e| ApiError {
            instance: Some(index),
            ..ApiError::with_status(422, ErrorCode::InvalidValue, e.to_string())
        })?;
        if ![p.p_alive, p.expected_purchases, p.expected_value, p.clv]
            .iter()
            .all(|v| v.is_finite())
        {
            return Err(ApiError {
                instance: Some(index),
                ..ApiError::with_status(
                    422,
                    ErrorCode::InvalidValue,
                    format!("instance {index}: the models give no finite value for this history"),
                )
            });
        }
        let mut prediction = json!({
            "p_alive": p.p_alive,
            "expected_purchases": p.expected_purchases,
            "expected_value": p.expected_value,
            "clv": p.clv,
        });
        if let Some(draws) = &service.draws {
            let intervals = draws
                .intervals(&summary, service.unit, &service.options)
                .map_err(|e| ApiError {
                    instance: Some(index),
                    ..ApiError::with_status(422, ErrorCode::InvalidValue, e.to_string())
                })?;
            prediction["intervals"] = json!(intervals);
        }
        out.push(prediction);
    }
    Ok(Json(json!({
        "predictions": out,
        "model": clv_model_json(&served, service),
    })))
}

/// `GET /v1/clv/new-customer`: what a customer with no history yet is expected to bring over
/// the horizon, with its intervals.
pub async fn clv_new_customer(State(state): State<Arc<AppState>>) -> Result<Json<Value>, ApiError> {
    let served = state.current();
    let Some(service) = &served.clv else {
        return Err(ApiError::with_status(
            404,
            ErrorCode::NoClvModel,
            "this server has no lifetime-value model (start it with `--clv`)",
        ));
    };
    let new_customer = service.new_customer.as_ref().ok_or_else(|| {
        ApiError::with_status(
            404,
            ErrorCode::NotFound,
            "the lifetime-value model has no new-customer expectation (written by custseg clv since it gives one)",
        )
    })?;
    Ok(Json(
        json!({ "prediction": new_customer, "model": clv_model_json(&served, service) }),
    ))
}

/// `GET /v1/clv/{customer}`: the stored prediction of a known customer.
pub async fn clv_customer(
    State(state): State<Arc<AppState>>,
    Path(customer): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let served = state.current();
    let Some(service) = &served.clv else {
        return Err(ApiError::with_status(
            404,
            ErrorCode::NoClvModel,
            "this server has no lifetime-value model (start it with `--clv`)",
        ));
    };
    let id: i64 = customer.parse().map_err(|_| ApiError {
        field: Some("customer".into()),
        ..ApiError::bad_request(
            ErrorCode::NotANumber,
            format!("customer id `{customer}` is not a whole number"),
        )
    })?;
    let stored = service.customers.get(&id).ok_or_else(|| {
        ApiError::with_status(
            404,
            ErrorCode::NotFound,
            format!("no lifetime-value prediction for customer {id}"),
        )
    })?;
    Ok(Json(
        json!({ "CustomerID": id, "prediction": stored, "model": clv_model_json(&served, service) }),
    ))
}

/// What an answer of the lifetime-value routes says of the model: its name and version, the
/// purchase model and horizon, the standard errors of the parameters, and the level and method
/// of the intervals (absent when the stage made none).
fn clv_model_json(served: &ServedModel, service: &ClvService) -> Value {
    json!({
        "name": served.name,
        "version": served.version,
        "purchase_model": service.purchase.name(),
        "horizon_months": service.options.horizon_months,
        "standard_errors": service.standard_errors,
        "intervals": service.draws.as_ref().map(|d| json!({"level": d.level, "method": d.method, "draws": d.purchase.len()})),
    })
}

/// `GET /v1/model`.
pub async fn model(State(state): State<Arc<AppState>>) -> Result<Json<Value>, ApiError> {
    let served = state.current();
    let m = &served.model;
    Ok(Json(json!({
        "name": served.name,
        "version": served.version,
        "features": m.features,
        "segments": m.segments.iter().map(|s| json!({"cluster": s.id, "segment": s.name, "size": s.size, "description": s.description})).collect::<Vec<_>>(),
        "selection": m.selection,
        "metrics": m.metrics,
        "clv": served.clv.as_ref().map(|c| json!({"purchase_model": c.purchase, "spend_model": c.spend, "customers": c.customers.len(), "horizon_months": c.options.horizon_months})),
    })))
}

/// `GET /metrics`: the Prometheus text format, with the live drift (computed off the
/// runtime's workers: it reads the prediction log).
pub async fn metrics(State(state): State<Arc<AppState>>) -> Result<Response, ApiError> {
    let live = {
        let state = Arc::clone(&state);
        tokio::task::spawn_blocking(move || state.live_view())
            .await
            .map_err(internal)?
    };
    Ok((
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        state.metrics.render(&live),
    )
        .into_response())
}

/// `GET /health`.
pub async fn health(State(state): State<Arc<AppState>>) -> Json<Value> {
    let served = state.current();
    Json(json!({ "status": "ok", "model": { "name": served.name, "version": served.version } }))
}

/// Any other path.
pub async fn not_found() -> ApiError {
    ApiError::with_status(404, ErrorCode::NotFound, "no such route")
}
