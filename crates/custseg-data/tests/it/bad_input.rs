//! Every bad input gets a clear error naming the file (and row and column where
//! they apply), and leaves an earlier output directory exactly as it was.

use std::io::Write;
use std::path::Path;

use crate::support::{HEADER, features, features_with, shared_data, write};

const GOOD_ROW: &str = "536365,85123A,WHITE MUG,6,12/1/2010 8:26,2.55,17850,United Kingdom\n";

/// Runs `features` on `input` over an `out/` holding an earlier report, and returns
/// the error text after checking that `out/` is untouched.
fn fails(
    input: &str,
    dir: &Path,
    request: Option<custseg_data::pipeline::FeaturesRequest>,
) -> String {
    let out = dir.join("out");
    std::fs::create_dir_all(out.join("reports")).unwrap();
    std::fs::write(out.join("reports/quality.json"), b"earlier run").unwrap();
    let result = match request {
        Some(request) => features_with(input, &out, &request),
        None => features(input, &out, &dir.join("data")),
    };
    let error = match result {
        Ok(_) => panic!("`{input}` was accepted"),
        Err(error) => error.to_string(),
    };
    assert_eq!(
        std::fs::read(out.join("reports/quality.json")).unwrap(),
        b"earlier run"
    );
    let entries: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    assert_eq!(
        entries,
        ["reports"],
        "nothing else may appear in out/: {entries:?}"
    );
    error
}

fn csv(dir: &Path, name: &str, text: &str) -> String {
    write(dir, name, text.as_bytes())
}

#[test]
fn missing_required_column() {
    let dir = tempfile::tempdir().unwrap();
    let input = csv(
        dir.path(),
        "no_price.csv",
        "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,CustomerID,Country\n1,2,X,3,2010-12-01,4,UK\n",
    );
    let error = fails(&input, dir.path(), None);
    assert!(
        error.contains("no_price.csv`: missing required column `UnitPrice`"),
        "{error}"
    );
}

#[test]
fn empty_file() {
    let dir = tempfile::tempdir().unwrap();
    let input = csv(dir.path(), "empty.csv", "");
    assert!(fails(&input, dir.path(), None).ends_with("empty.csv`: the file is empty"));
}

#[test]
fn header_only() {
    let dir = tempfile::tempdir().unwrap();
    let input = csv(dir.path(), "header_only.csv", HEADER);
    let error = fails(&input, dir.path(), None);
    assert!(
        error.ends_with("header_only.csv`: the file has a header but no data rows"),
        "{error}"
    );
}

#[test]
fn wrong_field_count() {
    let dir = tempfile::tempdir().unwrap();
    let input = csv(
        dir.path(),
        "short_row.csv",
        &format!("{HEADER}{GOOD_ROW}536366,1,X,1,12/1/2010 8:28,1.0,UK\n"),
    );
    let error = fails(&input, dir.path(), None);
    assert!(
        error.contains("short_row.csv`, row 2 (line 3): has 7 fields, the header has 8"),
        "{error}"
    );
}

#[test]
fn non_numeric_quantity() {
    let dir = tempfile::tempdir().unwrap();
    let input = csv(
        dir.path(),
        "bad_quantity.csv",
        &format!("{HEADER}{GOOD_ROW}{}", GOOD_ROW.replace(",6,", ",1O,")),
    );
    let error = fails(&input, dir.path(), None);
    assert!(
        error.contains(
            "bad_quantity.csv`, row 2 (line 3), column `Quantity`: is not a whole number: `1O`"
        ),
        "{error}"
    );
}

#[test]
fn unparseable_date() {
    let dir = tempfile::tempdir().unwrap();
    let input = csv(
        dir.path(),
        "bad_date.csv",
        &format!(
            "{HEADER}{GOOD_ROW}{}",
            GOOD_ROW.replace("12/1/2010 8:26", "31/31/2010")
        ),
    );
    let error = fails(&input, dir.path(), None);
    assert!(
        error.contains(
            "bad_date.csv`, row 2 (line 3), column `InvoiceDate`: cannot read the date `31/31/2010`"
        ),
        "{error}"
    );
}

#[test]
fn invalid_utf8_without_encoding() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = HEADER.as_bytes().to_vec();
    bytes.extend_from_slice(
        b"536365,85123A,CAF\xC9 MUG,6,12/1/2010 8:26,2.55,17850,United Kingdom\n",
    );
    let input = write(dir.path(), "latin1.csv", &bytes);
    let error = fails(&input, dir.path(), None);
    assert!(
        error.contains("latin1.csv`, row 1 (line 2), column `Description`: invalid UTF-8"),
        "{error}"
    );
    assert!(error.contains("--encoding latin-1"), "{error}");
}

#[test]
fn truncated_gzip() {
    let dir = tempfile::tempdir().unwrap();
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(HEADER.as_bytes()).unwrap();
    for _ in 0..2_000 {
        encoder.write_all(GOOD_ROW.as_bytes()).unwrap();
    }
    let bytes = encoder.finish().unwrap();
    let input = write(dir.path(), "truncated.csv.gz", &bytes[..bytes.len() / 2]);
    let error = fails(&input, dir.path(), None);
    assert!(error.contains("truncated.csv.gz`"), "{error}");
    assert!(
        error.contains("cannot decompress: the gzip data is truncated or corrupt"),
        "{error}"
    );
}

#[test]
fn corrupt_zip() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = b"PK\x03\x04".to_vec();
    bytes.extend_from_slice(&[7u8; 200]);
    let input = write(dir.path(), "corrupt.zip", &bytes);
    let error = fails(&input, dir.path(), None);
    assert!(
        error.contains("corrupt.zip`: not a readable zip archive"),
        "{error}"
    );
}

fn zip_with(dir: &Path, name: &str, members: &[(&str, &[u8])]) -> String {
    let path = dir.join(name);
    let mut writer = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    for (member, bytes) in members {
        writer
            .start_file(*member, zip::write::SimpleFileOptions::default())
            .unwrap();
        writer.write_all(bytes).unwrap();
    }
    writer.finish().unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn zip_without_a_usable_file() {
    let dir = tempfile::tempdir().unwrap();
    let input = zip_with(
        dir.path(),
        "notes.zip",
        &[("README.md", b"hello"), ("logo.png", b"\x89PNG")],
    );
    let error = fails(&input, dir.path(), None);
    assert!(error.contains("notes.zip`: the archive holds no CSV, xlsx, xls, ods or Parquet file; it holds `README.md`, `logo.png`"), "{error}");
}

#[test]
fn zip_holding_a_csv_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("{HEADER}{GOOD_ROW}");
    let input = zip_with(dir.path(), "log.zip", &[("data/log.csv", text.as_bytes())]);
    let outcome = features(&input, &dir.path().join("out"), &dir.path().join("data")).unwrap();
    assert_eq!(outcome.report.input.member.as_deref(), Some("data/log.csv"));
    assert_eq!(outcome.customers, 1);
}

#[test]
fn xlsx_without_the_named_sheet() {
    let dir = tempfile::tempdir().unwrap();
    let mut request = custseg_data::pipeline::FeaturesRequest::default();
    request.ingest.data_dir = dir.path().join("data");
    request.ingest.sheet = vec!["Sales".to_owned()];
    let input = shared_data("online+retail.zip")
        .to_string_lossy()
        .into_owned();
    let error = fails(&input, dir.path(), Some(request));
    assert!(
        error.contains("online+retail.zip:Online Retail.xlsx`: no sheet named `Sales`; the workbook has `Online Retail`"),
        "{error}"
    );
}

#[test]
fn missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("nope.csv").to_string_lossy().into_owned();
    assert!(fails(&input, dir.path(), None).ends_with("nope.csv`: no such file or directory"));
}

#[test]
fn pinned_checksum_mismatch() {
    let dir = tempfile::tempdir().unwrap();
    let input = csv(dir.path(), "log.csv", &format!("{HEADER}{GOOD_ROW}"));
    let mut request = custseg_data::pipeline::FeaturesRequest::default();
    request.ingest.data_dir = dir.path().join("data");
    request.ingest.sha256 = Some("00".repeat(32));
    let error = fails(&input, dir.path(), Some(request));
    assert!(
        error.contains("checksum changed: expected sha256 `0000"),
        "{error}"
    );
}
