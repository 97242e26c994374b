//! Lloyd iterations and the fitted model.

use ndarray::{Array2, ArrayView2};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::hamerly::hamerly_on;
use super::hyperparams::{Init, KMeansParams};
use super::init::{kmeans_plus_plus, random_rows};
use crate::distance::TransposedCenters;
pub use crate::distance::squared_distance;
use crate::error::{Error, Result, check_matrix};

/// Rows per parallel work unit. Fixed (not derived from the thread count) so partial sums are
/// always combined in the same order and results do not depend on the machine.
pub(crate) const ROWS_PER_CHUNK: usize = 4096;

/// Chunks a parallel task takes at least: below 8 x 4096 rows a pass runs on the calling
/// thread. Waking another thread costs more than a small pass, and the search already runs its
/// candidates in parallel.
pub(crate) const CHUNKS_PER_TASK: usize = 8;

/// A fitted K-Means model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KMeans {
    /// Centroids, `k x width`, row-major.
    pub centroids: Vec<Vec<f64>>,
    /// Cluster of each training row.
    #[serde(skip)]
    pub labels: Vec<usize>,
    /// Sum of squared distances of training rows to their centroid.
    pub inertia: f64,
    /// Lloyd iterations of the kept restart.
    pub n_iter: usize,
    /// Whether the kept restart converged before `max_iter`.
    pub converged: bool,
}

impl KMeansParams {
    /// Fits K-Means to the rows of `x`: `n_init` restarts (run in parallel), keeping the one with
    /// the lowest inertia (the first of equals).
    pub fn fit(&self, x: ArrayView2<'_, f64>) -> Result<KMeans> {
        check_matrix(x, None)?;
        self.fit_rows(x, &vec![1; x.nrows()])
    }

    /// Fits K-Means to the rows of `x`, row `i` counting `counts[i]` times, as if it were
    /// repeated that often: a bootstrap resample is fitted on its distinct rows this way, at a
    /// fraction of the cost, with the same objective. k-means++ draws rows in proportion to
    /// their counts, random initialisation draws `k` of the repeated rows; the one difference
    /// from fitting the repeated rows is the rare relocation of an empty cluster, which moves
    /// all copies of the farthest row instead of one.
    pub fn fit_weighted(&self, x: ArrayView2<'_, f64>, counts: &[u32]) -> Result<KMeans> {
        check_matrix(x, None)?;
        if counts.len() != x.nrows() {
            return Err(Error::parameter(
                "counts",
                format!("{} counts for {} rows", counts.len(), x.nrows()),
            ));
        }
        if counts.contains(&0) {
            return Err(Error::parameter(
                "counts",
                "every row must count at least once",
            ));
        }
        self.fit_rows(x, counts)
    }

    fn fit_rows(&self, x: ArrayView2<'_, f64>, counts: &[u32]) -> Result<KMeans> {
        self.check(x.nrows())?;
        let data = x.as_standard_layout();
        let data = data
            .as_slice()
            .ok_or_else(|| Error::Data("matrix is not contiguous".into()))?;
        let width = x.ncols();
        let tolerance = self.tol * mean_variance(data, width, counts);
        let runs: Vec<KMeans> = (0..self.n_init)
            .into_par_iter()
            .map(|run| {
                let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
                rng.set_stream(run as u64);
                let initial = match self.init {
                    Init::KMeansPlusPlus => kmeans_plus_plus(data, width, counts, self.k, &mut rng),
                    Init::Random => random_rows(data, width, counts, self.k, &mut rng),
                };
                hamerly_on(data, width, counts, initial, self.max_iter, tolerance)
            })
            .collect();
        let mut best: Option<KMeans> = None;
        for run in runs {
            if best.as_ref().is_none_or(|b| run.inertia < b.inertia) {
                best = Some(run);
            }
        }
        best.ok_or_else(|| Error::parameter("n_init", "must be at least 1"))
    }
}

impl KMeans {
    /// Number of clusters.
    pub fn k(&self) -> usize {
        self.centroids.len()
    }

    /// Nearest centroid and Euclidean distance to it, for each row of `x`.
    pub fn predict(&self, x: ArrayView2<'_, f64>) -> Result<(Vec<usize>, Vec<f64>)> {
        let width = self.centroids.first().map_or(0, Vec::len);
        check_matrix(x, Some(width))?;
        let centers = TransposedCenters::new(&self.centroids.concat(), width);
        let mut scratch = vec![0.0; centers.scratch_len()];
        let pairs: Vec<(usize, f64)> = x
            .outer_iter()
            .map(|row| {
                let row = row.to_vec();
                let (label, squared) = centers.nearest(&row, &mut scratch);
                (label, squared.sqrt())
            })
            .collect();
        Ok(pairs.into_iter().unzip())
    }

    /// Centroids as a matrix.
    pub fn centroid_matrix(&self) -> Array2<f64> {
        let width = self.centroids.first().map_or(0, Vec::len);
        Array2::from_shape_fn((self.k(), width), |(i, j)| self.centroids[i][j])
    }
}

/// Runs Lloyd's algorithm from the given starting centroids (`k x width`). `tolerance` is
/// absolute (squared centroid shift summed over clusters); pass 0 to run until labels stop
/// changing. This is the deterministic core that the tests compare with scikit-learn (run with
/// Hamerly's bounds, as every fit is; the unbounded loop is kept as the reference it is
/// tested against).
pub fn lloyd(
    x: ArrayView2<'_, f64>,
    initial: ArrayView2<'_, f64>,
    max_iter: usize,
    tolerance: f64,
) -> Result<KMeans> {
    check_matrix(x, None)?;
    check_matrix(initial, Some(x.ncols()))?;
    let data = x.as_standard_layout();
    let data = data
        .as_slice()
        .ok_or_else(|| Error::Data("matrix is not contiguous".into()))?;
    let initial = initial.as_standard_layout().iter().copied().collect();
    Ok(hamerly_on(
        data,
        x.ncols(),
        &vec![1; x.nrows()],
        initial,
        max_iter.max(1),
        tolerance,
    ))
}

/// Per-chunk partial result of one assignment pass.
struct Partial {
    sums: Vec<f64>,
    counts: Vec<usize>,
    changed: bool,
}

/// One pass: label each row with its nearest centre (writing `labels`), and (when `update`)
/// sum the rows per label.
fn assign(
    data: &[f64],
    width: usize,
    centers: &[f64],
    labels: &mut [usize],
    update: bool,
) -> Partial {
    let k = centers.len() / width;
    let transposed = TransposedCenters::new(centers, width);
    let partials: Vec<Partial> = data
        .par_chunks(ROWS_PER_CHUNK * width)
        .zip(labels.par_chunks_mut(ROWS_PER_CHUNK))
        .with_min_len(CHUNKS_PER_TASK)
        .map(|(rows, labels)| {
            let mut scratch = vec![0.0; transposed.scratch_len()];
            let mut partial = Partial {
                sums: vec![0.0; if update { k * width } else { 0 }],
                counts: vec![0; k],
                changed: false,
            };
            for (row, label) in rows.chunks_exact(width).zip(labels.iter_mut()) {
                let (nearest, _) = transposed.nearest(row, &mut scratch);
                if *label != nearest {
                    partial.changed = true;
                    *label = nearest;
                }
                partial.counts[nearest] += 1;
                if update {
                    let sum = &mut partial.sums[nearest * width..(nearest + 1) * width];
                    sum.iter_mut().zip(row).for_each(|(s, v)| *s += v);
                }
            }
            partial
        })
        .collect();
    let mut total = Partial {
        sums: vec![0.0; if update { k * width } else { 0 }],
        counts: vec![0; k],
        changed: false,
    };
    for partial in partials {
        total.changed |= partial.changed;
        total
            .sums
            .iter_mut()
            .zip(&partial.sums)
            .for_each(|(t, p)| *t += p);
        total
            .counts
            .iter_mut()
            .zip(&partial.counts)
            .for_each(|(t, p)| *t += p);
    }
    total
}

#[cfg_attr(not(test), allow(dead_code))]
fn lloyd_on(
    data: &[f64],
    width: usize,
    mut centers: Vec<f64>,
    max_iter: usize,
    tolerance: f64,
) -> KMeans {
    let n = data.len() / width;
    // usize::MAX marks "no label yet", so the first pass always counts as a change.
    let mut labels = vec![usize::MAX; n];
    let ones = vec![1; n];
    let mut strict = false;
    let mut iterations = 0;
    let mut converged = false;
    for _ in 0..max_iter {
        iterations += 1;
        let Partial {
            mut sums,
            mut counts,
            changed,
        } = assign(data, width, &centers, &mut labels, true);
        relocate_empty_clusters(
            data,
            width,
            &ones,
            &centers,
            &labels,
            &mut sums,
            &mut counts,
        );
        let new_centers = cluster_means(&centers, width, &sums, &counts);
        let shift = squared_distance(&centers, &new_centers);
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
        data, width, &ones, centers, labels, strict, iterations, converged,
    )
}

/// The new centroids: each cluster's sum of rows divided by its count; a cluster with no
/// rows (after relocation, none should be left) keeps its centroid. Lloyd's and Hamerly's
/// iterations both end with this step.
pub(crate) fn cluster_means(
    centers: &[f64],
    width: usize,
    sums: &[f64],
    counts: &[usize],
) -> Vec<f64> {
    let mut means = centers.to_vec();
    for (cluster, &count) in counts.iter().enumerate() {
        if count > 0 {
            let range = cluster * width..(cluster + 1) * width;
            for (mean, sum) in means[range.clone()].iter_mut().zip(&sums[range]) {
                *mean = sum / count as f64;
            }
        }
    }
    means
}

/// Relabels with the final centroids unless the last iteration already did (strict
/// convergence), and measures the inertia.
#[expect(
    clippy::too_many_arguments,
    reason = "the loop's whole final state, handed over once"
)]
pub(crate) fn finish(
    data: &[f64],
    width: usize,
    counts: &[u32],
    centers: Vec<f64>,
    mut labels: Vec<usize>,
    strict: bool,
    iterations: usize,
    converged: bool,
) -> KMeans {
    if !strict {
        assign(data, width, &centers, &mut labels, false);
    }
    let inertia = inertia(data, width, counts, &centers, &labels);
    KMeans {
        centroids: centers.chunks_exact(width).map(<[f64]>::to_vec).collect(),
        labels,
        inertia,
        n_iter: iterations,
        converged,
    }
}

/// An empty cluster takes the row farthest from its current centre (scikit-learn's rule), so
/// a restart never ends with fewer than `k` clusters when `k` distinct rows exist.
pub(crate) fn relocate_empty_clusters(
    data: &[f64],
    width: usize,
    weights: &[u32],
    old_centers: &[f64],
    labels: &[usize],
    sums: &mut [f64],
    counts: &mut [usize],
) {
    let empty: Vec<usize> = (0..counts.len()).filter(|&c| counts[c] == 0).collect();
    if empty.is_empty() {
        return;
    }
    let mut far: Vec<(f64, usize)> = data
        .chunks_exact(width)
        .zip(labels)
        .enumerate()
        .map(|(i, (row, &label))| {
            let center = &old_centers[label * width..(label + 1) * width];
            (squared_distance(row, center), i)
        })
        .collect();
    far.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    for (cluster, (_, row_index)) in empty.into_iter().zip(far) {
        let row = &data[row_index * width..(row_index + 1) * width];
        let old = labels[row_index];
        let weight = weights[row_index];
        let times = f64::from(weight);
        for j in 0..width {
            sums[old * width + j] -= row[j] * times;
            sums[cluster * width + j] = row[j] * times;
        }
        counts[old] -= weight as usize;
        counts[cluster] = weight as usize;
    }
}

fn inertia(data: &[f64], width: usize, weights: &[u32], centers: &[f64], labels: &[usize]) -> f64 {
    let partials: Vec<f64> = data
        .par_chunks(ROWS_PER_CHUNK * width)
        .zip(labels.par_chunks(ROWS_PER_CHUNK))
        .zip(weights.par_chunks(ROWS_PER_CHUNK))
        .with_min_len(CHUNKS_PER_TASK)
        .map(|((rows, labels), weights)| {
            rows.chunks_exact(width)
                .zip(labels)
                .zip(weights)
                .map(|((row, &l), &w)| {
                    squared_distance(row, &centers[l * width..(l + 1) * width]) * f64::from(w)
                })
                .sum::<f64>()
        })
        .collect();
    partials.iter().sum()
}

/// Mean over columns of each column's population variance (scikit-learn's tolerance scale),
/// each row counting `weights[i]` times.
fn mean_variance(data: &[f64], width: usize, weights: &[u32]) -> f64 {
    let n: f64 = weights.iter().map(|&w| f64::from(w)).sum();
    let mut means = vec![0.0; width];
    for (row, &w) in data.chunks_exact(width).zip(weights) {
        let w = f64::from(w);
        means.iter_mut().zip(row).for_each(|(m, v)| *m += v * w);
    }
    means.iter_mut().for_each(|m| *m /= n);
    let mut variances = vec![0.0; width];
    for (row, &w) in data.chunks_exact(width).zip(weights) {
        let w = f64::from(w);
        for ((s, v), m) in variances.iter_mut().zip(row).zip(&means) {
            *s += (v - m) * (v - m) * w;
        }
    }
    variances.iter().map(|s| s / n).sum::<f64>() / width as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kmeans::hamerly::hamerly_on;
    use ndarray::array;

    fn blobs() -> Array2<f64> {
        let mut rows = Vec::new();
        for (cx, cy) in [(0.0, 0.0), (10.0, 10.0), (0.0, 10.0)] {
            for i in 0..20 {
                let dx = (i % 5) as f64 * 0.1;
                let dy = (i / 5) as f64 * 0.1;
                rows.extend([cx + dx, cy + dy]);
            }
        }
        Array2::from_shape_vec((60, 2), rows).unwrap()
    }

    #[test]
    fn finds_well_separated_blobs_with_either_init() {
        for init in [Init::KMeansPlusPlus, Init::Random] {
            let params = KMeansParams {
                init,
                ..KMeansParams::new(3)
            };
            let model = params.fit(blobs().view()).unwrap();
            assert!(model.converged);
            // Every blob is one cluster.
            for blob in model.labels.chunks(20) {
                assert!(blob.iter().all(|l| *l == blob[0]), "{init}: {blob:?}");
            }
            let mut distinct: Vec<usize> = model.labels.chunks(20).map(|b| b[0]).collect();
            distinct.sort_unstable();
            distinct.dedup();
            assert_eq!(distinct.len(), 3);
            // Spread within a blob: 20 points, x offsets 0..0.4, y offsets 0..0.3.
            assert!(model.inertia < 3.0 * 20.0 * 0.2, "{}", model.inertia);
        }
    }

    #[test]
    fn same_seed_same_model_and_predict_matches_labels() {
        let params = KMeansParams::new(3);
        let a = params.fit(blobs().view()).unwrap();
        let b = params.fit(blobs().view()).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.labels, b.labels);
        let (labels, distances) = a.predict(blobs().view()).unwrap();
        assert_eq!(labels, a.labels);
        assert!(distances.iter().all(|d| *d >= 0.0 && *d < 1.0));
    }

    #[test]
    fn hamerly_bounds_give_the_same_iterations_as_plain_lloyd() {
        // Overlapping blobs, several k and starts: every label, centroid and iteration count
        // must agree.
        let mut rows = Vec::new();
        for i in 0..3000 {
            let t = i as f64;
            let blob = (i % 5) as f64 * 1.5;
            rows.extend([
                blob + (t * 0.731).sin(),
                (t * 0.377).cos() * 2.0,
                (t * 0.113).sin() + blob / 2.0,
            ]);
        }
        let x = Array2::from_shape_vec((3000, 3), rows).unwrap();
        let data = x.as_slice().unwrap();
        for k in [2, 3, 5, 8, 12] {
            for start in [0, 7, 500] {
                let initial: Vec<f64> = data[start * 3..(start + k) * 3].to_vec();
                let plain = lloyd_on(data, 3, initial.clone(), 300, 0.0);
                let fast = hamerly_on(data, 3, &vec![1; 3000], initial, 300, 0.0);
                assert_eq!(plain.labels, fast.labels, "k = {k}, start {start}");
                assert_eq!(plain.n_iter, fast.n_iter, "k = {k}, start {start}");
                assert_same_centroids_up_to_rounding(&plain, &fast);
                assert!((plain.inertia - fast.inertia).abs() <= 1e-12 * plain.inertia);
            }
        }
    }

    #[test]
    fn running_sums_over_parallel_chunks_match_plain_lloyd() {
        // More than CHUNKS_PER_TASK chunks of rows, so the moves of several chunks are
        // combined: same labels and iterations as fresh sums, centroids up to rounding.
        let n = ROWS_PER_CHUNK * CHUNKS_PER_TASK * 2 + 123;
        let mut rows = Vec::with_capacity(n * 2);
        for i in 0..n {
            let t = i as f64;
            let blob = (i % 4) as f64 * 2.0;
            rows.extend([
                blob + (t * 0.917).sin(),
                (t * 0.291).cos() * 1.5 + blob / 3.0,
            ]);
        }
        let initial: Vec<f64> = rows[..10].to_vec();
        let plain = lloyd_on(&rows, 2, initial.clone(), 300, 0.0);
        let fast = hamerly_on(&rows, 2, &vec![1; n], initial, 300, 0.0);
        assert!(plain.n_iter > 2, "too easy: {} iterations", plain.n_iter);
        assert_eq!(plain.n_iter, fast.n_iter);
        assert_eq!(plain.labels, fast.labels);
        assert_same_centroids_up_to_rounding(&plain, &fast);
    }

    /// Distinct rows and how often each occurs, and the same rows repeated that often.
    fn repeated_rows() -> (Vec<f64>, Vec<u32>, Vec<f64>, Vec<usize>) {
        let (mut distinct, mut counts, mut repeated, mut origin) = (vec![], vec![], vec![], vec![]);
        for i in 0..900 {
            let t = i as f64;
            let blob = (i % 4) as f64 * 1.7;
            let row = [blob + (t * 0.613).sin(), (t * 0.271).cos() + blob / 2.0];
            let count = 1 + (i * 7 % 5) as u32;
            distinct.extend(row);
            counts.push(count);
            for _ in 0..count {
                repeated.extend(row);
                origin.push(i);
            }
        }
        (distinct, counts, repeated, origin)
    }

    #[test]
    fn counted_rows_fit_as_the_rows_repeated() {
        let (distinct, counts, repeated, origin) = repeated_rows();
        for k in [2, 3, 6] {
            let initial: Vec<f64> = distinct[10..10 + 2 * k].to_vec();
            let counted = hamerly_on(&distinct, 2, &counts, initial.clone(), 300, 0.0);
            let plain = lloyd_on(&repeated, 2, initial, 300, 0.0);
            assert!(plain.n_iter > 2, "too easy: {} iterations", plain.n_iter);
            assert_eq!(counted.n_iter, plain.n_iter, "k = {k}");
            let spread: Vec<usize> = origin.iter().map(|&i| counted.labels[i]).collect();
            assert_eq!(spread, plain.labels, "k = {k}");
            assert_same_centroids_up_to_rounding(&plain, &counted);
            assert!((plain.inertia - counted.inertia).abs() <= 1e-12 * plain.inertia);
        }
        assert!(
            (mean_variance(&distinct, 2, &counts)
                - mean_variance(&repeated, 2, &vec![1; repeated.len() / 2]))
            .abs()
                < 1e-12
        );
    }

    #[test]
    fn counted_fit_checks_its_counts() {
        let (distinct, counts, _, _) = repeated_rows();
        let x = Array2::from_shape_vec((counts.len(), 2), distinct).unwrap();
        let params = KMeansParams::new(4);
        let fitted = params.fit_weighted(x.view(), &counts).unwrap();
        assert_eq!(fitted.labels.len(), counts.len());
        let error = params.fit_weighted(x.view(), &counts[1..]).unwrap_err();
        assert!(
            error.to_string().contains("899 counts for 900 rows"),
            "{error}"
        );
        let mut zero = counts.clone();
        zero[3] = 0;
        let error = params.fit_weighted(x.view(), &zero).unwrap_err();
        assert!(error.to_string().contains("at least once"), "{error}");
    }

    /// The bounded loop keeps running sums (moved rows subtracted and added), the plain one
    /// sums afresh: their centroids agree up to rounding.
    fn assert_same_centroids_up_to_rounding(plain: &KMeans, fast: &KMeans) {
        assert_eq!(plain.k(), fast.k());
        for (a, b) in plain
            .centroids
            .iter()
            .flatten()
            .zip(fast.centroids.iter().flatten())
        {
            assert!((a - b).abs() <= 1e-12 * a.abs().max(1.0), "{a} {b}");
        }
    }

    #[test]
    fn empty_cluster_takes_the_farthest_row() {
        // Two starting centres far from everything except one: the second gets no row at
        // first and must take the row farthest from the first centre.
        let x = array![[0.0], [1.0], [2.0], [100.0]];
        let start = array![[1.0], [-1000.0]];
        let model = lloyd(x.view(), start.view(), 100, 0.0).unwrap();
        assert_eq!(model.labels, vec![0, 0, 0, 1]);
        assert_eq!(model.centroids, vec![vec![1.0], vec![100.0]]);
        assert_eq!(model.inertia, 2.0);
    }
}
