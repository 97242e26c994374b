//! Runs recorded in the local store under `runs/`, and the model registry with its
//! champion/challenger gate, through the CLI.

use std::path::Path;

use crate::cli::{RUN_DEMO, custseg, text, tracked_run};

fn ok(dir: &Path, args: &[&str]) -> String {
    let output = custseg(dir, args);
    assert!(
        output.status.success(),
        "custseg {args:?}: {}",
        text(&output.stderr)
    );
    text(&output.stdout)
}

fn show(dir: &Path, run: &str) -> serde_json::Value {
    serde_json::from_str(&ok(dir, &["runs", "show", run, "--json"])).unwrap()
}

#[test]
fn every_run_is_recorded_with_params_metric_steps_tags_artifacts_and_status() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("custseg.toml"),
        "[demo]\nrows = 30000\n\n[model.search]\nn_init = 2\nstability_bootstraps = 3\n",
    )
    .unwrap();
    ok(
        dir.path(),
        &[
            "-q",
            "demo-data",
            "--rows",
            "30000",
            "--out",
            "demo.parquet",
        ],
    );
    let first = tracked_run(&ok(dir.path(), &RUN_DEMO));
    let second = tracked_run(&ok(
        dir.path(),
        &[&RUN_DEMO[..], &["--k-max", "9"]].concat(),
    ));

    let run = show(dir.path(), &first);
    assert_eq!(run["status"], "FINISHED");
    assert_eq!(run["params"]["model.search.k_max"], "10");
    assert_eq!(run["params"]["input"], "demo.parquet");
    // The search table as metrics with steps: one point per candidate.
    let candidates = std::fs::read_to_string(dir.path().join("out/model/search.csv"))
        .unwrap()
        .lines()
        .count()
        - 1;
    let search = run["metrics"]["search.silhouette"].as_array().unwrap();
    assert_eq!(search.len(), 18, "k 2..=10 with two inits");
    let steps: Vec<i64> = search.iter().map(|m| m["step"].as_i64().unwrap()).collect();
    assert_eq!(steps, (0..18).collect::<Vec<_>>());
    // The second run's table (k 2..=9) is the one in `out/` now.
    assert_eq!(candidates, 16);
    assert_eq!(
        show(dir.path(), &second)["metrics"]["search.silhouette"]
            .as_array()
            .unwrap()
            .len(),
        candidates
    );
    for key in [
        "silhouette",
        "davies_bouldin",
        "calinski_harabasz",
        "stability_ari",
        "k",
    ] {
        assert!(run["metrics"][key][0]["value"].is_number(), "{key}");
    }
    let data_sha = run["tags"]["data_sha256"].as_str().unwrap();
    let quality: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("out/reports/quality.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(data_sha, quality["input"]["sha256"].as_str().unwrap());
    assert!(run["tags"]["host"].is_string());
    assert_eq!(
        run["tags"]["custseg.stages_ran"],
        "ingest,clean,features,clv,train,evaluate,register"
    );
    let artifacts: Vec<&str> = run["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    for artifact in [
        "reports/quality.json",
        "model/model.json",
        "segments/profiles.json",
        "custseg.lock",
    ] {
        assert!(artifacts.contains(&artifact), "{artifact} in {artifacts:?}");
    }
    let stored = dir
        .path()
        .join("runs/custseg")
        .join(&second)
        .join("artifacts/model/model.json");
    assert_eq!(
        std::fs::read(stored).unwrap(),
        std::fs::read(dir.path().join("out/model/model.json")).unwrap()
    );
    assert!(run["end_time"].as_i64().unwrap() >= run["start_time"].as_i64().unwrap());

    let listed = ok(dir.path(), &["runs", "list"]);
    assert!(
        listed.contains(&first) && listed.contains(&second),
        "{listed}"
    );
    let compared = ok(
        dir.path(),
        &["runs", "compare", &first, &second, "--only-different"],
    );
    assert!(compared.contains("* model.search.k_max"), "{compared}");
    assert!(!compared.contains("model.search.k_min"), "{compared}");

    // `custseg train` is a tracked run too.
    let trained = tracked_run(&ok(
        dir.path(),
        &[
            "-q",
            "train",
            "--features",
            "out/features/customer_features.parquet",
            "--out",
            "trained",
        ],
    ));
    let train_run = show(dir.path(), &trained);
    assert_eq!(train_run["status"], "FINISHED");
    assert_eq!(train_run["tags"]["custseg.command"], "train");
    assert_eq!(train_run["params"]["model.search.n_init"], "2");
    assert_eq!(
        train_run["metrics"]["search.silhouette"]
            .as_array()
            .unwrap()
            .len(),
        18
    );
    assert!(train_run["tags"]["features_sha256"].is_string());

    // A failed run is recorded as failed, with its error.
    let failed = custseg(
        dir.path(),
        &[
            "-q",
            "run",
            "--input",
            "missing.csv",
            "--out",
            "out2",
            "--skip-report",
        ],
    );
    assert_eq!(failed.status.code(), Some(1));
    let failed_id = tracked_run(&text(&failed.stdout));
    let failed_run = show(dir.path(), &failed_id);
    assert_eq!(failed_run["status"], "FAILED");
    assert!(
        failed_run["error"]
            .as_str()
            .unwrap()
            .contains("missing.csv"),
        "{failed_run}"
    );
}

#[test]
fn the_registry_versions_runs_promotes_through_the_gate_and_rolls_back() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("custseg.toml"),
        "[model.search]\nn_init = 2\nstability_bootstraps = 3\n",
    )
    .unwrap();
    ok(
        dir.path(),
        &[
            "-q",
            "demo-data",
            "--rows",
            "30000",
            "--out",
            "demo.parquet",
        ],
    );
    let base = [
        "-q",
        "run",
        "--input",
        "demo.parquet",
        "--out",
        "out",
        "--skip-report",
        "--skip-clv",
    ];
    // The first model takes the free alias through the gate.
    let mut args = base.to_vec();
    args.extend(["--promote-to", "production"]);
    let first = ok(dir.path(), &args);
    assert!(
        first.contains("customer-segments version 1 (run "),
        "{first}"
    );
    assert!(
        first.contains("promoted to `production`: no current model to compare with"),
        "{first}"
    );

    // A model forced to k = 9 scores worse: it is registered, not promoted.
    let mut args = base.to_vec();
    args.extend([
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
    ]);
    let second = ok(dir.path(), &args);
    assert!(
        second.contains("customer-segments version 2 (run "),
        "{second}"
    );
    assert!(
        second.contains("not promoted to `production`: worse than the current model: "),
        "{second}"
    );
    let registered: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("out/model/registered.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(registered["version"], 2);
    assert_eq!(registered["promotion"]["promoted"], false);
    let evaluation: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("out/model/evaluation.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(evaluation["champion"]["version"], 1);
    assert_eq!(evaluation["gate"]["passed"], false);

    // By hand: refused with the worse score named, then forced.
    let refused = custseg(dir.path(), &["models", "promote", "customer-segments", "2"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        text(&refused.stdout).contains("WORSE"),
        "{}",
        text(&refused.stdout)
    );
    assert!(
        text(&refused.stderr)
            .contains("was not promoted to `production`: worse than the current model"),
        "{}",
        text(&refused.stderr)
    );
    let before_force = chrono::Utc::now();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let forced = ok(
        dir.path(),
        &[
            "models",
            "promote",
            "customer-segments",
            "2",
            "--force",
            "--reason",
            "try k=9",
        ],
    );
    assert!(
        forced.contains("customer-segments@production -> version 2 (was 1)"),
        "{forced}"
    );
    ok(
        dir.path(),
        &["models", "alias", "customer-segments", "staging", "1"],
    );

    // Which version was live when: the alias history answers it.
    let at = ok(
        dir.path(),
        &[
            "models",
            "show",
            "customer-segments",
            "--at",
            &before_force.to_rfc3339(),
        ],
    );
    assert!(at.contains("production   version 1 at"), "{at}");
    let now = ok(
        dir.path(),
        &[
            "models",
            "show",
            "customer-segments",
            "--at",
            &chrono::Utc::now().to_rfc3339(),
        ],
    );
    assert!(now.contains("production   version 2 at"), "{now}");
    assert!(now.contains("staging      version 1 at"), "{now}");

    let rolled = ok(
        dir.path(),
        &[
            "models",
            "rollback",
            "customer-segments",
            "--reason",
            "k=9 confuses marketing",
        ],
    );
    assert!(
        rolled.contains("customer-segments@production -> version 1 (was 2)"),
        "{rolled}"
    );
    let shown = ok(dir.path(), &["models", "show", "customer-segments"]);
    assert!(shown.contains("production   none -> 1"), "{shown}");
    assert!(shown.contains("production   1 -> 2  by "), "{shown}");
    assert!(shown.contains("try k=9; forced past the gate"), "{shown}");
    assert!(shown.contains("production   2 -> 1  by "), "{shown}");
    assert!(
        shown.contains("rollback from version 2: k=9 confuses marketing"),
        "{shown}"
    );
    let history = std::fs::read_to_string(
        dir.path()
            .join("runs/models/customer-segments/alias-history.jsonl"),
    )
    .unwrap();
    assert_eq!(history.lines().count(), 4);

    // Versions link to their runs; registering a run by hand adds a version.
    let listed = ok(dir.path(), &["models", "list"]);
    assert!(
        listed.contains(
            "customer-segments              2 versions, latest 2  production=1 staging=1"
        ),
        "{listed}"
    );
    let version: serde_json::Value = serde_json::from_slice(
        &std::fs::read(
            dir.path()
                .join("runs/models/customer-segments/versions/1.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let run = version["run_id"].as_str().unwrap();
    let by_hand = ok(
        dir.path(),
        &["models", "register", "other-name", "--run", run],
    );
    assert!(
        by_hand.contains("registered other-name version 1 from run"),
        "{by_hand}"
    );

    // Four processes registering at once get four different versions.
    let children: Vec<_> = (0..4)
        .map(|_| {
            std::process::Command::new(env!("CARGO_BIN_EXE_custseg"))
                .args(["models", "register", "other-name", "--run", run])
                .current_dir(dir.path())
                .env_remove("CUSTSEG_CONFIG")
                .env_remove("MLFLOW_TRACKING_URI")
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut versions: Vec<u32> = children
        .into_iter()
        .map(|child| {
            let output = child.wait_with_output().unwrap();
            assert!(output.status.success(), "{}", text(&output.stderr));
            // "registered other-name version N from run R"
            text(&output.stdout)
                .split_whitespace()
                .nth(3)
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    versions.sort_unstable();
    assert_eq!(versions, [2, 3, 4, 5]);
}
