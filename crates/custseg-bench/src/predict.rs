//! `custseg bench predict`: the work one `POST /predict` request cannot do without, timed
//! in-process: reading every instance of its body and scoring them (the Isolation Forest's
//! walk, scaling, PCA and the nearest centroid).
//!
//! What the server adds on top (HTTP, the answer's JSON, the prediction log, the drift
//! counters) is left out on purpose, so the figure is a floor: no server of this model,
//! however its HTTP side is built, spends less CPU per request on this machine. Dividing the
//! machine's cores by it gives the ceiling of requests per second, load generator not counted.
//! `bench/serve_bench.py` prints that ceiling beside what `custseg serve` reaches under wrk.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, anyhow, bail};
use clap::Args;
use custseg_model::ModelFile;
use custseg_model::predict::DESCRIPTIVE_COLUMNS;
use custseg_pipeline::model_stage::read_model;
use custseg_serve::instances::parse;
use ndarray::Array2;

/// `custseg bench predict`.
#[derive(Debug, Args)]
pub struct PredictArgs {
    /// Model file (`out/model/model.json`).
    #[arg(long)]
    pub model: PathBuf,
    /// A request body as a client POSTs it: `{"instances": [...]}`.
    #[arg(long)]
    pub body: PathBuf,
    /// Timed repetitions (the fastest and the median are reported). Many, because a request
    /// takes milliseconds and the first few hundred run on a cold cache and a slow clock.
    #[arg(long, default_value_t = 300)]
    pub repeat: usize,
    /// Threads the scoring may use (1: the CPU time of one request).
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
}

/// Runs `custseg bench predict` and prints one JSON object.
pub fn run(args: &PredictArgs) -> Result<()> {
    let model = read_model(&args.model)?;
    let body = fs_err::read(&args.body)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads.max(1))
        .build()?;
    let mut timings = Timings::default();
    let mut outliers = 0;
    let mut instances = 0;
    for _ in 0..args.repeat.max(1) {
        let (repetition, outcome) = pool
            .install(|| time_one_request(&model, &body))
            .with_context(|| format!("`{}`", args.body.display()))?;
        timings.push(repetition);
        (instances, outliers) = outcome;
    }
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let floor = timings.best(|t| t.parse + t.score);
    println!(
        "{}",
        serde_json::json!({
            "benchmark": "predict", "instances": instances, "body_bytes": body.len(),
            "features": model.features.len(),
            "trees": model.outliers.as_ref().map_or(0, |forest| forest.trees().len()),
            "threads": args.threads.max(1), "repeat": args.repeat.max(1),
            "parse_ms": timings.summary(|t| t.parse),
            "outlier_scores_ms": timings.summary(|t| t.outlier_scores),
            "score_ms": timings.summary(|t| t.score),
            "floor_ms": floor * 1e3,
            "cores": cores,
            "ceiling_requests_per_second": cores as f64 / floor,
            "outliers": outliers,
        })
    );
    Ok(())
}

/// Seconds of each part of one request.
#[derive(Debug, Clone, Copy)]
struct Repetition {
    /// Reading the body into rows of numbers.
    parse: f64,
    /// The Isolation Forest's scores alone (also part of `score`).
    outlier_scores: f64,
    /// Everything a prediction needs: outlier scores, scaling, PCA, nearest centroid.
    score: f64,
}

/// Parses and scores `body` once; returns the timings, the instances and how many were
/// outliers.
fn time_one_request(model: &ModelFile, body: &[u8]) -> Result<(Repetition, (usize, usize))> {
    let clock = Instant::now();
    let request = parse(body, &model.features, &DESCRIPTIVE_COLUMNS, usize::MAX)
        .map_err(|error| anyhow!("{}", error.message))?;
    let rows = request.rows.len();
    if rows == 0 {
        bail!("the body holds no instance");
    }
    let flat: Vec<f64> = request.rows.into_iter().flatten().collect();
    let x = Array2::from_shape_vec((rows, model.features.len()), flat)?;
    let parse_seconds = clock.elapsed().as_secs_f64();

    let clock = Instant::now();
    if let Some(forest) = &model.outliers {
        std::hint::black_box(forest.score_samples(x.view())?);
    }
    let outlier_scores = clock.elapsed().as_secs_f64();

    let clock = Instant::now();
    let predictions = model.predict_matrix(x.view())?;
    let score = clock.elapsed().as_secs_f64();
    let outliers = predictions.iter().filter(|p| p.outlier).count();
    Ok((
        Repetition {
            parse: parse_seconds,
            outlier_scores,
            score,
        },
        (rows, outliers),
    ))
}

/// The repetitions' timings.
#[derive(Debug, Default)]
struct Timings(Vec<Repetition>);

impl Timings {
    fn push(&mut self, repetition: Repetition) {
        self.0.push(repetition);
    }

    /// The fastest repetition's value of `part`, in seconds.
    fn best(&self, part: impl Fn(&Repetition) -> f64) -> f64 {
        self.0.iter().map(part).fold(f64::INFINITY, f64::min)
    }

    /// `{"best": .., "median": ..}` of `part`, in milliseconds.
    fn summary(&self, part: impl Fn(&Repetition) -> f64) -> serde_json::Value {
        let mut values: Vec<f64> = self.0.iter().map(part).collect();
        values.sort_by(f64::total_cmp);
        serde_json::json!({
            "best": values[0] * 1e3,
            "median": values[values.len() / 2] * 1e3,
        })
    }
}
