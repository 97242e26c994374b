//! Faults between custseg and a real `mlflow server`, injected by [`FaultProxy`] or by killing
//! the server: for each, what the user sees and what the stores hold afterwards. Nothing is
//! lost, nothing is doubled, a run cut short ends as failed with its error, and the next run
//! works. docs/tracking.md has a row for each test here.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use custseg_track::mlflow::MlflowClient;
use custseg_track::{Metric, Registry, RunStatus, Tracker};

use crate::cli::{RUN_DEMO, text, tracked_run};
use crate::fault_proxy::{Fault, FaultProxy};
use crate::mlflow_server::{MlflowServer, custseg_command, custseg_with, kill_group_id};

fn silhouette(value: f64) -> Metric {
    Metric {
        key: "silhouette".into(),
        value,
        step: 0,
        timestamp: 1,
    }
}

#[test]
fn a_server_that_answers_503_for_a_while_costs_retries_not_data() {
    let server = MlflowServer::start();
    let proxy = FaultProxy::start(&server.url);
    let client = MlflowClient::new(&proxy.url).unwrap().without_backoff();
    let run = client.start_run("flaky", "r", &[]).unwrap();
    // Three 503s in a row: the fourth attempt goes through.
    for _ in 0..3 {
        proxy.add("/runs/log-batch", Fault::Unavailable);
    }
    client.log_metrics(&run, &[silhouette(0.5)]).unwrap();
    assert_eq!(proxy.hit().len(), 3, "{:?}", proxy.hit());
    let direct = MlflowClient::new(&server.url).unwrap();
    assert_eq!(
        direct.get_run(&run).unwrap().metrics["silhouette"],
        [silhouette(0.5)],
        "logged once: not lost, not doubled"
    );
    // Four: the client gives up with an error naming the server, the request and the count.
    for _ in 0..4 {
        proxy.add("/runs/log-batch", Fault::Unavailable);
    }
    let error = client
        .log_metrics(&run, &[silhouette(0.6)])
        .unwrap_err()
        .to_string();
    assert!(
        error.contains(&proxy.url)
            && error.contains("POST /api/2.0/mlflow/runs/log-batch: HTTP 503")
            && error.contains("gave up after 4 attempts"),
        "{error}"
    );
    assert_eq!(direct.get_run(&run).unwrap().metrics["silhouette"].len(), 1);
}

#[test]
fn a_lost_or_late_answer_does_not_double_what_was_logged_or_created() {
    let server = MlflowServer::start();
    let proxy = FaultProxy::start(&server.url);
    // Answers later than the client waits: the client times out and retries while the
    // server has already acted.
    let client = MlflowClient::new(&proxy.url)
        .unwrap()
        .without_backoff()
        .with_timeout(Duration::from_secs(1));
    proxy.add("/runs/create", Fault::Delay(Duration::from_secs(3)));
    let run = client.start_run("late", "r", &[]).unwrap();
    proxy
        .add("/runs/log-batch", Fault::Delay(Duration::from_secs(3)))
        .add("/runs/log-batch", Fault::LoseAnswer);
    client.log_metrics(&run, &[silhouette(0.5)]).unwrap();
    client
        .log_params(&run, &[("k".to_owned(), "4".to_owned())])
        .unwrap();
    assert_eq!(proxy.hit().len(), 3, "{:?}", proxy.hit());

    let direct = MlflowClient::new(&server.url).unwrap();
    let runs = direct.list_runs("late").unwrap();
    assert_eq!(runs.len(), 1, "the late create was found, not made again");
    assert_eq!(runs[0].run_id, run);
    let logged = direct.get_run(&run).unwrap();
    // MLflow keeps one point for a (key, value, step, timestamp) logged twice.
    assert_eq!(logged.metrics["silhouette"], [silhouette(0.5)]);
    assert_eq!(logged.params["k"], "4");
}

/// `custseg run` on demo data in `dir` through `uri`, with a small search.
fn run_demo(dir: &Path, uri: &str) -> std::process::Output {
    custseg_with(dir, uri, &RUN_DEMO)
}

fn demo_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("custseg.toml"),
        "[model.search]\nn_init = 2\nstability_bootstraps = 3\n",
    )
    .unwrap();
    let demo = crate::cli::custseg(
        dir.path(),
        &[
            "-q",
            "demo-data",
            "--rows",
            "20000",
            "--out",
            "demo.parquet",
        ],
    );
    assert!(demo.status.success(), "{}", text(&demo.stderr));
    dir
}

#[test]
fn a_server_killed_mid_run_leaves_a_failed_run_and_the_next_run_works() {
    let mut server = MlflowServer::start();
    let proxy = FaultProxy::start(&server.url);
    // The first artifact upload (the model, in the `register` stage) kills the server: the
    // run exists, its parameters are logged, and the stages before `register` have run.
    let group = server.group().unwrap();
    proxy.add(
        "/mlflow-artifacts/artifacts/",
        Fault::Hook(Arc::new(move || kill_group_id(group, "-KILL"))),
    );
    let dir = demo_dir();
    let first = run_demo(dir.path(), &proxy.url);
    assert_eq!(first.status.code(), Some(1));
    let stderr = text(&first.stderr);
    assert!(
        stderr.starts_with("error: stage `register` failed (attempt 3 of 3): the MLflow server at")
            && stderr.contains("gave up after 4 attempts"),
        "the error says which stage failed and that the server could not be reached: {stderr}"
    );
    assert!(
        stderr.contains("it stays RUNNING there until the next custseg run with this output directory records it as FAILED"),
        "{stderr}"
    );
    let journal: Vec<_> = std::fs::read_dir(dir.path().join("out/.custseg-open-runs"))
        .unwrap()
        .collect();
    assert_eq!(journal.len(), 1, "the unrecorded ending is kept");

    server.restart();
    let direct = MlflowClient::new(&server.url).unwrap();
    let runs = direct.list_runs("custseg").unwrap();
    assert_eq!(runs.len(), 1);
    let cut_short = runs[0].run_id.clone();
    assert_eq!(
        runs[0].status,
        RunStatus::Running,
        "the server never heard the end"
    );

    // The next run ends the earlier one as failed with its error, then runs well.
    let second = run_demo(dir.path(), &proxy.url);
    assert!(second.status.success(), "{}", text(&second.stderr));
    let stdout = text(&second.stdout);
    assert!(
        stdout.contains(&format!(
            "ended      run {cut_short} as FAILED: an earlier process left it open"
        )),
        "{stdout}"
    );
    let next = tracked_run(&stdout);
    let earlier = direct.get_run(&cut_short).unwrap();
    assert_eq!(earlier.status, RunStatus::Failed);
    let error = &earlier.tags["custseg.error"];
    assert!(error.starts_with("stage `register` failed"), "{error}");
    assert!(error.contains("gave up after 4 attempts"), "{error}");
    assert!(error.contains("(recorded by a later run"), "{error}");
    assert!(earlier.params.contains_key("model.search.k_max"));
    assert_eq!(direct.get_run(&next).unwrap().status, RunStatus::Finished);
    // Two runs, one version (the killed run never registered one), and an empty journal.
    assert_eq!(direct.list_runs("custseg").unwrap().len(), 2);
    let versions = direct.versions("customer-segments").unwrap();
    assert_eq!(versions.len(), 1, "{versions:?}");
    assert_eq!(versions[0].run_id, next);
    assert_eq!(
        std::fs::read_dir(dir.path().join("out/.custseg-open-runs"))
            .unwrap()
            .count(),
        0
    );
}

#[test]
fn a_custseg_process_killed_mid_run_is_ended_as_failed_by_the_next_run() {
    let server = MlflowServer::start();
    let dir = demo_dir();
    let mut child = custseg_command(dir.path(), &server.url, &RUN_DEMO)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Killed as soon as its run is open in the store, long before its stages are done.
    let journal = dir.path().join("out/.custseg-open-runs");
    let started = Instant::now();
    while std::fs::read_dir(&journal).map_or(0, Iterator::count) == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the run never opened"
        );
        assert!(child.try_wait().unwrap().is_none(), "custseg ended early");
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let direct = MlflowClient::new(&server.url).unwrap();
    let killed = direct.list_runs("custseg").unwrap();
    assert_eq!(killed.len(), 1);
    assert_eq!(killed[0].status, RunStatus::Running);

    let next = run_demo(dir.path(), &server.url);
    assert!(next.status.success(), "{}", text(&next.stderr));
    let stdout = text(&next.stdout);
    assert!(
        stdout.contains(&format!("ended      run {} as FAILED", killed[0].run_id)),
        "{stdout}"
    );
    let earlier = direct.get_run(&killed[0].run_id).unwrap();
    assert_eq!(earlier.status, RunStatus::Failed);
    assert!(
        earlier.tags["custseg.error"]
            .contains("ended before the run did: it was killed or crashed"),
        "{:?}",
        earlier.tags
    );
    let now = direct.get_run(&tracked_run(&stdout)).unwrap();
    assert_eq!(now.status, RunStatus::Finished);
}

#[test]
fn a_register_stage_retried_after_an_unknown_outcome_does_not_register_twice() {
    let server = MlflowServer::start();
    let proxy = FaultProxy::start(&server.url);
    // The version is made but its answer lost, and every lookup for it fails until the
    // client gives up (three lookups, each tried four times): the stage fails its first
    // attempt not knowing the version exists.
    proxy.add("/model-versions/create", Fault::LoseAnswer);
    for _ in 0..12 {
        proxy.add("/model-versions/search", Fault::Unavailable);
    }
    let dir = demo_dir();
    let output = run_demo(dir.path(), &proxy.url);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(proxy.hit().len(), 13, "{:?}", proxy.hit());
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("register  done") && stdout.contains("2 attempts"),
        "the stage took a second attempt: {stdout}"
    );
    let run = tracked_run(&text(&output.stdout));
    // The stage's second attempt found the version its first made.
    let direct = MlflowClient::new(&server.url).unwrap();
    let versions = direct.versions("customer-segments").unwrap();
    assert_eq!(versions.len(), 1, "{versions:?}");
    assert_eq!(versions[0].run_id, run);
    let registered: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("out/model/registered.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(registered["version"], 1);
}
