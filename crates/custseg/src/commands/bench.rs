//! `custseg bench`: times algorithms in-process, for the benchmark scripts under `bench/`,
//! which run the Python baselines side by side. Prints one JSON object per benchmark.

use std::io::Write as _;
use std::time::Instant;

use anyhow::Result;
use custseg_ml::kmeans::KMeansParams;
use custseg_ml::pca::Pca;
use custseg_ml::scaling::Scaler;
use custseg_ml::search::search;
use ndarray::{ArrayView2, Axis};

use super::model_stage::training_columns;
use crate::cli::{BenchClvArgs, BenchCommand, BenchKmeansArgs, BenchSearchArgs};
use crate::settings::Settings;
use crate::tables::read_customer_table;

/// Runs a benchmark.
pub fn run(command: &BenchCommand, settings: &Settings) -> Result<()> {
    match command {
        BenchCommand::Kmeans(args) => kmeans(args),
        BenchCommand::Search(args) => search_bench(args, settings),
        BenchCommand::Clv(args) => clv_bench(args),
    }
}

fn summary(mut seconds: Vec<f64>) -> (f64, f64) {
    seconds.sort_by(f64::total_cmp);
    (seconds[0], seconds[seconds.len() / 2])
}

fn kmeans(args: &BenchKmeansArgs) -> Result<()> {
    let data = custseg_datagen::gaussian_blobs(args.rows, args.columns, args.blobs, args.seed);
    if let Some(path) = &args.dump {
        let mut file = std::io::BufWriter::new(fs_err::File::create(path)?);
        for value in &data {
            file.write_all(&value.to_le_bytes())?;
        }
        file.flush()?;
    }
    let x = ArrayView2::from_shape((args.rows, args.columns), &data)?;
    let params = KMeansParams {
        k: args.k,
        init: args.init.parse()?,
        n_init: args.n_init,
        max_iter: args.max_iter,
        tol: 1e-4,
        seed: args.seed,
    };
    let mut seconds = Vec::new();
    let mut last = None;
    for _ in 0..args.repeat.max(1) {
        let clock = Instant::now();
        last = Some(params.fit(x)?);
        seconds.push(clock.elapsed().as_secs_f64());
    }
    let model = last.expect("at least one repetition");
    let (best, median) = summary(seconds);
    println!(
        "{}",
        serde_json::json!({
            "benchmark": "kmeans", "rows": args.rows, "columns": args.columns, "k": args.k,
            "init": args.init, "n_init": args.n_init, "max_iter": args.max_iter,
            "threads": rayon::current_num_threads(),
            "best_seconds": best, "median_seconds": median,
            "inertia": model.inertia, "n_iter": model.n_iter,
        })
    );
    Ok(())
}

fn search_bench(args: &BenchSearchArgs, settings: &Settings) -> Result<()> {
    let config = &settings.model;
    let (table, _) = read_customer_table(&args.features, &training_columns(config))?;
    let x = table.matrix(&config.features)?;
    // The same preparation as training: outliers out, scaled, reduced.
    let forest = config.outliers.params().fit(x.view())?;
    let flags = forest.predict(x.view())?;
    let rows: Vec<usize> = (0..x.nrows()).filter(|&i| !flags[i]).collect();
    let inliers = x.select(Axis(0), &rows);
    let scaled = Scaler::fit(config.scaling, inliers.view())?.transform(inliers.view())?;
    let reduced = Pca::fit(scaled.view(), config.pca.components())?.transform(scaled.view())?;
    if let Some(path) = &args.dump {
        let mut file = std::io::BufWriter::new(fs_err::File::create(path)?);
        for value in reduced.iter() {
            file.write_all(&value.to_le_bytes())?;
        }
        file.flush()?;
    }
    let mut seconds = Vec::new();
    let mut chosen = 0;
    for _ in 0..args.repeat.max(1) {
        let clock = Instant::now();
        let outcome = search(reduced.view(), &config.search)?;
        seconds.push(clock.elapsed().as_secs_f64());
        chosen = outcome.candidates[outcome.chosen].k;
    }
    let (best, median) = summary(seconds);
    println!(
        "{}",
        serde_json::json!({
            "benchmark": "search", "rows": reduced.nrows(), "columns": reduced.ncols(),
            "candidates": (config.search.k_min..=config.search.k_max).count() * config.search.inits.len(),
            "n_init": config.search.n_init, "stability_bootstraps": config.search.stability_bootstraps,
            "threads": rayon::current_num_threads(),
            "best_seconds": best, "median_seconds": median, "chosen_k": chosen,
        })
    );
    Ok(())
}

fn clv_bench(args: &BenchClvArgs) -> Result<()> {
    use custseg_clv::summary::{CustomerSummary, TimeUnit};
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
    let (fit_best, fit_median) = summary(fits);
    let (best, median) = summary(totals);
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
