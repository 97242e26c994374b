//! K-Means hyperparameters and their checks.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// How the starting centroids are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Init {
    /// Greedy k-means++: spread the starting centroids out, weighted by squared distance.
    #[serde(rename = "k-means++")]
    KMeansPlusPlus,
    /// `k` distinct rows drawn uniformly.
    #[serde(rename = "random")]
    Random,
}

impl Init {
    /// The name used in configuration files and tables (scikit-learn's).
    pub fn name(self) -> &'static str {
        match self {
            Self::KMeansPlusPlus => "k-means++",
            Self::Random => "random",
        }
    }
}

impl std::fmt::Display for Init {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Init {
    type Err = Error;
    fn from_str(text: &str) -> Result<Self> {
        match text {
            "k-means++" | "kmeans++" => Ok(Self::KMeansPlusPlus),
            "random" => Ok(Self::Random),
            other => Err(Error::parameter(
                "init",
                format!("expected `k-means++` or `random`, got `{other}`"),
            )),
        }
    }
}

/// Hyperparameters of one K-Means fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KMeansParams {
    /// Number of clusters.
    pub k: usize,
    /// Initialisation method.
    pub init: Init,
    /// Independent restarts; the one with the lowest inertia is kept.
    pub n_init: usize,
    /// Lloyd iterations per restart at most.
    pub max_iter: usize,
    /// Convergence tolerance, relative to the mean per-feature variance of the data: a restart
    /// stops when the squared centroid shift falls to `tol x mean variance` or below.
    pub tol: f64,
    /// Random seed.
    pub seed: u64,
}

impl KMeansParams {
    /// scikit-learn's defaults for `k` clusters.
    pub fn new(k: usize) -> Self {
        Self {
            k,
            init: Init::KMeansPlusPlus,
            n_init: 10,
            max_iter: 300,
            tol: 1e-4,
            seed: 0,
        }
    }

    /// Checks the values against each other and against the number of rows.
    pub fn check(&self, n_rows: usize) -> Result<()> {
        if self.k == 0 {
            return Err(Error::parameter("k", "must be at least 1"));
        }
        if self.k > n_rows {
            return Err(Error::parameter(
                "k",
                format!(
                    "{} clusters need at least as many rows, got {n_rows}",
                    self.k
                ),
            ));
        }
        if self.n_init == 0 {
            return Err(Error::parameter("n_init", "must be at least 1"));
        }
        if self.max_iter == 0 {
            return Err(Error::parameter("max_iter", "must be at least 1"));
        }
        if !(self.tol >= 0.0 && self.tol.is_finite()) {
            return Err(Error::parameter(
                "tol",
                format!("must be >= 0, got {}", self.tol),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn n_clusters_cannot_be_zero_or_exceed_rows() {
        assert!(KMeansParams::new(0).check(10).is_err());
        assert!(KMeansParams::new(11).check(10).is_err());
        assert!(KMeansParams::new(10).check(10).is_ok());
    }

    #[test]
    fn init_names_round_trip() {
        for init in [Init::KMeansPlusPlus, Init::Random] {
            assert_eq!(init.name().parse::<Init>().unwrap(), init);
        }
        assert!("forgy".parse::<Init>().is_err());
    }
}
