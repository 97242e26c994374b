//! Legacy Excel workbooks (.xls), from the fixtures `tests/fixtures/make_xls.py` writes with
//! xlwt (no Rust crate writes the format): sheets chosen and numbered through as for an
//! xlsx, numbers that are codes read back as the digits, dates from date-formatted cells,
//! and errors that name the sheet and its row.

use std::path::PathBuf;

use crate::support::{
    clean_invoices, features_with, parquet_column, quarantined, reading_sheets, sheet_rows,
};

fn fixture(name: &str) -> String {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "fixtures", name]
        .iter()
        .collect();
    path.to_string_lossy().into_owned()
}

#[test]
fn every_sheet_of_a_legacy_workbook_is_read_as_one_log() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let input = fixture("two_years.xls");
    let outcome = features_with(
        &input,
        &out,
        &reading_sheets(&dir.path().join("data"), &["*"]),
    )
    .unwrap();
    let report = &outcome.report;
    assert_eq!(report.input.format, "xls");
    assert_eq!(report.raw_rows, 6);
    assert_eq!(report.clean_rows + report.quarantined_rows, 6);
    assert_eq!(
        sheet_rows(report),
        [
            ("Year 2009-2010".to_owned(), 4),
            ("Notes".to_owned(), 0),
            ("Year 2010-2011".to_owned(), 2)
        ]
    );
    // Each year names its columns its own way; the report gives both names.
    assert_eq!(report.input.columns["InvoiceNo"], "Invoice | InvoiceNo");

    let clean = out.join("clean/transactions.parquet");
    // Invoice numbers and stock codes stored as numbers come back as their digits.
    assert_eq!(
        clean_invoices(&out),
        vec![
            ("489434".to_owned(), 1),
            ("C489449".to_owned(), 2),
            ("536365".to_owned(), 5),
            ("536365".to_owned(), 6)
        ]
    );
    assert_eq!(
        parquet_column(&clean, "StockCode", "CustomerID"),
        vec![
            ("85048".to_owned(), 13085),
            ("22087".to_owned(), 16321),
            ("85123A".to_owned(), 17850),
            ("71053".to_owned(), 17850)
        ]
    );
    assert_eq!(
        parquet_column(&clean, "InvoiceDate", "Quantity"),
        vec![
            ("2009-12-01T07:45:00".to_owned(), 12),
            ("2009-12-01T10:33:00".to_owned(), -12),
            ("2010-12-01T08:26:00".to_owned(), 6),
            ("2010-12-01T08:26:00".to_owned(), 6)
        ]
    );
    assert_eq!(
        quarantined(&out),
        vec![
            ("missing_values".to_owned(), 3),
            ("non_product_stock_code".to_owned(), 4)
        ]
    );
}

#[test]
fn a_bad_cell_of_a_legacy_workbook_is_named_by_sheet_record_and_row() {
    let dir = tempfile::tempdir().unwrap();
    let error = features_with(
        &fixture("bad.xls"),
        &dir.path().join("out"),
        &reading_sheets(&dir.path().join("data"), &[]),
    )
    .unwrap_err()
    .to_string();
    assert!(
        error.contains(
            "bad.xls[Sales]`, row 2 (line 3), column `Quantity`: is not a whole number: `six`"
        ),
        "{error}"
    );

    // A file that only looks like one: the format's own error, naming the file.
    let fake = dir.path().join("fake.xls");
    let mut bytes = vec![0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];
    bytes.extend_from_slice(&[0; 504]);
    std::fs::write(&fake, bytes).unwrap();
    let error = features_with(
        &fake.to_string_lossy(),
        &dir.path().join("out"),
        &reading_sheets(&dir.path().join("data"), &[]),
    )
    .unwrap_err()
    .to_string();
    assert!(
        error.contains("fake.xls`: not a readable xls workbook"),
        "{error}"
    );
}
