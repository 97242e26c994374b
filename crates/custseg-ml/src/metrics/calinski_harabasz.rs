//! Calinski-Harabasz index (variance ratio criterion): between-cluster dispersion over
//! within-cluster dispersion, each divided by its degrees of freedom. Higher is better.

use ndarray::ArrayView2;

use super::labels::{centroids, check};
use crate::error::Result;
use crate::kmeans::squared_distance;

/// Calinski-Harabasz index of `labels` on the rows of `x`.
pub fn calinski_harabasz(x: ArrayView2<'_, f64>, labels: &[usize]) -> Result<f64> {
    crate::error::check_matrix(x, None)?;
    let (labels, k) = check(x.nrows(), labels)?;
    let n = x.nrows();
    let width = x.ncols();
    let data = x.as_standard_layout();
    let data: Vec<f64> = data.iter().copied().collect();
    let (centers, counts) = centroids(&data, width, &labels, k);
    let (overall, _) = centroids(&data, width, &vec![0; n], 1);

    let between: f64 = (0..k)
        .map(|c| {
            counts[c] as f64 * squared_distance(&centers[c * width..(c + 1) * width], &overall)
        })
        .sum();
    let within: f64 = data
        .chunks_exact(width)
        .zip(&labels)
        .map(|(row, &c)| squared_distance(row, &centers[c * width..(c + 1) * width]))
        .sum();
    if within == 0.0 {
        return Ok(1.0);
    }
    Ok(between * (n - k) as f64 / (within * (k as f64 - 1.0)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn hand_computed_two_clusters() {
        // Overall mean 6.5; between = 2 * 5.5^2 * 2 = 121; within = 1 + 1 + 4 + 4 = 10.
        let x = array![[0.0], [2.0], [10.0], [14.0]];
        let score = calinski_harabasz(x.view(), &[0, 0, 1, 1]).unwrap();
        assert!((score - 121.0 * 2.0 / 10.0).abs() < 1e-12, "{score}");
    }
}
