//! A directory of files as one input: the same answer as the single file, and clear errors
//! for directories that cannot be one log.

use std::path::Path;

use crate::cli::{demo_data, features, text};
use crate::cluster::read_table;

fn demo(dir: &Path, args: &[&str]) {
    let mut all = vec!["--rows", "30000", "--seed", "5"];
    all.extend_from_slice(args);
    demo_data(dir, &all);
}

fn uncached_features(dir: &Path, input: &str, out: &str) -> std::process::Output {
    features(dir, input, out, &["--no-cache"])
}

/// `out` is absent or empty: a failed run leaves no files.
fn assert_nothing_written(out: &Path) {
    if out.exists() {
        let left: Vec<_> = std::fs::read_dir(out).unwrap().collect();
        assert!(left.is_empty(), "{} holds {left:?}", out.display());
    }
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

#[test]
fn a_partitioned_log_gives_the_single_files_outputs_row_for_row() {
    let dir = tempfile::tempdir().unwrap();
    demo(dir.path(), &["--out", "single.parquet"]);
    demo(dir.path(), &["--partitions", "3", "--out", "parts"]);
    // hive-style folders and marker files are fine: only data files count, in path order
    // (`year=2011/part-00002` sorts after `part-00001`)
    let parts = dir.path().join("parts");
    std::fs::create_dir(parts.join("year=2011")).unwrap();
    std::fs::rename(
        parts.join("part-00002.parquet"),
        parts.join("year=2011/part-00002.parquet"),
    )
    .unwrap();
    std::fs::write(parts.join("_SUCCESS"), b"").unwrap();

    let single = uncached_features(dir.path(), "single.parquet", "out-single");
    assert!(single.status.success(), "{}", text(&single.stderr));
    let split = uncached_features(dir.path(), "parts", "out-parts");
    assert!(split.status.success(), "{}", text(&split.stderr));

    assert!(
        read(&dir.path().join("out-single/features/customer_features.csv"))
            == read(&dir.path().join("out-parts/features/customer_features.csv")),
        "the customer features differ between the single file and its parts"
    );
    // the same rows, source_row included, in the same order (the Parquet bytes may differ
    // where page boundaries follow the readers' batches)
    for file in ["clean/transactions.parquet", "quarantine/rejected.parquet"] {
        let single = read_table(&dir.path().join("out-single").join(file));
        assert!(single["source_row"].len() > 1_000, "{file}");
        assert!(
            single == read_table(&dir.path().join("out-parts").join(file)),
            "{file} differs between the single file and its parts"
        );
    }
    let quality: serde_json::Value =
        serde_json::from_slice(&read(&dir.path().join("out-parts/reports/quality.json"))).unwrap();
    assert_eq!(quality["raw_rows"], 30_000);
    assert_eq!(quality["input"]["files"], 3);
    assert_eq!(quality["input"]["format"], "parquet");
}

#[test]
fn files_of_different_schemas_are_named_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    demo(dir.path(), &["--partitions", "2", "--out", "parts"]);
    // a CSV copy renamed to look like Parquet is caught by its bytes; a real Parquet file
    // with other columns by its schema
    demo(
        dir.path(),
        &["--partitions", "2", "--format", "csv", "--out", "csv-parts"],
    );
    let mixed = dir.path().join("mixed");
    std::fs::create_dir(&mixed).unwrap();
    std::fs::copy(
        dir.path().join("parts/part-00000.parquet"),
        mixed.join("a.parquet"),
    )
    .unwrap();
    std::fs::copy(
        dir.path().join("csv-parts/part-00001.csv"),
        mixed.join("b.csv"),
    )
    .unwrap();
    let output = uncached_features(dir.path(), "mixed", "out");
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("mixed/b.csv`: is csv but `mixed/a.parquet`"),
        "{stderr}"
    );

    // same format, other columns: the CustomerID column renamed in one CSV part
    let renamed = dir.path().join("renamed");
    std::fs::create_dir(&renamed).unwrap();
    std::fs::copy(
        dir.path().join("csv-parts/part-00000.csv"),
        renamed.join("a.csv"),
    )
    .unwrap();
    let second = std::fs::read_to_string(dir.path().join("csv-parts/part-00001.csv")).unwrap();
    std::fs::write(
        renamed.join("b.csv"),
        second.replacen("CustomerID", "Customer ID", 1),
    )
    .unwrap();
    let output = uncached_features(dir.path(), "renamed", "out");
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("renamed/b.csv`: has a different schema from `renamed/a.csv`"),
        "{stderr}"
    );
    assert!(stderr.contains("Customer ID"), "{stderr}");
    assert_nothing_written(&dir.path().join("out"));
}

#[test]
fn an_empty_directory_is_an_error_not_an_empty_result() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("empty/.hidden")).unwrap();
    std::fs::write(dir.path().join("empty/_SUCCESS"), b"").unwrap();
    let output = uncached_features(dir.path(), "empty", "out");
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("`empty`: the directory holds no data files"),
        "{stderr}"
    );
    assert_nothing_written(&dir.path().join("out"));
}
