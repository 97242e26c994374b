//! What guards the server: the bearer token on every route but health, and the JSON content
//! type on the scoring routes.
//!
//! A browser cannot add an `Authorization` header to a page it navigates to, so the dashboard
//! is opened once as `/?token=...`: the server answers with a cookie holding the token
//! (`HttpOnly`, `SameSite=Strict`, so no other site's page can send it) and a redirect to `/`,
//! which takes the token out of the address bar and the history. Every later request of the
//! page carries the cookie.
//!
//! Scoring routes accept only `Content-Type: application/json`: a web page can send a
//! `text/plain` POST to a loopback server without asking (no CORS preflight), but not a JSON
//! one, so no page a user visits can write into the prediction log that drives retraining.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

/// Name of the cookie the dashboard's token travels in.
pub const TOKEN_COOKIE: &str = "custseg_token";

/// Whether `given` is `token`, in time that depends on neither: both are hashed first, so the
/// comparison runs over 32 bytes whatever their lengths, and every byte is compared.
pub fn token_matches(given: &str, token: &str) -> bool {
    let (a, b) = (
        Sha256::digest(given.as_bytes()),
        Sha256::digest(token.as_bytes()),
    );
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
}

fn cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(TOKEN_COOKIE)?.strip_prefix('='))
}

fn query_token(request: &Request) -> Option<String> {
    request.uri().query()?.split('&').find_map(|pair| {
        let value = pair.strip_prefix("token=")?;
        // Tokens are written to a file by people: percent-decode the few characters a
        // browser escapes in a query.
        let mut out = Vec::with_capacity(value.len());
        let bytes = value.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'%' if i + 2 < bytes.len() => {
                    let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok()?;
                    out.push(u8::from_str_radix(hex, 16).ok()?);
                    i += 3;
                }
                b'+' => {
                    out.push(b' ');
                    i += 1;
                }
                b => {
                    out.push(b);
                    i += 1;
                }
            }
        }
        String::from_utf8(out).ok()
    })
}

fn unauthorised() -> Response {
    ApiError::with_status(
        401,
        ErrorCode::Unauthorized,
        "missing or wrong bearer token (send `Authorization: Bearer <token>`; open the dashboard as /?token=<token>)",
    )
    .into_response()
}

/// Middleware: with a token configured, the request must carry it as a bearer token or in the
/// dashboard's cookie; `GET /?token=...` with the right token sets that cookie.
pub async fn require_token(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(token) = state.options.token.as_deref() else {
        return next.run(request).await;
    };
    let headers = request.headers();
    if bearer(headers).is_some_and(|g| token_matches(g, token))
        || cookie(headers).is_some_and(|g| token_matches(g, token))
    {
        return next.run(request).await;
    }
    if request.uri().path() == "/"
        && let Some(given) = query_token(&request)
        && token_matches(&given, token)
    {
        let value = format!("{TOKEN_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/");
        let Ok(value) = HeaderValue::from_str(&value) else {
            return unauthorised();
        };
        return (
            StatusCode::SEE_OTHER,
            [
                (SET_COOKIE, value),
                (LOCATION, HeaderValue::from_static("/")),
            ],
        )
            .into_response();
    }
    unauthorised()
}

/// Refuses a scoring request whose body is not declared as JSON (415).
pub fn require_json(headers: &HeaderMap) -> Result<(), ApiError> {
    let declared = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = declared.split(';').next().unwrap_or("").trim();
    if essence.eq_ignore_ascii_case("application/json") {
        Ok(())
    } else {
        Err(ApiError::with_status(
            415,
            ErrorCode::UnsupportedMediaType,
            format!(
                "the body must be sent as `Content-Type: application/json` (got `{}`)",
                if declared.is_empty() {
                    "none"
                } else {
                    declared
                }
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_by_content_only() {
        assert!(token_matches("s3cret", "s3cret"));
        assert!(!token_matches("s3cre", "s3cret"));
        assert!(!token_matches("", "s3cret"));
        assert!(!token_matches("s3cret ", "s3cret"));
    }

    #[test]
    fn only_json_bodies_are_scored() {
        let mut headers = HeaderMap::new();
        assert_eq!(require_json(&headers).unwrap_err().status, 415);
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        assert_eq!(require_json(&headers).unwrap_err().status, 415);
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        assert!(require_json(&headers).is_ok());
    }
}
