//! Lloyd's iterations accelerated with Hamerly's bounds (G. Hamerly, "Making k-means even
//! faster", SDM 2010).
//!
//! Each row keeps an upper bound on the distance to its assigned centroid and a lower bound on
//! the distance to every other centroid. After centroids move, the bounds are loosened by the
//! movement; a row whose upper bound stays below both its lower bound and half the distance
//! from its centroid to the nearest other centroid cannot change cluster and is skipped. The
//! labels of every iteration are those of plain Lloyd (the bounds only skip distance
//! computations whose outcome is known). The per-cluster sums are kept from one iteration to
//! the next and only the rows that changed cluster are moved between them, so the centroids
//! equal plain Lloyd's up to rounding (about 1e-15 relative); late iterations, where few rows
//! move, cost a fraction of a full pass.

use rayon::prelude::*;

use crate::distance::TransposedCenters;

use super::algorithm::{
    CHUNKS_PER_TASK, KMeans, ROWS_PER_CHUNK, cluster_means, finish, relocate_empty_clusters,
    squared_distance,
};

/// Runs Lloyd's algorithm with Hamerly's bounds from `centers` (`k x width`, row-major),
/// row `i` counting `weights[i]` times (1 for an ordinary fit).
/// Stopping rules as in [`super::lloyd`].
pub(crate) fn hamerly_on(
    data: &[f64],
    width: usize,
    weights: &[u32],
    mut centers: Vec<f64>,
    max_iter: usize,
    tolerance: f64,
) -> KMeans {
    let n = data.len() / width;
    let k = centers.len() / width;
    let mut labels = vec![usize::MAX; n];
    let mut upper = vec![f64::INFINITY; n];
    let mut lower = vec![0.0; n];
    let mut strict = false;
    let mut converged = false;
    let mut iterations = 0;
    // Per-cluster sums and counts of the rows under their current labels.
    let mut running_sums = vec![0.0; k * width];
    let mut running_counts = vec![0usize; k];
    for _ in 0..max_iter {
        iterations += 1;
        // Half the distance from each centroid to its nearest neighbour centroid.
        let half_gap: Vec<f64> = (0..k)
            .map(|a| {
                (0..k)
                    .filter(|&b| b != a)
                    .map(|b| {
                        squared_distance(
                            &centers[a * width..(a + 1) * width],
                            &centers[b * width..(b + 1) * width],
                        )
                        .sqrt()
                    })
                    .fold(f64::INFINITY, f64::min)
                    / 2.0
            })
            .collect();
        let transposed = TransposedCenters::new(&centers, width);
        // Each chunk returns how its rows' moves change the per-cluster sums and counts:
        // only rows that changed cluster contribute, so late iterations, where few rows
        // move, no longer add up every row again.
        let deltas: Vec<Moves> = data
            .par_chunks(ROWS_PER_CHUNK * width)
            .zip(labels.par_chunks_mut(ROWS_PER_CHUNK))
            .zip(upper.par_chunks_mut(ROWS_PER_CHUNK))
            .zip(lower.par_chunks_mut(ROWS_PER_CHUNK))
            .zip(weights.par_chunks(ROWS_PER_CHUNK))
            .with_min_len(CHUNKS_PER_TASK)
            .map(|((((rows, labels), upper), lower), weights)| {
                let mut moves = Moves::default();
                let mut scratch = vec![0.0; transposed.scratch_len()];
                for ((((row, label), u), l), &weight) in rows
                    .chunks_exact(width)
                    .zip(labels.iter_mut())
                    .zip(upper.iter_mut())
                    .zip(lower.iter_mut())
                    .zip(weights)
                {
                    if *label != usize::MAX {
                        let bound = half_gap[*label].max(*l);
                        if *u <= bound {
                            continue;
                        }
                        *u = squared_distance(row, &centers[*label * width..(*label + 1) * width])
                            .sqrt();
                        if *u <= bound {
                            continue;
                        }
                    }
                    let (nearest, first, second) = transposed.two_nearest(row, &mut scratch);
                    let (first, second) = (first.sqrt(), second.sqrt());
                    if nearest != *label {
                        moves.record(row, weight, *label, nearest, k);
                        *label = nearest;
                    }
                    *u = first;
                    *l = second;
                }
                moves
            })
            .collect();
        let mut changed = false;
        for moves in deltas {
            changed |= moves.apply(&mut running_sums, &mut running_counts);
        }

        // New centroids: means of the rows per label. The running sums are copied because
        // an empty cluster's relocation below only steers this iteration's centroids; the
        // labels, which the running sums follow, stay as assigned.
        let mut sums = running_sums.clone();
        let mut counts = running_counts.clone();
        relocate_empty_clusters(
            data,
            width,
            weights,
            &centers,
            &labels,
            &mut sums,
            &mut counts,
        );
        let new_centers = cluster_means(&centers, width, &sums, &counts);
        let shift = squared_distance(&centers, &new_centers);

        // Loosen the bounds by how far the centroids moved.
        let moved: Vec<f64> = (0..k)
            .map(|c| {
                squared_distance(
                    &centers[c * width..(c + 1) * width],
                    &new_centers[c * width..(c + 1) * width],
                )
                .sqrt()
            })
            .collect();
        let (mut largest, mut runner_up, mut largest_index) = (0.0_f64, 0.0_f64, 0);
        for (c, m) in moved.iter().enumerate() {
            if *m > largest {
                runner_up = largest;
                largest = *m;
                largest_index = c;
            } else if *m > runner_up {
                runner_up = *m;
            }
        }
        upper
            .par_chunks_mut(ROWS_PER_CHUNK)
            .zip(lower.par_chunks_mut(ROWS_PER_CHUNK))
            .zip(labels.par_chunks(ROWS_PER_CHUNK))
            .with_min_len(CHUNKS_PER_TASK)
            .for_each(|((upper, lower), labels)| {
                for ((u, l), &label) in upper.iter_mut().zip(lower.iter_mut()).zip(labels) {
                    *u += moved[label];
                    *l -= if label == largest_index {
                        runner_up
                    } else {
                        largest
                    };
                }
            });
        centers = new_centers;
        if !changed {
            strict = true;
            converged = true;
            break;
        }
        if shift <= tolerance {
            converged = true;
            break;
        }
    }
    finish(
        data, width, weights, centers, labels, strict, iterations, converged,
    )
}

/// How one chunk's rows that changed cluster change the per-cluster sums and counts: each
/// moved row is subtracted from its old cluster and added to its new one. Chunks are applied
/// in order, so the result does not depend on the number of threads. Both vectors stay empty
/// until a row moves.
#[derive(Default)]
struct Moves {
    sums: Vec<f64>,
    counts: Vec<i64>,
}

impl Moves {
    /// Records that `row`, counting `weight` times, moved from cluster `from` (`usize::MAX`:
    /// no cluster yet) to `to`.
    fn record(&mut self, row: &[f64], weight: u32, from: usize, to: usize, k: usize) {
        let width = row.len();
        if self.counts.is_empty() {
            self.sums = vec![0.0; k * width];
            self.counts = vec![0; k];
        }
        let times = f64::from(weight);
        if from != usize::MAX {
            self.counts[from] -= i64::from(weight);
            self.sums[from * width..(from + 1) * width]
                .iter_mut()
                .zip(row)
                .for_each(|(s, v)| *s -= v * times);
        }
        self.counts[to] += i64::from(weight);
        self.sums[to * width..(to + 1) * width]
            .iter_mut()
            .zip(row)
            .for_each(|(s, v)| *s += v * times);
    }

    /// Adds the recorded changes to the running totals; returns whether any row moved.
    fn apply(self, sums: &mut [f64], counts: &mut [usize]) -> bool {
        if self.counts.is_empty() {
            return false;
        }
        sums.iter_mut().zip(&self.sums).for_each(|(t, d)| *t += d);
        let width = sums.len() / counts.len().max(1);
        for (cluster, (total, delta)) in counts.iter_mut().zip(&self.counts).enumerate() {
            *total = total.wrapping_add_signed(*delta as isize);
            if *total == 0 {
                // An emptied cluster restarts from an exact zero, not a rounding residue.
                sums[cluster * width..(cluster + 1) * width].fill(0.0);
            }
        }
        true
    }
}
