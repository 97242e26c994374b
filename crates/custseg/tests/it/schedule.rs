//! `custseg schedule`: the retraining policy on one scheduled run at a time (`--once`).

use crate::cli::{custseg, text};

#[test]
fn scheduled_runs_refresh_data_and_retrain_only_on_a_new_drift_report() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("custseg.toml"),
        "[model.search]\nn_init = 2\nstability_bootstraps = 2\n",
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
    let tick = || {
        let output = custseg(
            dir.path(),
            &[
                "-q",
                "schedule",
                "--cron",
                "0 3 * * *",
                "--once",
                "--drift-report",
                "drift.json",
                "--input",
                "demo.parquet",
                "--out",
                "out",
                "--skip-report",
            ],
        );
        assert!(output.status.success(), "{}", text(&output.stderr));
        text(&output.stdout)
    };

    let first = tick();
    assert!(
        first.contains("no drift report at `drift.json`; data stages only"),
        "{first}"
    );
    assert!(first.contains("stage      clv       done"), "{first}");
    assert!(!first.contains("stage      train"), "{first}");
    assert!(!dir.path().join("out/model/model.json").exists());

    std::fs::write(
        dir.path().join("drift.json"),
        r#"{"drift": false, "reason": "2 of 14 features shifted"}"#,
    )
    .unwrap();
    let calm = tick();
    assert!(
        calm.contains("no drift (2 of 14 features shifted); data stages only"),
        "{calm}"
    );
    assert!(calm.contains("pipeline   0 ran, 4 skipped"), "{calm}");

    std::fs::write(
        dir.path().join("drift.json"),
        r#"{"drift": true, "reason": "PSI of Recency 0.41"}"#,
    )
    .unwrap();
    let drifted = tick();
    assert!(
        drifted.contains("drift: PSI of Recency 0.41; retraining"),
        "{drifted}"
    );
    assert!(
        drifted.contains("stage      train     running: forced with `--force`"),
        "{drifted}"
    );
    assert!(
        drifted.contains("customer-segments version 1 (run "),
        "{drifted}"
    );
    assert!(
        drifted.contains("promoted to `production`: no current model to compare with"),
        "{drifted}"
    );

    let again = tick();
    assert!(
        again.contains("this drift report was acted on already; data stages only"),
        "{again}"
    );
    assert!(!again.contains("stage      train     running"), "{again}");

    let bad = custseg(
        dir.path(),
        &["schedule", "--cron", "every day", "--once", "--demo"],
    );
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        text(&bad.stderr).contains("`--cron every day`: expected five fields"),
        "{}",
        text(&bad.stderr)
    );
}
