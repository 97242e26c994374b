//! Errors as HTTP responses: a status, a stable code, a message, and where it applies the
//! instance index and field of the request that caused it.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Stable error codes (the `error.code` field of a response).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The body is not valid JSON or not of the expected shape.
    MalformedRequest,
    /// `instances` is empty.
    NoInstances,
    /// More instances than the server takes in one request.
    TooManyInstances,
    /// The body is over the size limit.
    BodyTooLarge,
    /// A feature the model needs is missing from an instance.
    MissingField,
    /// An instance has a field the model does not know.
    UnknownField,
    /// A field is not a number.
    NotANumber,
    /// A field is NaN or infinite, or out of its range.
    InvalidValue,
    /// An array instance has the wrong length.
    WrongLength,
    /// No such customer, route or resource.
    NotFound,
    /// The bearer token is missing or wrong.
    Unauthorized,
    /// A scoring request whose body is not declared as `application/json`.
    UnsupportedMediaType,
    /// The server has no lifetime-value model loaded.
    NoClvModel,
    /// Something failed inside the server (a bug, or a model that cannot score).
    Internal,
}

/// An API error.
#[derive(Debug, Clone, PartialEq, Serialize, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    /// HTTP status.
    #[serde(skip)]
    pub status: u16,
    /// Stable code.
    pub code: ErrorCode,
    /// What is wrong and what was expected.
    pub message: String,
    /// Index of the offending instance.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<usize>,
    /// The offending field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl ApiError {
    /// A 400 Bad Request.
    pub fn bad_request(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            status: 400,
            code,
            message: message.into(),
            instance: None,
            field: None,
        }
    }

    /// A 400 about one instance's field.
    pub fn at(code: ErrorCode, instance: usize, field: &str, message: impl Into<String>) -> Self {
        Self {
            instance: Some(instance),
            field: Some(field.to_owned()),
            ..Self::bad_request(code, message)
        }
    }

    /// Any status.
    pub fn with_status(status: u16, code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            status,
            ..Self::bad_request(code, message)
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        (status, Json(serde_json::json!({ "error": self }))).into_response()
    }
}
