//! `custseg bench`: times algorithms in-process, for the benchmark scripts under `bench/`,
//! which run the Python baselines side by side. Prints one JSON object per benchmark.

use std::io::Write as _;
use std::time::Instant;

use anyhow::Result;
use custseg_clv::summary::CustomerSummary;
use custseg_ml::kmeans::KMeansParams;
use custseg_ml::pca::Pca;
use custseg_ml::scaling::Scaler;
use custseg_ml::search::search;
use ndarray::{ArrayView2, Axis};

use crate::cli::{
    BenchClvArgs, BenchClvSimulatedArgs, BenchCommand, BenchKmeansArgs, BenchSearchArgs,
};
use crate::settings::Settings;
use custseg_pipeline::model_stage::training_columns;
use custseg_pipeline::tables::read_customer_table;

/// Runs a benchmark.
pub fn run(command: &BenchCommand, settings: &Settings) -> Result<()> {
    match command {
        BenchCommand::Kmeans(args) => kmeans(args),
        BenchCommand::Search(args) => search_bench(args, settings),
        BenchCommand::Clv(args) => clv_bench(args),
        BenchCommand::ClvSimulated(args) => clv_simulated_bench(args),
        BenchCommand::Predict(args) => super::bench_predict::run(args),
        BenchCommand::Drift(args) => super::bench_drift::run(args),
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

/// Peak resident memory of this process so far (`VmHWM`), in MiB; `None` off Linux.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn clv_simulated_bench(args: &BenchClvSimulatedArgs) -> Result<()> {
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
    let (fit_best, fit_median) = summary(fits);
    let (score_best, score_median) = summary(scores);
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
