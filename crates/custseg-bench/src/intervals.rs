//! `custseg bench clv-intervals`: the whole uncertainty path at scale. Customers simulated
//! from the BG/NBD purchase process and the Gamma-Gamma spend process; timed: both fits with
//! their standard errors, then every customer's 90 % intervals of P(alive), expected
//! purchases, spend and 12-month CLV from parameter draws.
//!
//! The simulated times are put on a day grid (t_x and T in whole days, in weeks), as every
//! summary made from dated transactions is; `--continuous` keeps them as drawn.

use std::time::Instant;

use anyhow::{Result, bail};
use clap::Args;
use custseg_clv::bgnbd::{self, FitOptions};
use custseg_clv::clv::ClvOptions;
use custseg_clv::gamma_gamma;
use custseg_clv::purchase_model::PurchaseModel;
use custseg_clv::summary::{CustomerSummary, TimeUnit};
use custseg_clv::uncertainty::{UncertaintyOptions, parameter_draws};

use crate::timing::peak_rss_mib;

/// `custseg bench clv-intervals`.
#[derive(Debug, Args)]
pub struct IntervalsArgs {
    /// Customers to simulate.
    #[arg(long, default_value_t = 1_000_000)]
    pub customers: usize,
    /// The purchase parameters simulated: r, alpha, a, b (default: the CDNOW fit, in weeks).
    #[arg(long, value_delimiter = ',', default_value = "0.243,4.414,0.793,2.426")]
    pub truth: Vec<f64>,
    /// The spend parameters simulated: p, q, gamma (default: the CDNOW fit).
    #[arg(long, value_delimiter = ',', default_value = "6.25,3.74,15.44")]
    pub spend: Vec<f64>,
    /// Longest observation, in weeks (customers' T are uniform up to it).
    #[arg(long, default_value_t = 78.0)]
    pub max_t: f64,
    /// Parameter draws behind the intervals.
    #[arg(long, default_value_t = 200)]
    pub draws: usize,
    /// Coverage of the intervals.
    #[arg(long, default_value_t = 0.9)]
    pub level: f64,
    /// Random seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Keep the simulated times continuous instead of on a day grid.
    #[arg(long)]
    pub continuous: bool,
}

/// Runs `custseg bench clv-intervals` and prints one JSON object.
pub fn run(args: &IntervalsArgs) -> Result<()> {
    let ([r, alpha, a, b], [p, q, gamma]) = (
        <[f64; 4]>::try_from(&args.truth[..])
            .map_err(|_| anyhow::anyhow!("`--truth` takes r,alpha,a,b"))?,
        <[f64; 3]>::try_from(&args.spend[..])
            .map_err(|_| anyhow::anyhow!("`--spend` takes p,q,gamma"))?,
    );
    let simulated =
        custseg_datagen::simulate_bgnbd(args.customers, (r, alpha, a, b), args.max_t, args.seed)
            .map_err(|e| anyhow::anyhow!("simulation: {e}"))?;
    let repeats: Vec<f64> = simulated.iter().map(|c| c.x).collect();
    let spends =
        custseg_datagen::simulate_gamma_gamma_spend(&repeats, (p, q, gamma), args.seed + 1)
            .map_err(|e| anyhow::anyhow!("simulation: {e}"))?;
    let summaries: Vec<CustomerSummary> = simulated
        .iter()
        .zip(&spends)
        .enumerate()
        .map(|(i, (c, spend))| {
            let (t_x, t) = if args.continuous {
                (c.t_x, c.t)
            } else {
                let t = (c.t * 7.0).ceil() / 7.0;
                ((c.t_x * 7.0).round().min(t * 7.0) / 7.0, t)
            };
            CustomerSummary {
                monetary_value: *spend,
                ..CustomerSummary::history(i as i64, c.x, t_x, t)
            }
        })
        .collect();
    drop((simulated, repeats, spends));
    let memory_before = peak_rss_mib();
    let options = FitOptions::default();

    let clock = Instant::now();
    let purchase = bgnbd::fit(&summaries, &options)?;
    let purchase_seconds = clock.elapsed().as_secs_f64();
    let clock = Instant::now();
    let spend = gamma_gamma::fit(&summaries, &options)?;
    let spend_seconds = clock.elapsed().as_secs_f64();
    let (Some(purchase_covariance), Some(spend_covariance)) =
        (&purchase.covariance, &spend.covariance)
    else {
        bail!(
            "no covariance: {:?} {:?}",
            purchase.warnings,
            spend.warnings
        );
    };
    let clock = Instant::now();
    let draws = parameter_draws(
        &PurchaseModel::BgNbd(purchase.params),
        purchase_covariance,
        &spend.params,
        spend_covariance,
        &UncertaintyOptions {
            level: args.level,
            draws: args.draws,
            ..UncertaintyOptions::default()
        },
    )?;
    let (intervals, totals) =
        draws.intervals_of_all(&summaries, None, TimeUnit::Weeks, &ClvOptions::default())?;
    let interval_seconds = clock.elapsed().as_secs_f64();
    let mean_relative_width = intervals
        .iter()
        .map(|i| {
            let middle = (i.clv.high + i.clv.low) / 2.0;
            if middle > 0.0 {
                (i.clv.high - i.clv.low) / middle
            } else {
                0.0
            }
        })
        .sum::<f64>()
        / intervals.len() as f64;
    println!(
        "{}",
        serde_json::json!({
            "benchmark": "clv_intervals", "customers": summaries.len(),
            "threads": rayon::current_num_threads(), "draws": args.draws, "level": args.level,
            "bg_nbd_fit_seconds": purchase_seconds, "gamma_gamma_fit_seconds": spend_seconds,
            "intervals_seconds": interval_seconds,
            "total_seconds": purchase_seconds + spend_seconds + interval_seconds,
            "bg_nbd": purchase.params, "bg_nbd_standard_errors": purchase.standard_errors,
            "gamma_gamma": spend.params, "gamma_gamma_standard_errors": spend.standard_errors,
            "total_clv_interval": totals.clv,
            "mean_relative_clv_interval_width": mean_relative_width,
            "peak_rss_mib_before_fit": memory_before, "peak_rss_mib": peak_rss_mib(),
        })
    );
    Ok(())
}
