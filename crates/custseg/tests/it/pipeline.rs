//! `custseg run` as a DAG of cached stages: what a re-run skips, what a changed parameter
//! re-runs, and what a killed run leaves behind.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use crate::cli::{RUN_DEMO, custseg, text};
use crate::model::shared_data;

/// `(stage, status)` for each `stage` line of a run's stdout, in order.
fn stages(stdout: &str) -> Vec<(String, String)> {
    stdout
        .lines()
        .filter_map(|line| line.strip_prefix("stage      "))
        .filter_map(|rest| {
            let mut words = rest.split_whitespace();
            let stage = words.next()?.to_owned();
            let status = words.next()?.trim_end_matches(':').to_owned();
            (status != "done").then_some((stage, status))
        })
        .collect()
}

fn ran(stdout: &str) -> Vec<String> {
    stages(stdout)
        .into_iter()
        .filter(|(_, status)| status == "running")
        .map(|(stage, _)| stage)
        .collect()
}

fn lock(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("out/custseg.lock")).unwrap()).unwrap()
}

const ALL: [&str; 8] = [
    "ingest", "clean", "features", "clv", "train", "evaluate", "register", "report",
];

#[test]
fn an_unchanged_rerun_on_the_real_data_runs_no_stage_and_a_train_parameter_reruns_train_onwards() {
    let dir = tempfile::tempdir().unwrap();
    let input = shared_data("online_retail.parquet");
    let input = input.to_str().unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec!["-q", "run", "--input", input, "--out", "out", "--no-cache"];
        args.extend_from_slice(extra);
        let output = custseg(dir.path(), &args);
        assert!(output.status.success(), "{}", text(&output.stderr));
        text(&output.stdout)
    };
    let first = run(&[]);
    assert_eq!(ran(&first), ALL);
    let lock_after_first = lock(dir.path());
    let model_time = std::fs::metadata(dir.path().join("out/model/model.json"))
        .unwrap()
        .modified()
        .unwrap();

    let second = run(&[]);
    assert!(ran(&second).is_empty(), "{second}");
    assert_eq!(
        stages(&second),
        ALL.map(|s| (s.to_owned(), "skipped".to_owned()))
    );
    assert!(
        second.contains("pipeline   0 ran, 8 skipped as unchanged"),
        "{second}"
    );
    assert_eq!(
        lock(dir.path()),
        lock_after_first,
        "an unchanged run rewrites no lock entry"
    );
    assert_eq!(
        std::fs::metadata(dir.path().join("out/model/model.json"))
            .unwrap()
            .modified()
            .unwrap(),
        model_time
    );

    let third = run(&["--k-max", "9"]);
    assert_eq!(
        ran(&third),
        ["train", "evaluate", "register", "report"],
        "{third}"
    );
    assert!(
        third.contains("stage      train     running: parameters changed: model.search.k_max"),
        "{third}"
    );
    let lock = lock(dir.path());
    for stage in ["ingest", "clean", "features", "clv"] {
        assert_eq!(
            lock["stages"][stage], lock_after_first["stages"][stage],
            "{stage}"
        );
    }
    assert_ne!(lock["stages"]["train"], lock_after_first["stages"]["train"]);
    assert_eq!(
        lock["stages"]["train"]["params"]["model"]["search"]["k_max"],
        9
    );
    // Every output the lock records is there with the size it records.
    for (stage, entry) in lock["stages"].as_object().unwrap() {
        for output in entry["outputs"].as_array().unwrap() {
            let path = dir
                .path()
                .join("out")
                .join(output["path"].as_str().unwrap());
            assert_eq!(
                std::fs::metadata(&path).unwrap().len(),
                output["size"].as_u64().unwrap(),
                "{stage}: {}",
                path.display()
            );
        }
    }
}

fn small_settings(dir: &Path, extra: &str) {
    std::fs::write(
        dir.join("custseg.toml"),
        format!(
            "[demo]\nrows = 30000\n\n[model.search]\nn_init = 2\nstability_bootstraps = 2\n{extra}"
        ),
    )
    .unwrap();
}

#[test]
fn a_run_killed_in_a_stage_leaves_a_consistent_lock_and_the_next_run_resumes_there() {
    let dir = tempfile::tempdir().unwrap();
    // A search slow enough that the kill lands inside `train`.
    std::fs::write(
        dir.path().join("custseg.toml"),
        "[demo]\nrows = 30000\n\n[model.search]\nn_init = 20\nstability_bootstraps = 100\n",
    )
    .unwrap();
    let demo = custseg(
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
    assert!(demo.status.success(), "{}", text(&demo.stderr));
    let mut child = Command::new(env!("CARGO_BIN_EXE_custseg"))
        .args(["-q", "run", "--input", "demo.parquet", "--out", "out"])
        .current_dir(dir.path())
        .env_remove("CUSTSEG_CONFIG")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut seen = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        let train_started = line.starts_with("stage      train     running");
        seen.push(line);
        if train_started {
            child.kill().unwrap();
            break;
        }
    }
    child.wait().unwrap();
    assert!(
        seen.iter()
            .any(|l| l.starts_with("stage      train     running")),
        "{seen:#?}"
    );
    // Killed inside train: no model, the earlier stages committed with their lock entries.
    // (The killed stage's staging folder is left behind when the kill came after it was made.)
    let out = dir.path().join("out");
    assert!(!out.join("model/model.json").exists());
    let killed_lock = lock(dir.path());
    let locked: Vec<&String> = killed_lock["stages"].as_object().unwrap().keys().collect();
    assert_eq!(locked, ["clean", "clv", "features", "ingest"]);
    let staging = || {
        std::fs::read_dir(&out)
            .unwrap()
            .flatten()
            .filter(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with(".custseg-staging-")
            })
            .count()
    };
    assert!(staging() <= 1);

    small_settings(dir.path(), "");
    let output = custseg(
        dir.path(),
        &["-q", "run", "--input", "demo.parquet", "--out", "out"],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert_eq!(
        ran(&stdout),
        ["train", "evaluate", "register", "report"],
        "{stdout}"
    );
    assert!(
        stdout.contains("stage      train     running: it has not run here before"),
        "{stdout}"
    );
    assert_eq!(
        staging(),
        0,
        "the interrupted run's staging folder is removed"
    );
    assert!(out.join("model/model.json").exists());
    assert_eq!(lock(dir.path())["stages"].as_object().unwrap().len(), 8);
}

#[test]
fn force_only_and_a_failing_stage_behave_as_documented() {
    let dir = tempfile::tempdir().unwrap();
    small_settings(dir.path(), "");
    let demo = custseg(
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
    assert!(demo.status.success(), "{}", text(&demo.stderr));
    let run = |extra: &[&str]| {
        let args = [&RUN_DEMO[..], extra].concat();
        custseg(dir.path(), &args)
    };
    let first = run(&[]);
    assert!(first.status.success(), "{}", text(&first.stderr));

    // --force re-runs a stage; it wrote the same bytes, so nothing after it re-runs.
    let forced = run(&["--force", "features"]);
    assert!(forced.status.success(), "{}", text(&forced.stderr));
    let stdout = text(&forced.stdout);
    assert_eq!(ran(&stdout), ["features"], "{stdout}");
    assert!(
        stdout.contains("features  running: forced with `--force`"),
        "{stdout}"
    );

    // --only runs one stage when everything before it is up to date...
    let only = run(&["--only", "train", "--force", "train"]);
    assert!(only.status.success(), "{}", text(&only.stderr));
    assert_eq!(
        stages(&text(&only.stdout)),
        [("train".to_owned(), "running".to_owned())]
    );
    // ...and refuses when something before it is not.
    let stale = run(&["--only", "train", "--k-max", "9", "--as-of", "2011-12-01"]);
    assert_eq!(stale.status.code(), Some(1));
    let stderr = text(&stale.stderr);
    assert!(
        stderr.contains(
            "stage `train` needs `features` to be up to date first (parameters changed: as_of)"
        ),
        "{stderr}"
    );
    let unknown = run(&["--force", "trian"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        text(&unknown.stderr)
            .contains("no stage is named `trian`; the stages are `ingest`, `clean`"),
        "{}",
        text(&unknown.stderr)
    );

    // A stage that fails stops the run with the stage named, and keeps what came before.
    std::fs::write(dir.path().join("demo.parquet"), b"PAR1 not really").unwrap();
    let broken = run(&[]);
    assert_eq!(broken.status.code(), Some(1));
    let stderr = text(&broken.stderr);
    assert!(stderr.contains("stage `ingest` failed"), "{stderr}");
    assert!(stderr.contains("demo.parquet"), "{stderr}");
    assert!(stderr.contains("the next run resumes from it"), "{stderr}");
    assert!(dir.path().join("out/model/model.json").exists());
}

#[test]
fn dag_prints_the_stages_as_text_dot_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let text_output = custseg(dir.path(), &["dag", "--demo"]);
    assert!(
        text_output.status.success(),
        "{}",
        text(&text_output.stderr)
    );
    let shown = text(&text_output.stdout);
    let names: Vec<&str> = shown
        .lines()
        .filter(|l| !l.starts_with(' '))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(names, ALL);
    assert!(shown.contains("train     isolation forest"), "{shown}");
    assert!(shown.contains("after ingest, features, clv\n"), "{shown}");
    assert!(
        !dir.path().join("datasets").exists(),
        "`dag` does not generate the demo data"
    );

    let dot = text(&custseg(dir.path(), &["dag", "--demo", "--dot"]).stdout);
    assert!(dot.starts_with("digraph custseg {"), "{dot}");
    assert!(dot.contains("\"features\" -> \"train\""), "{dot}");
    assert!(dot.contains("\"evaluate\" -> \"register\""), "{dot}");

    let json: serde_json::Value = serde_json::from_slice(
        &custseg(dir.path(), &["dag", "--demo", "--json", "--skip-clv"]).stdout,
    )
    .unwrap();
    let stages = json["stages"].as_array().unwrap();
    assert_eq!(stages.len(), 7);
    let train = stages.iter().find(|s| s["name"] == "train").unwrap();
    assert_eq!(train["upstream"], serde_json::json!(["ingest", "features"]));
}
