//! Errors of training, loading and applying the segmentation model.

/// What can go wrong.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The customer table cannot be used: a column is missing, unknown or not numeric, or a
    /// value is not a finite number.
    #[error("{0}")]
    Table(String),
    /// The configuration is invalid.
    #[error("invalid model configuration: {0}")]
    Config(String),
    /// A model file cannot be used.
    #[error("model file: {0}")]
    ModelFile(String),
    /// An algorithm refused its input or parameters.
    #[error(transparent)]
    Ml(#[from] custseg_ml::Error),
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
