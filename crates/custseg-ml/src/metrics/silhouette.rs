//! Silhouette coefficient for one or many labelings of the same rows.
//!
//! The silhouette of row `i` is `(b - a) / max(a, b)`, where `a` is its mean distance to the
//! other rows of its cluster and `b` the lowest mean distance to the rows of another cluster
//! (0 for a row alone in its cluster); the score is the mean over rows. Exact scoring is
//! quadratic in the rows, so beyond [`SilhouetteOptions::exact_max_rows`] rows a seeded
//! uniform sample is scored instead (as scikit-learn's `sample_size` does) and a 95 %
//! confidence interval for the mean is reported.
//!
//! Many labelings are scored in one pass: each distance is computed once and added to the
//! per-cluster sums of every labeling, so scoring the 18 candidates of a search costs one
//! distance computation, not 18. Rows are scored [`LANES`] at a time, their sums side by side,
//! so that the additions, which cost more than the distances, run as vector operations.

use ndarray::ArrayView2;
use rand::SeedableRng;
use rand::seq::index;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::labels::check;
use crate::error::{Error, Result, check_matrix};
use crate::kmeans::squared_distance;

/// Rows scored together: their distance sums per cluster are added as one vector.
const LANES: usize = 8;

/// When to score exactly and how to sample otherwise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SilhouetteOptions {
    /// Score all rows exactly up to this many rows.
    pub exact_max_rows: usize,
    /// Rows sampled beyond that.
    pub sample_size: usize,
    /// Seed of the sample.
    pub seed: u64,
}

impl Default for SilhouetteOptions {
    fn default() -> Self {
        Self {
            exact_max_rows: 10_000,
            sample_size: 10_000,
            seed: 0,
        }
    }
}

/// A silhouette score and how it was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SilhouetteScore {
    /// Mean silhouette over the scored rows, in `[-1, 1]`.
    pub mean: f64,
    /// Rows scored.
    pub rows_scored: usize,
    /// Whether the rows were a sample.
    pub sampled: bool,
    /// 95 % confidence interval of the mean (normal approximation over the sampled rows'
    /// silhouettes); `None` when exact.
    pub ci95: Option<(f64, f64)>,
}

/// Exact silhouette score of one labeling.
pub fn silhouette_score(x: ArrayView2<'_, f64>, labels: &[usize]) -> Result<f64> {
    let options = SilhouetteOptions {
        exact_max_rows: usize::MAX,
        ..SilhouetteOptions::default()
    };
    Ok(silhouette_scores(x, &[labels], &options)?[0].mean)
}

/// Silhouette scores of several labelings of the rows of `x`, sharing the distance work.
pub fn silhouette_scores(
    x: ArrayView2<'_, f64>,
    labelings: &[&[usize]],
    options: &SilhouetteOptions,
) -> Result<Vec<SilhouetteScore>> {
    check_matrix(x, None)?;
    let n = x.nrows();
    let width = x.ncols();
    let mut checked = Vec::with_capacity(labelings.len());
    for labels in labelings {
        checked.push(check(n, labels)?);
    }
    let sampled = n > options.exact_max_rows;
    let rows: Vec<usize> = if sampled {
        if options.sample_size < 2 {
            return Err(Error::parameter("sample_size", "must be at least 2"));
        }
        let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
        let mut rows = index::sample(&mut rng, n, options.sample_size.min(n)).into_vec();
        rows.sort_unstable();
        rows
    } else {
        (0..n).collect()
    };
    let m = rows.len();
    let data = x.as_standard_layout();
    let data: Vec<f64> = rows.iter().flat_map(|&r| data.row(r).to_vec()).collect();

    // Relabel densely within the scored rows (a sample may miss a cluster entirely).
    let count = labelings.len();
    let mut offsets = Vec::with_capacity(count);
    let mut sizes: Vec<Vec<f64>> = Vec::with_capacity(count);
    let mut interleaved = vec![0u32; m * count];
    let mut total_clusters = 0;
    for (c, (labels, _)) in checked.iter().enumerate() {
        let picked: Vec<usize> = rows.iter().map(|&r| labels[r]).collect();
        let (dense, k) = super::labels::dense(&picked);
        let mut size = vec![0.0; k];
        for (j, label) in dense.iter().enumerate() {
            size[*label] += 1.0;
            interleaved[j * count + c] = (total_clusters + label) as u32;
        }
        offsets.push(total_clusters);
        total_clusters += k;
        sizes.push(size);
    }

    const ROWS_PER_TASK: usize = 32;
    let partials: Vec<(Vec<f64>, Vec<f64>)> = (0..m)
        .collect::<Vec<_>>()
        .par_chunks(ROWS_PER_TASK)
        .map(|chunk| {
            let mut distances = vec![[0.0; LANES]; m];
            let mut sums = vec![[0.0; LANES]; total_clusters];
            let mut total = vec![0.0; count];
            let mut total_squares = vec![0.0; count];
            for group in chunk.chunks(LANES) {
                // Each lane is one row of the group; a short last group leaves lanes unused.
                for (lane, &i) in group.iter().enumerate() {
                    let row = &data[i * width..(i + 1) * width];
                    for (j, d) in distances.iter_mut().enumerate() {
                        d[lane] = squared_distance(row, &data[j * width..(j + 1) * width]).sqrt();
                    }
                }
                sums.iter_mut().for_each(|s| *s = [0.0; LANES]);
                // The group's rows share every label lookup and their sums are added as one
                // vector: per row of the table and labeling, one vector addition instead of
                // one scattered addition per scored row. Each scored row's sums still add its
                // distances in the same order, so every score is the same to the bit.
                for (d, labels) in distances.iter().zip(interleaved.chunks_exact(count)) {
                    for label in labels {
                        let sum = &mut sums[*label as usize];
                        for lane in 0..LANES {
                            sum[lane] += d[lane];
                        }
                    }
                }
                for (lane, &i) in group.iter().enumerate() {
                    for c in 0..count {
                        let own = interleaved[i * count + c] as usize;
                        let own_size = sizes[c][own - offsets[c]];
                        let value = if own_size <= 1.0 {
                            0.0
                        } else {
                            let a = sums[own][lane] / (own_size - 1.0);
                            let b = sizes[c]
                                .iter()
                                .enumerate()
                                .filter(|(k, _)| offsets[c] + k != own)
                                .map(|(k, size)| sums[offsets[c] + k][lane] / size)
                                .fold(f64::INFINITY, f64::min);
                            let denominator = a.max(b);
                            if denominator > 0.0 && b.is_finite() {
                                (b - a) / denominator
                            } else {
                                0.0
                            }
                        };
                        total[c] += value;
                        total_squares[c] += value * value;
                    }
                }
            }
            (total, total_squares)
        })
        .collect();

    let mut scores = Vec::with_capacity(count);
    for c in 0..count {
        let sum: f64 = partials.iter().map(|(t, _)| t[c]).sum();
        let squares: f64 = partials.iter().map(|(_, s)| s[c]).sum();
        let mean = sum / m as f64;
        let ci95 = sampled.then(|| {
            let variance = ((squares - m as f64 * mean * mean) / (m as f64 - 1.0)).max(0.0);
            let half = 1.96 * (variance / m as f64).sqrt();
            (mean - half, mean + half)
        });
        scores.push(SilhouetteScore {
            mean,
            rows_scored: m,
            sampled,
            ci95,
        });
    }
    Ok(scores)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn hand_computed_value() {
        // Row 0 (x=0): a = 2, b = mean(10, 14) = 12 -> 10/12. Row 1 (x=2): a = 2, b = 10 -> 0.8.
        // Row 2 (x=10): a = 4, b = mean(10, 8) = 9 -> 5/9. Row 3 (x=14): a = 4, b = 13 -> 9/13.
        let x = array![[0.0], [2.0], [10.0], [14.0]];
        let expected = (10.0 / 12.0 + 0.8 + 5.0 / 9.0 + 9.0 / 13.0) / 4.0;
        let score = silhouette_score(x.view(), &[0, 0, 1, 1]).unwrap();
        assert!((score - expected).abs() < 1e-15, "{score} vs {expected}");
    }

    #[test]
    fn many_labelings_equal_one_at_a_time() {
        let x = array![
            [0.0, 1.0],
            [2.0, 0.0],
            [10.0, 3.0],
            [14.0, 1.0],
            [7.0, 7.0],
            [1.0, 9.0]
        ];
        let a = [0, 0, 1, 1, 2, 2];
        let b = [0, 1, 0, 1, 0, 1];
        let options = SilhouetteOptions::default();
        let together = silhouette_scores(x.view(), &[&a, &b], &options).unwrap();
        assert_eq!(together[0].mean, silhouette_score(x.view(), &a).unwrap());
        assert_eq!(together[1].mean, silhouette_score(x.view(), &b).unwrap());
    }

    #[test]
    fn singleton_clusters_score_zero() {
        let x = array![[0.0], [1.0], [50.0]];
        let score = silhouette_score(x.view(), &[0, 0, 1]).unwrap();
        // Row 2 is alone: 0. Rows 0 and 1: a = 1, b = 50 or 49.
        let expected = ((49.0 / 50.0) + (48.0 / 49.0)) / 3.0;
        assert!((score - expected).abs() < 1e-15);
    }

    #[test]
    fn sampled_score_reports_an_interval_around_the_exact_one() {
        let mut rows = Vec::new();
        for i in 0..400 {
            let blob = (i % 3) as f64 * 10.0;
            rows.extend([
                blob + (i as f64 * 0.37).sin(),
                blob + (i as f64 * 0.11).cos(),
            ]);
        }
        let x = ndarray::Array2::from_shape_vec((400, 2), rows).unwrap();
        let labels: Vec<usize> = (0..400).map(|i| i % 3).collect();
        let exact = silhouette_score(x.view(), &labels).unwrap();
        let options = SilhouetteOptions {
            exact_max_rows: 100,
            sample_size: 200,
            seed: 7,
        };
        let sampled = silhouette_scores(x.view(), &[&labels], &options).unwrap()[0];
        assert!(sampled.sampled);
        assert_eq!(sampled.rows_scored, 200);
        let (low, high) = sampled.ci95.unwrap();
        assert!(low <= sampled.mean && sampled.mean <= high);
        assert!(
            (sampled.mean - exact).abs() < 0.05,
            "{} vs {exact}",
            sampled.mean
        );
    }

    #[test]
    fn one_cluster_is_refused() {
        let x = array![[0.0], [1.0], [2.0]];
        assert!(silhouette_score(x.view(), &[0, 0, 0]).is_err());
    }
}
