//! Seeded synthetic matrices for clustering benchmarks and tests.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal};

/// A `rows x columns` matrix, row-major, of `centers` Gaussian blobs: centres drawn uniformly
/// in `[-10, 10]` per column, unit standard deviation around them, rows assigned to blobs in
/// turn. The same arguments give the same numbers.
pub fn gaussian_blobs(rows: usize, columns: usize, centers: usize, seed: u64) -> Vec<f64> {
    let mut rng = SmallRng::seed_from_u64(seed);
    let centres: Vec<f64> = (0..centers.max(1) * columns)
        .map(|_| rng.random_range(-10.0..10.0))
        .collect();
    let noise = Normal::new(0.0, 1.0).expect("unit normal is valid");
    let mut data = Vec::with_capacity(rows * columns);
    for row in 0..rows {
        let blob = row % centers.max(1);
        for column in 0..columns {
            data.push(centres[blob * columns + column] + noise.sample(&mut rng));
        }
    }
    data
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_are_seeded_and_sized() {
        let a = gaussian_blobs(100, 3, 4, 1);
        assert_eq!(a.len(), 300);
        assert_eq!(a, gaussian_blobs(100, 3, 4, 1));
        assert_ne!(a, gaussian_blobs(100, 3, 4, 2));
    }
}
