//! Starting centroids: greedy k-means++ and random rows.

use rand::Rng;
use rand::seq::index;
use rayon::prelude::*;

use super::algorithm::{CHUNKS_PER_TASK, ROWS_PER_CHUNK};
use crate::distance::{TransposedCenters, squared_distance};

/// Greedy k-means++ as scikit-learn does it: the first centroid is a uniform random row; each
/// next one is the best of `2 + ln k` candidates drawn with probability proportional to the
/// squared distance to the nearest centroid so far, "best" meaning the lowest total potential.
/// The candidates of a round are measured together, in one pass over the rows. Row `i`
/// counts `weights[i]` times: it is drawn, and weighs in the potential, that many times over.
pub(super) fn kmeans_plus_plus(
    data: &[f64],
    width: usize,
    weights: &[u32],
    k: usize,
    rng: &mut impl Rng,
) -> Vec<f64> {
    let n = data.len() / width;
    let row = |i: usize| &data[i * width..(i + 1) * width];
    let trials = 2 + (k as f64).ln() as usize;
    let mut centers = Vec::with_capacity(k * width);
    let first = if weights.iter().all(|&w| w == 1) {
        rng.random_range(0..n)
    } else {
        let ends = cumulative_counts(weights);
        row_of(&ends, rng.random_range(0..ends[n - 1]))
    };
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
    let mut potential: f64 = closest
        .iter()
        .zip(weights)
        .map(|(d, &w)| d * f64::from(w))
        .sum();

    // Buffers of every round, allocated once.
    let mut cumulative = Vec::with_capacity(n);
    let mut measured: Vec<f64> = Vec::new();
    for _ in 1..k {
        // Inverse-CDF sampling over the running sum of squared distances.
        cumulative.clear();
        let mut running = 0.0;
        for (d, &w) in closest.iter().zip(weights) {
            running += d * f64::from(w);
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
        // Per chunk: each candidate's potential (sum of the new nearest distances). The
        // distances are kept, so the winner's need not be measured again below.
        let stride = transposed.scratch_len();
        measured.resize(n * stride, 0.0);
        let potentials: Vec<Vec<f64>> = closest
            .par_chunks(ROWS_PER_CHUNK)
            .zip(data.par_chunks(ROWS_PER_CHUNK * width))
            .zip(weights.par_chunks(ROWS_PER_CHUNK))
            .zip(measured.par_chunks_mut(ROWS_PER_CHUNK * stride))
            .with_min_len(CHUNKS_PER_TASK)
            .map(|(((closest, rows), weights), measured)| {
                let mut sums = vec![0.0; trials];
                for (((c, r), &w), distances) in closest
                    .iter()
                    .zip(rows.chunks_exact(width))
                    .zip(weights)
                    .zip(measured.chunks_exact_mut(stride))
                {
                    transposed.squared_distances(r, distances);
                    let w = f64::from(w);
                    for (s, d) in sums.iter_mut().zip(distances.iter()) {
                        *s += d.min(*c) * w;
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
        for (c, distances) in closest.iter_mut().zip(measured.chunks_exact(stride)) {
            *c = c.min(distances[best]);
        }
        centers.extend_from_slice(&chosen);
    }
    centers
}

/// `k` of the rows, uniformly, row `i` repeated `weights[i]` times: `k` distinct copies, so
/// a row repeated may be drawn more than once, as from the repeated rows themselves.
pub(super) fn random_rows(
    data: &[f64],
    width: usize,
    weights: &[u32],
    k: usize,
    rng: &mut impl Rng,
) -> Vec<f64> {
    let ends = cumulative_counts(weights);
    let copies = ends.last().copied().unwrap_or(0);
    let picked = index::sample(rng, usize::try_from(copies).unwrap_or(usize::MAX), k).into_vec();
    // Keep the draw order: it is the centroid order.
    let mut centers = Vec::with_capacity(k * width);
    for copy in picked {
        let i = row_of(&ends, copy as u64);
        centers.extend_from_slice(&data[i * width..(i + 1) * width]);
    }
    centers
}

/// Running totals of the counts: row `i`'s copies are numbered `ends[i - 1]..ends[i]`.
fn cumulative_counts(weights: &[u32]) -> Vec<u64> {
    weights
        .iter()
        .scan(0u64, |total, &w| {
            *total += u64::from(w);
            Some(*total)
        })
        .collect()
}

/// The row holding copy number `copy` (see [`cumulative_counts`]).
fn row_of(ends: &[u64], copy: u64) -> usize {
    ends.partition_point(|&end| end <= copy)
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;

    /// How often the first centroid is the second of two rows counted once and three times,
    /// over 4,000 seeds.
    fn second_row_drawn(draw: impl Fn(&[f64], &[u32], &mut ChaCha8Rng) -> Vec<f64>) -> usize {
        let data = [0.0, 10.0];
        (0..4000)
            .filter(|&seed| draw(&data, &[1, 3], &mut ChaCha8Rng::seed_from_u64(seed))[0] == 10.0)
            .count()
    }

    #[test]
    fn rows_are_drawn_as_often_as_they_count() {
        // Three draws in four on average; 3,000 +- 150 is more than five standard deviations.
        let plus_plus =
            second_row_drawn(|data, weights, rng| kmeans_plus_plus(data, 1, weights, 1, rng));
        assert!((2850..=3150).contains(&plus_plus), "{plus_plus}");
        let random = second_row_drawn(|data, weights, rng| random_rows(data, 1, weights, 1, rng));
        assert!((2850..=3150).contains(&random), "{random}");
    }

    #[test]
    fn copies_map_to_their_rows() {
        let ends = cumulative_counts(&[2, 1, 3]);
        assert_eq!(ends, vec![2, 3, 6]);
        let rows: Vec<usize> = (0..6).map(|copy| row_of(&ends, copy)).collect();
        assert_eq!(rows, vec![0, 0, 1, 2, 2, 2]);
    }
}
