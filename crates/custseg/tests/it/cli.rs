use std::path::Path;
use std::process::{Command, Output};

/// `custseg run` on `demo.parquet` into `out`, without the report: the arguments most
/// pipeline tests start from (they append their own).
pub const RUN_DEMO: [&str; 7] = [
    "-q",
    "run",
    "--input",
    "demo.parquet",
    "--out",
    "out",
    "--skip-report",
];

pub fn custseg(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_custseg"))
        .args(args)
        .current_dir(dir)
        .env_remove("RUST_LOG")
        .env_remove("CUSTSEG_CONFIG")
        .env_remove("CUSTSEG_DATA_DIR")
        .output()
        .unwrap()
}

/// `custseg -q demo-data ARGS...`, which must succeed.
pub fn demo_data(dir: &Path, args: &[&str]) {
    let mut all = vec!["-q", "demo-data"];
    all.extend_from_slice(args);
    let output = custseg(dir, &all);
    assert!(output.status.success(), "{}", text(&output.stderr));
}

/// `custseg -q features --input INPUT --out OUT EXTRA...`.
pub fn features(dir: &Path, input: &str, out: &str, extra: &[&str]) -> Output {
    let mut all = vec!["-q", "features", "--input", input, "--out", out];
    all.extend_from_slice(extra);
    custseg(dir, &all)
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The id of the tracked run a `custseg run` or `train` printed (`tracked    run <id> in ...`).
pub fn tracked_run(stdout: &str) -> String {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("tracked    run "))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no tracked run in {stdout}"))
        .to_owned()
}

#[test]
fn demo_data_is_deterministic_and_feeds_features() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["a.parquet", "b.parquet"] {
        let output = custseg(
            dir.path(),
            &["demo-data", "--rows", "20000", "--seed", "3", "--out", name],
        );
        assert!(output.status.success(), "{}", text(&output.stderr));
        assert_eq!(
            text(&output.stdout).trim(),
            format!("wrote 20000 rows to {name}")
        );
    }
    assert_eq!(
        std::fs::read(dir.path().join("a.parquet")).unwrap(),
        std::fs::read(dir.path().join("b.parquet")).unwrap()
    );

    let output = custseg(
        dir.path(),
        &["-q", "features", "--input", "a.parquet", "--out", "out"],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(stdout.contains("20000 raw = "), "{stdout}");
    let report: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("out/reports/quality.json")).unwrap(),
    )
    .unwrap();
    let raw = report["raw_rows"].as_u64().unwrap();
    let clean = report["clean_rows"].as_u64().unwrap();
    let quarantined = report["quarantined_rows"].as_u64().unwrap();
    assert_eq!(raw, 20_000);
    assert_eq!(raw, clean + quarantined);
    // the demo log carries every defect the cleaning handles
    for step in report["steps"].as_array().unwrap() {
        if step["rule"] != "transaction_status" {
            assert!(
                step["dropped"].as_u64().unwrap() > 0,
                "no rows for {}",
                step["rule"]
            );
        } else {
            assert!(step["flagged"].as_u64().unwrap() > 0);
        }
    }
    for file in [
        "clean/transactions.parquet",
        "quarantine/rejected.parquet",
        "features/customer_features.parquet",
        "features/customer_features.csv",
    ] {
        assert!(dir.path().join("out").join(file).is_file(), "{file}");
    }
}

#[test]
fn demo_flag_generates_and_reuses_the_built_in_dataset() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("custseg.toml"), "[demo]\nrows = 15000\n").unwrap();
    let first = custseg(dir.path(), &["-q", "features", "--demo", "--out", "out"]);
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert!(text(&first.stdout).contains("15000 raw"));
    // The same demo file again: every stage of the pipeline is up to date.
    let second = custseg(dir.path(), &["-q", "features", "--demo", "--out", "out"]);
    assert!(second.status.success());
    assert!(
        text(&second.stdout).contains("0 ran, 3 skipped as unchanged"),
        "{}",
        text(&second.stdout)
    );
    // Elsewhere, the demo file's parse is reused from the cache.
    let third = custseg(
        dir.path(),
        &["-q", "features", "--demo", "--out", "elsewhere"],
    );
    assert!(third.status.success());
    assert!(
        text(&third.stdout).contains("parse cached"),
        "{}",
        text(&third.stdout)
    );
}

#[test]
fn bad_input_exits_one_with_the_reason_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let output = custseg(
        dir.path(),
        &["-q", "features", "--input", "missing.csv", "--out", "out"],
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.starts_with("error: `custseg features` on `missing.csv` failed: "),
        "{stderr}"
    );
    assert!(stderr.contains("`missing.csv`: no such file"), "{stderr}");
    assert!(text(&output.stdout).contains("ingest    FAILED"));

    // A failure while reading leaves no output directory behind that the run created.
    std::fs::write(
        dir.path().join("bad.csv"),
        "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n\
         536365,85123A,WHITE MUG,six,12/1/2010 8:26,2.55,17850,United Kingdom\n",
    )
    .unwrap();
    let output = custseg(
        dir.path(),
        &["-q", "features", "--input", "bad.csv", "--out", "fresh"],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains("column `Quantity`"));
    assert!(!dir.path().join("fresh").exists());

    // A sheet named for a CSV is not silently ignored.
    let output = custseg(
        dir.path(),
        &[
            "features", "--input", "bad.csv", "--sheet", "Sales", "--out", "fresh",
        ],
    );
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("`sheet` is set but the input is not a workbook"),
        "{stderr}"
    );

    // Nor for a zip whose member is a CSV.
    let archive = std::fs::File::create(dir.path().join("sales.zip")).unwrap();
    let mut zip = zip::ZipWriter::new(archive);
    zip.start_file("sales.csv", zip::write::SimpleFileOptions::default())
        .unwrap();
    std::io::Write::write_all(
        &mut zip,
        b"InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n\
          536365,85123A,WHITE MUG,6,12/1/2010 8:26,2.55,17850,United Kingdom\n",
    )
    .unwrap();
    zip.finish().unwrap();
    let output = custseg(
        dir.path(),
        &[
            "features",
            "--input",
            "sales.zip",
            "--sheet",
            "Sales",
            "--out",
            "zipped",
        ],
    );
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("`sheet` is set but the archive's member is not a workbook"),
        "{stderr}"
    );
}

#[test]
fn usage_errors_exit_two() {
    let dir = tempfile::tempdir().unwrap();
    let output = custseg(dir.path(), &["features"]);
    assert_eq!(output.status.code(), Some(2));
    let output = custseg(
        dir.path(),
        &["features", "--input", "x.csv", "--encoding", "ebcdic"],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains("unknown encoding `ebcdic`"));
    let output = custseg(
        dir.path(),
        &["features", "--input", "x.csv", "--decimal", "semicolon"],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains("unknown decimal separator `semicolon`"));
}

/// `--decimal comma` reads a semicolon export with decimal commas and thousands points, and
/// the setting is shown among the effective ones (default `auto`).
#[test]
fn decimal_comma_is_read_when_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("export.csv"),
        "Invoice;StockCode;Description;Quantity;InvoiceDate;Price;Customer ID;Country\n\
         536365;85123A;WHITE MUG;1.200;2011-03-01 10:15;1.250;17850;Germany\n\
         536366;22633;HAND WARMER;6;2011-03-02 11:00;2,55;17851;Germany\n",
    )
    .unwrap();
    let output = custseg(
        dir.path(),
        &[
            "-q",
            "features",
            "--input",
            "export.csv",
            "--out",
            "out",
            "--decimal",
            "comma",
        ],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let features =
        std::fs::read_to_string(dir.path().join("out/features/customer_features.csv")).unwrap();
    assert!(features.contains("17850,"), "{features}");
    let quality = std::fs::read_to_string(dir.path().join("out/reports/quality.json")).unwrap();
    assert!(
        quality.contains("\"decimal_separator\": \"comma\""),
        "{quality}"
    );
    // 1,200 mugs at 1,250.00 each.
    assert!(
        features.contains(",1500000,") || features.contains(",1500000.0,"),
        "{features}"
    );

    let shown = text(&custseg(dir.path(), &["config", "show"]).stdout);
    assert!(shown.contains("decimal = \"auto\""), "{shown}");
}

#[test]
fn config_show_prints_effective_settings() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("custseg.toml"),
        "[clean.stock_code]\nmin_digits = 3\n",
    )
    .unwrap();
    let output = custseg(dir.path(), &["config", "show"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let shown = text(&output.stdout);
    assert!(shown.contains("min_digits = 3"), "{shown}");
    assert!(shown.contains("cancellation_prefix = \"C\""), "{shown}");
    assert!(
        shown.contains("cluster_stall_timeout_seconds = 1800"),
        "{shown}"
    );
    let back: toml::Value = toml::from_str(&shown).unwrap();
    assert_eq!(
        back["clean"]["stock_code"]["min_digits"].as_integer(),
        Some(3)
    );
}

#[test]
fn invalid_settings_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("custseg.toml"),
        "[clean]\nduplicate = false\n",
    )
    .unwrap();
    let output = custseg(dir.path(), &["config", "show"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("unknown field `duplicate`"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn run_on_the_demo_dataset_is_the_readme_main_job() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("custseg.toml"),
        "[demo]\nrows = 30000\n\n[model.search]\nn_init = 2\nstability_bootstraps = 2\n",
    )
    .unwrap();
    let output = custseg(dir.path(), &["run", "--demo", "--out", "out"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(stdout.contains("30000 raw = "), "{stdout}");
    assert!(
        stdout.contains("search     18 candidates; k = "),
        "{stdout}"
    );
    for file in [
        "model/model.json",
        "segments/customer_segments.parquet",
        "segments/profiles.md",
    ] {
        assert!(dir.path().join("out").join(file).exists(), "{file}");
    }
}

#[test]
fn clv_scores_every_customer_and_refuses_bad_settings() {
    let dir = tempfile::tempdir().unwrap();
    let output = custseg(
        dir.path(),
        &[
            "demo-data",
            "--rows",
            "40000",
            "--seed",
            "5",
            "--out",
            "demo.parquet",
        ],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let output = custseg(
        dir.path(),
        &[
            "-q",
            "clv",
            "--input",
            "demo.parquet",
            "--out",
            "out",
            "--unit",
            "weeks",
            "--calibration-end",
            "2011-09-30",
        ],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(stdout.contains("BG/NBD     r "), "{stdout}");
    assert!(stdout.contains("scorecard  holdout of "), "{stdout}");
    for model in ["bg_nbd", "pareto_nbd", "mbg_nbd", "naive"] {
        assert!(stdout.contains(&format!("           {model} ")), "{stdout}");
    }
    let model: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out/clv/model.json")).unwrap())
            .unwrap();
    let customers = model["customers"].as_u64().unwrap();
    assert!(customers > 100);
    assert_eq!(
        model["gamma_gamma"]["customers"].as_u64().unwrap()
            + model["gamma_gamma"]["excluded"].as_u64().unwrap(),
        customers
    );
    for name in ["r", "alpha", "a", "b"] {
        assert!(model["bg_nbd"]["params"][name].as_f64().unwrap() > 0.0);
    }
    // Every purchase model and the naive baseline on the one split of the scorecard.
    let card = &model["scorecard"];
    let rows = card["rows"].as_array().unwrap();
    let names: Vec<&str> = rows.iter().map(|r| r["model"].as_str().unwrap()).collect();
    assert_eq!(names, ["bg_nbd", "pareto_nbd", "mbg_nbd", "naive"]);
    assert!(rows.iter().all(|r| r["split"] == card["split"]));
    assert_eq!(card["split"]["calibration_end"], "2011-09-30");
    // The model with the smallest holdout MAE is used, a tie within 0.1 % going to the first.
    let models = &model["holdout"]["models"];
    let order = ["bg_nbd", "pareto_nbd", "mbg_nbd"];
    let mae = |name: &str| models[name]["mae"].as_f64().unwrap();
    let best = order.iter().map(|m| mae(m)).fold(f64::INFINITY, f64::min);
    let expected = order.iter().find(|m| mae(m) <= best * 1.001).unwrap();
    assert_eq!(model["purchase_model"]["model"], *expected);
    assert!(
        stdout.contains("has the smaller holdout MAE per customer")
            || stdout.contains("predict the holdout equally well"),
        "{stdout}"
    );
    assert!(dir.path().join("out/clv/predictions.parquet").exists());

    // The report of this output has the lifetime-value section with the holdout check of
    // both models.
    let output = custseg(dir.path(), &["-q", "report", "--out", "out"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let page = std::fs::read_to_string(dir.path().join("out/report/index.html")).unwrap();
    assert!(page.contains("data-section=\"clv\""));
    assert!(page.contains("Holdout purchases: actual and predicted"));
    assert!(page.contains("Pareto/NBD mean"));
    assert!(page.contains("Scorecard: every model fitted up to 2011-09-30"));
    assert!(page.contains("<td>naive</td>"));
    assert!(
        !page.contains("data-section=\"segments\""),
        "no model was trained here"
    );

    // A named purchase model is used whatever the holdout says.
    let output = custseg(
        dir.path(),
        &[
            "-q",
            "clv",
            "--input",
            "demo.parquet",
            "--out",
            "named",
            "--purchase-model",
            "pareto_nbd",
        ],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let named: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("named/clv/model.json")).unwrap())
            .unwrap();
    assert_eq!(named["purchase_model"]["model"], "pareto_nbd");
    assert!(named["pareto_nbd"]["params"]["s"].as_f64().unwrap() > 0.0);

    // Bad settings: a clear error, exit 1, and nothing written.
    for (case, (args, expected)) in [
        (
            vec!["--calibration-end", "2001-01-01"],
            "must fall on or after the first purchase date",
        ),
        (vec!["--unit", "months"], "expected days or weeks"),
        (vec!["--discount-rate", "1.5"], "discount_rate"),
        (vec!["--horizon-months", "0"], "horizon_months"),
        (
            vec!["--purchase-model", "gamma"],
            "expected auto, bg_nbd, pareto_nbd or mbg_nbd",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let out = format!("bad-{case}");
        let mut argv = vec!["-q", "clv", "--input", "demo.parquet", "--out", &out];
        argv.extend(args);
        let output = custseg(dir.path(), &argv);
        assert_eq!(output.status.code(), Some(1), "{argv:?}");
        assert!(
            text(&output.stderr).contains(expected),
            "{argv:?}: {}",
            text(&output.stderr)
        );
        // A setting checked before the run writes nothing; a calibration end outside the
        // data fails the `clv` stage, and leaves only the stages before it committed.
        assert!(
            !dir.path().join(&out).join("clv").exists(),
            "{argv:?} wrote clv/"
        );
        if !args_fail_in_the_stage(&argv) {
            let written =
                std::fs::read_dir(dir.path().join(&out)).map_or(0, |entries| entries.count());
            assert_eq!(written, 0, "{argv:?} wrote output");
        }
    }
}

/// Whether `argv` of `custseg clv` is refused by the `clv` stage itself (after the data
/// stages ran), not before the run.
fn args_fail_in_the_stage(argv: &[&str]) -> bool {
    argv.contains(&"--calibration-end")
}

#[test]
fn a_memory_limit_too_small_to_finish_is_named_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    demo_data(dir.path(), &["--rows", "50000", "--out", "demo.parquet"]);
    let output = features(
        dir.path(),
        "demo.parquet",
        "out",
        &["--memory-limit", "64KiB"],
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(
            "the query engine needs more than its memory limit of 64.0 KiB (`--memory-limit`"
        ),
        "{stderr}"
    );
    assert!(!dir.path().join("out/features").exists());
    assert!(!dir.path().join("out/reports").exists());
}

/// What a person sees by default: the summary on stdout, each warning once on stderr as
/// `warning: ...`, no INFO logs, and no colour codes when the streams are pipes (as here).
/// `-v` adds the INFO lines.
#[test]
fn terminal_output_is_a_summary_with_warnings_once_and_no_colour_in_a_pipe() {
    let dir = tempfile::tempdir().unwrap();
    // The demo log's lifetime-value fit warns that it sees almost no dropout.
    let output = custseg(dir.path(), &["clv", "--demo", "--out", "out"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert!(stdout.contains("customers  "), "{stdout}");
    assert!(
        !stderr.contains('\u{1b}') && !stdout.contains('\u{1b}'),
        "{stderr}"
    );
    assert!(
        !stderr.contains("INFO") && !stderr.contains("info:"),
        "{stderr}"
    );
    let warnings: Vec<&str> = stderr
        .lines()
        .filter_map(|l| l.strip_prefix("warning: "))
        .collect();
    assert!(
        warnings.iter().any(|w| w.contains("almost no dropout")),
        "{stderr}"
    );
    for warning in &warnings {
        let shown = stdout.matches(warning).count() + stderr.matches(warning).count();
        assert_eq!(shown, 1, "`{warning}` shown {shown} times");
    }

    let verbose = custseg(dir.path(), &["-v", "clv", "--demo", "--out", "again"]);
    assert!(verbose.status.success(), "{}", text(&verbose.stderr));
    let stderr = text(&verbose.stderr);
    assert!(stderr.lines().any(|l| l.starts_with("info: ")), "{stderr}");
    assert!(!stderr.contains('\u{1b}'), "{stderr}");
}

/// `--message-format json`: every line of stdout is one JSON event a script can read.
#[test]
fn message_format_json_gives_one_event_per_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("custseg.toml"),
        "[demo]\nrows = 20000\n\n[model.search]\nn_init = 2\nstability_bootstraps = 0\n",
    )
    .unwrap();
    let argv = [
        "--message-format",
        "json",
        "run",
        "--demo",
        "--out",
        "out",
        "--skip-clv",
        "--skip-report",
    ];
    let output = custseg(dir.path(), &argv);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let events: Vec<serde_json::Value> = text(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("`{l}`: {e}")))
        .collect();
    let ran: Vec<&str> = events
        .iter()
        .filter(|e| e["event"] == "stage" && e["status"] == "ran")
        .map(|e| e["stage"].as_str().unwrap())
        .collect();
    assert_eq!(
        ran,
        [
            "ingest", "clean", "features", "train", "evaluate", "register"
        ]
    );
    let last = events.last().unwrap();
    assert_eq!(last["event"], "finished", "{last}");
    assert_eq!(last["ran"].as_array().unwrap().len(), ran.len());
    assert_eq!(last["tracked"]["run_id"].as_str().unwrap().len(), 32);
    let features = events
        .iter()
        .find(|e| e["stage"] == "features" && e["status"] == "ran")
        .unwrap();
    assert!(
        features["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f.as_str().unwrap().ends_with("customer_features.parquet")),
        "{features}"
    );

    // The feature table and the model agree on the features, as custseg-schema names them.
    let header = std::fs::read_to_string(dir.path().join("out/features/customer_features.csv"))
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_owned();
    let mut expected = vec![custseg_schema::CUSTOMER_ID];
    expected.extend(custseg_schema::FEATURES);
    assert!(header.starts_with(&expected.join(",")), "{header}");
    let model: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out/model/model.json")).unwrap())
            .unwrap();
    assert_eq!(
        model["features"],
        serde_json::json!(custseg_schema::FEATURES)
    );

    // Nothing changed: every stage is skipped, and the run still ends with `finished`.
    let again = custseg(dir.path(), &argv);
    let events: Vec<serde_json::Value> = text(&again.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.last().unwrap()["ran"], serde_json::json!([]));

    // The other pipeline commands' summaries are JSON lines too.
    let features = custseg(
        dir.path(),
        &[
            "--message-format",
            "json",
            "features",
            "--demo",
            "--out",
            "f",
        ],
    );
    assert!(features.status.success(), "{}", text(&features.stderr));
    let lines: Vec<serde_json::Value> = text(&features.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("`{l}`: {e}")))
        .collect();
    let last = lines.last().unwrap();
    assert_eq!(last["event"], "finished", "{lines:?}");
    assert_eq!(
        last["ran"],
        serde_json::json!(["ingest", "clean", "features"])
    );
    assert_eq!(
        last["tracked"],
        serde_json::Value::Null,
        "features is not tracked"
    );

    let failed = custseg(
        dir.path(),
        &[
            "--message-format",
            "json",
            "run",
            "--input",
            "missing.csv",
            "--out",
            "bad",
        ],
    );
    assert_eq!(failed.status.code(), Some(1));
    let last: serde_json::Value =
        serde_json::from_str(text(&failed.stdout).lines().last().unwrap()).unwrap();
    assert_eq!(last["event"], "error");
    assert!(
        last["message"].as_str().unwrap().contains("missing.csv"),
        "{last}"
    );
}

/// `clv` takes the engine options `features` and `run` take, resolved in one place.
#[test]
fn clv_takes_the_engine_options_of_the_other_data_commands() {
    let dir = tempfile::tempdir().unwrap();
    for command in ["features", "run", "clv"] {
        let bad = custseg(
            dir.path(),
            &[
                command,
                "--demo",
                "--out",
                "bad",
                "--engine",
                "http://host:50050",
            ],
        );
        assert_eq!(bad.status.code(), Some(1), "{command}");
        assert!(
            text(&bad.stderr).contains("expected the Ballista scheduler as `df://host:port`"),
            "{command}: {}",
            text(&bad.stderr)
        );
        let bad = custseg(
            dir.path(),
            &[command, "--demo", "--out", "bad", "--memory-limit", "lots"],
        );
        assert_eq!(bad.status.code(), Some(1), "{command}");
        assert!(!dir.path().join("bad").exists(), "{command}");
    }
    let output = custseg(
        dir.path(),
        &[
            "-q",
            "clv",
            "--demo",
            "--out",
            "out",
            "--memory-limit",
            "256MiB",
            "--spill-dir",
            "spill",
        ],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(dir.path().join("out/clv/model.json").is_file());
    // The spill directory is the run's own and is removed when it ends.
    assert!(!dir.path().join("spill").exists());
}

/// Two columns for one field: an error naming both, until `--map` chooses one.
#[test]
fn an_ambiguous_header_is_refused_until_map_chooses_a_column() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("two-ids.csv"),
        "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,Customer,CustomerID,Country\n\
         536365,85123A,WHITE MUG,6,12/1/2010 8:26,2.55,Ann Smith,17850,United Kingdom\n\
         536366,71053,WHITE LANTERN,6,12/1/2010 8:28,3.39,Bob Jones,17851,France\n",
    )
    .unwrap();
    let refused = features(dir.path(), "two-ids.csv", "out", &[]);
    assert_eq!(refused.status.code(), Some(1));
    let stderr = text(&refused.stderr);
    assert!(
        stderr.contains(
            "`Customer` (column 7), `CustomerID` (column 8) all name the column `CustomerID`"
        ),
        "{stderr}"
    );
    assert!(!dir.path().join("out").exists());
    let chosen = features(
        dir.path(),
        "two-ids.csv",
        "out",
        &["--map", "CustomerID=CustomerID"],
    );
    assert!(chosen.status.success(), "{}", text(&chosen.stderr));
    let table =
        std::fs::read_to_string(dir.path().join("out/features/customer_features.csv")).unwrap();
    assert!(
        table.contains("\n17850,") && table.contains("\n17851,"),
        "{table}"
    );
}

#[test]
fn explain_analyze_writes_each_plan_of_the_data_stages_with_its_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let demo = custseg(
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
    let output = custseg(
        dir.path(),
        &[
            "-q",
            "features",
            "--input",
            "demo.parquet",
            "--out",
            "out",
            "--explain-analyze",
            "plans",
        ],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let index = std::fs::read_to_string(dir.path().join("plans/plans.tsv")).unwrap();
    let lines: Vec<Vec<&str>> = index
        .lines()
        .skip(1)
        .map(|l| l.split('\t').collect())
        .collect();
    let row_of = |label: &str| -> Vec<&str> {
        lines
            .iter()
            .find(|fields| fields[1].starts_with(label))
            .unwrap_or_else(|| panic!("no plan `{label}` in {index}"))
            .clone()
    };
    // The annotate-and-split plan passes every raw row (a file this small is one partition,
    // written sorted); the feature join gives one row per customer, as the feature table has.
    assert_eq!(row_of("annotate and split")[3], "20000");
    row_of("profile of raw_transactions");
    row_of("duplicate_candidates 0");
    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out/features/meta.json")).unwrap())
            .unwrap();
    let customers = meta["customers"].as_u64().unwrap().to_string();
    assert_eq!(row_of("customer features")[3], customers);
    for fields in &lines {
        assert!(fields[2].parse::<f64>().unwrap() >= 0.0);
        let plan = std::fs::read_to_string(dir.path().join(format!(
            "plans/{:03}-{}.txt",
            fields[0].parse::<usize>().unwrap(),
            fields[1].replace(|c: char| !c.is_ascii_alphanumeric(), "-")
        )))
        .unwrap();
        assert!(plan.contains("metrics=[output_rows="), "{plan}");
    }
}
