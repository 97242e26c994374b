//! The reference as many windows use it: prepared once from the model file's drift reference.

use custseg_model::drift_reference::{DriftReference, FeatureReference, MULTIVARIATE_NAME, Scale};

/// The reference prepared once for many windows: each feature's sample sorted on its scale,
/// the reference's reconstruction errors, and the training segment sizes.
#[derive(Debug, Clone)]
pub struct PreparedReference {
    /// The stored reference.
    pub reference: DriftReference,
    pub(crate) sorted: Vec<Vec<f64>>,
    pub(crate) errors: FeatureReference,
    pub(crate) errors_sorted: Vec<f64>,
    /// `(segment id, training customers)` in model order.
    pub segments: Vec<(usize, usize)>,
}

pub(crate) fn sorted_on(feature: &FeatureReference, values: &[f64]) -> Vec<f64> {
    let mut v: Vec<f64> = values
        .iter()
        .filter(|v| v.is_finite())
        .map(|v| feature.on_scale(*v))
        .collect();
    v.sort_unstable_by(f64::total_cmp);
    v
}

impl PreparedReference {
    /// Prepares `reference` and the training segment sizes.
    pub fn new(reference: DriftReference, segments: Vec<(usize, usize)>) -> Self {
        let sorted = reference
            .features
            .iter()
            .zip(&reference.columns)
            .map(|(f, c)| sorted_on(f, c))
            .collect();
        let raw_errors = reference.reference_reconstruction_errors();
        // The error is a positive length: its changes read as relative ones.
        let errors = FeatureReference::with_scale(MULTIVARIATE_NAME, &raw_errors, Scale::Log);
        let errors_sorted = sorted_on(&errors, &raw_errors);
        Self {
            reference,
            sorted,
            errors,
            errors_sorted,
            segments,
        }
    }

    /// Feature names, in model order.
    pub fn feature_names(&self) -> Vec<String> {
        self.reference
            .features
            .iter()
            .map(|f| f.name.clone())
            .collect()
    }
}
