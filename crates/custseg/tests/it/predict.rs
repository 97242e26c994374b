//! `custseg train` and `custseg predict` on demo data: input validation, output formats,
//! atomic outputs, settings round trip, and segment identity across retrains.

use std::path::Path;

use crate::cli::{custseg, text};

/// Demo log -> features -> model, in `dir/out`.
fn trained(dir: &Path) {
    let output = custseg(
        dir,
        &[
            "demo-data",
            "--rows",
            "60000",
            "--seed",
            "11",
            "--out",
            "demo.parquet",
        ],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let output = custseg(
        dir,
        &[
            "-q",
            "run",
            "--input",
            "demo.parquet",
            "--out",
            "out",
            "--n-init",
            "3",
            "--stability-bootstraps",
            "2",
        ],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("search     18 candidates; k = "),
        "{stdout}"
    );
    for file in [
        "model/model.json",
        "model/search.csv",
        "segments/customer_segments.parquet",
        "segments/profiles.json",
        "segments/profiles.md",
        "features/customer_features.parquet",
        "reports/quality.json",
    ] {
        assert!(dir.join("out").join(file).exists(), "{file} missing");
    }
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

/// A CSV with the model's features for two customers, with `edit` applied to the text.
fn customers_csv(dir: &Path, edit: impl Fn(String) -> String) -> String {
    let model: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("out/model/model.json")).unwrap()).unwrap();
    let features: Vec<&str> = model["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    let mut csv = format!("CustomerID,{}\n", features.join(","));
    for id in [1, 2] {
        let values: Vec<String> = features
            .iter()
            .enumerate()
            .map(|(i, _)| format!("{}", i + id))
            .collect();
        csv.push_str(&format!("{id},{}\n", values.join(",")));
    }
    edit(csv)
}

#[test]
fn predict_validates_input_and_writes_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    trained(dir);

    // Good input: stdout CSV, and each file format.
    write(dir, "good.csv", &customers_csv(dir, |s| s));
    let output = custseg(
        dir,
        &[
            "predict",
            "--model",
            "out/model/model.json",
            "--input",
            "good.csv",
        ],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(
        stdout.starts_with("CustomerID,cluster,segment,distance,outlier\n1,"),
        "{stdout}"
    );
    assert_eq!(stdout.lines().count(), 3);
    for out in ["scored.csv", "scored.parquet", "scored.json"] {
        let output = custseg(
            dir,
            &[
                "predict",
                "--model",
                "out/model/model.json",
                "--input",
                "good.csv",
                "--out",
                out,
            ],
        );
        assert!(output.status.success(), "{out}: {}", text(&output.stderr));
        assert!(dir.join(out).exists());
    }
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("scored.json")).unwrap()).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 2);
    assert!(json[0]["segment"].as_str().is_some_and(|s| !s.is_empty()));

    // Bad inputs: exit 1, the file, row and column named, no output written.
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "missing.csv",
            customers_csv(dir, |s| s.replacen(",Hour", ",Hours", 1)),
            "missing feature column `Hour`",
        ),
        (
            "extra.csv",
            customers_csv(dir, |s| {
                s.replacen("CustomerID,", "CustomerID,Loyalty_Tier,", 1)
                    .replace("\n1,", "\n1,7,")
                    .replace("\n2,", "\n2,7,")
            }),
            "unknown column `Loyalty_Tier`",
        ),
        (
            "text.csv",
            customers_csv(dir, |s| s.replacen("\n2,2,", "\n2,abc,", 1)),
            "line 3: `Days_Since_Last_Purchase` is not a number: `abc`",
        ),
        (
            "nan.csv",
            customers_csv(dir, |s| s.replacen("\n1,1,", "\n1,NaN,", 1)),
            "line 2: `Days_Since_Last_Purchase` is `NaN`, not a finite number",
        ),
        (
            "empty.csv",
            customers_csv(dir, |s| s.replacen("\n1,1,", "\n1,,", 1)),
            "line 2: `Days_Since_Last_Purchase` is empty",
        ),
    ];
    for (name, content, expected) in cases {
        write(dir, name, &content);
        let output = custseg(
            dir,
            &[
                "predict",
                "--model",
                "out/model/model.json",
                "--input",
                name,
                "--out",
                "bad.csv",
            ],
        );
        assert_eq!(output.status.code(), Some(1), "{name}");
        let stderr = text(&output.stderr);
        assert!(
            stderr.contains(name) && stderr.contains(expected),
            "{name}: {stderr}"
        );
        assert!(!dir.join("bad.csv").exists(), "{name} left an output");
    }

    // A JSON instance with a string value names the instance and field.
    write(
        dir,
        "bad.json",
        r#"{"instances": [{"CustomerID": 5, "Total_Spend": "lots"}]}"#,
    );
    let output = custseg(
        dir,
        &[
            "predict",
            "--model",
            "out/model/model.json",
            "--input",
            "bad.json",
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("instance 0: `Total_Spend` is \"lots\", not a number"),
        "{}",
        text(&output.stderr)
    );

    // A model file from a future version is refused clearly.
    let model = std::fs::read_to_string(dir.join("out/model/model.json")).unwrap();
    write(
        dir,
        "future.json",
        &model.replacen("\"schema_version\":1", "\"schema_version\":9", 1),
    );
    let output = custseg(
        dir,
        &["predict", "--model", "future.json", "--input", "good.csv"],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("schema version 9 is not supported"),
        "{}",
        text(&output.stderr)
    );
}

/// `csv` (a header and rows of numbers) as the body a client POSTs to `/predict`.
fn request_body(csv: &str) -> String {
    let mut lines = csv.lines();
    let names: Vec<&str> = lines.next().unwrap().split(',').collect();
    let instances: Vec<String> = lines
        .map(|line| {
            let fields: Vec<String> = names
                .iter()
                .zip(line.split(','))
                .map(|(name, value)| format!("\"{name}\": {value}"))
                .collect();
            format!("{{{}}}", fields.join(", "))
        })
        .collect();
    format!("{{\"instances\": [{}]}}", instances.join(", "))
}

#[test]
fn bench_predict_times_the_requests_instances_and_flags_the_same_outliers_as_predict() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    trained(dir);
    // Two ordinary customers and one far beyond anything seen in training.
    let csv = customers_csv(dir, |s| {
        let extreme = s.lines().nth(1).unwrap().replacen("1,", "3,", 1);
        let extreme: Vec<String> = extreme
            .split(',')
            .enumerate()
            .map(|(i, v)| {
                if i == 0 {
                    v.to_owned()
                } else {
                    format!("{v}000000")
                }
            })
            .collect();
        format!("{s}{}\n", extreme.join(","))
    });
    write(dir, "customers.csv", &csv);
    write(dir, "body.json", &request_body(&csv));

    let output = custseg(
        dir,
        &[
            "predict",
            "--model",
            "out/model/model.json",
            "--input",
            "customers.csv",
        ],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let flagged = text(&output.stdout)
        .lines()
        .skip(1)
        .filter(|line| line.ends_with(",true"))
        .count();
    assert!(flagged >= 1, "the extreme customer is an outlier");

    let bench_predict = |body: &str| {
        custseg(
            dir,
            &[
                "bench",
                "predict",
                "--model",
                "out/model/model.json",
                "--body",
                body,
                "--repeat",
                "3",
            ],
        )
    };
    let output = bench_predict("body.json");
    assert!(output.status.success(), "{}", text(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["instances"], 3, "{report}");
    assert_eq!(
        report["outliers"].as_u64(),
        Some(flagged as u64),
        "{report}"
    );
    assert_eq!(report["threads"], 1);
    let floor = report["floor_ms"].as_f64().unwrap();
    let parse = report["parse_ms"]["best"].as_f64().unwrap();
    let score = report["score_ms"]["best"].as_f64().unwrap();
    assert!(floor > 0.0 && floor >= parse.max(score), "{report}");
    let cores = report["cores"].as_f64().unwrap();
    let ceiling = report["ceiling_requests_per_second"].as_f64().unwrap();
    assert!(
        (ceiling - cores * 1000.0 / floor).abs() < 1e-6 * ceiling,
        "{report}"
    );

    // A body the server would refuse: the bench says why and which file, and fails.
    write(dir, "bad.json", "{\"instances\": [{\"Hour\": \"noon\"}]}");
    let output = bench_predict("bad.json");
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("bad.json") && stderr.contains("instance 0"),
        "{stderr}"
    );
}

#[test]
fn retraining_with_previous_keeps_names_and_writes_transitions() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    trained(dir);
    let output = custseg(
        dir,
        &[
            "-q",
            "train",
            "--features",
            "out/features/customer_features.parquet",
            "--out",
            "next",
            "--previous",
            "out/model/model.json",
            "--seed",
            "3",
            "--n-init",
            "3",
            "--stability-bootstraps",
            "0",
        ],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let old: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("out/model/model.json")).unwrap()).unwrap();
    let new: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("next/model/model.json")).unwrap()).unwrap();
    let names = |m: &serde_json::Value| -> Vec<(u64, String)> {
        m["segments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["id"].as_u64().unwrap(),
                    s["name"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let (old, new) = (names(&old), names(&new));
    let kept = new.iter().filter(|s| old.contains(s)).count();
    assert_eq!(kept, old.len().min(new.len()), "old {old:?}, new {new:?}");
    let transitions = std::fs::read_to_string(dir.join("next/segments/transitions.csv")).unwrap();
    assert!(transitions.starts_with("from_segment,to_segment,customers\n"));
    let total: u64 = transitions
        .lines()
        .skip(1)
        .map(|l| l.rsplit(',').next().unwrap().parse::<u64>().unwrap())
        .sum();
    let customers = old_customer_count(dir);
    assert_eq!(total, customers, "every customer is counted once");
}

fn old_customer_count(dir: &Path) -> u64 {
    let quality: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("out/segments/profiles.json")).unwrap())
            .unwrap();
    quality["training"]["customers"].as_u64().unwrap()
}

#[test]
fn bad_settings_are_refused_and_config_show_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let output = custseg(dir, &["config", "show"]);
    assert!(output.status.success());
    let shown = text(&output.stdout);
    write(dir, "custseg.toml", &shown);
    let again = custseg(dir, &["config", "show"]);
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert_eq!(text(&again.stdout), shown);

    // An RFM table with a gap is refused when loaded, naming the cell.
    let broken = shown
        .replacen("name = \"Lost\"", "name = \"Lost\"\n# gap below", 1)
        .replace(
            "r = \"1\"\nf = \"1-2\"\nm = \"1-2\"",
            "r = \"1\"\nf = \"1\"\nm = \"1-2\"",
        );
    assert_ne!(broken, shown);
    write(dir, "custseg.toml", &broken);
    let output = custseg(dir, &["config", "show"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stdout));
    assert!(
        text(&output.stderr).contains("RFM cell R=1 F=2 M=1 belongs to no segment"),
        "{}",
        text(&output.stderr)
    );

    // A selection range outside the search grid is refused before any work.
    std::fs::remove_file(dir.join("custseg.toml")).unwrap();
    let output = custseg(
        dir,
        &["train", "--features", "nothing.parquet", "--k-max", "3"],
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("eligible range 4..=8 does not overlap the grid 2..=3"),
        "{stderr}"
    );
}
