//! The real UCI Online Retail dataset in its three shapes.

use std::path::PathBuf;
use std::sync::OnceLock;

use crate::support::FeaturesOutcome;

use crate::support::{features, shared_data};

struct Run {
    outcome: FeaturesOutcome,
    out: PathBuf,
    _dir: tempfile::TempDir,
}

fn run(name: &str) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let input = shared_data(name).to_string_lossy().into_owned();
    let outcome = features(&input, &out, &dir.path().join("data")).unwrap();
    Run {
        outcome,
        out,
        _dir: dir,
    }
}

fn csv_run() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(|| run("online_retail.csv.gz"))
}

#[test]
fn raw_facts_of_the_readme_are_reproduced() {
    let report = &csv_run().outcome.report;
    assert_eq!(report.raw_rows, 541_909);
    assert_eq!(report.raw.distinct_invoices, 25_900);
    assert_eq!(report.raw.distinct_stock_codes, 4_070);
    assert_eq!(report.raw.distinct_customers, 4_372);
    assert_eq!(report.raw.distinct_countries, 38);
    assert_eq!(report.nulls["CustomerID"], 135_080);
    assert_eq!(report.nulls["Description"], 1_454);
    assert_eq!(report.raw.cancellation_lines, 9_288);
    assert_eq!(
        report.raw.first_invoice_date.as_deref(),
        Some("2010-12-01T08:26:00")
    );
    assert_eq!(
        report.raw.last_invoice_date.as_deref(),
        Some("2011-12-09T12:50:00")
    );
}

#[test]
fn quality_report_adds_up() {
    let run = csv_run();
    let report = &run.outcome.report;
    assert_eq!(report.raw_rows, report.clean_rows + report.quarantined_rows);
    let dropped: u64 = report.steps.iter().map(|step| step.dropped).sum();
    assert_eq!(dropped, report.quarantined_rows);
    // the seed platform's funnel on this data: 135,080 without CustomerID or
    // Description, then 5,225 exact duplicates
    assert_eq!(report.steps[0].dropped, 135_080);
    assert_eq!(report.steps[1].dropped, 5_225);
    // pandas' `df.duplicated().sum()` on the raw file (all columns read as text), rows
    // without a CustomerID included: NULLs compare equal
    assert_eq!(report.duplicates, 5_268);
    let written: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run.out.join("reports/quality.json")).unwrap())
            .unwrap();
    assert_eq!(written["raw_rows"], 541_909);
    assert_eq!(
        written["clean_rows"].as_u64().unwrap() + written["quarantined_rows"].as_u64().unwrap(),
        541_909
    );
    let quarantined = crate::support::parquet_column(
        &run.out.join("quarantine/rejected.parquet"),
        "rule",
        "source_row",
    );
    assert_eq!(quarantined.len() as u64, report.quarantined_rows);
    let codes: Vec<&str> = report.top_quarantined["non_product_stock_code"]
        .iter()
        .map(|value| value.value.as_str())
        .collect();
    for code in [
        "POST",
        "D",
        "M",
        "C2",
        "DOT",
        "BANK CHARGES",
        "PADS",
        "CRUK",
    ] {
        assert!(codes.contains(&code), "{code} missing from {codes:?}");
    }
}

#[test]
fn the_three_shapes_give_identical_feature_tables() {
    let csv = csv_run();
    let expected = std::fs::read(csv.out.join("features/customer_features.csv")).unwrap();
    assert_eq!(csv.outcome.customers, 4_362);
    for name in ["online_retail.parquet", "online+retail.zip"] {
        let other = run(name);
        let actual = std::fs::read(other.out.join("features/customer_features.csv")).unwrap();
        assert!(
            actual == expected,
            "{name} gives a different feature table than the CSV.gz"
        );
        assert_eq!(
            other.outcome.report.clean_rows, csv.outcome.report.clean_rows,
            "{name}"
        );
        assert_eq!(
            other.outcome.report.steps, csv.outcome.report.steps,
            "{name}"
        );
    }
}
