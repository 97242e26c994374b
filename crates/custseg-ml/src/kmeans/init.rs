//! Starting centroids: greedy k-means++ and random rows.

use rand::Rng;
use rand::seq::index;
use rayon::prelude::*;

use super::algorithm::{ROWS_PER_CHUNK, squared_distance};

/// Greedy k-means++ as scikit-learn does it: the first centroid is a uniform random row; each
/// next one is the best of `2 + ln k` candidates drawn with probability proportional to the
/// squared distance to the nearest centroid so far, "best" meaning the lowest total potential.
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
    let mut closest: Vec<f64> = distances_to(data, width, row(first));
    let mut potential: f64 = closest.iter().sum();

    for _ in 1..k {
        // Cumulative sums for inverse-CDF sampling.
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
        let mut best: Option<(f64, usize, Vec<f64>)> = None;
        for candidate in candidates {
            let mut distances = distances_to(data, width, row(candidate));
            distances
                .iter_mut()
                .zip(&closest)
                .for_each(|(d, c)| *d = d.min(*c));
            let candidate_potential: f64 = distances.iter().sum();
            if best
                .as_ref()
                .is_none_or(|(p, _, _)| candidate_potential < *p)
            {
                best = Some((candidate_potential, candidate, distances));
            }
        }
        if let Some((best_potential, index, distances)) = best {
            potential = best_potential;
            closest = distances;
            centers.extend_from_slice(row(index));
        }
    }
    centers
}

/// `k` distinct rows, uniformly.
pub(super) fn random_rows(data: &[f64], width: usize, k: usize, rng: &mut impl Rng) -> Vec<f64> {
    let n = data.len() / width;
    let mut picked = index::sample(rng, n, k).into_vec();
    // Keep the draw order: it is the centroid order.
    let mut centers = Vec::with_capacity(k * width);
    for i in picked.drain(..) {
        centers.extend_from_slice(&data[i * width..(i + 1) * width]);
    }
    centers
}

fn distances_to(data: &[f64], width: usize, point: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; data.len() / width];
    out.par_chunks_mut(ROWS_PER_CHUNK)
        .zip(data.par_chunks(ROWS_PER_CHUNK * width))
        .for_each(|(out, rows)| {
            for (d, row) in out.iter_mut().zip(rows.chunks_exact(width)) {
                *d = squared_distance(row, point);
            }
        });
    out
}
