//! What drift detection compares served inputs with, computed once at training and kept in the
//! model file, so that `custseg monitor drift`, `/metrics` and the dashboard all use the same
//! scales, bins and reference sample.
//!
//! Per feature: the scale its distances are measured on (the signed `ln(1 + |x|)` for a
//! heavy-tailed feature such as spend, so that a few huge customers cannot dominate; the
//! feature's own units otherwise), the reference's spread on that scale (its interquartile
//! range), and the reference's decile edges for PSI. Then a seeded sample of the training
//! customers (their rows kept whole, so the multivariate check sees correlations) and a PCA of
//! the robust-standardised features for that check (NannyML's reconstruction error).

use custseg_ml::pca::{Components, Pca};
use custseg_ml::scaling::quantile_sorted;
use ndarray::{Array2, ArrayView2};
use rand::SeedableRng;
use rand::rngs::SmallRng;
use rand::seq::index::sample;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Training customers kept as the reference sample at most (a seeded sample beyond).
pub const MAX_REFERENCE_ROWS: usize = 20_000;

/// Skewness (in absolute value) above which a feature is compared on the signed log scale.
pub const LOG_SCALE_SKEWNESS: f64 = 2.0;

/// Features with fewer distinct values than this (flags, small codes) stay on their own scale.
pub const LOG_SCALE_MIN_DISTINCT: usize = 10;

/// Share of the standardised features' variance the multivariate check's PCA keeps (NannyML's
/// default).
pub const MULTIVARIATE_VARIANCE: f64 = 0.65;

/// Name under which the multivariate check appears beside the features.
pub const MULTIVARIATE_NAME: &str = "multivariate (PCA reconstruction error)";

/// The scale a feature's distances are measured on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scale {
    /// The signed log, `sign(x) ln(1 + |x|)`: a distance of `d` reads as values changed by a
    /// factor of about `e^d`. Monotone, so it keeps every order statistic; defined for the few
    /// negative values of net spend (customers whose returns outweigh their purchases).
    Log1p,
    /// `ln(x)`, for strictly positive measures such as the multivariate check's reconstruction
    /// error: a distance of `d` reads as values changed by a factor of about `e^d`.
    Log,
    /// The feature's own units.
    Linear,
}

impl Scale {
    /// `value` on this scale.
    pub fn apply(self, value: f64) -> f64 {
        match self {
            Self::Log1p => value.signum() * value.abs().ln_1p(),
            Self::Log => value.max(f64::MIN_POSITIVE).ln(),
            Self::Linear => value,
        }
    }
}

/// One feature's reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureReference {
    /// Feature name.
    pub name: String,
    /// Scale of its distances.
    pub scale: Scale,
    /// Interquartile range on that scale (the standard deviation when the IQR is zero, 1 when
    /// both are): the unit of the multivariate check's standardisation and of the effect size
    /// of a linear feature.
    pub spread: f64,
    /// Median on that scale (the centre of the multivariate standardisation).
    pub median: f64,
    /// Distinct decile edges of the reference on that scale: PSI's bins (the first and last
    /// bins open).
    pub psi_edges: Vec<f64>,
}

/// The multivariate check's PCA, over the features on their scales, centred on their
/// medians and divided by their spreads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MultivariateReference {
    /// The fitted PCA.
    pub pca: Pca,
}

/// Everything drift detection needs of the training data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftReference {
    /// Training customers the reference describes.
    pub customers: usize,
    /// Per feature, in the model's feature order.
    pub features: Vec<FeatureReference>,
    /// The reference sample: one column per feature, in the features' own units; row `i` of
    /// every column is the same customer.
    pub columns: Vec<Vec<f64>>,
    /// The multivariate check.
    pub multivariate: MultivariateReference,
}

fn skewness(values: &[f64]) -> f64 {
    let n = values.len().max(1) as f64;
    let mean = values.iter().sum::<f64>() / n;
    let m2 = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    let m3 = values.iter().map(|v| (v - mean).powi(3)).sum::<f64>() / n;
    if m2 > 0.0 { m3 / m2.powf(1.5) } else { 0.0 }
}

fn sorted(values: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut v: Vec<f64> = values.collect();
    v.sort_by(f64::total_cmp);
    v
}

impl FeatureReference {
    /// Describes one feature's training values.
    pub fn new(name: &str, values: &[f64]) -> Self {
        let mut distinct = sorted(values.iter().copied());
        distinct.dedup();
        let scale = if distinct.len() >= LOG_SCALE_MIN_DISTINCT
            && skewness(values).abs() > LOG_SCALE_SKEWNESS
        {
            Scale::Log1p
        } else {
            Scale::Linear
        };
        Self::with_scale(name, values, scale)
    }

    /// Describes one feature's training values on a scale chosen by the caller.
    pub fn with_scale(name: &str, values: &[f64], scale: Scale) -> Self {
        let on_scale = sorted(values.iter().map(|v| scale.apply(*v)));
        let iqr = quantile_sorted(&on_scale, 0.75) - quantile_sorted(&on_scale, 0.25);
        let n = on_scale.len().max(1) as f64;
        let mean = on_scale.iter().sum::<f64>() / n;
        let std = (on_scale.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
        let spread = [iqr, std].into_iter().find(|s| *s > 0.0).unwrap_or(1.0);
        let mut psi_edges: Vec<f64> = (0..=10)
            .map(|i| quantile_sorted(&on_scale, f64::from(i) / 10.0))
            .collect();
        psi_edges.dedup();
        Self {
            name: name.to_owned(),
            scale,
            spread,
            median: quantile_sorted(&on_scale, 0.5),
            psi_edges,
        }
    }

    /// `value` on this feature's scale.
    pub fn on_scale(&self, value: f64) -> f64 {
        self.scale.apply(value)
    }
}

impl DriftReference {
    /// The reference of training rows `x` (one column per feature of `names`); samples at
    /// most [`MAX_REFERENCE_ROWS`] rows with `seed`.
    pub fn new(names: &[String], x: ArrayView2<'_, f64>, seed: u64) -> Result<Self> {
        let (n, width) = x.dim();
        if n < 2 || width != names.len() {
            return Err(Error::Table(format!(
                "a drift reference needs at least two rows of {} features (got {n} rows of {width})",
                names.len()
            )));
        }
        let features: Vec<FeatureReference> = names
            .iter()
            .enumerate()
            .map(|(j, name)| FeatureReference::new(name, &x.column(j).to_vec()))
            .collect();
        let mut rows: Vec<usize> = if n > MAX_REFERENCE_ROWS {
            let mut rng = SmallRng::seed_from_u64(seed);
            sample(&mut rng, n, MAX_REFERENCE_ROWS).into_vec()
        } else {
            (0..n).collect()
        };
        rows.sort_unstable();
        let columns: Vec<Vec<f64>> = (0..width)
            .map(|j| rows.iter().map(|&i| x[[i, j]]).collect())
            .collect();
        let standardised = Array2::from_shape_fn((n, width), |(i, j)| {
            let f = &features[j];
            (f.on_scale(x[[i, j]]) - f.median) / f.spread
        });
        let pca = Pca::fit(
            standardised.view(),
            Components::VarianceThreshold(MULTIVARIATE_VARIANCE),
        )
        .map_err(|e| Error::Table(format!("the multivariate drift reference: {e}")))?;
        Ok(Self {
            customers: n,
            features,
            columns,
            multivariate: MultivariateReference { pca },
        })
    }

    /// Rows in the reference sample.
    pub fn rows(&self) -> usize {
        self.columns.first().map_or(0, Vec::len)
    }

    /// The PCA reconstruction error of one row (features in their own units): the distance
    /// between the standardised row and its projection on the kept components.
    pub fn reconstruction_error(&self, row: &[f64]) -> f64 {
        let pca = &self.multivariate.pca;
        let centred: Vec<f64> = row
            .iter()
            .zip(&self.features)
            .zip(&pca.mean)
            .map(|((v, f), mean)| (f.on_scale(*v) - f.median) / f.spread - mean)
            .collect();
        let mut residual = centred.clone();
        for component in &pca.components {
            let score: f64 = component.iter().zip(&centred).map(|(c, z)| c * z).sum();
            for (r, c) in residual.iter_mut().zip(component) {
                *r -= score * c;
            }
        }
        residual.iter().map(|r| r * r).sum::<f64>().sqrt()
    }

    /// The reconstruction errors of the reference sample.
    pub fn reference_reconstruction_errors(&self) -> Vec<f64> {
        let mut row = vec![0.0; self.features.len()];
        (0..self.rows())
            .map(|i| {
                for (value, column) in row.iter_mut().zip(&self.columns) {
                    *value = column[i];
                }
                self.reconstruction_error(&row)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn heavy_tailed_features_are_compared_on_the_log_scale_and_rows_stay_whole() {
        let mut rng = SmallRng::seed_from_u64(7);
        let n = 3000;
        let spend: Vec<f64> = (0..n)
            .map(|_| 10.0 / rng.random::<f64>().max(1e-3).powf(0.8))
            .collect();
        let hour: Vec<f64> = (0..n).map(|_| 8.0 + 10.0 * rng.random::<f64>()).collect();
        let visits: Vec<f64> = spend.iter().map(|s| (s / 50.0).floor() + 1.0).collect();
        let x = Array2::from_shape_fn((n, 3), |(i, j)| [spend[i], hour[i], visits[i]][j]);
        let names = vec!["Total_Spend".into(), "Hour".into(), "Visits".into()];
        let reference = DriftReference::new(&names, x.view(), 1).unwrap();
        assert_eq!(reference.features[0].scale, Scale::Log1p);
        assert_eq!(reference.features[1].scale, Scale::Linear);
        // Hour is uniform on [8, 18]: its IQR is about 5 hours.
        assert!((reference.features[1].spread - 5.0).abs() < 0.3);
        assert_eq!(reference.rows(), n);
        assert_eq!(reference.columns[0][17], spend[17]);
        assert_eq!(reference.columns[2][17], visits[17]);
        // Deciles on the log scale: 11 distinct edges for a continuous feature.
        assert_eq!(reference.features[0].psi_edges.len(), 11);
        // Spend and visits move together, so one component explains most of them: a row that
        // breaks the relation is reconstructed worse than the typical row.
        let typical = reference.reference_reconstruction_errors();
        let mut sorted_errors = typical.clone();
        sorted_errors.sort_by(f64::total_cmp);
        let median = sorted_errors[n / 2];
        let broken = reference.reconstruction_error(&[spend[0], hour[0], 5000.0]);
        assert!(broken > 3.0 * median, "{broken} vs {median}");
    }

    #[test]
    fn large_tables_are_sampled_with_the_seed() {
        let n = MAX_REFERENCE_ROWS + 500;
        let x = Array2::from_shape_fn((n, 2), |(i, j)| (i * (j + 1)) as f64);
        let names = vec!["a".into(), "b".into()];
        let one = DriftReference::new(&names, x.view(), 3).unwrap();
        let again = DriftReference::new(&names, x.view(), 3).unwrap();
        assert_eq!(one, again);
        assert_eq!((one.rows(), one.customers), (MAX_REFERENCE_ROWS, n));
        assert!(one.columns[0].windows(2).all(|w| w[0] < w[1]));
        assert_eq!(one.columns[1][10], 2.0 * one.columns[0][10]);
        assert!(DriftReference::new(&names, Array2::<f64>::zeros((1, 2)).view(), 3).is_err());
    }
}
