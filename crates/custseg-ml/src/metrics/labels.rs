//! Label helpers shared by the metrics.

use crate::error::{Error, Result};

/// Renumbers labels to `0..k` in order of first appearance; returns the new labels and `k`.
pub(super) fn dense(labels: &[usize]) -> (Vec<usize>, usize) {
    let mut map = std::collections::HashMap::new();
    let dense = labels
        .iter()
        .map(|label| {
            let next = map.len();
            *map.entry(*label).or_insert(next)
        })
        .collect();
    (dense, map.len())
}

/// Checks that there is one label per row and between 2 and n - 1 clusters (the range in
/// which the metrics are defined).
pub(super) fn check(n_rows: usize, labels: &[usize]) -> Result<(Vec<usize>, usize)> {
    if labels.len() != n_rows {
        return Err(Error::Data(format!(
            "{} labels for {n_rows} rows",
            labels.len()
        )));
    }
    let (dense, k) = dense(labels);
    if k < 2 || k >= n_rows {
        return Err(Error::Data(format!(
            "cluster metrics need 2 to n - 1 clusters; got {k} clusters for {n_rows} rows"
        )));
    }
    Ok((dense, k))
}

/// Per-cluster means of the rows of `data` (`n x width`, row-major) and cluster sizes.
pub(super) fn centroids(
    data: &[f64],
    width: usize,
    labels: &[usize],
    k: usize,
) -> (Vec<f64>, Vec<usize>) {
    let mut sums = vec![0.0; k * width];
    let mut counts = vec![0usize; k];
    for (row, &label) in data.chunks_exact(width).zip(labels) {
        counts[label] += 1;
        sums[label * width..(label + 1) * width]
            .iter_mut()
            .zip(row)
            .for_each(|(s, v)| *s += v);
    }
    for (cluster, count) in counts.iter().enumerate() {
        let count = (*count).max(1) as f64;
        sums[cluster * width..(cluster + 1) * width]
            .iter_mut()
            .for_each(|s| *s /= count);
    }
    (sums, counts)
}
