//! Cluster-quality metrics, as scikit-learn defines them.
//!
//! Davies-Bouldin, Calinski-Harabasz and the adjusted Rand index are a few lines each and no
//! well-kept Rust crate offers them on ndarray, so they are written here. Silhouette is written
//! here too, because the search scores many labelings of the same points and this
//! implementation computes each pairwise distance once for all of them (linfa's
//! `SilhouetteScore` recomputes every distance per labeling).

mod adjusted_rand;
mod calinski_harabasz;
mod davies_bouldin;
mod labels;
mod silhouette;

pub use adjusted_rand::adjusted_rand_index;
pub use calinski_harabasz::calinski_harabasz;
pub use davies_bouldin::davies_bouldin;
pub use silhouette::{SilhouetteOptions, SilhouetteScore, silhouette_score, silhouette_scores};
