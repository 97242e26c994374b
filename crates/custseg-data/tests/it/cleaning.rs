//! Each cleaning rule on the hand-made log: which row went where, and why.

use crate::features::fixture;
use crate::support::{features, parquet_column, write};

#[test]
fn every_dropped_row_is_quarantined_with_its_rule_and_source_row() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "log.csv", fixture().as_bytes());
    let out = dir.path().join("out");
    let outcome = features(&input, &out, &dir.path().join("data")).unwrap();
    let report = &outcome.report;
    assert_eq!(report.raw_rows, 14);
    assert_eq!(report.clean_rows, 9);
    assert_eq!(report.quarantined_rows, 5);

    let mut quarantined = parquet_column(
        &out.join("quarantine/rejected.parquet"),
        "rule",
        "source_row",
    );
    quarantined.sort_by_key(|(_, row)| *row);
    let expected = [
        ("non_product_stock_code", 8), // POST
        ("missing_values", 11),        // no CustomerID
        ("duplicate", 12),             // repeats row 1
        ("service_description", 13),   // "  discount " matches "Discount"
        ("invalid_price", 14),         // price 0
    ];
    let expected: Vec<(String, i64)> = expected
        .iter()
        .map(|(rule, row)| ((*rule).to_owned(), *row))
        .collect();
    assert_eq!(quarantined, expected);

    let dropped: Vec<(String, u64)> = report
        .steps
        .iter()
        .map(|step| (step.rule.clone(), step.dropped))
        .collect();
    assert_eq!(
        dropped,
        [
            ("missing_values", 1),
            ("duplicate", 1),
            ("transaction_status", 0),
            ("non_product_stock_code", 1),
            ("service_description", 1),
            ("invalid_price", 1)
        ]
        .map(|(rule, count)| (rule.to_owned(), count))
    );
    assert_eq!(report.steps[2].flagged, Some(1));
}

#[test]
fn funnel_steps_chain() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "log.csv", fixture().as_bytes());
    let outcome = features(&input, &dir.path().join("out"), &dir.path().join("data")).unwrap();
    let steps = &outcome.report.steps;
    assert_eq!(steps[0].rows_in, outcome.report.raw_rows);
    for pair in steps.windows(2) {
        assert_eq!(pair[0].rows_out, pair[1].rows_in);
    }
    assert_eq!(steps.last().unwrap().rows_out, outcome.report.clean_rows);
}

#[test]
fn kept_descriptions_are_trimmed_and_upper_cased_and_status_is_flagged() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{}1,10001,  red mug ,2,2010-12-01 09:00,1.5,1,UK\nC2,10001,red mug,-1,2010-12-02 09:00,1.5,1,UK\n",
        crate::support::HEADER
    );
    let input = write(dir.path(), "log.csv", text.as_bytes());
    let out = dir.path().join("out");
    features(&input, &out, &dir.path().join("data")).unwrap();
    let descriptions = parquet_column(
        &out.join("clean/transactions.parquet"),
        "Description",
        "source_row",
    );
    assert_eq!(
        descriptions,
        [("RED MUG".to_owned(), 1), ("RED MUG".to_owned(), 2)]
    );
    let status = parquet_column(
        &out.join("clean/transactions.parquet"),
        "status",
        "Quantity",
    );
    assert_eq!(
        status,
        [("completed".to_owned(), 2), ("cancelled".to_owned(), -1)]
    );
}

#[test]
fn rules_can_be_configured() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "log.csv", fixture().as_bytes());
    let mut request = custseg_data::pipeline::FeaturesRequest::default();
    request.ingest.data_dir = dir.path().join("data");
    request.clean.duplicates = false;
    request.clean.stock_code.extra_codes = vec!["10004".to_owned()];
    let outcome = crate::support::features_with(&input, &dir.path().join("out"), &request).unwrap();
    let dropped: std::collections::BTreeMap<String, u64> = outcome
        .report
        .steps
        .iter()
        .map(|step| (step.rule.clone(), step.dropped))
        .collect();
    assert!(!dropped.contains_key("duplicate"));
    assert_eq!(dropped["non_product_stock_code"], 2); // POST and the configured 10004
    // the duplicate is now kept, yet still counted as one
    assert_eq!(outcome.report.duplicates, 1);
    assert_eq!(
        outcome.report.raw_rows,
        outcome.report.clean_rows + outcome.report.quarantined_rows
    );
}
