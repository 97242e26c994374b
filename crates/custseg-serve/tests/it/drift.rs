//! The drift statistics against scipy's values (fixture from tests/reference/drift_reference.py).

use custseg_serve::drift::{
    chi_square_homogeneity, decile_edges, jensen_shannon, ks_p_value, ks_statistic, mann_whitney,
    normal_two_sided_p, population_std, psi_deciles, psi_sturges, shares, wasserstein,
};
use serde_json::Value;

fn numbers(value: &Value) -> Vec<f64> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect()
}

#[test]
fn every_statistic_agrees_with_scipy_to_1e_6() {
    let fixture: Value =
        serde_json::from_str(include_str!("../fixtures/drift_reference.json")).unwrap();
    for case in fixture["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let (reference, current) = (numbers(&case["reference"]), numbers(&case["current"]));
        let d = ks_statistic(&reference, &current);
        let edges = decile_edges(&reference);
        let (u, z) = mann_whitney(&reference, &current);
        let ours = [
            ("mann_whitney_u", u),
            ("mann_whitney_p", normal_two_sided_p(z)),
            ("ks_statistic", d),
            ("ks_p_value", ks_p_value(d, reference.len(), current.len())),
            (
                "wasserstein_normed",
                wasserstein(&reference, &current) / population_std(&reference),
            ),
            (
                "jensen_shannon",
                jensen_shannon(&shares(&reference, &edges), &shares(&current, &edges)),
            ),
            ("psi_deciles", psi_deciles(&reference, &current)),
            ("psi_sturges", psi_sturges(&reference, &current)),
        ];
        for (statistic, value) in ours {
            let expected = case[statistic].as_f64().unwrap();
            assert!(
                (value - expected).abs() < 1e-6,
                "{name} {statistic}: {value} vs scipy {expected}"
            );
        }
    }
}

#[test]
fn the_segment_test_agrees_with_scipy_chi2_contingency() {
    let fixture: Value =
        serde_json::from_str(include_str!("../fixtures/drift_reference.json")).unwrap();
    for table in fixture["segment_tables"].as_array().unwrap() {
        let (reference, current) = (numbers(&table["reference"]), numbers(&table["current"]));
        let (statistic, p) = chi_square_homogeneity(&reference, &current);
        let (expected_statistic, expected_p) = (
            table["chi_square"].as_f64().unwrap(),
            table["p_value"].as_f64().unwrap(),
        );
        assert!(
            (statistic - expected_statistic).abs() < 1e-9 && (p - expected_p).abs() < 1e-9,
            "{reference:?} {current:?}: ({statistic}, {p}) vs scipy ({expected_statistic}, {expected_p})"
        );
    }
}
