//! Feature scaling: standard (mean 0, variance 1) or robust (median 0, interquartile range 1).

use ndarray::{Array1, Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

use crate::error::{Result, check_matrix};

/// Which scaling to fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScalingKind {
    /// Subtract the mean, divide by the population standard deviation (scikit-learn's
    /// `StandardScaler`).
    #[default]
    Standard,
    /// Subtract the median, divide by the interquartile range (scikit-learn's `RobustScaler`
    /// with its defaults): less pulled by heavy tails.
    Robust,
}

/// A fitted scaler: `(x - center) / scale`, column by column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scaler {
    /// The kind fitted.
    pub kind: ScalingKind,
    /// Per-column center (mean or median).
    pub center: Vec<f64>,
    /// Per-column scale (standard deviation or IQR); 1 where the column is constant, as
    /// scikit-learn does, so constant columns map to 0 rather than NaN.
    pub scale: Vec<f64>,
}

impl Scaler {
    /// Fits a scaler to the columns of `x`.
    pub fn fit(kind: ScalingKind, x: ArrayView2<'_, f64>) -> Result<Self> {
        check_matrix(x, None)?;
        let (center, scale): (Vec<f64>, Vec<f64>) = x
            .axis_iter(Axis(1))
            .map(|column| {
                let values: Vec<f64> = column.to_vec();
                match kind {
                    ScalingKind::Standard => {
                        let mean = mean(&values);
                        let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>()
                            / values.len() as f64;
                        (mean, non_zero(variance.sqrt()))
                    }
                    ScalingKind::Robust => {
                        let mut sorted = values;
                        sorted.sort_by(f64::total_cmp);
                        let median = quantile_sorted(&sorted, 0.5);
                        let iqr = quantile_sorted(&sorted, 0.75) - quantile_sorted(&sorted, 0.25);
                        (median, non_zero(iqr))
                    }
                }
            })
            .unzip();
        Ok(Self {
            kind,
            center,
            scale,
        })
    }

    /// Number of columns the scaler was fitted on.
    pub fn n_features(&self) -> usize {
        self.center.len()
    }

    /// Scales `x` (same columns as at fit time).
    pub fn transform(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        check_matrix(x, Some(self.n_features()))?;
        let center = Array1::from(self.center.clone());
        let scale = Array1::from(self.scale.clone());
        Ok((&x - &center) / &scale)
    }

    /// Maps scaled values back to the original units.
    pub fn inverse_transform(&self, x: ArrayView2<'_, f64>) -> Array2<f64> {
        let center = Array1::from(self.center.clone());
        let scale = Array1::from(self.scale.clone());
        &x * &scale + &center
    }
}

fn non_zero(scale: f64) -> f64 {
    if scale == 0.0 || !scale.is_finite() {
        1.0
    } else {
        scale
    }
}

/// Arithmetic mean (0 for an empty slice).
pub fn mean(values: &[f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.iter().sum::<f64>() / values.len() as f64
}

/// Quantile of sorted values with linear interpolation between closest ranks (numpy's
/// default, `method="linear"`). `q` in `[0, 1]`; NaN for an empty slice.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        1 => sorted[0],
        n => {
            let position = q.clamp(0.0, 1.0) * (n - 1) as f64;
            let lower = position.floor() as usize;
            let upper = (lower + 1).min(n - 1);
            let fraction = position - lower as f64;
            sorted[lower] + (sorted[upper] - sorted[lower]) * fraction
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn standard_scaling_gives_zero_mean_unit_variance() {
        let x = array![[1.0, 10.0], [2.0, 10.0], [3.0, 10.0], [6.0, 10.0]];
        let scaler = Scaler::fit(ScalingKind::Standard, x.view()).unwrap();
        let scaled = scaler.transform(x.view()).unwrap();
        let column = scaled.column(0);
        assert!(column.mean().unwrap().abs() < 1e-12);
        let variance = column.iter().map(|v| v * v).sum::<f64>() / 4.0;
        assert!((variance - 1.0).abs() < 1e-12);
        // The constant column maps to zero, not NaN.
        assert!(scaled.column(1).iter().all(|v| *v == 0.0));
        let back = scaler.inverse_transform(scaled.view());
        assert!((back[[3, 0]] - 6.0).abs() < 1e-12);
    }

    #[test]
    fn robust_scaling_uses_median_and_iqr() {
        let x = array![[1.0], [2.0], [3.0], [4.0], [100.0]];
        let scaler = Scaler::fit(ScalingKind::Robust, x.view()).unwrap();
        assert_eq!(scaler.center, vec![3.0]);
        assert_eq!(scaler.scale, vec![2.0]);
    }

    #[test]
    fn non_finite_input_is_refused_with_its_position() {
        let x = array![[1.0], [f64::NAN]];
        let error = Scaler::fit(ScalingKind::Standard, x.view()).unwrap_err();
        assert!(error.to_string().contains("row 1, column 0"), "{error}");
    }

    #[test]
    fn quantiles_interpolate_like_numpy() {
        let sorted = [1.0, 2.0, 4.0, 8.0];
        assert_eq!(quantile_sorted(&sorted, 0.0), 1.0);
        assert_eq!(quantile_sorted(&sorted, 1.0), 8.0);
        // numpy.quantile([1,2,4,8], 0.5) == 3.0; 0.25 -> 1.75
        assert_eq!(quantile_sorted(&sorted, 0.5), 3.0);
        assert_eq!(quantile_sorted(&sorted, 0.25), 1.75);
    }
}
