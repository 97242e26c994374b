//! Davies-Bouldin index: the mean, over clusters, of the worst ratio of within-cluster spread
//! to between-centroid distance. Lower is better; 0 is the minimum.

use ndarray::ArrayView2;

use super::labels::{centroids, check};
use crate::error::Result;
use crate::kmeans::squared_distance;

/// Davies-Bouldin index of `labels` on the rows of `x`.
pub fn davies_bouldin(x: ArrayView2<'_, f64>, labels: &[usize]) -> Result<f64> {
    crate::error::check_matrix(x, None)?;
    let (labels, k) = check(x.nrows(), labels)?;
    let width = x.ncols();
    let data = x.as_standard_layout();
    let data: Vec<f64> = data.iter().copied().collect();
    let (centers, counts) = centroids(&data, width, &labels, k);
    let center = |c: usize| &centers[c * width..(c + 1) * width];

    let mut spread = vec![0.0; k];
    for (row, &label) in data.chunks_exact(width).zip(&labels) {
        spread[label] += squared_distance(row, center(label)).sqrt();
    }
    for (s, count) in spread.iter_mut().zip(&counts) {
        *s /= *count as f64;
    }
    let separation = |a: usize, b: usize| squared_distance(center(a), center(b)).sqrt();
    let spread_zero = spread.iter().all(|v| v.abs() <= 1e-8);
    let centroids_coincide = (0..k).all(|a| (0..k).all(|b| separation(a, b) <= 1e-8));
    if spread_zero || centroids_coincide {
        return Ok(0.0);
    }
    let mut total = 0.0;
    for a in 0..k {
        let worst = (0..k)
            .filter(|&b| b != a)
            .map(|b| {
                let distance = separation(a, b);
                if distance == 0.0 {
                    0.0
                } else {
                    (spread[a] + spread[b]) / distance
                }
            })
            .fold(0.0_f64, f64::max);
        total += worst;
    }
    Ok(total / k as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn hand_computed_two_clusters() {
        // Cluster 0: 0 and 2 (centroid 1, spread 1); cluster 1: 10 and 14 (centroid 12, spread 2).
        let x = array![[0.0], [2.0], [10.0], [14.0]];
        let score = davies_bouldin(x.view(), &[0, 0, 1, 1]).unwrap();
        assert!((score - 3.0 / 11.0).abs() < 1e-15, "{score}");
    }
}
