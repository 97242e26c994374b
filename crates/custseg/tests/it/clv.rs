//! `custseg clv`'s intervals: every customer's, the totals', and the ways to ask for them.

use custseg_pipeline::clv_stage::read_predictions;

use crate::cli::{custseg, demo_data, text};
use crate::model::shared_data;

fn model_json(path: &std::path::Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn clv_gives_every_customer_intervals_from_parameter_draws_or_the_bootstrap() {
    let dir = tempfile::tempdir().unwrap();
    let input = shared_data("online_retail.parquet");
    let input = input.to_str().unwrap();
    let clv = |out: &str, extra: &[&str]| {
        let mut argv = vec!["clv", "--input", input, "--out", out];
        argv.extend(extra);
        custseg(dir.path(), &argv)
    };

    // By default, on the real data: 90 % intervals from 200 parameter draws, around the
    // point predictions.
    let output = clv("out", &[]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(stdout.contains("BG/NBD     r "), "{stdout}");
    assert!(stdout.contains(" (se "), "{stdout}");
    assert!(
        stdout.contains("intervals  90 % from 200 parameter draws: total CLV "),
        "{stdout}"
    );
    assert!(stdout.contains("new        a new customer: "), "{stdout}");
    let model = model_json(&dir.path().join("out/clv/model.json"));
    assert_eq!(model["uncertainty"]["method"], "parameters");
    // A new customer: fewer purchases than the mean existing customer expects over the
    // same months is not required, but a positive value inside its interval is.
    let new = &model["new_customer"];
    let new_clv = new["clv"].as_f64().unwrap();
    assert!(
        new_clv > 0.0 && new["expected_purchases"].as_f64().unwrap() > 0.0,
        "{new}"
    );
    assert!(
        new["intervals"]["clv"]["low"].as_f64().unwrap() <= new_clv
            && new_clv <= new["intervals"]["clv"]["high"].as_f64().unwrap(),
        "{new}"
    );
    assert_eq!(
        model["uncertainty"]["purchase"].as_array().unwrap().len(),
        200
    );
    assert_eq!(model["bg_nbd"]["covariance"].as_array().unwrap().len(), 4);
    let rows = read_predictions(&dir.path().join("out/clv/predictions.parquet")).unwrap();
    let mut inside = 0;
    let mut total_clv = 0.0;
    for (customer, row) in &rows {
        let intervals = row
            .intervals
            .unwrap_or_else(|| panic!("customer {customer}"));
        for (value, interval) in [
            (row.p_alive, intervals.p_alive),
            (row.expected_purchases, intervals.expected_purchases),
            (row.expected_value, intervals.expected_value),
            (row.clv, intervals.clv),
        ] {
            assert!(interval.low <= interval.high, "customer {customer}");
            assert!(interval.low >= 0.0, "customer {customer}: {interval:?}");
            inside += usize::from(interval.low <= value && value <= interval.high);
        }
        assert!(intervals.p_alive.high <= 1.0);
        total_clv += row.clv;
    }
    // The point is a function of the estimates, the interval a spread over draws around
    // them: nearly always inside, though not by construction.
    assert!(
        inside as f64 >= 0.99 * 4.0 * rows.len() as f64,
        "{inside} of {}",
        4 * rows.len()
    );
    // Purchases to come with the customers' own randomness: wider than the parameters alone.
    let predictive = &model["predictive_purchases"]["interval"];
    let parameters_only = &model["total_intervals"]["expected_purchases"];
    let width = |i: &serde_json::Value| i["high"].as_f64().unwrap() - i["low"].as_f64().unwrap();
    assert!(
        width(predictive) > width(parameters_only),
        "{predictive} {parameters_only}"
    );
    let totals = &model["total_intervals"]["clv"];
    assert!(
        totals["low"].as_f64().unwrap() < total_clv && total_clv < totals["high"].as_f64().unwrap(),
        "{totals} vs {total_clv}"
    );

    // The bootstrap on request, at another level.
    let output = clv(
        "boot",
        &[
            "--intervals",
            "bootstrap",
            "--interval-draws",
            "40",
            "--interval-level",
            "0.5",
        ],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        text(&output.stdout).contains("intervals  50 % from 40 bootstrap resamples"),
        "{}",
        text(&output.stdout)
    );
    let boot = model_json(&dir.path().join("boot/clv/model.json"));
    assert_eq!(boot["uncertainty"]["method"], "bootstrap");
    assert_eq!(boot["uncertainty"]["level"], 0.5);
    // Refits differ from draw to draw; the draws are not the estimate repeated.
    let rs: Vec<f64> = boot["uncertainty"]["purchase"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["r"].as_f64().unwrap())
        .collect();
    assert!(rs.iter().any(|r| (r - rs[0]).abs() > 1e-6));

    // None: no interval columns, nothing in the model file.
    let output = clv("none", &["--intervals", "none"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let rows = read_predictions(&dir.path().join("none/clv/predictions.parquet")).unwrap();
    assert!(rows.iter().all(|(_, row)| row.intervals.is_none()));
    assert!(
        model_json(&dir.path().join("none/clv/model.json"))
            .get("uncertainty")
            .is_none()
    );

    // Bad settings: a clear error naming the setting, and nothing written.
    for (args, expected) in [
        (vec!["--interval-level", "1.5"], "interval_level"),
        (vec!["--interval-draws", "20"], "draws"),
        (
            vec!["--intervals", "jackknife"],
            "expected parameters, bootstrap or none",
        ),
    ] {
        let output = clv("bad", &args);
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        assert!(
            text(&output.stderr).contains(expected),
            "{args:?}: {}",
            text(&output.stderr)
        );
        assert!(!dir.path().join("bad").exists(), "{args:?}");
    }
}

#[test]
fn a_fit_without_standard_errors_says_so_and_writes_no_intervals() {
    // The small demo log has no dropout: BG/NBD's a runs to its bound, its Hessian is not
    // positive definite, and there is nothing to draw from.
    let dir = tempfile::tempdir().unwrap();
    demo_data(
        dir.path(),
        &["--rows", "40000", "--seed", "5", "--out", "demo.parquet"],
    );
    let output = custseg(
        dir.path(),
        &["clv", "--input", "demo.parquet", "--out", "out"],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("BG/NBD standard errors unavailable")
            && stderr.contains("no intervals: a fit has no standard errors"),
        "{stderr}"
    );
    let rows = read_predictions(&dir.path().join("out/clv/predictions.parquet")).unwrap();
    assert!(!rows.is_empty() && rows.iter().all(|(_, row)| row.intervals.is_none()));
}

#[test]
fn net_value_on_the_real_data_subtracts_returns_and_never_goes_below_zero() {
    let dir = tempfile::tempdir().unwrap();
    let input = shared_data("online_retail.parquet");
    let input = input.to_str().unwrap();
    let run = |out: &str, extra: &[&str]| {
        let mut argv = vec!["clv", "--input", input, "--out", out, "--intervals", "none"];
        argv.extend(extra);
        let output = custseg(dir.path(), &argv);
        assert!(output.status.success(), "{}", text(&output.stderr));
        output
    };
    run("gross", &[]);
    let output = run("net", &["--spend", "net"]);
    assert!(
        text(&output.stdout).contains("net of returns (customers kept "),
        "{}",
        text(&output.stdout)
    );
    let gross = read_predictions(&dir.path().join("gross/clv/predictions.parquet")).unwrap();
    let net = read_predictions(&dir.path().join("net/clv/predictions.parquet")).unwrap();
    assert_eq!(gross.len(), net.len());
    let (mut lower, mut total_gross, mut total_net) = (0, 0.0, 0.0);
    for ((customer, g), (same, n)) in gross.iter().zip(&net) {
        assert_eq!(customer, same);
        assert!(
            n.clv.is_finite() && n.clv >= 0.0,
            "customer {customer}: {}",
            n.clv
        );
        assert!(n.clv <= g.clv + 1e-9, "customer {customer}");
        // Returns change value, never the purchase model's numbers.
        assert_eq!(
            (n.p_alive, n.expected_purchases),
            (g.p_alive, g.expected_purchases)
        );
        lower += usize::from(n.clv < g.clv);
        total_gross += g.clv;
        total_net += n.clv;
    }
    // The log's 8,505 cancellation lines (of known customers, after cleaning) come from many
    // customers; net value is lower for them and the total drops by a few per cent.
    assert!(lower > 500, "{lower} customers with returns");
    let drop = 1.0 - total_net / total_gross;
    assert!((0.01..0.2).contains(&drop), "{drop}");
    let model = model_json(&dir.path().join("net/clv/model.json"));
    assert_eq!(model["spend"], "net");
    let share = model["population_kept_share"].as_f64().unwrap();
    assert!(share > 0.8 && share < 1.0, "{share}");
}

#[test]
fn covariates_on_the_real_data_are_fitted_tested_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let input = shared_data("online_retail.parquet");
    let input = input.to_str().unwrap();
    let output = custseg(
        dir.path(),
        &[
            "clv",
            "--input",
            input,
            "--out",
            "out",
            "--intervals",
            "none",
            "--covariates",
            "country,cohort",
        ],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("covariates Gamma-Gamma: spend:country "),
        "{stdout}"
    );
    let model = model_json(&dir.path().join("out/clv/model.json"));
    let spend = &model["covariates"]["gamma_gamma"];
    let names: Vec<&str> = spend["names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert_eq!(names, ["p", "q", "gamma", "spend:country", "spend:cohort"]);
    // Customers outside the United Kingdom spend more per purchase: a coefficient many
    // standard errors from 0, and the model with covariates is the better one.
    let (estimate, error) = (
        spend["estimates"][3].as_f64().unwrap(),
        spend["standard_errors"][3].as_f64().unwrap(),
    );
    assert!(estimate / error > 3.0, "{estimate} (se {error})");
    assert!(spend["test"]["p_value"].as_f64().unwrap() < 0.001);
    assert_eq!(spend["test"]["degrees_of_freedom"], 2);
    assert_eq!(
        model["covariates"]["bg_nbd"]["test"]["degrees_of_freedom"],
        6
    );
    // With almost no dropout on this data the dropout coefficients cannot be identified, and
    // the warning says so.
    assert!(
        text(&output.stderr).contains("ran off: the data cannot identify it"),
        "{}",
        text(&output.stderr)
    );
    let output = custseg(dir.path(), &["-q", "report", "--out", "out"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let page = std::fs::read_to_string(dir.path().join("out/report/index.html")).unwrap();
    assert!(page.contains("Covariates (country, cohort)"));

    let output = custseg(
        dir.path(),
        &[
            "clv",
            "--input",
            input,
            "--out",
            "bad",
            "--covariates",
            "age",
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("covariate `age`: expected one of country, cohort"),
        "{}",
        text(&output.stderr)
    );
}
