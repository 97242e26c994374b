//! `custseg bench kmeans`: K-Means on a seeded synthetic matrix of Gaussian blobs.

use std::io::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use clap::Args;
use custseg_ml::kmeans::KMeansParams;
use ndarray::ArrayView2;

use crate::timing::best_and_median;

/// `custseg bench kmeans`.
#[derive(Debug, Args)]
pub struct KmeansArgs {
    /// Rows of the matrix.
    #[arg(long, default_value_t = 1_000_000)]
    pub rows: usize,
    /// Columns of the matrix.
    #[arg(long, default_value_t = 15)]
    pub columns: usize,
    /// Blobs the rows are drawn from.
    #[arg(long, default_value_t = 8)]
    pub blobs: usize,
    /// Clusters to fit.
    #[arg(long, default_value_t = 8)]
    pub k: usize,
    /// `k-means++` or `random`.
    #[arg(long, default_value = "k-means++")]
    pub init: String,
    /// Restarts.
    #[arg(long, default_value_t = 1)]
    pub n_init: usize,
    /// Iterations per restart at most.
    #[arg(long, default_value_t = 300)]
    pub max_iter: usize,
    /// Seed of the matrix and the fit.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Timed repetitions (the fastest and the median are reported).
    #[arg(long, default_value_t = 3)]
    pub repeat: usize,
    /// Also write the matrix as raw little-endian f64, row-major, for a side-by-side run.
    #[arg(long)]
    pub dump: Option<PathBuf>,
}

/// Runs `custseg bench kmeans` and prints one JSON object.
pub fn run(args: &KmeansArgs) -> Result<()> {
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
    let (best, median) = best_and_median(seconds);
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
