//! Every route through `router().oneshot(...)`.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use custseg_serve::{ServeOptions, router};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::state;

async fn call(
    app: axum::Router,
    method: &str,
    path: &str,
    body: Option<String>,
    token: Option<&str>,
) -> (StatusCode, Value) {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let request = request
        .header("content-type", "application/json")
        .body(body.map_or_else(Body::empty, Body::from))
        .unwrap();
    let response = app.oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let value = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| json!({"raw": String::from_utf8_lossy(&bytes)}));
    (status, value)
}

fn instance(model: &custseg_model::ModelFile, scale: f64) -> Value {
    let object: serde_json::Map<String, Value> = model
        .features
        .iter()
        .enumerate()
        .map(|(j, f)| (f.clone(), json!(scale * (j as f64 + 1.0))))
        .collect();
    Value::Object(object)
}

#[tokio::test]
async fn predict_answers_in_the_vertex_shape_and_matches_the_model() {
    let state = state(ServeOptions::default());
    let served = state.current();
    let model = &served.model;
    let objects = json!({"instances": [instance(model, 1.0), instance(model, 40.0)]});
    let (status, body) = call(
        router(state.clone()),
        "POST",
        "/predict",
        Some(objects.to_string()),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["model"],
        json!({"name": "segments", "version": "abc123"})
    );
    let predictions = body["predictions"].as_array().unwrap();
    assert_eq!(predictions.len(), 2);
    // The same answer as the model file gives, for the same rows.
    let rows: Vec<f64> = [1.0, 40.0]
        .iter()
        .flat_map(|s| (0..model.features.len()).map(move |j| s * (j as f64 + 1.0)))
        .collect();
    let x = ndarray::Array2::from_shape_vec((2, model.features.len()), rows.clone()).unwrap();
    let expected = model.predict_matrix(x.view()).unwrap();
    for (got, want) in predictions.iter().zip(&expected) {
        assert_eq!(got["cluster"], json!(want.cluster));
        assert_eq!(got["segment"], json!(want.segment));
        assert_eq!(got["outlier"], json!(want.outlier));
        assert!((got["distance"].as_f64().unwrap() - want.distance).abs() < 1e-12);
    }
    // Arrays in feature order give the same answer.
    let arrays = json!({"instances": [rows[..model.features.len()].to_vec()]});
    let (_, by_array) = call(
        router(state.clone()),
        "POST",
        "/predict",
        Some(arrays.to_string()),
        None,
    )
    .await;
    assert_eq!(by_array["predictions"][0], predictions[0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_batch_scored_off_the_runtime_answers_as_small_requests_do() {
    let state = state(ServeOptions::default());
    let served = state.current();
    let model = &served.model;
    // 1,500 instances: well over the body size that moves scoring to a blocking thread.
    let instances: Vec<Value> = (0..1_500)
        .map(|i| instance(model, 0.5 + f64::from(i) * 0.1))
        .collect();
    let body = json!({ "instances": instances }).to_string();
    assert!(body.len() > 100_000, "{}", body.len());
    let (status, batch) = call(router(state.clone()), "POST", "/predict", Some(body), None).await;
    assert_eq!(status, StatusCode::OK, "{batch}");
    let predictions = batch["predictions"].as_array().unwrap();
    assert_eq!(predictions.len(), 1_500);
    for index in [0, 1, 749, 1_499] {
        let single = json!({ "instances": [instances[index].clone()] }).to_string();
        let (status, alone) = call(
            router(state.clone()),
            "POST",
            "/predict",
            Some(single),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{alone}");
        assert_eq!(
            alone["predictions"][0], predictions[index],
            "instance {index}"
        );
    }
    // A bad instance deep in a large batch is named as in a small one.
    let mut bad = instances.clone();
    bad[1_234][&model.features[2]] = json!("many");
    let body = json!({ "instances": bad }).to_string();
    let (status, error) = call(router(state.clone()), "POST", "/predict", Some(body), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
    assert_eq!(error["error"]["instance"], json!(1_234), "{error}");
    assert_eq!(error["error"]["field"], json!(model.features[2]), "{error}");
}

#[tokio::test]
async fn explain_lists_every_segment_nearest_first_and_the_drivers() {
    let state = state(ServeOptions::default());
    let served = state.current();
    let body =
        json!({"instances": [instance(&served.model, 3.0)], "parameters": {"explain": true}});
    let (status, answer) = call(
        router(state.clone()),
        "POST",
        "/predict",
        Some(body.to_string()),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let prediction = &answer["predictions"][0];
    let explanation = &prediction["explanation"];
    let distances = explanation["distances"].as_array().unwrap();
    assert_eq!(distances.len(), served.model.segments.len());
    assert_eq!(distances[0]["cluster"], prediction["cluster"]);
    assert!(
        (distances[0]["distance"].as_f64().unwrap() - prediction["distance"].as_f64().unwrap())
            .abs()
            < 1e-12
    );
    assert!(
        distances
            .windows(2)
            .all(|w| w[0]["distance"].as_f64() <= w[1]["distance"].as_f64())
    );
    let drivers = explanation["drivers"].as_array().unwrap();
    assert_eq!(drivers.len(), 3);
    assert!(
        drivers
            .windows(2)
            .all(|w| w[0]["pull"].as_f64() >= w[1]["pull"].as_f64())
    );
    // A driver's value is the instance's, in its own units.
    let feature = drivers[0]["feature"].as_str().unwrap();
    let j = served
        .model
        .features
        .iter()
        .position(|f| f == feature)
        .unwrap();
    assert_eq!(
        drivers[0]["value"].as_f64().unwrap(),
        3.0 * (j as f64 + 1.0)
    );
}

#[tokio::test]
async fn bad_requests_get_a_4xx_json_error_naming_instance_and_field() {
    let state = state(ServeOptions {
        max_body_bytes: 4_000,
        max_instances: 5,
        ..ServeOptions::default()
    });
    let served = state.current();
    let good = instance(&served.model, 1.0);
    let first = served.model.features[0].clone();
    let mut missing = good.clone();
    missing.as_object_mut().unwrap().remove(&first);
    let mut text = good.clone();
    text[&first] = json!("12");
    let mut unknown = good.clone();
    unknown["Shoe_Size"] = json!(42);
    // (body, status, code, instance, field)
    type Case<'a> = (String, StatusCode, &'a str, Option<usize>, Option<&'a str>);
    let cases: Vec<Case> = vec![
        (
            "{not json".into(),
            StatusCode::BAD_REQUEST,
            "malformed_request",
            None,
            None,
        ),
        (
            json!({"instances": []}).to_string(),
            StatusCode::BAD_REQUEST,
            "no_instances",
            None,
            None,
        ),
        (
            json!({"instances": [good.clone(), missing]}).to_string(),
            StatusCode::BAD_REQUEST,
            "missing_field",
            Some(1),
            Some(first.as_str()),
        ),
        (
            json!({"instances": [text]}).to_string(),
            StatusCode::BAD_REQUEST,
            "not_a_number",
            Some(0),
            Some(first.as_str()),
        ),
        (
            json!({"instances": [unknown]}).to_string(),
            StatusCode::BAD_REQUEST,
            "unknown_field",
            Some(0),
            Some("Shoe_Size"),
        ),
        (
            json!({"instances": [[1, 2]]}).to_string(),
            StatusCode::BAD_REQUEST,
            "wrong_length",
            Some(0),
            None,
        ),
        (
            r#"{"instances": [[NaN]]}"#.into(),
            StatusCode::BAD_REQUEST,
            "malformed_request",
            None,
            None,
        ),
        (
            json!({"instances": vec![[1]; 6]}).to_string(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_many_instances",
            None,
            None,
        ),
        (
            format!("{{\"instances\": [{}]}}", vec!["1"; 3000].join(",")),
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            None,
            None,
        ),
    ];
    for (body, status, code, instance, field) in cases {
        let (got, answer) = call(
            router(state.clone()),
            "POST",
            "/predict",
            Some(body.clone()),
            None,
        )
        .await;
        assert_eq!(got, status, "{body}: {answer}");
        let error = &answer["error"];
        assert_eq!(error["code"], json!(code), "{body}: {answer}");
        assert_eq!(
            error["instance"].as_u64().map(|i| i as usize),
            instance,
            "{answer}"
        );
        assert_eq!(error["field"].as_str(), field, "{answer}");
        assert!(!error["message"].as_str().unwrap().is_empty());
    }
}

#[tokio::test]
async fn health_model_and_unknown_routes() {
    let state = state(ServeOptions::default());
    let (status, health) = call(router(state.clone()), "GET", "/health", None, None).await;
    assert_eq!(
        (status, health["status"].as_str()),
        (StatusCode::OK, Some("ok"))
    );
    let (status, model) = call(router(state.clone()), "GET", "/v1/model", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(model["features"].as_array().unwrap().len(), 15);
    assert_eq!(
        model["segments"].as_array().unwrap().len(),
        state.current().model.segments.len()
    );
    assert_eq!(model["version"], "abc123");
    let (status, missing) = call(router(state.clone()), "GET", "/nothing", None, None).await;
    assert_eq!(
        (status, missing["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
}

#[tokio::test]
async fn vertex_routes_move_where_the_environment_says() {
    let state = state(ServeOptions {
        health_route: "/ping".into(),
        predict_route: "/v1/models/m:predict".into(),
        ..ServeOptions::default()
    });
    let (status, _) = call(router(state.clone()), "GET", "/ping", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let body = json!({"instances": [instance(&state.current().model, 1.0)]}).to_string();
    let (status, _) = call(
        router(state.clone()),
        "POST",
        "/v1/models/m:predict",
        Some(body),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn clv_scores_histories_and_returns_stored_customers() {
    let state = state(ServeOptions::default());
    let body = json!({"instances": [{"frequency": 2, "recency": 30.43, "T": 38.86, "monetary_value": 40.0}]});
    let (status, answer) = call(
        router(state.clone()),
        "POST",
        "/v1/clv",
        Some(body.to_string()),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let p = &answer["predictions"][0];
    // The CDNOW BG/NBD P(alive) of customer 1's history, by hand:
    // 1 / (1 + a / (b + x - 1) * ((alpha + T) / (alpha + t_x))^(r + x)).
    let by_hand =
        1.0 / (1.0 + 0.793 / (2.426 + 1.0) * ((4.414f64 + 38.86) / (4.414 + 30.43)).powf(2.243));
    assert!(
        (p["p_alive"].as_f64().unwrap() - by_hand).abs() < 1e-12,
        "{p}"
    );
    // Gamma-Gamma: (p + q x) ... E[Z | x, zbar] = (gamma + x zbar) p / (p x + q - 1).
    let spend = (15.44 + 2.0 * 40.0) * 6.25 / (6.25 * 2.0 + 3.74 - 1.0);
    assert!(
        (p["expected_value"].as_f64().unwrap() - spend).abs() < 1e-9,
        "{p}"
    );
    assert!(p["clv"].as_f64().unwrap() > 0.0);
    // Each prediction comes with its interval from the served draws, around the point value.
    for name in ["p_alive", "expected_purchases", "expected_value", "clv"] {
        let (value, low, high) = (
            p[name].as_f64().unwrap(),
            p["intervals"][name]["low"].as_f64().unwrap(),
            p["intervals"][name]["high"].as_f64().unwrap(),
        );
        assert!(low < value && value < high, "{name}: {low} {value} {high}");
    }
    assert_eq!(answer["model"]["intervals"]["level"], 0.9);
    assert_eq!(answer["model"]["intervals"]["draws"], 200);
    assert_eq!(answer["model"]["standard_errors"]["r"], 0.0122);
    for (instance, field) in [
        (
            json!({"frequency": 2, "recency": 40, "T": 38.86, "monetary_value": 1}),
            "recency",
        ),
        (
            json!({"frequency": -1, "recency": 0, "T": 3, "monetary_value": 1}),
            "frequency",
        ),
        (
            json!({"frequency": 1.5, "recency": 1, "T": 3, "monetary_value": 1}),
            "frequency",
        ),
    ] {
        let (status, answer) = call(
            router(state.clone()),
            "POST",
            "/v1/clv",
            Some(json!({"instances": [instance]}).to_string()),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
        assert_eq!(answer["error"]["field"], field);
    }
    // /predict adds the stored value of a known customer, and nothing for an unknown one.
    let served = state.current();
    let mut known = instance(&served.model, 1.0);
    known["CustomerID"] = json!(1);
    let mut unknown = instance(&served.model, 1.0);
    unknown["CustomerID"] = json!(99);
    let body = json!({"instances": [known, unknown]}).to_string();
    let (status, answer) = call(router(state.clone()), "POST", "/predict", Some(body), None).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(
        (
            answer["predictions"][0]["p_alive"].as_f64(),
            answer["predictions"][0]["clv"].as_f64()
        ),
        (Some(0.5), Some(45.0))
    );
    assert!(answer["predictions"][1].get("clv").is_none());
    let (status, stored) = call(router(state.clone()), "GET", "/v1/clv/1", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(stored["prediction"]["clv"], 45.0);
    // A new customer: the model's expectation, inside its interval, and P(alive) 1.
    let (status, new) = call(
        router(state.clone()),
        "GET",
        "/v1/clv/new-customer",
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{new}");
    let clv = new["prediction"]["clv"].as_f64().unwrap();
    let interval = &new["prediction"]["intervals"]["clv"];
    assert!(clv > 0.0, "{new}");
    assert!(
        interval["low"].as_f64().unwrap() < clv && clv < interval["high"].as_f64().unwrap(),
        "{new}"
    );
    assert_eq!(new["prediction"]["intervals"]["p_alive"]["low"], 1.0);
    // Spend: the population mean p gamma / (q - 1).
    let mean_spend = 6.25 * 15.44 / (3.74 - 1.0);
    assert!((new["prediction"]["expected_value"].as_f64().unwrap() - mean_spend).abs() < 1e-9);
    let (status, _) = call(router(state.clone()), "GET", "/v1/clv/2", None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call(router(state.clone()), "GET", "/v1/clv/abc", None, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

/// Sends one request with the given headers; returns the status and the response's headers.
async fn raw(
    app: axum::Router,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<String>,
) -> (StatusCode, axum::http::HeaderMap) {
    let mut request = Request::builder().method(method).uri(path);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = app
        .oneshot(
            request
                .body(body.map_or_else(Body::empty, Body::from))
                .unwrap(),
        )
        .await
        .unwrap();
    (response.status(), response.headers().clone())
}

#[tokio::test]
async fn with_a_token_every_route_but_health_requires_it() {
    let state = state(ServeOptions {
        token: Some("s3cret".into()),
        ..ServeOptions::default()
    });
    let predict = json!({"instances": [instance(&state.current().model, 1.0)]}).to_string();
    let clv =
        json!({"instances": [{"frequency": 2, "recency": 30, "T": 40, "monetary_value": 20.0}]})
            .to_string();
    let routes: [(&str, &str, Option<String>); 9] = [
        ("POST", "/predict", Some(predict)),
        ("POST", "/v1/clv", Some(clv)),
        ("GET", "/v1/clv/1", None),
        ("GET", "/v1/model", None),
        ("GET", "/metrics", None),
        ("GET", "/", None),
        ("GET", "/v1/dashboard", None),
        ("GET", "/report", None),
        ("GET", "/health", None),
    ];
    let json_type = ("content-type", "application/json");
    for (method, path, body) in routes {
        let open = path == "/health";
        for (headers, right) in [
            (vec![json_type], false),
            (vec![json_type, ("authorization", "Bearer wrong!")], false),
            (vec![json_type, ("authorization", "Bearer s3cre")], false),
            (vec![json_type, ("authorization", "s3cret")], false),
            (vec![json_type, ("cookie", "custseg_token=nope")], false),
            (vec![json_type, ("authorization", "Bearer s3cret")], true),
            (
                vec![json_type, ("cookie", "theme=dark; custseg_token=s3cret")],
                true,
            ),
        ] {
            let (status, _) =
                raw(router(state.clone()), method, path, &headers, body.clone()).await;
            if open || right {
                // `/report` has no report beside this model: a 404 that got past the guard.
                let expected = if path == "/report" {
                    StatusCode::NOT_FOUND
                } else {
                    StatusCode::OK
                };
                assert_eq!(status, expected, "{method} {path} with {headers:?}");
            } else {
                assert_eq!(
                    status,
                    StatusCode::UNAUTHORIZED,
                    "{method} {path} with {headers:?}"
                );
            }
        }
    }
    // The dashboard opened as /?token=...: a cookie that no other site can send, and a
    // redirect that takes the token out of the address.
    let (status, headers) = raw(router(state.clone()), "GET", "/?token=s3cret", &[], None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers["location"], "/");
    let cookie = headers["set-cookie"].to_str().unwrap();
    assert!(
        cookie.starts_with("custseg_token=s3cret;")
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let (status, headers) = raw(router(state.clone()), "GET", "/?token=wrong", &[], None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(headers.get("set-cookie").is_none());
    // A token in the query opens nothing but the dashboard page.
    let (status, _) = raw(router(state), "GET", "/v1/model?token=s3cret", &[], None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn scoring_routes_take_json_bodies_only() {
    let state = state(ServeOptions::default());
    let predict = json!({"instances": [instance(&state.current().model, 1.0)]}).to_string();
    let clv =
        json!({"instances": [{"frequency": 2, "recency": 30, "T": 40, "monetary_value": 20.0}]})
            .to_string();
    for (path, body) in [("/predict", predict), ("/v1/clv", clv)] {
        // What a web page can send cross-origin without a preflight, and no type at all.
        for headers in [
            vec![("content-type", "text/plain")],
            vec![("content-type", "application/x-www-form-urlencoded")],
            vec![("content-type", "multipart/form-data; boundary=x")],
            vec![],
        ] {
            let (status, _) = raw(
                router(state.clone()),
                "POST",
                path,
                &headers,
                Some(body.clone()),
            )
            .await;
            assert_eq!(
                status,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "{path} {headers:?}"
            );
        }
        let (status, _) = raw(
            router(state.clone()),
            "POST",
            path,
            &[("content-type", "application/json; charset=utf-8")],
            Some(body),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{path}");
    }
    // Nothing refused was scored.
    assert_eq!(state.metrics.recent().1.len(), 1);
}

#[tokio::test]
async fn metrics_count_requests_instances_segments_and_recent_inputs() {
    let state = state(ServeOptions::default());
    let served = state.current();
    let body = json!({"instances": [instance(&served.model, 1.0), instance(&served.model, 3.0)]})
        .to_string();
    for _ in 0..2 {
        let (status, _) = call(
            router(state.clone()),
            "POST",
            "/predict",
            Some(body.clone()),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, _) = call(
        router(state.clone()),
        "POST",
        "/predict",
        Some("{".into()),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let app = router(state.clone());
    let response = app
        .oneshot(
            Request::builder()
                .uri("/metrics")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let text = String::from_utf8(
        response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
    .unwrap();
    let line = |prefix: &str| {
        text.lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no `{prefix}` in\n{text}"))
            .rsplit(' ')
            .next()
            .unwrap()
            .parse::<f64>()
            .unwrap()
    };
    assert_eq!(
        line("custseg_http_requests_total{route=\"/predict\",status=\"200\"}"),
        2.0
    );
    assert_eq!(
        line("custseg_http_requests_total{route=\"/predict\",status=\"400\"}"),
        1.0
    );
    assert_eq!(line("custseg_instances_scored_total"), 4.0);
    assert_eq!(
        line("custseg_http_request_duration_seconds_count{route=\"/predict\"}"),
        3.0
    );
    let predicted: f64 = text
        .lines()
        .filter(|l| l.starts_with("custseg_predictions_total{"))
        .map(|l| l.rsplit(' ').next().unwrap().parse::<f64>().unwrap())
        .sum();
    assert_eq!(predicted, 4.0);
    // Feature j of the instances is 1 (j + 1) and 3 (j + 1), twice each.
    let feature = &served.model.features[2];
    assert_eq!(
        line(&format!(
            "custseg_feature_recent_mean{{feature=\"{feature}\"}}"
        )),
        6.0
    );
    assert_eq!(
        line(&format!(
            "custseg_feature_recent_min{{feature=\"{feature}\"}}"
        )),
        3.0
    );
    assert_eq!(
        line(&format!(
            "custseg_feature_recent_max{{feature=\"{feature}\"}}"
        )),
        9.0
    );
    assert!(
        text.contains("custseg_model_info{name=\"segments\",version=\"abc123\"} 1"),
        "{text}"
    );
}
