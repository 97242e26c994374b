//! The BG/NBD fit recovers the parameters of customers simulated from the BG/NBD process.

use custseg_clv::bgnbd::{self, FitOptions};
use custseg_clv::summary::CustomerSummary;
use custseg_datagen::simulate_bgnbd;

#[test]
fn fit_recovers_simulated_parameters_within_three_standard_errors() {
    let truth = (0.243, 4.414, 0.793, 2.426);
    let customers = simulate_bgnbd(20_000, truth, 39.0, 11).unwrap();
    let summaries: Vec<CustomerSummary> = customers
        .iter()
        .enumerate()
        .map(|(i, c)| CustomerSummary::history(i as i64, c.x, c.t_x, c.t))
        .collect();
    let fit = bgnbd::fit(&summaries, &FitOptions::default()).unwrap();
    assert!(fit.converged, "{:?}", fit.warnings);
    let errors = fit.standard_errors.unwrap();
    let fitted = [fit.params.r, fit.params.alpha, fit.params.a, fit.params.b];
    let expected = [truth.0, truth.1, truth.2, truth.3];
    for i in 0..4 {
        let z = (fitted[i] - expected[i]) / errors[i];
        assert!(
            z.abs() < 3.0,
            "parameter {i}: {} vs {} (se {}, z {z:.2})",
            fitted[i],
            expected[i],
            errors[i]
        );
    }
}

#[test]
fn a_large_fit_raced_on_a_subsample_still_recovers_the_parameters() {
    // Over bgnbd::LARGE_FIT customers the starts race on a subsample before the polish.
    let truth = (0.243, 4.414, 0.793, 2.426);
    let n = custseg_clv::bgnbd::LARGE_FIT + 50_000;
    let customers = simulate_bgnbd(n, truth, 78.0, 5).unwrap();
    let summaries: Vec<CustomerSummary> = customers
        .iter()
        .enumerate()
        .map(|(i, c)| CustomerSummary::history(i as i64, c.x, c.t_x, c.t))
        .collect();
    let fit = bgnbd::fit(&summaries, &FitOptions::default()).unwrap();
    assert!(fit.converged, "{:?}", fit.warnings);
    assert_eq!(fit.starts, 4);
    let errors = fit.standard_errors.unwrap();
    let fitted = [fit.params.r, fit.params.alpha, fit.params.a, fit.params.b];
    for (i, expected) in [truth.0, truth.1, truth.2, truth.3].iter().enumerate() {
        let z = (fitted[i] - expected) / errors[i];
        assert!(
            z.abs() < 3.0,
            "parameter {i}: {} vs {expected} (z {z:.2})",
            fitted[i]
        );
    }
    // The gradient of the mean log-likelihood vanishes at the polished optimum.
    let (_, gradient) = fit.params.log_likelihood(&summaries);
    let scaled: f64 = gradient
        .iter()
        .zip(&fitted)
        .map(|(g, t)| (g * t / n as f64).powi(2))
        .sum::<f64>()
        .sqrt();
    assert!(scaled < 1e-5, "{scaled}");
}

#[test]
fn a_large_spend_fit_raced_on_a_subsample_recovers_the_parameters() {
    // Over bgnbd::LARGE_FIT customers with repeat purchases, Gamma-Gamma's starts race on a
    // subsample before the polish on everyone.
    let truth = (6.25, 3.74, 15.44);
    let n = custseg_clv::bgnbd::LARGE_FIT + 20_000;
    let repeats: Vec<f64> = (0..n).map(|i| 1.0 + (i % 6) as f64).collect();
    let spends = custseg_datagen::simulate_gamma_gamma_spend(&repeats, truth, 3).unwrap();
    let summaries: Vec<CustomerSummary> = repeats
        .iter()
        .zip(&spends)
        .enumerate()
        .map(|(i, (x, m))| CustomerSummary {
            monetary_value: *m,
            ..CustomerSummary::history(i as i64, *x, *x, 10.0)
        })
        .collect();
    let fit = custseg_clv::gamma_gamma::fit(&summaries, &FitOptions::default()).unwrap();
    assert!(fit.converged, "{:?}", fit.warnings);
    let errors = fit.standard_errors.unwrap();
    let fitted = [fit.params.p, fit.params.q, fit.params.gamma];
    for (i, expected) in [truth.0, truth.1, truth.2].iter().enumerate() {
        let z = (fitted[i] - expected) / errors[i];
        assert!(
            z.abs() < 3.0,
            "parameter {i}: {} vs {expected} (z {z:.2})",
            fitted[i]
        );
    }
}
