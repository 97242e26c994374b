//! Compares the two ways of refitting K-Means on a bootstrap resample: on the resample's rows
//! repeated as drawn, and on its distinct rows counted (`KMeansParams::fit_weighted`, what the
//! search's stability uses). Prints the mean, standard deviation and minimum of the adjusted
//! Rand index with the fit on all rows, over the same resamples, both ways.
//!
//! ```sh
//! custseg bench search --features out/features/customer_features.parquet --repeat 1 --dump /tmp/search.f64
//! cargo run --release -p custseg-ml --example bootstrap_counted -- /tmp/search.f64 8 7 100
//! ```
//! Arguments: the dumped matrix (little-endian f64, row-major), its number of columns, k, and
//! the number of resamples.
#![expect(clippy::unwrap_used, reason = "a measurement script: fail loudly")]

use custseg_ml::kmeans::{Init, KMeansParams};
use custseg_ml::metrics::adjusted_rand_index;
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn main() {
    let arguments: Vec<String> = std::env::args().collect();
    let bytes = std::fs::read(&arguments[1]).unwrap();
    let width: usize = arguments[2].parse().unwrap();
    let k: usize = arguments[3].parse().unwrap();
    let resamples: u64 = arguments[4].parse().unwrap();
    let values: Vec<f64> = bytes
        .chunks_exact(8)
        .map(|chunk| f64::from_le_bytes(chunk.try_into().unwrap()))
        .collect();
    let n = values.len() / width;
    let x = Array2::from_shape_vec((n, width), values).unwrap();
    let params = KMeansParams {
        init: Init::KMeansPlusPlus,
        ..KMeansParams::new(k)
    };
    let chosen = params.fit(x.view()).unwrap();
    let (mut repeated_scores, mut counted_scores) = (Vec::new(), Vec::new());
    for resample in 0..resamples {
        let mut rng = ChaCha8Rng::seed_from_u64(1000 + resample);
        let rows: Vec<usize> = (0..n).map(|_| rng.random_range(0..n)).collect();
        let repeated = Array2::from_shape_fn((n, width), |(i, j)| x[[rows[i], j]]);
        let mut drawn = vec![0u32; n];
        for &row in &rows {
            drawn[row] += 1;
        }
        let distinct: Vec<usize> = (0..n).filter(|&i| drawn[i] > 0).collect();
        let counts: Vec<u32> = distinct.iter().map(|&i| drawn[i]).collect();
        let sample = Array2::from_shape_fn((distinct.len(), width), |(i, j)| x[[distinct[i], j]]);
        let refit = KMeansParams {
            seed: resample + 1,
            ..params.clone()
        };
        let on_repeated = refit.fit(repeated.view()).unwrap();
        let on_counted = refit.fit_weighted(sample.view(), &counts).unwrap();
        for (model, scores) in [
            (on_repeated, &mut repeated_scores),
            (on_counted, &mut counted_scores),
        ] {
            let (labels, _) = model.predict(x.view()).unwrap();
            scores.push(adjusted_rand_index(&chosen.labels, &labels).unwrap());
        }
    }
    for (name, scores) in [("repeated", repeated_scores), ("counted", counted_scores)] {
        let count = scores.len() as f64;
        let mean = scores.iter().sum::<f64>() / count;
        let sd = (scores.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / (count - 1.0)).sqrt();
        let min = scores.iter().copied().fold(f64::INFINITY, f64::min);
        println!("{name:>8} rows: mean ARI {mean:.3}, sd {sd:.3}, min {min:.3}");
    }
}
