//! The parameter intervals are honest: on panels simulated from known BG/NBD parameters, the
//! nominal 90 % intervals contain the truth in about 90 % of panels.

use custseg_clv::bgnbd::{self, FitOptions};
use custseg_clv::summary::CustomerSummary;
use custseg_clv::uncertainty::parameter_intervals;
use custseg_datagen::simulate_bgnbd;

#[test]
fn ninety_percent_parameter_intervals_cover_the_truth_in_85_to_95_percent_of_200_panels() {
    // The CDNOW fit, in weeks; each panel is a cohort observed up to 39 weeks, as CDNOW's.
    let truth = [0.243, 4.414, 0.793, 2.426];
    let panels = 200;
    let mut covered = [0usize; 4];
    let mut fitted_panels = 0;
    for panel in 0..panels {
        let customers = simulate_bgnbd(
            3_000,
            (truth[0], truth[1], truth[2], truth[3]),
            39.0,
            1_000 + panel,
        )
        .expect("valid parameters");
        let summaries: Vec<CustomerSummary> = customers
            .iter()
            .enumerate()
            .map(|(i, c)| CustomerSummary::history(i as i64, c.x, c.t_x, c.t))
            .collect();
        let fit = bgnbd::fit(&summaries, &FitOptions::default()).expect("the panel fits");
        let Some(covariance) = &fit.covariance else {
            panic!("panel {panel}: no covariance ({:?})", fit.warnings);
        };
        fitted_panels += 1;
        let theta = [fit.params.r, fit.params.alpha, fit.params.a, fit.params.b];
        for (i, interval) in parameter_intervals(&theta, covariance, 0.9)
            .iter()
            .enumerate()
        {
            covered[i] += usize::from(interval.low <= truth[i] && truth[i] <= interval.high);
        }
    }
    assert_eq!(fitted_panels, panels);
    for (name, count) in ["r", "alpha", "a", "b"].iter().zip(covered) {
        let share = count as f64 / panels as f64;
        println!("{name}: {:.1} % of {panels} panels", 100.0 * share);
        assert!(
            (0.85..=0.95).contains(&share),
            "{name}: the 90 % interval held the truth in {:.1} % of panels",
            100.0 * share
        );
    }
}

#[test]
fn ninety_percent_predictive_intervals_of_the_holdout_total_cover_it_in_85_to_95_percent() {
    use custseg_clv::purchase_model::PurchaseModel;
    use custseg_clv::uncertainty::predictive::total_purchases;
    use custseg_clv::uncertainty::purchase_draws;
    use custseg_datagen::simulate_bgnbd_with_holdout;
    // Cohorts of 2,000 observed up to 39 weeks and followed 39 weeks more, as CDNOW.
    let truth = (0.243, 4.414, 0.793, 2.426);
    let panels = 200;
    let mut covered = 0;
    let mut widths = Vec::new();
    for panel in 0..panels {
        let simulated =
            simulate_bgnbd_with_holdout(2_000, truth, 39.0, 39.0, 5_000 + panel).unwrap();
        let summaries: Vec<CustomerSummary> = simulated
            .iter()
            .enumerate()
            .map(|(i, (c, _))| CustomerSummary::history(i as i64, c.x, c.t_x, c.t))
            .collect();
        let actual: f64 = simulated.iter().map(|(_, later)| later).sum();
        let fit = bgnbd::fit(&summaries, &FitOptions::default()).unwrap();
        let covariance = fit.covariance.as_ref().expect("a covariance");
        let draws =
            purchase_draws(&PurchaseModel::BgNbd(fit.params), covariance, 200, panel).unwrap();
        let total = total_purchases(&draws, 0.9, &summaries, 39.0, panel)
            .expect("BG/NBD draws")
            .unwrap();
        covered += usize::from(total.interval.low <= actual && actual <= total.interval.high);
        widths.push((total.interval.high - total.interval.low) / total.mean);
    }
    let share = covered as f64 / panels as f64;
    let mean_width = widths.iter().sum::<f64>() / widths.len() as f64;
    println!(
        "holdout total: {:.1} % of {panels} panels covered; mean width {:.1} % of the mean",
        100.0 * share,
        100.0 * mean_width
    );
    assert!(
        (0.85..=0.95).contains(&share),
        "the 90 % predictive interval held the holdout total in {:.1} % of panels",
        100.0 * share
    );
}
