//! custseg-ml against scikit-learn: reference values generated once by
//! `tests/reference/sklearn_reference.py` (pinned in `tests/reference/requirements.txt`) on a
//! seeded synthetic matrix stored in the fixture. Deterministic pieces must agree to 1e-9.
#![expect(
    clippy::unwrap_used,
    reason = "test helpers fail loudly on broken fixtures"
)]

use std::collections::BTreeMap;

use custseg_ml::kmeans::lloyd;
use custseg_ml::metrics::{
    adjusted_rand_index, calinski_harabasz, davies_bouldin, silhouette_score,
};
use custseg_ml::pca::{Components, Pca};
use custseg_ml::scaling::{Scaler, ScalingKind};
use ndarray::Array2;
use serde::Deserialize;

const TOLERANCE: f64 = 1e-9;

#[derive(Deserialize)]
struct Fixture {
    x: Vec<Vec<f64>>,
    standard_mean: Vec<f64>,
    standard_scale: Vec<f64>,
    robust_center: Vec<f64>,
    robust_scale: Vec<f64>,
    pca_components: Vec<Vec<f64>>,
    pca_explained_variance_ratio: Vec<f64>,
    kmeans: BTreeMap<String, KMeansReference>,
    metrics: BTreeMap<String, MetricsReference>,
    adjusted_rand_4_5: f64,
}

#[derive(Deserialize)]
struct KMeansReference {
    init_rows: Vec<usize>,
    centers: Vec<Vec<f64>>,
    labels: Vec<usize>,
    inertia: f64,
    n_iter: usize,
}

#[derive(Deserialize)]
struct MetricsReference {
    silhouette: f64,
    davies_bouldin: f64,
    calinski_harabasz: f64,
}

fn fixture() -> Fixture {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/sklearn_small.json"
    );
    let text = std::fs::read_to_string(path).expect("fixture exists");
    serde_json::from_str(&text).expect("fixture parses")
}

fn matrix(rows: &[Vec<f64>]) -> Array2<f64> {
    Array2::from_shape_fn((rows.len(), rows[0].len()), |(i, j)| rows[i][j])
}

fn assert_close(actual: f64, expected: f64, what: &str) {
    let tolerance = TOLERANCE * expected.abs().max(1.0);
    assert!(
        (actual - expected).abs() <= tolerance,
        "{what}: {actual} vs scikit-learn {expected}"
    );
}

fn assert_all_close(actual: &[f64], expected: &[f64], what: &str) {
    assert_eq!(actual.len(), expected.len(), "{what}: lengths");
    for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
        assert_close(*a, *e, &format!("{what}[{i}]"));
    }
}

fn scaled(fixture: &Fixture) -> Array2<f64> {
    let x = matrix(&fixture.x);
    Scaler::fit(ScalingKind::Standard, x.view())
        .unwrap()
        .transform(x.view())
        .unwrap()
}

#[test]
fn standard_and_robust_scaling_match_scikit_learn() {
    let fixture = fixture();
    let x = matrix(&fixture.x);
    let standard = Scaler::fit(ScalingKind::Standard, x.view()).unwrap();
    assert_all_close(
        &standard.center,
        &fixture.standard_mean,
        "StandardScaler.mean_",
    );
    assert_all_close(
        &standard.scale,
        &fixture.standard_scale,
        "StandardScaler.scale_",
    );
    let robust = Scaler::fit(ScalingKind::Robust, x.view()).unwrap();
    assert_all_close(
        &robust.center,
        &fixture.robust_center,
        "RobustScaler.center_",
    );
    assert_all_close(&robust.scale, &fixture.robust_scale, "RobustScaler.scale_");
}

#[test]
fn pca_matches_scikit_learn_up_to_sign() {
    let fixture = fixture();
    let pca = Pca::fit(scaled(&fixture).view(), Components::VarianceThreshold(1.0)).unwrap();
    assert_all_close(
        &pca.all_explained_variance_ratio,
        &fixture.pca_explained_variance_ratio,
        "explained_variance_ratio_",
    );
    // The last component carries ~0.3 % of the variance; all six are compared.
    for (i, (ours, theirs)) in pca
        .components
        .iter()
        .zip(&fixture.pca_components)
        .enumerate()
    {
        let sign = if ours.iter().zip(theirs).map(|(a, b)| a * b).sum::<f64>() < 0.0 {
            -1.0
        } else {
            1.0
        };
        let flipped: Vec<f64> = ours.iter().map(|v| v * sign).collect();
        assert_all_close(&flipped, theirs, &format!("components_[{i}]"));
    }
}

#[test]
fn lloyd_from_the_same_start_matches_scikit_learn() {
    let fixture = fixture();
    let x = scaled(&fixture);
    for (k, reference) in &fixture.kmeans {
        let start = Array2::from_shape_fn((reference.init_rows.len(), x.ncols()), |(i, j)| {
            x[[reference.init_rows[i], j]]
        });
        let model = lloyd(x.view(), start.view(), 300, 0.0).unwrap();
        assert_eq!(model.labels, reference.labels, "k = {k}: labels");
        assert_eq!(model.n_iter, reference.n_iter, "k = {k}: n_iter");
        assert_close(
            model.inertia,
            reference.inertia,
            &format!("k = {k}: inertia"),
        );
        for (c, (ours, theirs)) in model.centroids.iter().zip(&reference.centers).enumerate() {
            assert_all_close(ours, theirs, &format!("k = {k}: center {c}"));
        }
    }
}

#[test]
fn cluster_metrics_match_scikit_learn() {
    let fixture = fixture();
    let x = scaled(&fixture);
    for (k, reference) in &fixture.metrics {
        let labels = &fixture.kmeans[k].labels;
        assert_close(
            silhouette_score(x.view(), labels).unwrap(),
            reference.silhouette,
            &format!("k = {k}: silhouette"),
        );
        assert_close(
            davies_bouldin(x.view(), labels).unwrap(),
            reference.davies_bouldin,
            &format!("k = {k}: Davies-Bouldin"),
        );
        assert_close(
            calinski_harabasz(x.view(), labels).unwrap(),
            reference.calinski_harabasz,
            &format!("k = {k}: Calinski-Harabasz"),
        );
    }
    let ari =
        adjusted_rand_index(&fixture.kmeans["4"].labels, &fixture.kmeans["5"].labels).unwrap();
    assert_close(ari, fixture.adjusted_rand_4_5, "adjusted Rand index");
}
