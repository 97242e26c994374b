//! `custseg monitor drift` end to end (serve -> prediction log -> monitor -> verdict file), its
//! agreement with `/metrics` and the dashboard on the same rows, its errors, and a seeded small
//! run of `custseg bench drift` on the real UCI features (false alarms and power).

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::cli::{custseg, text};
use crate::model::shared_data;
use crate::serve::{get, new_agent, post, start_with, trained};

/// Trains a model on 150,000 demo rows (about 1,100 customers) into `out/`.
fn trained_on_more_customers(dir: &Path) {
    std::fs::write(
        dir.join("custseg.toml"),
        "[demo]\nrows = 150000\n\n[model.search]\nn_init = 2\nstability_bootstraps = 0\n",
    )
    .unwrap();
    let output = custseg(
        dir,
        &[
            "-q",
            "run",
            "--demo",
            "--out",
            "out",
            "--skip-report",
            "--skip-clv",
            "--k-min",
            "4",
            "--k-max",
            "4",
            "--select-k-min",
            "4",
            "--select-k-max",
            "4",
        ],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
}

/// The model's reference rows `range` as instances, with `Total_Spend` multiplied by `spend`.
fn reference_instances(model: &Value, range: std::ops::Range<usize>, spend: f64) -> Vec<Value> {
    let features = model["features"].as_array().unwrap();
    let columns = model["drift_reference"]["columns"].as_array().unwrap();
    range
        .map(|i| {
            Value::Object(
                features
                    .iter()
                    .zip(columns)
                    .map(|(f, column)| {
                        let name = f.as_str().unwrap();
                        let value = column[i].as_f64().unwrap();
                        let value = if name == "Total_Spend" {
                            value * spend
                        } else {
                            value
                        };
                        (name.to_owned(), json!(value))
                    })
                    .collect(),
            )
        })
        .collect()
}

/// `custseg monitor drift ARGS` in `dir`: the exit code, stdout and stderr.
fn monitor(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let mut all = vec!["monitor", "drift", "--model", "out/model/model.json"];
    all.extend_from_slice(args);
    let output = custseg(dir, &all);
    (
        output.status.code(),
        text(&output.stdout),
        text(&output.stderr),
    )
}

/// The value of a Prometheus sample `name{feature="..."}` in `metrics`.
fn sample(metrics: &str, name: &str, feature: &str) -> f64 {
    let prefix = format!("{name}{{feature=\"{feature}\"}} ");
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no {prefix} in /metrics"))
        .trim()
        .parse()
        .unwrap()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

#[test]
fn serve_log_monitor_verdict_and_the_server_agrees_on_the_same_rows() {
    let dir = tempfile::tempdir().unwrap();
    trained_on_more_customers(dir.path());
    let model: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out/model/model.json")).unwrap())
            .unwrap();
    let reference_rows = model["drift_reference"]["columns"][0]
        .as_array()
        .unwrap()
        .len();
    assert!(reference_rows >= 900, "{reference_rows}");
    let server = start_with(
        dir.path(),
        "out/model/model.json",
        &[
            "--log-dir",
            "logs",
            "--log-flush-ms",
            "50",
            "--drift-refresh-ms",
            "0",
        ],
    );
    let agent = new_agent();
    let predict = format!("{}/predict", server.url);
    // Phase one: 400 of the training customers themselves, in batches of 100.
    for start in (0..400).step_by(100) {
        let body = json!({ "instances": reference_instances(&model, start..start + 100, 1.0) });
        let (status, answer) = post(&agent, &predict, &body);
        assert_eq!(status, 200, "{answer}");
    }
    let logged = |n: usize| {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let lines: usize = std::fs::read_dir(dir.path().join("logs"))
                .unwrap()
                .filter_map(Result::ok)
                .filter(|e| e.file_name().to_string_lossy().ends_with(".jsonl"))
                .map(|e| std::fs::read_to_string(e.path()).unwrap().lines().count())
                .sum();
            if lines >= n {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{lines} of {n} predictions logged"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    logged(400);
    let (code, stdout, stderr) = monitor(
        dir.path(),
        &[
            "--log-dir",
            "logs",
            "--window",
            "hour",
            "--out",
            "drift.json",
        ],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("verdict    no drift: "), "{stdout}");
    let report: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("drift.json")).unwrap()).unwrap();
    assert_eq!(report["drift"], false, "{}", report["reason"]);
    assert_eq!(report["current_rows"], 400);
    assert_eq!(report["overall"]["features"].as_array().unwrap().len(), 15);

    // `/metrics` and the dashboard compute the same statistics over the same rows.
    let metrics = {
        let mut response = agent
            .get(&format!("{}/metrics", server.url))
            .call()
            .unwrap();
        response.body_mut().read_to_string().unwrap()
    };
    let (status, dashboard) = get(&agent, &format!("{}/v1/dashboard", server.url));
    assert_eq!(status, 200);
    assert_eq!(
        dashboard["verdict"]["rows"], 400,
        "{}",
        dashboard["verdict"]
    );
    assert!(metrics.contains("custseg_drift 0\n"), "{metrics}");
    assert!(metrics.contains("custseg_drift_rows 400\n"), "{metrics}");
    for (j, feature) in report["overall"]["features"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        let name = feature["feature"].as_str().unwrap();
        for (statistic, metric) in [
            ("effect", "custseg_feature_drift_effect"),
            ("psi", "custseg_feature_drift_psi"),
            ("p_adjusted", "custseg_feature_drift_p_adjusted"),
        ] {
            let expected = feature[statistic].as_f64().unwrap();
            let served = sample(&metrics, metric, name);
            assert!(
                close(served, expected),
                "{name} {statistic}: {served} vs {expected}"
            );
            let shown = dashboard["drift"][j][statistic].as_f64().unwrap();
            assert!(
                close(shown, expected),
                "{name} {statistic}: {shown} vs {expected}"
            );
        }
    }

    // Phase two: the next 400 customers spend 1.5 times as much. By windows of 400 rows the
    // first stays clean, the second drifts on spend, and the drift began with it.
    for start in (400..800).step_by(100) {
        let body = json!({ "instances": reference_instances(&model, start..start + 100, 1.5) });
        assert_eq!(post(&agent, &predict, &body).0, 200);
    }
    logged(800);
    let (code, stdout, stderr) =
        monitor(dir.path(), &["--log-dir", "logs", "--window", "rows:400"]);
    assert_eq!(code, Some(0), "{stderr}");
    let report: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("logs/drift.json")).unwrap())
            .unwrap();
    let windows = report["windows"].as_array().unwrap();
    assert_eq!(windows.len(), 2, "{stdout}");
    assert_eq!(windows[0]["drift"], false, "{}", windows[0]["reason"]);
    assert_eq!(windows[1]["drift"], true, "{}", windows[1]["reason"]);
    let spend = windows[1]["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["feature"] == "Total_Spend")
        .unwrap();
    assert_eq!(spend["status"], "drift", "{spend}");
    assert!(
        spend["change"]
            .as_str()
            .unwrap()
            .starts_with("values changed by about"),
        "{spend}"
    );
    assert_eq!(report["drift_began"], "rows 401-800");
    assert!(stdout.contains("began      rows 401-800"), "{stdout}");
    assert!(
        windows[1]["reason"]
            .as_str()
            .unwrap()
            .contains("Total_Spend")
    );

    // A window with too few rows says so.
    let (code, stdout, _) = monitor(dir.path(), &["--log-dir", "logs", "--window", "rows:750"]);
    assert_eq!(code, Some(0));
    assert!(stdout.contains("too few rows to decide"), "{stdout}");
}

#[test]
fn monitor_drift_refuses_bad_input_with_a_clear_error_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    trained(dir.path(), "out", 3);
    std::fs::create_dir(dir.path().join("logs")).unwrap();
    let refused = |args: &[&str], expected: &str| {
        let mut all = vec!["--log-dir", "logs"];
        all.extend_from_slice(args);
        let (code, _, stderr) = monitor(dir.path(), &all);
        assert_eq!(code, Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    };
    refused(
        &["--since", "yesterday"],
        "`--since`: `yesterday` is neither a date",
    );
    refused(&["--alpha", "1.5"], "`alpha` is 1.5");
    refused(&["--min-change", "0"], "`min-change` is 0");
    refused(&["--min-segment-change", "2"], "`min-segment-change` is 2");
    refused(&["--min-rows", "1"], "`min-rows` is 1");
    refused(
        &["--window", "weekly"],
        "`--window`: `weekly` is not a window",
    );
    refused(&[], "no logged predictions with this model's 15 features");
    // A model without a drift reference (written before it existed).
    let path = dir.path().join("out/model/model.json");
    let mut model: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    model.as_object_mut().unwrap().remove("drift_reference");
    std::fs::write(&path, model.to_string()).unwrap();
    refused(&[], "holds no drift reference");
    assert!(!dir.path().join("logs/drift.json").exists());
}

#[test]
fn bench_drift_on_the_real_features_keeps_false_alarms_low_and_sees_material_changes() {
    let dir = tempfile::tempdir().unwrap();
    let input = shared_data("online_retail.parquet");
    let output = custseg(
        dir.path(),
        &[
            "-q",
            "run",
            "--input",
            input.to_str().unwrap(),
            "--out",
            "out",
            "--skip-clv",
            "--skip-report",
        ],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let output = custseg(
        dir.path(),
        &[
            "bench",
            "drift",
            "--model",
            "out/model/model.json",
            "--trials",
            "60",
            "--power-trials",
            "20",
            "--sizes",
            "300,1000,20000",
            "--power-sizes",
            "1000,5000",
            "--features",
            "Total_Spend",
            "--factors",
            "1.3,1.5",
            "--shares",
            "0.5,1.0",
            "--seed",
            "7",
            "--out",
            "bench.json",
        ],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let bench: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("bench.json")).unwrap()).unwrap();
    let results = bench["results"].as_array().unwrap();
    let false_alarms: Vec<&Value> = results
        .iter()
        .filter(|r| r["table"] == "false_alarms")
        .collect();
    assert_eq!(false_alarms.len(), 3);
    for row in false_alarms {
        // At most 5 % in the 200 trials; 60 trials leave room for chance.
        assert!(row["verdict_rate"].as_f64().unwrap() <= 0.1, "{row}");
        assert!(row["worst_test_rate"].as_f64().unwrap() <= 0.05, "{row}");
    }
    let power = |change: &str, n: u64| {
        results
            .iter()
            .find(|r| r["table"] == "power" && r["change"] == change && r["n"] == n)
            .unwrap_or_else(|| panic!("no {change} at {n} in {bench}"))["verdict_rate"]
            .as_f64()
            .unwrap()
    };
    assert!(power("Total_Spend x1.3 on 50 %", 5000) >= 0.85, "{bench}");
    assert!(power("Total_Spend x1.5 on 50 %", 1000) >= 0.75, "{bench}");
    assert!(power("Total_Spend x1.3 on 100 %", 1000) >= 0.85, "{bench}");
    assert!(
        power("correlation of Total_Spend broken", 5000) >= 0.85,
        "{bench}"
    );
    let doubled = results
        .iter()
        .find(|r| r["change"].as_str().is_some_and(|c| c.contains("doubled")) && r["n"] == 1000)
        .unwrap();
    assert!(
        doubled["verdict_rate"].as_f64().unwrap() >= 0.85,
        "{doubled}"
    );
}
