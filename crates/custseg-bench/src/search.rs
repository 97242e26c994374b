//! `custseg bench search`: the model's K-Means search, with its scoring, on a customer
//! feature table prepared exactly as training prepares it.

use std::io::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use clap::Args;
use custseg_ml::pca::Pca;
use custseg_ml::scaling::Scaler;
use custseg_ml::search::search;
use custseg_model::ModelConfig;
use custseg_pipeline::model_stage::training_columns;
use custseg_pipeline::tables::read_customer_table;
use ndarray::Axis;

use crate::timing::best_and_median;

/// `custseg bench search`.
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Customer feature table.
    #[arg(long)]
    pub features: PathBuf,
    /// Timed repetitions.
    #[arg(long, default_value_t = 5)]
    pub repeat: usize,
    /// Also write the searched matrix (inliers, scaled, PCA-reduced) as raw little-endian f64,
    /// row-major, so a baseline can search exactly the same points.
    #[arg(long)]
    pub dump: Option<PathBuf>,
}

/// Runs `custseg bench search` with the model settings `config` and prints one JSON object.
pub fn run(args: &SearchArgs, config: &ModelConfig) -> Result<()> {
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
    let (best, median) = best_and_median(seconds);
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
