//! The model's settings: the `[model]` table of `custseg.toml`.

use custseg_ml::isolation_forest::IsolationForestParams;
use custseg_ml::pca::Components;
use custseg_ml::scaling::ScalingKind;
use custseg_ml::search::SearchConfig;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::rfm::RfmTable;

/// The 15 behavioural features the model clusters on by default, in the order the model file
/// keeps: the feature table's columns ([`custseg_schema::FEATURES`]).
pub const DEFAULT_FEATURES: [&str; 15] = custseg_schema::FEATURES;

/// Outlier detection settings (Isolation Forest on the unscaled features).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OutlierConfig {
    /// Whether to run Isolation Forest at all.
    pub enabled: bool,
    /// Number of trees.
    pub n_estimators: usize,
    /// Customers per tree (default: `min(256, n)`).
    pub max_samples: Option<usize>,
    /// Expected share of outliers.
    pub contamination: f64,
    /// Random seed.
    pub seed: u64,
}

impl Default for OutlierConfig {
    fn default() -> Self {
        let forest = IsolationForestParams::default();
        Self {
            enabled: true,
            n_estimators: forest.n_estimators,
            max_samples: forest.max_samples,
            contamination: forest.contamination.unwrap_or(0.05),
            seed: forest.seed,
        }
    }
}

impl OutlierConfig {
    /// As the algorithm's parameters.
    pub fn params(&self) -> IsolationForestParams {
        IsolationForestParams {
            n_estimators: self.n_estimators,
            max_samples: self.max_samples,
            contamination: Some(self.contamination),
            seed: self.seed,
        }
    }
}

/// PCA settings: a fixed number of components, or a variance threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PcaConfig {
    /// Keep exactly this many components (overrides the threshold).
    pub n_components: Option<usize>,
    /// Keep the fewest components explaining at least this share of the variance.
    pub variance_threshold: f64,
}

impl Default for PcaConfig {
    fn default() -> Self {
        Self {
            n_components: None,
            variance_threshold: 0.85,
        }
    }
}

impl PcaConfig {
    /// As the algorithm's parameter.
    pub fn components(&self) -> Components {
        match self.n_components {
            Some(n) => Components::Fixed(n),
            None => Components::VarianceThreshold(self.variance_threshold),
        }
    }
}

/// Everything `custseg train` needs besides the data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModelConfig {
    /// Feature columns clustered on, in order.
    pub features: Vec<String>,
    /// Outlier detection.
    pub outliers: OutlierConfig,
    /// Scaling: `standard` or `robust`.
    pub scaling: ScalingKind,
    /// Dimensionality reduction.
    pub pca: PcaConfig,
    /// The K-Means search and the selection rule.
    pub search: SearchConfig,
    /// Inliers the search fits on at most; above it, a sample stratified by RFM cell
    /// (seeded by `search.seed`). Every customer is assigned afterwards. Default: 200,000.
    pub max_search_customers: usize,
    /// The RFM segment table (default: the built-in complete table, see `docs/segments.md`).
    pub rfm: RfmTable,
}

impl Default for ModelConfig {
    fn default() -> Self {
        Self {
            features: DEFAULT_FEATURES.iter().map(|f| (*f).to_owned()).collect(),
            outliers: OutlierConfig::default(),
            scaling: ScalingKind::Standard,
            pca: PcaConfig::default(),
            search: SearchConfig::default(),
            max_search_customers: 200_000,
            rfm: RfmTable::default(),
        }
    }
}

impl ModelConfig {
    /// Checks what can be checked without data.
    pub fn check(&self) -> Result<()> {
        if self.features.is_empty() {
            return Err(Error::Config("`features` lists no column".into()));
        }
        let mut seen = std::collections::HashSet::new();
        for feature in &self.features {
            if !seen.insert(feature) {
                return Err(Error::Config(format!(
                    "feature `{feature}` is listed twice"
                )));
            }
        }
        if self.outliers.enabled {
            self.outliers.params().check()?;
        }
        self.search.check_grid()?;
        if self.max_search_customers <= self.search.k_max {
            return Err(Error::Config(format!(
                "`max_search_customers` ({}) must be above `search.k_max` ({})",
                self.max_search_customers, self.search.k_max
            )));
        }
        self.rfm.check()?;
        Ok(())
    }
}
