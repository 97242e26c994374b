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
