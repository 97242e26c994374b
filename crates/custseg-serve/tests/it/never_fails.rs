//! Whatever a client sends, the server answers, and never with a 5xx.

use std::sync::{Arc, OnceLock};

use axum::body::Body;
use axum::http::Request;
use custseg_serve::{AppState, ServeOptions, router};
use proptest::prelude::*;
use serde_json::{Value, json};
use tower::ServiceExt;

fn shared() -> Arc<AppState> {
    static STATE: OnceLock<Arc<AppState>> = OnceLock::new();
    STATE
        .get_or_init(|| {
            crate::state(ServeOptions {
                max_instances: 50,
                max_body_bytes: 20_000,
                ..ServeOptions::default()
            })
        })
        .clone()
}

/// Posts `body` as JSON; returns the status after checking the answer: every answer is JSON,
/// and a 200's predictions hold no `null` (which is what a NaN or an infinity would have been
/// serialised as).
fn status_of(path: &str, body: Vec<u8>) -> u16 {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let request = Request::builder()
            .method("POST")
            .uri(path)
            .header("content-type", "application/json")
            .body(Body::from(body))
            .unwrap();
        let response = router(shared()).oneshot(request).await.unwrap();
        let status = response.status().as_u16();
        let bytes = http_body_util::BodyExt::collect(response.into_body())
            .await
            .unwrap()
            .to_bytes();
        let answer: Value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|e| panic!("{path} {status}: not JSON ({e})"));
        if status == 200 {
            for prediction in answer["predictions"].as_array().unwrap() {
                for (key, value) in prediction.as_object().unwrap() {
                    assert!(!value.is_null(), "{path}: `{key}` is null in {answer}");
                }
            }
        } else {
            assert!(
                answer["error"]["code"].is_string(),
                "{path} {status}: {answer}"
            );
        }
        status
    })
}

/// Any JSON value, nested a few levels, with numbers of every size and strings that look like
/// numbers or feature names.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|v| json!(v)),
        any::<f64>()
            .prop_filter("JSON numbers are finite", |v| v.is_finite())
            .prop_map(|v| json!(v)),
        prop_oneof![
            Just("NaN".to_owned()),
            Just("Total_Spend".to_owned()),
            Just("1e999".to_owned()),
            ".{0,12}"
        ]
        .prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 40, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("Total_Spend".to_owned()),
                    Just("Hour".to_owned()),
                    Just("frequency".to_owned()),
                    Just("T".to_owned()),
                    ".{0,8}"
                ],
                inner,
                0..8
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn raw_bytes_never_get_a_server_error(body in prop::collection::vec(any::<u8>(), 0..400)) {
        for path in ["/predict", "/v1/clv"] {
            let status = status_of(path, body.clone());
            prop_assert!((400..500).contains(&status), "{path}: {status}");
        }
    }

    #[test]
    fn any_instances_never_get_a_server_error(instances in prop::collection::vec(any_json(), 0..6), explain in any_json()) {
        let body = json!({"instances": instances, "parameters": {"explain": explain}}).to_string().into_bytes();
        for path in ["/predict", "/v1/clv"] {
            let status = status_of(path, body.clone());
            prop_assert!(status < 500, "{path}: {status}");
        }
    }

    #[test]
    fn extreme_numbers_in_every_field_never_get_a_server_error(values in prop::collection::vec(prop_oneof![any::<f64>().prop_filter("finite", |v| v.is_finite()), Just(0.0), Just(-1e308), Just(1e308), Just(5e-324)], 15)) {
        let body = json!({"instances": [values.clone()], "parameters": {"explain": true}}).to_string().into_bytes();
        prop_assert!(status_of("/predict", body) < 500);
        let history = json!({"instances": [values[..4].to_vec()]}).to_string().into_bytes();
        prop_assert!(status_of("/v1/clv", history) < 500);
    }
}
