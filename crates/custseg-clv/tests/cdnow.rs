//! The published CDNOW results, reproduced from the raw transactions in
//! `../shared/data/cdnow/CDNOW_sample.txt` (facts in `../shared/data/README.md`): BG/NBD
//! (Fader, Hardie & Lee 2005, Marketing Science) and Gamma-Gamma (Fader, Hardie & Lee 2005, JMR).
#![expect(
    clippy::unwrap_used,
    reason = "test helpers fail loudly on broken fixtures"
)]

use chrono::{Datelike, NaiveDate};
use custseg_clv::bgnbd::{self, FitOptions};
use custseg_clv::summary::{CustomerSummary, Purchase, TimeUnit, summarize};
use custseg_clv::{gamma_gamma, pareto_nbd};

fn day(text: &str) -> i64 {
    i64::from(
        NaiveDate::parse_from_str(text, "%Y%m%d")
            .unwrap()
            .num_days_from_ce(),
    )
}

fn cdnow() -> Vec<CustomerSummary> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/cdnow/CDNOW_sample.txt");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|error| {
        panic!("reference data `{}` is missing ({error}): the tests expect the workplace's shared/ folder beside the repository", path.display())
    });
    let purchases: Vec<Purchase> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            Purchase {
                customer: fields[1].parse().unwrap(),
                day: day(fields[2]),
                amount: fields[4].parse().unwrap(),
            }
        })
        .collect();
    assert_eq!(purchases.len(), 6919);
    summarize(&purchases, day("19970930"), TimeUnit::Weeks).unwrap()
}

fn significant(value: f64, published: f64, digits: i32) -> bool {
    let scale = 10f64.powi(published.abs().log10().floor() as i32 - digits + 1);
    (value / scale).round() == (published / scale).round()
}

#[test]
fn summary_matches_the_published_facts() {
    let summary = cdnow();
    assert_eq!(summary.len(), 2357);
    assert_eq!(summary.iter().filter(|s| s.frequency > 0.0).count(), 946);
    let first = summary.iter().find(|s| s.customer == 1).unwrap();
    assert_eq!(first.frequency, 2.0);
    assert!((first.recency - 30.43).abs() < 0.005, "{}", first.recency);
    assert!((first.t - 38.86).abs() < 0.005, "{}", first.t);
}

#[test]
fn bgnbd_reproduces_the_published_fit() {
    let fit = bgnbd::fit(&cdnow(), &FitOptions::default()).unwrap();
    println!("{fit:#?}");
    let p = fit.params;
    assert!(significant(p.r, 0.243, 3), "r = {}", p.r);
    assert!(significant(p.alpha, 4.414, 3), "alpha = {}", p.alpha);
    assert!(significant(p.a, 0.793, 3), "a = {}", p.a);
    assert!(significant(p.b, 2.426, 3), "b = {}", p.b);
    assert!(
        (fit.log_likelihood - -9582.4).abs() < 0.05,
        "LL = {}",
        fit.log_likelihood
    );
    assert!(fit.converged, "{:?}", fit.warnings);
    let errors = fit.standard_errors.unwrap();
    assert!(errors.iter().all(|e| *e > 0.0 && e.is_finite()));
    assert!(fit.warnings.is_empty(), "{:?}", fit.warnings);
}

#[test]
fn gamma_gamma_reproduces_the_published_fit() {
    let fit = gamma_gamma::fit(&cdnow(), &FitOptions::default()).unwrap();
    println!("{fit:#?}");
    assert_eq!(fit.customers, 946);
    assert_eq!(fit.excluded, 2357 - 946);
    let p = fit.params;
    assert!(significant(p.p, 6.25, 3), "p = {}", p.p);
    assert!(significant(p.q, 3.74, 3), "q = {}", p.q);
    assert!(significant(p.gamma, 15.44, 4), "gamma = {}", p.gamma);
    assert!(fit.frequency_monetary_correlation.abs() < 0.3);
}

#[test]
fn pareto_nbd_reproduces_the_published_fit() {
    let summaries = cdnow();
    let fit = pareto_nbd::fit(&summaries, &FitOptions::default()).unwrap();
    println!("{fit:#?}");
    let p = fit.params;
    // Fader & Hardie (2005), "A Note on Deriving the Pareto/NBD Model and Related
    // Expressions", on this calibration sample: r 0.553, alpha 10.58, s 0.606, beta 11.67,
    // log-likelihood -9594.98.
    assert!(significant(p.r, 0.553, 3), "r = {}", p.r);
    assert!(significant(p.alpha, 10.58, 3), "alpha = {}", p.alpha);
    assert!(significant(p.s, 0.606, 3), "s = {}", p.s);
    assert!(significant(p.beta, 11.67, 3), "beta = {}", p.beta);
    assert!(
        (fit.log_likelihood - -9594.98).abs() < 0.05,
        "LL = {}",
        fit.log_likelihood
    );
    assert!(fit.converged, "{:?}", fit.warnings);
    let errors = fit.standard_errors.unwrap();
    assert!(
        errors.iter().all(|e| *e > 0.0 && e.is_finite()),
        "{errors:?}"
    );
    // BG/NBD fits this sample slightly better (-9582.4), as the BG/NBD paper reports.
    let bgnbd = bgnbd::fit(&summaries, &FitOptions::default()).unwrap();
    assert!(bgnbd.log_likelihood > fit.log_likelihood);
}

/// `value` within `tolerance` (relative) of `reference`.
fn near(value: f64, reference: f64, tolerance: f64) -> bool {
    ((value - reference) / reference).abs() <= tolerance
}

#[test]
fn pareto_nbd_standard_errors_match_clvtools() {
    // CLVTools' correctness tests on this sample: r 0.0476, alpha 0.843, s 0.187, beta 6.21.
    let fit = pareto_nbd::fit(&cdnow(), &FitOptions::default()).unwrap();
    let errors = fit.standard_errors.unwrap();
    for (name, (value, reference)) in ["r", "alpha", "s", "beta"]
        .iter()
        .zip(errors.iter().zip([0.0476, 0.843, 0.187, 6.21]))
    {
        assert!(
            near(*value, reference, 0.02),
            "{name}: {value} vs CLVTools' {reference}"
        );
    }
    assert!(near(fit.params.r, 0.553, 0.02) && near(fit.params.beta, 11.669, 0.02));
}

#[test]
fn bgnbd_covariance_matches_an_independent_numerical_hessian() {
    // tests/reference/bgnbd_hessian_reference.py: lifetimes' log-likelihood, maximised by
    // Nelder-Mead, and the inverse of its second differences.
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/bgnbd_cdnow_standard_errors.json");
    let reference: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let fit = bgnbd::fit(&cdnow(), &FitOptions::default()).unwrap();
    let errors = fit.standard_errors.unwrap();
    for (i, name) in ["r", "alpha", "a", "b"].iter().enumerate() {
        let expected = reference["standard_errors"][name].as_f64().unwrap();
        assert!(
            near(errors[i], expected, 0.01),
            "{name}: {} vs {expected}",
            errors[i]
        );
    }
    let covariance = fit.covariance.unwrap();
    for i in 0..4 {
        for j in 0..4 {
            let expected = reference["covariance"][i][j].as_f64().unwrap();
            let scale = (covariance[i][i] * covariance[j][j]).sqrt();
            assert!(
                (covariance[i][j] - expected).abs() <= 0.01 * scale,
                "covariance[{i}][{j}]: {} vs {expected}",
                covariance[i][j]
            );
        }
    }
}

#[test]
fn pareto_nbd_p_alive_stays_finite_where_an_earlier_clvtools_gave_nan() {
    // Heavy buyers observed almost to T under CLVTools' regression case.
    let model = pareto_nbd::ParetoNbd {
        r: 0.5143,
        alpha: 2.8845,
        s: 0.2856,
        beta: 14.1087,
    };
    for (x, t_x, t) in [
        (221.0, 103.43, 103.57),
        (254.0, 97.14, 97.29),
        (161.0, 94.71, 98.00),
        (204.0, 98.57, 99.43),
    ] {
        let alive = model
            .p_alive(&CustomerSummary::history(1, x, t_x, t))
            .unwrap();
        assert!(
            alive.is_finite() && (0.0..=1.0).contains(&alive),
            "({x}, {t_x}, {t}): {alive}"
        );
        let expected = model
            .expected_purchases(&CustomerSummary::history(1, x, t_x, t), 52.0)
            .unwrap();
        assert!(expected.is_finite() && expected > 0.0, "{expected}");
    }
}

#[test]
fn mbgnbd_reproduces_the_fit_pymc_marketing_checks_against_lifetimes() {
    // r 0.525, alpha 6.183, a 0.891, b 1.614 on this calibration sample.
    let fit = custseg_clv::mbgnbd::fit(&cdnow(), &FitOptions::default()).unwrap();
    println!("{fit:#?}");
    let p = fit.params;
    for (name, value, reference) in [
        ("r", p.r, 0.525),
        ("alpha", p.alpha, 6.183),
        ("a", p.a, 0.891),
        ("b", p.b, 1.614),
    ] {
        assert!(
            near(value, reference, 0.005),
            "{name}: {value} vs {reference}"
        );
    }
    assert!(fit.converged, "{:?}", fit.warnings);
    let errors = fit.standard_errors.unwrap();
    assert!(
        errors.iter().all(|e| *e > 0.0 && e.is_finite()),
        "{errors:?}"
    );
}

#[test]
fn the_scorecard_puts_every_model_on_the_same_39_week_holdout() {
    use custseg_clv::purchase_model::PurchaseModel;
    use custseg_clv::scorecard::{Scorecard, Split, score_model, score_naive};
    let summaries = cdnow();
    let options = FitOptions::default();
    let bg = bgnbd::fit(&summaries, &options).unwrap();
    let pareto = pareto_nbd::fit(&summaries, &options).unwrap();
    let mbg = custseg_clv::mbgnbd::fit(&summaries, &options).unwrap();
    let spend = gamma_gamma::fit(&summaries, &options).unwrap().params;
    let split = Split {
        calibration_end: NaiveDate::from_ymd_opt(1997, 9, 30).unwrap(),
        holdout_length: 39.0,
        customers: summaries.len(),
        holdout_purchases: summaries.iter().map(|s| s.holdout_purchases).sum(),
    };
    let mut card = Scorecard::new(split.clone());
    for (model, ll) in [
        (PurchaseModel::BgNbd(bg.params), bg.log_likelihood),
        (
            PurchaseModel::ParetoNbd(pareto.params),
            pareto.log_likelihood,
        ),
        (PurchaseModel::MbgNbd(mbg.params), mbg.log_likelihood),
    ] {
        card.push(score_model(&model, ll, &spend, &split, &summaries).unwrap())
            .unwrap();
    }
    card.push(score_naive(&split, &summaries)).unwrap();
    for row in &card.rows {
        println!(
            "{:<11} MAE {:.4} RMSE {:.4} predicted {:.0} ({:+.1} %) Brier {:?} Spearman {:.3} Gini {:.3} top decile {:.3}",
            row.model,
            row.mae,
            row.rmse,
            row.predicted_total,
            100.0 * row.total_error_share,
            row.brier.map(|b| (b * 1e4).round() / 1e4),
            row.spearman,
            row.normalised_gini,
            row.top_decile_capture
        );
    }
    let row = |name: &str| card.rows.iter().find(|r| r.model == name).unwrap();
    // Every model beats carrying the calibration rate forward, per customer and in total.
    for model in ["bg_nbd", "pareto_nbd", "mbg_nbd"] {
        assert!(row(model).mae < row("naive").mae, "{model}");
        assert!(row(model).rmse < row("naive").rmse, "{model}");
        assert!(
            row(model).total_error_share.abs() < row("naive").total_error_share.abs(),
            "{model}"
        );
    }
    // BG/NBD counts every one-time buyer alive, and most of them do not come back: its P(alive)
    // scores far worse than MBG/NBD's and Pareto/NBD's, which let them go.
    assert!(row("bg_nbd").brier.unwrap() > 2.0 * row("mbg_nbd").brier.unwrap());
    assert!(row("bg_nbd").brier.unwrap() > 2.0 * row("pareto_nbd").brier.unwrap());
    // The conditional expectation summed over customers and the actual holdout, against
    // tests/reference/bgnbd_hessian_reference.py (lifetimes' formula in numpy/scipy at its own
    // fit): 1,653.4 predicted against 1,882 actual.
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/bgnbd_cdnow_standard_errors.json");
    let reference: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let expected = reference["holdout_expected_purchases"].as_f64().unwrap();
    assert!(
        (row("bg_nbd").predicted_total - expected).abs() < 0.05,
        "{expected}"
    );
    assert_eq!(
        card.split.holdout_purchases,
        reference["holdout_purchases"].as_f64().unwrap()
    );
}
