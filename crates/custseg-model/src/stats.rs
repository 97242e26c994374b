//! Training statistics per feature: quantiles and a histogram, kept in the model file so that
//! drift in the inputs of a served model can be measured against what it was trained on.

use custseg_ml::scaling::quantile_sorted;
use serde::{Deserialize, Serialize};

/// Quantile levels recorded.
pub const QUANTILE_LEVELS: [f64; 11] =
    [0.0, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1.0];

/// Histogram bins recorded.
pub const HISTOGRAM_BINS: usize = 20;

/// The distribution of one feature over the training customers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureStats {
    /// Feature name.
    pub name: String,
    /// Mean.
    pub mean: f64,
    /// Population standard deviation.
    pub std: f64,
    /// `(level, value)` for each of [`QUANTILE_LEVELS`].
    pub quantiles: Vec<(f64, f64)>,
    /// Bin edges, `HISTOGRAM_BINS + 1` of them, equal width from minimum to maximum.
    pub histogram_edges: Vec<f64>,
    /// Customers per bin (the last bin includes the maximum).
    pub histogram_counts: Vec<u64>,
}

impl FeatureStats {
    /// Summarises `values`.
    pub fn new(name: &str, values: &[f64]) -> Self {
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let n = values.len().max(1) as f64;
        let mean = values.iter().sum::<f64>() / n;
        let std = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
        let (low, high) = (
            sorted.first().copied().unwrap_or(0.0),
            sorted.last().copied().unwrap_or(0.0),
        );
        let width = (high - low) / HISTOGRAM_BINS as f64;
        let histogram_edges: Vec<f64> = (0..=HISTOGRAM_BINS)
            .map(|i| {
                if i == HISTOGRAM_BINS {
                    high
                } else {
                    low + width * i as f64
                }
            })
            .collect();
        let mut histogram_counts = vec![0u64; HISTOGRAM_BINS];
        for v in values {
            let bin = if width > 0.0 {
                (((v - low) / width) as usize).min(HISTOGRAM_BINS - 1)
            } else {
                0
            };
            histogram_counts[bin] += 1;
        }
        Self {
            name: name.to_owned(),
            mean,
            std,
            quantiles: QUANTILE_LEVELS
                .iter()
                .map(|&q| (q, quantile_sorted(&sorted, q)))
                .collect(),
            histogram_edges,
            histogram_counts,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_counts_every_value_and_quantiles_bracket_them() {
        let values: Vec<f64> = (0..=100).map(f64::from).collect();
        let stats = FeatureStats::new("x", &values);
        assert_eq!(stats.histogram_counts.iter().sum::<u64>(), 101);
        assert_eq!(stats.histogram_counts[19], 6); // 95..=100
        assert_eq!(stats.quantiles[5], (0.5, 50.0));
        assert_eq!(stats.quantiles[0].1, 0.0);
        assert_eq!(stats.quantiles[10].1, 100.0);
    }
}
