//! A small MLflow REST client: JSON in and out, retries with backoff on transient failures,
//! MLflow's `{"error_code", "message"}` turned into [`Error::Refusal`].

use std::time::Duration;

use serde_json::Value;

use crate::error::{Error, Result};

/// Attempts per request: a connection failure, a timeout, a 5xx or a 429 is tried again.
const ATTEMPTS: u32 = 4;
/// Wait before the second attempt; doubled after each further failure.
const FIRST_BACKOFF: Duration = Duration::from_millis(250);

/// How long one request may take, unless `MLFLOW_HTTP_REQUEST_TIMEOUT` (seconds, the variable
/// MLflow's own client reads) says otherwise; MLflow's default is the same.
const TIMEOUT: Duration = Duration::from_secs(120);

/// Items asked for per page of a search: the largest page every MLflow search takes.
const PAGE_SIZE: usize = 1000;

/// A client of one MLflow tracking server.
#[derive(Clone)]
pub struct MlflowClient {
    base: String,
    agent: ureq::Agent,
    first_backoff: Duration,
    page_size: usize,
}

enum Failure {
    Transient(String),
    Final(Error),
}

impl MlflowClient {
    /// A client of the server at `uri` (`http://127.0.0.1:5000`); refuses other schemes, and a
    /// `MLFLOW_HTTP_REQUEST_TIMEOUT` that is not a whole number of seconds above 0.
    pub fn new(uri: &str) -> Result<Self> {
        let base = uri.trim_end_matches('/').to_owned();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(Error::BadName {
                name: uri.to_owned(),
                what: "an MLflow tracking URI",
                why: "custseg talks to MLflow over its REST API: use an http(s) URL",
            });
        }
        let timeout = match std::env::var("MLFLOW_HTTP_REQUEST_TIMEOUT") {
            Ok(text) if !text.trim().is_empty() => match text.trim().parse::<u64>() {
                Ok(seconds) if seconds > 0 => Duration::from_secs(seconds),
                _ => {
                    return Err(Error::BadName {
                        name: text,
                        what: "MLFLOW_HTTP_REQUEST_TIMEOUT",
                        why: "it must be a whole number of seconds above 0",
                    });
                }
            },
            _ => TIMEOUT,
        };
        Ok(Self {
            base,
            agent: agent_with(timeout),
            first_backoff: FIRST_BACKOFF,
            page_size: PAGE_SIZE,
        })
    }

    /// Gives up on one request after `timeout` (then retries it, as any transient failure).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.agent = agent_with(timeout);
        self
    }

    /// The server's URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Waits no time between retries (for tests against servers that are down).
    pub fn without_backoff(mut self) -> Self {
        self.first_backoff = Duration::ZERO;
        self
    }

    /// Pages of `size` items instead of 1,000 (for tests of paging).
    pub fn with_page_size(mut self, size: usize) -> Self {
        self.page_size = size.max(1);
        self
    }

    /// Every item under `key` of a GET search, page after page (`max_results`, then
    /// `page_token` from each answer's `next_page_token`), so no list stops at one page.
    pub fn get_all(&self, endpoint: &str, query: &[(&str, &str)], key: &str) -> Result<Vec<Value>> {
        let size = self.page_size.to_string();
        self.pages(endpoint, key, |token| {
            let mut query: Vec<(&str, &str)> = query.to_vec();
            query.push(("max_results", &size));
            if let Some(token) = token {
                query.push(("page_token", token));
            }
            self.get(endpoint, &query)
        })
    }

    /// Every item under `key` of a POST search (`runs/search`), page after page.
    pub fn post_all(&self, endpoint: &str, body: &Value, key: &str) -> Result<Vec<Value>> {
        self.pages(endpoint, key, |token| {
            let mut body = body.clone();
            body["max_results"] = Value::from(self.page_size);
            if let Some(token) = token {
                body["page_token"] = Value::from(token);
            }
            self.post(endpoint, &body)
        })
    }

    /// Follows `next_page_token` from `fetch(None)` on; a token that comes back twice is an
    /// error rather than an endless loop.
    fn pages(
        &self,
        endpoint: &str,
        key: &str,
        fetch: impl Fn(Option<&str>) -> Result<Value>,
    ) -> Result<Vec<Value>> {
        let mut items = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut token: Option<String> = None;
        loop {
            let page = fetch(token.as_deref())?;
            items.extend(page[key].as_array().into_iter().flatten().cloned());
            match page["next_page_token"].as_str() {
                Some(next) if !next.is_empty() => {
                    if !seen.insert(next.to_owned()) {
                        return Err(Error::Refusal {
                            method: "GET",
                            endpoint: endpoint.to_owned(),
                            status: 200,
                            code: Some("REPEATED_PAGE_TOKEN".into()),
                            message: format!("the page token `{next}` came back twice"),
                        });
                    }
                    token = Some(next.to_owned());
                }
                _ => return Ok(items),
            }
        }
    }

    /// `POST /api/2.0/mlflow/<endpoint>` with a JSON body.
    pub fn post(&self, endpoint: &str, body: &Value) -> Result<Value> {
        let bytes = body.to_string().into_bytes();
        self.json("POST", endpoint, &[], Some(&bytes), None)
    }

    /// A create (`runs/create`, `model-versions/create`) that is safe to retry: when an attempt
    /// fails in a way that leaves its outcome unknown (a timeout, a dropped connection, a 5xx),
    /// `recover` looks for what that attempt may have made (by the client-generated tag the
    /// body carries) before the next attempt, and its answer is taken instead of creating a
    /// second one.
    pub fn post_create(
        &self,
        endpoint: &str,
        body: &Value,
        recover: &dyn Fn() -> Result<Option<Value>>,
    ) -> Result<Value> {
        let bytes = body.to_string().into_bytes();
        self.json("POST", endpoint, &[], Some(&bytes), Some(recover))
    }

    /// `GET /api/2.0/mlflow/<endpoint>?query`.
    pub fn get(&self, endpoint: &str, query: &[(&str, &str)]) -> Result<Value> {
        self.json("GET", endpoint, query, None, None)
    }

    /// `DELETE /api/2.0/mlflow/<endpoint>?query`.
    pub fn delete(&self, endpoint: &str, query: &[(&str, &str)]) -> Result<Value> {
        self.json("DELETE", endpoint, query, None, None)
    }

    /// `PUT /api/2.0/mlflow-artifacts/artifacts/<path>` with raw bytes.
    pub fn put_artifact(&self, path: &str, bytes: &[u8]) -> Result<()> {
        let endpoint = format!("/api/2.0/mlflow-artifacts/artifacts/{path}");
        self.with_retries("PUT", &endpoint, || {
            let response = self
                .agent
                .put(&format!("{}{endpoint}", self.base))
                .header("Content-Type", "application/octet-stream")
                .send(bytes);
            check("PUT", &endpoint, response).map(|_| ())
        })
    }

    /// `GET /api/2.0/mlflow-artifacts/artifacts/<path>`: the artifact's bytes.
    pub fn get_artifact(&self, path: &str) -> Result<Vec<u8>> {
        let endpoint = format!("/api/2.0/mlflow-artifacts/artifacts/{path}");
        self.with_retries("GET", &endpoint, || {
            let response = self.agent.get(&format!("{}{endpoint}", self.base)).call();
            let mut response = check("GET", &endpoint, response)?;
            response
                .body_mut()
                .with_config()
                .limit(u64::MAX)
                .read_to_vec()
                .map_err(|e| Failure::Transient(e.to_string()))
        })
    }

    fn json(
        &self,
        method: &'static str,
        endpoint: &str,
        query: &[(&str, &str)],
        body: Option<&[u8]>,
        recover: Option<&dyn Fn() -> Result<Option<Value>>>,
    ) -> Result<Value> {
        let endpoint = format!("/api/2.0/mlflow/{endpoint}");
        let url = format!("{}{endpoint}", self.base);
        let mut tried = false;
        self.with_retries(method, &endpoint, || {
            // Before a retry of a create: did the attempt that failed make it after all?
            if let Some(recover) = recover
                && std::mem::replace(&mut tried, true)
            {
                match recover() {
                    Ok(Some(found)) => {
                        tracing::info!(endpoint = %endpoint, "the failed attempt had created it; not creating it again");
                        return Ok(found);
                    }
                    Ok(None) => {}
                    Err(error) => return Err(Failure::Transient(error.to_string())),
                }
            }
            let response = match (method, body) {
                ("POST", Some(body)) => self
                    .agent
                    .post(&url)
                    .header("Content-Type", "application/json")
                    .send(body),
                ("DELETE", _) => self
                    .agent
                    .delete(&url)
                    .query_pairs(query.iter().copied())
                    .call(),
                _ => self
                    .agent
                    .get(&url)
                    .query_pairs(query.iter().copied())
                    .call(),
            };
            let mut response = check(method, &endpoint, response)?;
            let text = response
                .body_mut()
                .with_config()
                .limit(256 << 20)
                .read_to_string()
                .map_err(|e| Failure::Transient(e.to_string()))?;
            if text.trim().is_empty() {
                return Ok(Value::Object(Default::default()));
            }
            serde_json::from_str(&text).map_err(|e| {
                Failure::Final(Error::Refusal {
                    method,
                    endpoint: endpoint.clone(),
                    status: 200,
                    code: None,
                    message: format!("the answer is not JSON: {e}"),
                })
            })
        })
    }

    fn with_retries<T>(
        &self,
        method: &'static str,
        endpoint: &str,
        mut attempt: impl FnMut() -> Result<T, Failure>,
    ) -> Result<T> {
        let mut wait = self.first_backoff;
        for number in 1..=ATTEMPTS {
            match attempt() {
                Ok(value) => return Ok(value),
                Err(Failure::Final(error)) => return Err(error),
                Err(Failure::Transient(message)) if number == ATTEMPTS => {
                    return Err(Error::Unreachable {
                        url: self.base.clone(),
                        message: format!(
                            "{method} {endpoint}: {message} (gave up after {ATTEMPTS} attempts)"
                        ),
                    });
                }
                Err(Failure::Transient(message)) => {
                    tracing::warn!(method, endpoint, attempt = number, %message, "MLflow request failed; retrying");
                    std::thread::sleep(wait);
                    wait *= 2;
                }
            }
        }
        unreachable!("the loop returns on its last attempt")
    }
}

/// An HTTP agent that answers every status (they are sorted by [`check`]) and gives up on a
/// request after `timeout`.
fn agent_with(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(Duration::from_secs(5).min(timeout)))
        .timeout_global(Some(timeout))
        .build()
        .into()
}

/// Sorts a response into success, a transient failure or a refusal.
fn check(
    method: &'static str,
    endpoint: &str,
    response: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
) -> Result<ureq::http::Response<ureq::Body>, Failure> {
    let mut response = response.map_err(|error| Failure::Transient(error.to_string()))?;
    let status = response.status().as_u16();
    if status < 300 {
        return Ok(response);
    }
    let text = response.body_mut().read_to_string().unwrap_or_default();
    if status >= 500 || status == 429 {
        return Err(Failure::Transient(format!(
            "HTTP {status}: {}",
            text.trim()
        )));
    }
    let parsed: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    Err(Failure::Final(Error::Refusal {
        method,
        endpoint: endpoint.to_owned(),
        status,
        code: parsed["error_code"].as_str().map(str::to_owned),
        message: parsed["message"]
            .as_str()
            .map_or_else(|| text.trim().to_owned(), str::to_owned),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_that_is_down_is_reported_with_its_url_after_retries() {
        // Port 9 (discard) on loopback: nothing listens there.
        let client = MlflowClient::new("http://127.0.0.1:9")
            .unwrap()
            .without_backoff();
        let error = client.get("experiments/search", &[]).unwrap_err();
        let message = error.to_string();
        assert!(
            message.starts_with("the MLflow server at `http://127.0.0.1:9` cannot be reached"),
            "{message}"
        );
        assert!(message.contains("gave up after 4 attempts"), "{message}");
    }

    #[test]
    fn a_file_store_uri_is_refused_with_the_reason() {
        let error = MlflowClient::new("file:///tmp/mlruns").err().unwrap();
        assert!(error.to_string().contains("use an http(s) URL"), "{error}");
    }
}
