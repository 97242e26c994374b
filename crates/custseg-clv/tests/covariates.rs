//! Covariates recover what was simulated: two groups of customers, one buying more often and
//! spending more, are told apart with the right coefficients and a decisive likelihood-ratio
//! test; with no difference between them, the test does not see one.
#![expect(
    clippy::unwrap_used,
    reason = "test helpers fail loudly on broken fixtures"
)]

use custseg_clv::bgnbd::{self, FitOptions};
use custseg_clv::covariates::analyse;
use custseg_clv::gamma_gamma;
use custseg_clv::summary::CustomerSummary;
use custseg_datagen::{simulate_bgnbd, simulate_gamma_gamma_spend};

/// 10,000 customers per group; group 1's α is divided by e^`purchase` and its γ multiplied by
/// e^`spend`.
fn two_groups(purchase: f64, spend: f64, seed: u64) -> (Vec<CustomerSummary>, Vec<Vec<f64>>) {
    let (r, alpha, a, b) = (0.243, 4.414, 0.793, 2.426);
    let (p, q, gamma) = (6.25, 3.74, 15.44);
    let mut summaries = Vec::new();
    let mut z = Vec::new();
    for group in 0..2u32 {
        let g = f64::from(group);
        let customers = simulate_bgnbd(
            10_000,
            (r, alpha * (-purchase * g).exp(), a, b),
            39.0,
            seed + u64::from(group),
        )
        .unwrap();
        let repeats: Vec<f64> = customers.iter().map(|c| c.x).collect();
        let spends = simulate_gamma_gamma_spend(
            &repeats,
            (p, q, gamma * (spend * g).exp()),
            seed + 10 + u64::from(group),
        )
        .unwrap();
        for (c, m) in customers.iter().zip(spends) {
            summaries.push(CustomerSummary {
                monetary_value: m,
                ..CustomerSummary::history(summaries.len() as i64, c.x, c.t_x, c.t)
            });
            z.push(vec![g]);
        }
    }
    (summaries, z)
}

fn fit(
    summaries: &[CustomerSummary],
    z: &[Vec<f64>],
) -> custseg_clv::covariates::CovariateAnalysis {
    let options = FitOptions::default();
    let purchase = bgnbd::fit(summaries, &options).unwrap();
    let spend = gamma_gamma::fit(summaries, &options).unwrap();
    analyse(
        summaries,
        z,
        &["group".to_owned()],
        &purchase,
        &spend,
        &options,
    )
    .unwrap()
}

#[test]
fn covariate_coefficients_recover_the_simulated_differences() {
    let (summaries, z) = two_groups(0.5, 0.4, 21);
    let analysis = fit(&summaries, &z);
    for (model, truths) in [
        (
            &analysis.bg_nbd,
            vec![
                ("purchase:group", 0.5),
                ("dropout_a:group", 0.0),
                ("dropout_b:group", 0.0),
            ],
        ),
        (&analysis.gamma_gamma, vec![("spend:group", 0.4)]),
    ] {
        println!("{model:#?}");
        assert!(model.converged, "{}", model.model);
        let errors = model.standard_errors.as_ref().unwrap();
        for (name, truth) in truths {
            let i = model.names.iter().position(|n| n == name).unwrap();
            let zscore = (model.estimates[i] - truth) / errors[i];
            assert!(
                zscore.abs() < 3.0,
                "{name}: {} (se {}) vs {truth}",
                model.estimates[i],
                errors[i]
            );
        }
        assert!(
            model.test.p_value < 1e-6,
            "{}: {:?}",
            model.model,
            model.test
        );
    }
}

#[test]
fn without_a_difference_the_likelihood_ratio_test_rejects_at_its_nominal_rate() {
    // Twelve null samples: at the 5 % level each test should reject about once in twenty;
    // three or more rejections of twelve would happen by chance 2 % of the time. (Forty seeds
    // of the same, in release: BG/NBD 0 and Gamma-Gamma 2 rejections.)
    let (mut purchase, mut spend) = (0, 0);
    for seed in 0..12u64 {
        let (summaries, z) = two_groups(0.0, 0.0, 300 + 7 * seed);
        let analysis = fit(&summaries, &z);
        assert_eq!(analysis.bg_nbd.test.degrees_of_freedom, 3);
        assert_eq!(analysis.gamma_gamma.test.degrees_of_freedom, 1);
        purchase += usize::from(analysis.bg_nbd.test.p_value < 0.05);
        spend += usize::from(analysis.gamma_gamma.test.p_value < 0.05);
    }
    assert!(
        purchase <= 2 && spend <= 2,
        "rejections: BG/NBD {purchase}, Gamma-Gamma {spend}"
    );
}
