//! Starting centroids: greedy k-means++ and random rows.

use rand::Rng;
use rand::seq::index;
use rayon::prelude::*;

use super::algorithm::{CHUNKS_PER_TASK, ROWS_PER_CHUNK};
use crate::distance::{TransposedCenters, squared_distance};

/// Greedy k-means++ as scikit-learn does it: the first centroid is a uniform random row; each
/// next one is the best of `2 + ln k` candidates drawn with probability proportional to the
/// squared distance to the nearest centroid so far, "best" meaning the lowest total potential.
/// The candidates of a round are measured together, in one pass over the rows.
pub(super) fn kmeans_plus_plus(
    data: &[f64],
    width: usize,
    k: usize,
    rng: &mut impl Rng,
) -> Vec<f64> {
    let n = data.len() / width;
    let row = |i: usize| &data[i * width..(i + 1) * width];
    let trials = 2 + (k as f64).ln() as usize;
    let mut centers = Vec::with_capacity(k * width);
    let first = rng.random_range(0..n);
    centers.extend_from_slice(row(first));
    let mut closest: Vec<f64> = vec![0.0; n];
    closest
        .par_chunks_mut(ROWS_PER_CHUNK)
        .zip(data.par_chunks(ROWS_PER_CHUNK * width))
        .with_min_len(CHUNKS_PER_TASK)
        .for_each(|(out, rows)| {
            for (d, r) in out.iter_mut().zip(rows.chunks_exact(width)) {
                *d = squared_distance(r, row(first));
            }
        });
    let mut potential: f64 = closest.iter().sum();

    for _ in 1..k {
        // Inverse-CDF sampling over the running sum of squared distances.
        let mut cumulative = Vec::with_capacity(n);
        let mut running = 0.0;
        for d in &closest {
            running += d;
            cumulative.push(running);
        }
        let candidates: Vec<usize> = (0..trials)
            .map(|_| {
                let target = rng.random::<f64>() * potential;
                cumulative.partition_point(|c| *c < target).min(n - 1)
            })
            .collect();
        let candidate_rows: Vec<f64> = candidates.iter().flat_map(|&c| row(c).to_vec()).collect();
        let transposed = TransposedCenters::new(&candidate_rows, width);
        // Per chunk: each candidate's potential (sum of the new nearest distances).
        let potentials: Vec<Vec<f64>> = closest
            .par_chunks(ROWS_PER_CHUNK)
            .zip(data.par_chunks(ROWS_PER_CHUNK * width))
            .with_min_len(CHUNKS_PER_TASK)
            .map(|(closest, rows)| {
                let mut sums = vec![0.0; trials];
                let mut scratch = vec![0.0; transposed.scratch_len()];
                for (c, r) in closest.iter().zip(rows.chunks_exact(width)) {
                    transposed.squared_distances(r, &mut scratch);
                    for (s, d) in sums.iter_mut().zip(&scratch) {
                        *s += d.min(*c);
                    }
                }
                sums
            })
            .collect();
        let totals: Vec<f64> = (0..trials)
            .map(|t| potentials.iter().map(|p| p[t]).sum())
            .collect();
        let best = (0..trials).fold(0, |best, t| if totals[t] < totals[best] { t } else { best });
        potential = totals[best];
        let chosen = row(candidates[best]).to_vec();
        closest
            .par_chunks_mut(ROWS_PER_CHUNK)
            .zip(data.par_chunks(ROWS_PER_CHUNK * width))
            .with_min_len(CHUNKS_PER_TASK)
            .for_each(|(closest, rows)| {
                for (c, r) in closest.iter_mut().zip(rows.chunks_exact(width)) {
                    *c = c.min(squared_distance(r, &chosen));
                }
            });
        centers.extend_from_slice(&chosen);
    }
    centers
}

/// `k` distinct rows, uniformly.
pub(super) fn random_rows(data: &[f64], width: usize, k: usize, rng: &mut impl Rng) -> Vec<f64> {
    let n = data.len() / width;
    let picked = index::sample(rng, n, k).into_vec();
    // Keep the draw order: it is the centroid order.
    let mut centers = Vec::with_capacity(k * width);
    for i in picked {
        centers.extend_from_slice(&data[i * width..(i + 1) * width]);
    }
    centers
}
