//! Times Isolation Forest scoring: a forest of the default settings (100 trees of 256 rows)
//! fitted on 4,000 seeded rows of 15 heavy-tailed features scores blocks of 1,000 of them, as
//! the prediction API does for a batch request.
//!
//! ```sh
//! RAYON_NUM_THREADS=1 cargo run --release -p custseg-ml --example isolation_scoring
//! ```
//! Prints microseconds per scored row and a checksum of the scores (equal across builds whose
//! scores are equal).

use custseg_ml::isolation_forest::IsolationForestParams;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (rows, width, block, repeats) = (4_000, 15, 1_000, 2_000);
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let values: Vec<f64> = (0..rows * width)
        .map(|i| {
            let scale = (i % width) as f64 + 1.0;
            let z: f64 = rng.random_range(-1.0..1.0);
            let far = if rng.random_bool(0.03) { 20.0 } else { 1.0 };
            z * z * z * scale * far
        })
        .collect();
    let x = ndarray::Array2::from_shape_vec((rows, width), values)?;
    let forest = IsolationForestParams::default().fit(x.view())?;
    let batch = x.slice_axis(ndarray::Axis(0), (0..block).into());
    let mut checksum: f64 = forest.score_samples(batch)?.iter().sum();
    let clock = std::time::Instant::now();
    for _ in 0..repeats {
        checksum += forest.score_samples(batch)?[7];
    }
    let per_row = clock.elapsed().as_secs_f64() / (repeats * block) as f64;
    println!(
        "{:.3} us per row, {block} rows a call, {} trees (checksum {checksum})",
        per_row * 1e6,
        forest.trees().len()
    );
    Ok(())
}
