//! Lloyd's iterations accelerated with Hamerly's bounds (G. Hamerly, "Making k-means even
//! faster", SDM 2010).
//!
//! Each row keeps an upper bound on the distance to its assigned centroid and a lower bound on
//! the distance to every other centroid. After centroids move, the bounds are loosened by the
//! movement; a row whose upper bound stays below both its lower bound and half the distance
//! from its centroid to the nearest other centroid cannot change cluster and is skipped. The
//! labels and centroids of every iteration are those of plain Lloyd (the bounds only skip
//! distance computations whose outcome is known), so results match [`super::lloyd`]; late
//! iterations, where few rows move, cost a fraction of a full pass.

use rayon::prelude::*;

use crate::distance::TransposedCenters;

use super::algorithm::{
    CHUNKS_PER_TASK, KMeans, ROWS_PER_CHUNK, finish, relocate_empty_clusters, squared_distance,
};

/// Runs Lloyd's algorithm with Hamerly's bounds from `centers` (`k x width`, row-major).
/// Stopping rules as in [`super::lloyd`].
pub(crate) fn hamerly_on(
    data: &[f64],
    width: usize,
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
        let changed: bool = data
            .par_chunks(ROWS_PER_CHUNK * width)
            .zip(labels.par_chunks_mut(ROWS_PER_CHUNK))
            .zip(upper.par_chunks_mut(ROWS_PER_CHUNK))
            .zip(lower.par_chunks_mut(ROWS_PER_CHUNK))
            .with_min_len(CHUNKS_PER_TASK)
            .map(|(((rows, labels), upper), lower)| {
                let mut changed = false;
                let mut scratch = vec![0.0; transposed.scratch_len()];
                for (((row, label), u), l) in rows
                    .chunks_exact(width)
                    .zip(labels.iter_mut())
                    .zip(upper.iter_mut())
                    .zip(lower.iter_mut())
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
                        changed = true;
                        *label = nearest;
                    }
                    *u = first;
                    *l = second;
                }
                changed
            })
            .reduce(|| false, |a, b| a || b);

        // New centroids: means of the rows per label (summed in a fixed order).
        let partials: Vec<(Vec<f64>, Vec<usize>)> = data
            .par_chunks(ROWS_PER_CHUNK * width)
            .zip(labels.par_chunks(ROWS_PER_CHUNK))
            .with_min_len(CHUNKS_PER_TASK)
            .map(|(rows, labels)| {
                let mut sums = vec![0.0; k * width];
                let mut counts = vec![0usize; k];
                for (row, &label) in rows.chunks_exact(width).zip(labels) {
                    counts[label] += 1;
                    sums[label * width..(label + 1) * width]
                        .iter_mut()
                        .zip(row)
                        .for_each(|(s, v)| *s += v);
                }
                (sums, counts)
            })
            .collect();
        let mut sums = vec![0.0; k * width];
        let mut counts = vec![0usize; k];
        for (partial_sums, partial_counts) in partials {
            sums.iter_mut()
                .zip(&partial_sums)
                .for_each(|(t, p)| *t += p);
            counts
                .iter_mut()
                .zip(&partial_counts)
                .for_each(|(t, p)| *t += p);
        }
        relocate_empty_clusters(data, width, &centers, &labels, &mut sums, &mut counts);
        let mut new_centers = centers.clone();
        for cluster in 0..k {
            if counts[cluster] > 0 {
                let count = counts[cluster] as f64;
                for j in 0..width {
                    new_centers[cluster * width + j] = sums[cluster * width + j] / count;
                }
            }
        }
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
    finish(data, width, centers, labels, strict, iterations, converged)
}
