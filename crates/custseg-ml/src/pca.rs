//! Principal component analysis by eigendecomposition of the covariance matrix.
//!
//! This is what scikit-learn's `PCA` does by default (`svd_solver="covariance_eigh"`) for the
//! shapes we see (many rows, few features). The eigendecomposition is `linfa-linalg`'s; signs
//! follow scikit-learn's convention (the largest-magnitude loading of each component is
//! positive), so components are comparable across runs and with Python.

use linfa_linalg::eigh::Eigh;
use ndarray::{Array1, Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, check_matrix};

/// How many components to keep.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Components {
    /// Exactly this many.
    Fixed(usize),
    /// The smallest number whose cumulative explained-variance ratio reaches this value
    /// (in `(0, 1]`).
    VarianceThreshold(f64),
}

impl Default for Components {
    fn default() -> Self {
        Self::VarianceThreshold(0.85)
    }
}

/// A fitted PCA.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pca {
    /// Column means subtracted before projecting.
    pub mean: Vec<f64>,
    /// Kept components, one row per component, each of unit length.
    pub components: Vec<Vec<f64>>,
    /// Variance along each kept component (sample variance, `n - 1` in the denominator).
    pub explained_variance: Vec<f64>,
    /// Share of the total variance along each kept component.
    pub explained_variance_ratio: Vec<f64>,
    /// Share of the total variance along every component, kept or not (what an analyst reads
    /// to choose the number of components).
    pub all_explained_variance_ratio: Vec<f64>,
}

impl Pca {
    /// Fits a PCA to `x` (rows are observations).
    pub fn fit(x: ArrayView2<'_, f64>, components: Components) -> Result<Self> {
        check_matrix(x, None)?;
        let (n, width) = x.dim();
        if n < 2 {
            return Err(Error::Data("PCA needs at least two rows".into()));
        }
        let mean = x
            .mean_axis(Axis(0))
            .ok_or_else(|| Error::Data("empty".into()))?;
        let centered = &x - &mean;
        let covariance = centered.t().dot(&centered) / (n as f64 - 1.0);
        let (values, vectors) = covariance
            .eigh()
            .map_err(|error| Error::LinearAlgebra(error.to_string()))?;
        // Sort by decreasing eigenvalue; tiny negative values are rounding noise.
        let mut order: Vec<usize> = (0..width).collect();
        order.sort_by(|&a, &b| values[b].total_cmp(&values[a]));
        let variances: Vec<f64> = order.iter().map(|&i| values[i].max(0.0)).collect();
        let total: f64 = variances.iter().sum();
        let ratios: Vec<f64> = variances
            .iter()
            .map(|v| if total > 0.0 { v / total } else { 0.0 })
            .collect();

        let keep = match components {
            Components::Fixed(count) => {
                if count == 0 || count > width.min(n) {
                    return Err(Error::parameter(
                        "n_components",
                        format!("must be between 1 and {}, got {count}", width.min(n)),
                    ));
                }
                count
            }
            Components::VarianceThreshold(threshold) => {
                if !(threshold > 0.0 && threshold <= 1.0) {
                    return Err(Error::parameter(
                        "variance_threshold",
                        format!("must be in (0, 1], got {threshold}"),
                    ));
                }
                let mut cumulative = 0.0;
                let mut count = width;
                for (index, ratio) in ratios.iter().enumerate() {
                    cumulative += ratio;
                    // A hair of tolerance so that a threshold of 1.0 is reachable despite rounding.
                    if cumulative >= threshold - 1e-12 {
                        count = index + 1;
                        break;
                    }
                }
                count
            }
        };

        let components = order[..keep]
            .iter()
            .map(|&i| {
                let mut vector: Vec<f64> = vectors.column(i).to_vec();
                let largest = vector.iter().copied().fold(0.0_f64, |best, v| {
                    if v.abs() > best.abs() { v } else { best }
                });
                if largest < 0.0 {
                    vector.iter_mut().for_each(|v| *v = -*v);
                }
                vector
            })
            .collect();
        Ok(Self {
            mean: mean.to_vec(),
            components,
            explained_variance: variances[..keep].to_vec(),
            explained_variance_ratio: ratios[..keep].to_vec(),
            all_explained_variance_ratio: ratios,
        })
    }

    /// Number of kept components.
    pub fn n_components(&self) -> usize {
        self.components.len()
    }

    /// Projects `x` onto the kept components.
    pub fn transform(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        check_matrix(x, Some(self.mean.len()))?;
        let mean = Array1::from(self.mean.clone());
        let components = Array2::from_shape_vec(
            (self.n_components(), self.mean.len()),
            self.components.concat(),
        )
        .map_err(|error| Error::Data(error.to_string()))?;
        Ok((&x - &mean).dot(&components.t()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn first_component_follows_the_main_direction() {
        // Points along y = 2x with a little noise across it.
        let x = array![
            [0.0, 0.1],
            [1.0, 1.9],
            [2.0, 4.1],
            [3.0, 5.9],
            [4.0, 8.1],
            [5.0, 9.9]
        ];
        let pca = Pca::fit(x.view(), Components::Fixed(2)).unwrap();
        let first = &pca.components[0];
        assert!((first[1] / first[0] - 2.0).abs() < 0.05, "{first:?}");
        assert!(first[0] > 0.0 && first[1] > 0.0);
        assert!(pca.explained_variance_ratio[0] > 0.99);
        let sum: f64 = pca.all_explained_variance_ratio.iter().sum();
        assert!((sum - 1.0).abs() < 1e-12);
        let projected = pca.transform(x.view()).unwrap();
        assert_eq!(projected.dim(), (6, 2));
    }

    #[test]
    fn threshold_keeps_the_fewest_components_reaching_it() {
        let x = array![
            [1.0, 0.0, 0.0],
            [-1.0, 0.0, 0.1],
            [0.0, 0.5, 0.0],
            [0.0, -0.5, -0.1]
        ];
        let pca = Pca::fit(x.view(), Components::VarianceThreshold(0.7)).unwrap();
        assert_eq!(pca.n_components(), 1);
        let all = Pca::fit(x.view(), Components::VarianceThreshold(1.0)).unwrap();
        assert!(all.n_components() >= 2);
    }

    #[test]
    fn zero_components_is_refused() {
        let x = array![[1.0, 2.0], [3.0, 4.0]];
        let error = Pca::fit(x.view(), Components::Fixed(0)).unwrap_err();
        assert!(error.to_string().contains("n_components"));
    }
}
