//! The scores of a model that tracking logs and the promotion gate compares.

use std::collections::BTreeMap;

use custseg_model::ModelFile;

/// `silhouette`, `davies_bouldin`, `calinski_harabasz`, `inertia`, `k`, `customers`,
/// `outliers` and, when bootstraps ran, `stability_ari` (mean adjusted Rand index).
pub fn model_scores(model: &ModelFile) -> BTreeMap<String, f64> {
    let metrics = &model.metrics;
    let mut scores = BTreeMap::from([
        ("silhouette".to_owned(), metrics.silhouette.mean),
        ("davies_bouldin".to_owned(), metrics.davies_bouldin),
        ("calinski_harabasz".to_owned(), metrics.calinski_harabasz),
        ("inertia".to_owned(), metrics.inertia),
        ("k".to_owned(), model.selection.k as f64),
        ("customers".to_owned(), model.training.customers as f64),
        ("outliers".to_owned(), model.training.outliers as f64),
    ]);
    if let Some(stability) = &metrics.stability {
        scores.insert("stability_ari".to_owned(), stability.mean_ari);
    }
    scores
}
