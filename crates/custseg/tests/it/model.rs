//! `custseg run`, `train` and `predict` on the real UCI Online Retail data.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use arrow::array::{Array, AsArray};
use arrow::datatypes::{Float64Type, Int64Type, UInt8Type};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::cli::{custseg, text};

pub fn shared_data(name: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(name);
    assert!(
        path.exists(),
        "reference data `{}` is missing: the tests expect the workplace's shared/ folder beside the repository",
        path.display()
    );
    path
}

/// (customer id, cluster, segment, outlier, anomaly score, R, F, M, RFM segment).
type SegmentRow = (i64, i64, String, bool, f64, u8, u8, u8, String);

/// The rows of `customer_segments.parquet`.
struct Segments {
    rows: Vec<SegmentRow>,
}

fn read_segments(path: &Path) -> Segments {
    let file = std::fs::File::open(path).unwrap();
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap();
    let mut rows = Vec::new();
    for batch in reader {
        let batch = batch.unwrap();
        let column = |name: &str| batch.column_by_name(name).unwrap().clone();
        let ids = column("CustomerID");
        let clusters = column("cluster");
        let segments = column("segment");
        let outliers = column("outlier");
        let scores = column("anomaly_score");
        let (r, f, m) = (column("R"), column("F"), column("M"));
        let rfm = column("rfm_segment");
        for i in 0..batch.num_rows() {
            assert!(!segments.is_null(i), "customer without a segment");
            rows.push((
                ids.as_primitive::<Int64Type>().value(i),
                clusters.as_primitive::<Int64Type>().value(i),
                segments.as_string::<i32>().value(i).to_owned(),
                outliers.as_boolean().value(i),
                scores.as_primitive::<Float64Type>().value(i),
                r.as_primitive::<UInt8Type>().value(i),
                f.as_primitive::<UInt8Type>().value(i),
                m.as_primitive::<UInt8Type>().value(i),
                rfm.as_string::<i32>().value(i).to_owned(),
            ));
        }
    }
    Segments { rows }
}

fn ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && values[order[j + 1]] == values[order[i]] {
            j += 1;
        }
        let average = (i + j) as f64 / 2.0;
        for k in i..=j {
            ranks[order[k]] = average;
        }
        i = j + 1;
    }
    ranks
}

fn spearman(a: &[f64], b: &[f64]) -> f64 {
    let (ra, rb) = (ranks(a), ranks(b));
    let mean = (a.len() as f64 - 1.0) / 2.0;
    let covariance: f64 = ra
        .iter()
        .zip(&rb)
        .map(|(x, y)| (x - mean) * (y - mean))
        .sum();
    let spread = |r: &[f64]| r.iter().map(|x| (x - mean).powi(2)).sum::<f64>().sqrt();
    covariance / (spread(&ra) * spread(&rb))
}

#[test]
fn run_on_the_real_data_segments_every_customer_and_predict_agrees() {
    let dir = tempfile::tempdir().unwrap();
    let input = shared_data("online_retail.csv.gz");
    let output = custseg(
        dir.path(),
        &[
            "-q",
            "run",
            "--input",
            input.to_str().unwrap(),
            "--out",
            "out",
            "--no-cache",
        ],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("4362 customers (as of 2011-12-09)"),
        "{stdout}"
    );

    // Every customer has a segment; sizes add up; RFM scores in range.
    let segments = read_segments(&dir.path().join("out/segments/customer_segments.parquet"));
    assert_eq!(segments.rows.len(), 4362);
    let model: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out/model/model.json")).unwrap())
            .unwrap();
    let k = model["centroids"].as_array().unwrap().len();
    assert!((4..=8).contains(&k), "k = {k}");
    let profiles: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("out/segments/profiles.json")).unwrap(),
    )
    .unwrap();
    let sizes: u64 = profiles["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["size"].as_u64().unwrap())
        .sum();
    assert_eq!(sizes, 4362);
    let mut per_cluster: HashMap<i64, usize> = HashMap::new();
    for row in &segments.rows {
        *per_cluster.entry(row.1).or_default() += 1;
        assert!([row.5, row.6, row.7].iter().all(|s| (1..=5).contains(s)));
        assert!(!row.8.is_empty());
    }
    assert_eq!(per_cluster.len(), k);
    // About 5 % outliers, flagged and kept.
    let outliers = segments.rows.iter().filter(|r| r.3).count();
    assert_eq!(
        outliers as u64,
        model["training"]["outliers"].as_u64().unwrap()
    );
    assert!((210..=230).contains(&outliers), "{outliers}");

    // Metrics within their ranges; the search table has every candidate and one choice.
    let silhouette = model["metrics"]["silhouette"]["mean"].as_f64().unwrap();
    assert!((-1.0..=1.0).contains(&silhouette));
    assert!(model["metrics"]["davies_bouldin"].as_f64().unwrap() > 0.0);
    assert!(model["metrics"]["calinski_harabasz"].as_f64().unwrap() > 0.0);
    let ari = model["metrics"]["stability"]["mean_ari"].as_f64().unwrap();
    assert!((-1.0..=1.0).contains(&ari));
    let search = std::fs::read_to_string(dir.path().join("out/model/search.csv")).unwrap();
    assert_eq!(search.lines().count(), 1 + 9 * 2);
    assert_eq!(
        search
            .lines()
            .filter(|l| l.contains(",true,") && l.split(',').nth(14) == Some("true"))
            .count(),
        1
    );
    let reason = model["selection"]["reason"].as_str().unwrap();
    assert!(reason.contains(&format!("k = {k}")), "{reason}");

    // Isolation Forest ranks customers like scikit-learn's (fixture from
    // tests/reference/sklearn_reference.py).
    let fixture: serde_json::Value =
        serde_json::from_str(include_str!("../fixtures/iforest_real_scores.json")).unwrap();
    let theirs: HashMap<i64, f64> = fixture["customer_ids"]
        .as_array()
        .unwrap()
        .iter()
        .zip(fixture["score_samples"].as_array().unwrap())
        .map(|(id, s)| (id.as_i64().unwrap(), s.as_f64().unwrap()))
        .collect();
    let (ours, reference): (Vec<f64>, Vec<f64>) =
        segments.rows.iter().map(|r| (r.4, theirs[&r.0])).unzip();
    let correlation = spearman(&ours, &reference);
    assert!(
        correlation > 0.9,
        "Spearman correlation with scikit-learn {correlation}"
    );

    // predict on the training features returns the training assignment.
    let output = custseg(
        dir.path(),
        &[
            "predict",
            "--model",
            "out/model/model.json",
            "--input",
            "out/features/customer_features.parquet",
            "--out",
            "scored.csv",
        ],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let scored = std::fs::read_to_string(dir.path().join("scored.csv")).unwrap();
    let trained: HashMap<i64, (i64, &str, bool)> = segments
        .rows
        .iter()
        .map(|r| (r.0, (r.1, r.2.as_str(), r.3)))
        .collect();
    let mut lines = scored.lines();
    assert_eq!(
        lines.next(),
        Some("CustomerID,cluster,segment,distance,outlier")
    );
    let mut count = 0;
    let mut reader = csv::Reader::from_reader(scored.as_bytes());
    for record in reader.records() {
        let record = record.unwrap();
        let id: i64 = record[0].parse().unwrap();
        let expected = trained[&id];
        assert_eq!(
            record[1].parse::<i64>().unwrap(),
            expected.0,
            "customer {id}"
        );
        assert_eq!(&record[2], expected.1);
        assert_eq!(record[4].parse::<bool>().unwrap(), expected.2);
        count += 1;
    }
    assert_eq!(count, 4362);

    // Training again on the written features gives a byte-identical model.
    for out in ["again1", "again2"] {
        let output = custseg(
            dir.path(),
            &[
                "-q",
                "train",
                "--features",
                "out/features/customer_features.parquet",
                "--out",
                out,
            ],
        );
        assert!(output.status.success(), "{}", text(&output.stderr));
    }
    assert_eq!(
        std::fs::read(dir.path().join("again1/model/model.json")).unwrap(),
        std::fs::read(dir.path().join("again2/model/model.json")).unwrap()
    );
}
