//! The model file: everything `predict` and `serve` need, in one versioned JSON document.
//!
//! Same data, configuration and seed give a byte-identical file: no timestamps, no hash maps,
//! and every algorithm seeded and reduced in a fixed order.

use custseg_ml::isolation_forest::IsolationForest;
use custseg_ml::kmeans::Init;
use custseg_ml::metrics::SilhouetteScore;
use custseg_ml::pca::Pca;
use custseg_ml::scaling::Scaler;
use custseg_ml::search::{SelectionRule, Stability};
use serde::{Deserialize, Serialize};

use crate::config::ModelConfig;
use crate::drift_reference::DriftReference;
use crate::error::{Error, Result};
use crate::stats::FeatureStats;

/// Value of the `format` field.
pub const FORMAT: &str = "custseg-segmentation-model";

/// Version of the file layout; loading refuses any other.
pub const SCHEMA_VERSION: u32 = 1;

/// What the model was trained on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingInfo {
    /// SHA-256 of the feature table file, when trained from a file.
    pub data_sha256: Option<String>,
    /// Customers in the table.
    pub customers: usize,
    /// Customers the scaler, PCA and K-Means were fitted on.
    pub inliers: usize,
    /// Customers flagged by Isolation Forest.
    pub outliers: usize,
    /// Inliers the K-Means search fitted on, when it fitted on a stratified sample of them
    /// (see `max_search_customers`); scaling and PCA are fitted on all inliers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search_customers: Option<usize>,
}

/// One segment as the model knows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentInfo {
    /// Stable segment id (kept across retrains with `--previous`).
    pub id: usize,
    /// Name.
    pub name: String,
    /// How the name was derived.
    pub description: String,
    /// Training customers assigned.
    pub size: usize,
    /// Mean of each model feature over the segment's inliers, in the features' own units (used
    /// to match segments across retrains and to explain predictions).
    pub feature_means: Vec<f64>,
}

/// How the number of segments was chosen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SelectionInfo {
    /// Chosen k.
    pub k: usize,
    /// Chosen initialisation.
    pub init: Init,
    /// Rule applied.
    pub rule: SelectionRule,
    /// The reason in words.
    pub reason: String,
}

/// Scores of the chosen clustering on the training inliers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelMetrics {
    /// Silhouette.
    pub silhouette: SilhouetteScore,
    /// Davies-Bouldin index.
    pub davies_bouldin: f64,
    /// Calinski-Harabasz index.
    pub calinski_harabasz: f64,
    /// Inertia.
    pub inertia: f64,
    /// Bootstrap stability.
    pub stability: Option<Stability>,
}

/// The whole model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelFile {
    /// Always [`FORMAT`].
    pub format: String,
    /// Always [`SCHEMA_VERSION`] when written by this version.
    pub schema_version: u32,
    /// The program that wrote it.
    pub created_by: String,
    /// Feature names, in the order every vector below uses.
    pub features: Vec<String>,
    /// Training data.
    pub training: TrainingInfo,
    /// Outlier detector (absent when outlier detection was off).
    pub outliers: Option<IsolationForest>,
    /// Scaler fitted on the inliers.
    pub scaler: Scaler,
    /// PCA fitted on the scaled inliers.
    pub pca: Pca,
    /// Centroids in PCA space, one per segment, in `segments` order.
    pub centroids: Vec<Vec<f64>>,
    /// Segments, in centroid order.
    pub segments: Vec<SegmentInfo>,
    /// Why this k.
    pub selection: SelectionInfo,
    /// Scores of the chosen clustering.
    pub metrics: ModelMetrics,
    /// Distribution of each feature over all training customers (for drift detection).
    pub feature_stats: Vec<FeatureStats>,
    /// What drift detection compares served inputs with (absent in files written before it
    /// existed: drift detection then asks for a retrain).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drift_reference: Option<DriftReference>,
    /// The configuration it was trained with.
    pub config: ModelConfig,
}

impl ModelFile {
    /// Serialises to the bytes written on disk (compact JSON and a newline).
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut bytes =
            serde_json::to_vec(self).map_err(|error| Error::ModelFile(error.to_string()))?;
        bytes.push(b'\n');
        Ok(bytes)
    }

    /// Parses and checks a model file's bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        #[derive(Deserialize)]
        struct Header {
            format: Option<String>,
            schema_version: Option<u32>,
        }
        let header: Header = serde_json::from_slice(bytes)
            .map_err(|error| Error::ModelFile(format!("not a JSON model file: {error}")))?;
        if header.format.as_deref() != Some(FORMAT) {
            return Err(Error::ModelFile(format!(
                "not a custseg segmentation model (format `{}`, expected `{FORMAT}`)",
                header.format.unwrap_or_default()
            )));
        }
        if header.schema_version != Some(SCHEMA_VERSION) {
            return Err(Error::ModelFile(format!(
                "schema version {} is not supported by this custseg (it reads version {SCHEMA_VERSION}); retrain the model",
                header
                    .schema_version
                    .map_or("missing".to_owned(), |v| v.to_string())
            )));
        }
        let model: Self = serde_json::from_slice(bytes)
            .map_err(|error| Error::ModelFile(format!("malformed model file: {error}")))?;
        model.check()?;
        Ok(model)
    }

    /// Checks that the parts agree with each other.
    pub fn check(&self) -> Result<()> {
        let width = self.features.len();
        let fail = |what: String| Err(Error::ModelFile(what));
        if width == 0 {
            return fail("the model lists no features".into());
        }
        if self.scaler.n_features() != width || self.pca.mean.len() != width {
            return fail(format!(
                "the scaler or PCA expects a different number of features than the {width} listed"
            ));
        }
        if let Some(forest) = &self.outliers {
            if forest.n_features != width {
                return fail("the outlier detector expects a different number of features".into());
            }
            if let Err(error) = forest.prepare() {
                return fail(format!("the outlier detector: {error}"));
            }
        }
        if self.centroids.is_empty() || self.centroids.len() != self.segments.len() {
            return fail("centroids and segments do not match".into());
        }
        if self
            .centroids
            .iter()
            .any(|c| c.len() != self.pca.n_components())
        {
            return fail("a centroid does not have one value per PCA component".into());
        }
        Ok(())
    }

    /// Number of segments.
    pub fn k(&self) -> usize {
        self.centroids.len()
    }
}
