//! `custseg bench clv` and `custseg bench clv-simulated`: lifetime-value fits and scoring,
//! on a real summary or on customers simulated from the BG/NBD process.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use clap::Args;
use custseg_clv::summary::CustomerSummary;
use custseg_pipeline::tables::read_customer_table;

use crate::timing::{best_and_median, peak_rss_mib};

/// `custseg bench clv`.
#[derive(Debug, Args)]
pub struct ClvArgs {
    /// Summary written by `custseg clv` (`out/clv/summary.parquet`).
    #[arg(long)]
    pub summary: PathBuf,
    /// Timed repetitions.
    #[arg(long, default_value_t = 5)]
    pub repeat: usize,
}

/// `custseg bench clv-simulated`.
#[derive(Debug, Args)]
pub struct ClvSimulatedArgs {
    /// Customers to simulate.
    #[arg(long, default_value_t = 1_000_000)]
    pub customers: usize,
    /// The parameters simulated: r, alpha, a, b (default: the CDNOW fit, in weeks).
    #[arg(long, value_delimiter = ',', default_value = "0.243,4.414,0.793,2.426")]
    pub truth: Vec<f64>,
    /// Longest observation, in the parameters' time unit (customers' T are uniform up to it).
    #[arg(long, default_value_t = 78.0)]
    pub max_t: f64,
    /// Random seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Timed repetitions.
    #[arg(long, default_value_t = 3)]
    pub repeat: usize,
    /// Also write the simulated summary here (Parquet), for a peer to fit the same customers.
    #[arg(long)]
    pub dump: Option<PathBuf>,
}

/// Runs `custseg bench clv` and prints one JSON object.
pub fn run(args: &ClvArgs) -> Result<()> {
    use custseg_clv::summary::TimeUnit;
    let columns: Vec<String> = ["frequency", "recency", "T", "monetary_value"]
        .iter()
        .map(|c| (*c).to_owned())
        .collect();
    let (read, _) = read_customer_table(&args.summary, &columns)?;
    let column = |name: &str| read.column(name).map(<[f64]>::to_vec).unwrap_or_default();
    let (frequency, recency, t, monetary) = (
        column("frequency"),
        column("recency"),
        column("T"),
        column("monetary_value"),
    );
    let summaries: Vec<CustomerSummary> = (0..read.len())
        .map(|i| CustomerSummary {
            customer: read.customer_ids[i],
            frequency: frequency[i],
            recency: recency[i],
            t: t[i],
            monetary_value: monetary[i],
            holdout_purchases: 0.0,
            holdout_spend: 0.0,
        })
        .collect();
    let options = custseg_clv::bgnbd::FitOptions::default();
    let clv = custseg_clv::clv::ClvOptions::default();
    let mut fits = Vec::new();
    let mut totals = Vec::new();
    let mut last = None;
    for _ in 0..args.repeat.max(1) {
        let clock = Instant::now();
        let purchases = custseg_clv::bgnbd::fit(&summaries, &options)?;
        let spend = custseg_clv::gamma_gamma::fit(&summaries, &options)?;
        let fitted = clock.elapsed().as_secs_f64();
        let mut total = 0.0;
        for s in &summaries {
            total += custseg_clv::clv::predict(
                &custseg_clv::purchase_model::PurchaseModel::BgNbd(purchases.params),
                &spend.params,
                s,
                TimeUnit::Days,
                &clv,
            )?
            .clv;
        }
        fits.push(fitted);
        totals.push(clock.elapsed().as_secs_f64());
        last = Some((purchases, spend, total));
    }
    let (purchases, spend, total) = last.expect("at least one repetition");
    let (fit_best, fit_median) = best_and_median(fits);
    let (best, median) = best_and_median(totals);
    println!(
        "{}",
        serde_json::json!({
            "benchmark": "clv", "customers": summaries.len(),
            "fit_best_seconds": fit_best, "fit_median_seconds": fit_median,
            "fit_and_score_best_seconds": best, "fit_and_score_median_seconds": median,
            "bg_nbd": purchases.params, "gamma_gamma": spend.params, "clv_total": total,
        })
    );
    Ok(())
}

/// Runs `custseg bench clv-simulated` and prints one JSON object.
pub fn run_simulated(args: &ClvSimulatedArgs) -> Result<()> {
    let [r, alpha, a, b] = args.truth[..] else {
        anyhow::bail!("`--truth` takes four numbers: r,alpha,a,b");
    };
    let clock = Instant::now();
    let simulated =
        custseg_datagen::simulate_bgnbd(args.customers, (r, alpha, a, b), args.max_t, args.seed)
            .map_err(|e| anyhow::anyhow!("simulation: {e}"))?;
    let summaries: Vec<CustomerSummary> = simulated
        .iter()
        .enumerate()
        .map(|(i, c)| CustomerSummary::history(i as i64, c.x, c.t_x, c.t))
        .collect();
    drop(simulated);
    let simulate_seconds = clock.elapsed().as_secs_f64();
    if let Some(path) = &args.dump {
        let column = |f: fn(&CustomerSummary) -> f64| -> arrow::array::ArrayRef {
            std::sync::Arc::new(arrow::array::Float64Array::from_iter_values(
                summaries.iter().map(f),
            ))
        };
        let batch = arrow::array::RecordBatch::try_from_iter([
            ("frequency", column(|s| s.frequency)),
            ("recency", column(|s| s.recency)),
            ("T", column(|s| s.t)),
        ])?;
        let mut writer = parquet::arrow::ArrowWriter::try_new(
            fs_err::File::create(path)?,
            batch.schema(),
            None,
        )?;
        writer.write(&batch)?;
        writer.close()?;
    }
    let memory_before_fit = peak_rss_mib();
    let options = custseg_clv::bgnbd::FitOptions::default();
    let (mut fits, mut scores, mut last) = (Vec::new(), Vec::new(), None);
    for _ in 0..args.repeat.max(1) {
        let clock = Instant::now();
        let fit = custseg_clv::bgnbd::fit(&summaries, &options)?;
        fits.push(clock.elapsed().as_secs_f64());
        let clock = Instant::now();
        let mut expected = 0.0;
        let mut alive = 0.0;
        for s in &summaries {
            alive += fit.params.p_alive(s);
            expected += fit.params.expected_purchases(s, args.max_t / 2.0)?;
        }
        scores.push(clock.elapsed().as_secs_f64());
        last = Some((fit, alive, expected));
    }
    let (fit, alive, expected) = last.expect("at least one repetition");
    let fitted = [fit.params.r, fit.params.alpha, fit.params.a, fit.params.b];
    let relative_errors: Vec<f64> = fitted
        .iter()
        .zip([r, alpha, a, b])
        .map(|(f, t)| (f - t).abs() / t)
        .collect();
    let (fit_best, fit_median) = best_and_median(fits);
    let (score_best, score_median) = best_and_median(scores);
    println!(
        "{}",
        serde_json::json!({
            "benchmark": "clv_simulated", "customers": summaries.len(),
            "repeat_customers": summaries.iter().filter(|s| s.frequency > 0.0).count(),
            "simulate_seconds": simulate_seconds,
            "fit_best_seconds": fit_best, "fit_median_seconds": fit_median,
            "score_best_seconds": score_best, "score_median_seconds": score_median,
            "truth": {"r": r, "alpha": alpha, "a": a, "b": b},
            "fitted": fit.params, "standard_errors": fit.standard_errors,
            "relative_errors": relative_errors,
            "max_relative_error": relative_errors.iter().fold(0.0f64, |m, e| m.max(*e)),
            "converged": fit.converged, "iterations": fit.iterations,
            "mean_p_alive": alive / summaries.len() as f64, "expected_purchases_total": expected,
            "peak_rss_mib_before_fit": memory_before_fit, "peak_rss_mib": peak_rss_mib(),
        })
    );
    Ok(())
}
