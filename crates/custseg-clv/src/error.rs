//! Errors of the lifetime-value models.

/// What can go wrong.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The summary cannot be used: negative values, recency beyond T, no repeat customer.
    #[error("{0}")]
    Data(String),
    /// A setting is out of range.
    #[error("invalid parameter `{name}`: {reason}")]
    InvalidParameter {
        /// Setting name.
        name: &'static str,
        /// What was expected.
        reason: String,
    },
    /// The optimiser failed outright (not merely without converging: that is a warning).
    #[error("optimisation failed: {0}")]
    Optimisation(String),
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
