use std::path::PathBuf;

/// Errors of demo-data generation.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The specification is invalid.
    #[error("invalid demo-data setting: {0}")]
    Spec(String),
    /// Writing failed.
    #[error("`{}`: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// Arrow failed.
    #[error("arrow: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
    /// Parquet failed.
    #[error("parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    /// Committing the output failed.
    #[error(transparent)]
    Files(#[from] custseg_io::Error),
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
