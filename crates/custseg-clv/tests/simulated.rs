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
        .map(|(i, c)| CustomerSummary {
            customer: i as i64,
            frequency: c.x,
            recency: c.t_x,
            t: c.t,
            monetary_value: 0.0,
            holdout_purchases: 0.0,
            holdout_spend: 0.0,
        })
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
