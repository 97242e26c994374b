//! K-Means clustering (Lloyd's algorithm) with k-means++ or random initialisation.
//!
//! Written here rather than taken from `linfa-clustering`: linfa's K-Means updates each centroid
//! as the mean of its points *and its previous position* (the "m_k-means" variant), which is not
//! Lloyd's algorithm and does not reproduce scikit-learn's `KMeans` from the same starting
//! centroids. Our users compare with scikit-learn, so this module follows it step by step: its
//! greedy k-means++ (2 + ln k local trials), its tolerance (relative to the mean feature
//! variance), strict convergence when labels stop changing, and its relocation of empty clusters.
//! Fits skip distance computations with Hamerly's bounds (`hamerly.rs`), which changes no
//! result, only the time.

mod algorithm;
mod hamerly;
mod hyperparams;
mod init;

pub use algorithm::{KMeans, lloyd, squared_distance};
pub use hyperparams::{Init, KMeansParams};
