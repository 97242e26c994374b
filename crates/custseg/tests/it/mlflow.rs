//! Tracking and the registry against a real `mlflow server` (MLflow 3.17, SQLite store,
//! artifact proxy), started here on 127.0.0.1; what custseg logged is read back with MLflow's
//! own Python client. `.ci/run` installs MLflow into `.venvs/mlflow`; without it this test
//! fails naming the install command: it never skips.

use std::process::Command;

use crate::cli::{RUN_DEMO, text, tracked_run};
use crate::fault_proxy::{Fault, FaultProxy};
use crate::mlflow_server::{MlflowServer, custseg_with, venv};
use crate::report::workspace;

fn read_back(uri: &str, run: &str) -> serde_json::Value {
    let script = workspace().join("crates/custseg/tests/mlflow/read_back.py");
    let output = Command::new(venv().join("bin/python"))
        .arg(script)
        .args([uri, run, "customer-segments"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn runs_and_registered_models_read_back_through_mlflow_itself() {
    let server = MlflowServer::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("custseg.toml"),
        "[model.search]\nn_init = 2\nstability_bootstraps = 3\n",
    )
    .unwrap();
    let demo = custseg_with(
        dir.path(),
        &server.url,
        &[
            "-q",
            "demo-data",
            "--rows",
            "30000",
            "--out",
            "demo.parquet",
        ],
    );
    assert!(demo.status.success(), "{}", text(&demo.stderr));
    let args = [&RUN_DEMO[..], &["--promote-to", "production"]].concat();
    let output = custseg_with(dir.path(), &server.url, &args);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    let run = tracked_run(&stdout);
    assert!(
        stdout.contains(&format!("tracked    run {run} in {}", server.url)),
        "{stdout}"
    );

    let logged = read_back(&server.url, &run);
    assert_eq!(logged["status"], "FINISHED");
    assert_eq!(logged["run_name"], "run demo.parquet");
    assert_eq!(logged["params"]["model.search.k_max"], "10");
    assert_eq!(logged["params"]["model.search.n_init"], "2");
    assert_eq!(logged["params"]["input"], "demo.parquet");
    let model: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out/model/model.json")).unwrap())
            .unwrap();
    let silhouette = model["metrics"]["silhouette"]["mean"].as_f64().unwrap();
    assert!((logged["metrics"]["silhouette"].as_f64().unwrap() - silhouette).abs() < 1e-12);
    assert_eq!(
        logged["search_steps"],
        serde_json::json!((0..18).collect::<Vec<_>>())
    );
    let quality: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("out/reports/quality.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(logged["tags"]["data_sha256"], quality["input"]["sha256"]);
    assert_eq!(logged["tags"]["mlflow.source.name"], "custseg run");
    assert!(logged["tags"]["host"].is_string());
    for artifact in [
        "model/model.json",
        "reports/quality.json",
        "segments/profiles.json",
        "custseg.lock",
    ] {
        assert!(
            logged["artifacts"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a == artifact),
            "{artifact}: {}",
            logged["artifacts"]
        );
    }
    assert_eq!(logged["production"]["version"], "1");
    assert_eq!(logged["production"]["run_id"], run.as_str());
    assert_eq!(logged["production"]["source"], format!("runs:/{run}/model"));

    // The artifact bytes through the server's proxy are the file custseg wrote.
    let mut response = ureq::get(&format!(
        "{}/api/2.0/mlflow-artifacts/artifacts/1/{run}/artifacts/model/model.json",
        server.url
    ))
    .call()
    .unwrap();
    let bytes = response
        .body_mut()
        .with_config()
        .limit(64 << 20)
        .read_to_vec()
        .unwrap();
    assert_eq!(
        bytes,
        std::fs::read(dir.path().join("out/model/model.json")).unwrap()
    );

    // The same commands work on the MLflow backend: a worse model is registered but not
    // promoted, forced by hand, rolled back, with the history kept on the server.
    let worse = custseg_with(
        dir.path(),
        &server.url,
        &[
            "-q",
            "run",
            "--input",
            "demo.parquet",
            "--out",
            "out",
            "--skip-report",
            "--promote-to",
            "production",
            "--k-min",
            "9",
            "--k-max",
            "9",
            "--select-k-min",
            "9",
            "--select-k-max",
            "9",
        ],
    );
    assert!(worse.status.success(), "{}", text(&worse.stderr));
    let worse_stdout = text(&worse.stdout);
    assert!(
        worse_stdout.contains("not promoted to `production`: worse than the current model"),
        "{worse_stdout}"
    );
    let promote = custseg_with(
        dir.path(),
        &server.url,
        &["models", "promote", "customer-segments", "2", "--force"],
    );
    assert!(promote.status.success(), "{}", text(&promote.stderr));
    let rollback = custseg_with(
        dir.path(),
        &server.url,
        &["models", "rollback", "customer-segments"],
    );
    assert!(rollback.status.success(), "{}", text(&rollback.stderr));
    assert_eq!(read_back(&server.url, &run)["production"]["version"], "1");
    let shown = text(
        &custseg_with(
            dir.path(),
            &server.url,
            &["models", "show", "customer-segments"],
        )
        .stdout,
    );
    assert!(shown.contains("production   none -> 1"), "{shown}");
    assert!(shown.contains("production   1 -> 2"), "{shown}");
    assert!(shown.contains("production   2 -> 1"), "{shown}");
    // What the server refuses comes back as a clear error.
    let refused = custseg_with(
        dir.path(),
        &server.url,
        &["models", "alias", "customer-segments", "canary", "99"],
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        text(&refused.stderr).contains("model `customer-segments` has no version 99"),
        "{}",
        text(&refused.stderr)
    );
    let unknown = custseg_with(
        dir.path(),
        &server.url,
        &["models", "show", "no-such-model"],
    );
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        text(&unknown.stderr).contains("no registered model `no-such-model`"),
        "{}",
        text(&unknown.stderr)
    );
    let listed = text(&custseg_with(dir.path(), &server.url, &["runs", "list"]).stdout);
    assert!(listed.contains(&run), "{listed}");
    let compared = custseg_with(
        dir.path(),
        &server.url,
        &["runs", "compare", &run, &tracked_run(&worse_stdout)],
    );
    assert!(compared.status.success(), "{}", text(&compared.stderr));
    assert!(
        text(&compared.stdout).contains("* model.search.k_max"),
        "{}",
        text(&compared.stdout)
    );
}

#[test]
fn an_unreachable_server_is_a_clear_error_before_any_stage_runs() {
    let dir = tempfile::tempdir().unwrap();
    // Port 9 on loopback: nothing listens there.
    let output = custseg_with(
        dir.path(),
        "http://127.0.0.1:9",
        &["-q", "run", "--demo", "--out", "out"],
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("cannot record the run in http://127.0.0.1:9"),
        "{stderr}"
    );
    assert!(
        stderr.contains("the MLflow server at `http://127.0.0.1:9` cannot be reached"),
        "{stderr}"
    );
    assert!(!dir.path().join("out").exists(), "no stage ran");
}

#[test]
fn metrics_that_are_not_finite_are_kept_by_the_mlflow_server() {
    use custseg_track::mlflow::MlflowClient;
    use custseg_track::{Metric, Tracker};
    let server = MlflowServer::start();
    let client = MlflowClient::new(&server.url).unwrap();
    let run = client.start_run("not-finite", "r", &[]).unwrap();
    let metric = |key: &str, value: f64, step: i64| Metric {
        key: key.into(),
        value,
        step,
        timestamp: 1,
    };
    client
        .log_metrics(
            &run,
            &[
                metric("davies_bouldin", f64::NAN, 0),
                metric("ratio", f64::INFINITY, 0),
                metric("ratio", f64::NEG_INFINITY, 1),
                metric("silhouette", 0.5, 0),
            ],
        )
        .unwrap();
    let read = client.get_run(&run).unwrap();
    assert!(
        read.last_metric("davies_bouldin").unwrap().is_nan(),
        "{read:?}"
    );
    let mut ratio: Vec<f64> = read.metrics["ratio"].iter().map(|m| m.value).collect();
    ratio.sort_by(f64::total_cmp);
    assert_eq!(ratio, [f64::NEG_INFINITY, f64::INFINITY]);
    assert_eq!(read.last_metric("silhouette"), Some(0.5));
}

#[test]
fn lists_page_through_everything_the_server_holds() {
    use custseg_track::mlflow::MlflowClient;
    use custseg_track::{Registry, Tracker};
    let server = MlflowServer::start();
    // Pages of two: five runs, three models and three versions take several pages each.
    let client = MlflowClient::new(&server.url).unwrap().with_page_size(2);
    let mut runs = Vec::new();
    for i in 0..5 {
        runs.push(client.start_run("paged", &format!("run {i}"), &[]).unwrap());
    }
    let listed = client.list_runs("paged").unwrap();
    assert_eq!(listed.len(), 5);
    let mut ids: Vec<String> = listed.iter().map(|r| r.run_id.clone()).collect();
    ids.sort();
    runs.sort();
    assert_eq!(ids, runs);
    let scores = std::collections::BTreeMap::from([("silhouette".to_owned(), 0.4)]);
    for model in ["a", "b", "c"] {
        client
            .create_version(
                model,
                &runs[0],
                &format!("runs:/{}/model", runs[0]),
                &scores,
                "",
            )
            .unwrap();
    }
    for _ in 0..2 {
        client
            .create_version(
                "a",
                &runs[1],
                &format!("runs:/{}/model", runs[1]),
                &scores,
                "",
            )
            .unwrap();
    }
    // The server does split these lists into pages of two (so the lists above followed
    // `next_page_token`).
    let first = client
        .get("registered-models/search", &[("max_results", "2")])
        .unwrap();
    assert_eq!(first["registered_models"].as_array().unwrap().len(), 2);
    assert!(
        first["next_page_token"]
            .as_str()
            .is_some_and(|t| !t.is_empty())
    );
    assert_eq!(client.models().unwrap(), ["a", "b", "c"]);
    let versions: Vec<u32> = client
        .versions("a")
        .unwrap()
        .iter()
        .map(|v| v.version)
        .collect();
    assert_eq!(versions, [1, 2, 3]);
}

#[test]
fn a_create_whose_answer_was_lost_is_found_not_made_twice() {
    use custseg_track::mlflow::MlflowClient;
    use custseg_track::{Registry, Tracker};
    let server = MlflowServer::start();
    let proxy = FaultProxy::start(&server.url);
    proxy
        .add("/runs/create", Fault::LoseAnswer)
        .add("/model-versions/create", Fault::LoseAnswer);
    let client = MlflowClient::new(&proxy.url).unwrap().without_backoff();
    let run = client.start_run("lossy", "r", &[]).unwrap();
    let scores = std::collections::BTreeMap::from([("silhouette".to_owned(), 0.4)]);
    let version = client
        .create_version("m", &run, &format!("runs:/{run}/model"), &scores, "")
        .unwrap();
    // Both answers were lost after the server acted ...
    assert_eq!(proxy.hit().len(), 2, "{:?}", proxy.hit());
    // ... and still there is one run and one version, the ones the client was given.
    let direct = MlflowClient::new(&server.url).unwrap();
    let runs = direct.list_runs("lossy").unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].run_id, run);
    let versions = direct.versions("m").unwrap();
    assert_eq!(versions.len(), 1);
    assert_eq!(versions[0].version, version.version);
    assert_eq!(versions[0].metrics["silhouette"], 0.4);
}

#[test]
fn alias_changes_from_two_processes_at_once_all_land_in_the_history() {
    use custseg_track::mlflow::MlflowClient;
    use custseg_track::{Registry, Tracker};
    let server = MlflowServer::start();
    let client = MlflowClient::new(&server.url).unwrap();
    let run = client.start_run("aliases", "r", &[]).unwrap();
    let scores = std::collections::BTreeMap::from([("silhouette".to_owned(), 0.4)]);
    for _ in 0..2 {
        client
            .create_version("m", &run, &format!("runs:/{run}/model"), &scores, "")
            .unwrap();
    }
    // Two clients move `production` at once, six times each, each to its own version.
    let rounds = 6;
    std::thread::scope(|scope| {
        for version in [1u32, 2] {
            let url = server.url.clone();
            scope.spawn(move || {
                let client = MlflowClient::new(&url).unwrap();
                for round in 0..rounds {
                    client
                        .set_alias(
                            "m",
                            "production",
                            Some(version),
                            "ci",
                            &format!("round {round}"),
                        )
                        .unwrap();
                }
            });
        }
    });
    let history = client.alias_history("m").unwrap();
    // Every change is recorded, none overwritten by another made at the same time.
    assert_eq!(history.len(), 2 * rounds);
    for version in [1u32, 2] {
        assert_eq!(
            history.iter().filter(|e| e.to == Some(version)).count(),
            rounds,
            "{history:?}"
        );
    }
    // One alias, pointing at one of the two, and the history is in time order.
    let production = client.aliases("m").unwrap()["production"];
    assert!(production == 1 || production == 2);
    assert!(history.windows(2).all(|w| w[0].at <= w[1].at));
}
