//! Generic unsupervised-learning algorithms on `ndarray` matrices: feature scaling, PCA,
//! K-Means with a scored hyperparameter search, Isolation Forest, and the cluster-quality
//! metrics (silhouette, Davies-Bouldin, Calinski-Harabasz, adjusted Rand index).
//!
//! Numbers in, numbers out: this crate knows nothing about customers, files or DataFusion,
//! which keeps it quick to build and test. Every algorithm that draws random numbers takes an
//! explicit seed and uses ChaCha8, whose output is fixed by its specification, so a seed gives
//! the same result on every platform and every release. Parallel loops reduce their partial
//! results in a fixed order, so results do not depend on the number of threads either.
//!
//! The algorithms follow scikit-learn's definitions (which the tests check against stored
//! reference values), because that is what our users compare with.

pub mod distance;
pub mod error;
pub mod isolation_forest;
pub mod kmeans;
pub mod metrics;
pub mod pca;
pub mod scaling;
pub mod search;

pub use error::{Error, Result};
