//! Errors of the learning algorithms: invalid hyperparameters and unusable data.

/// What can go wrong when fitting or applying a model.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A hyperparameter is out of its valid range.
    #[error("invalid parameter `{name}`: {reason}")]
    InvalidParameter {
        /// Parameter name as in the configuration.
        name: &'static str,
        /// What was expected.
        reason: String,
    },
    /// The data cannot be used (too few rows, non-finite values, wrong width).
    #[error("{0}")]
    Data(String),
    /// A linear-algebra routine failed.
    #[error("linear algebra failed: {0}")]
    LinearAlgebra(String),
}

impl Error {
    /// Shorthand for [`Error::InvalidParameter`].
    pub fn parameter(name: &'static str, reason: impl Into<String>) -> Self {
        Self::InvalidParameter {
            name,
            reason: reason.into(),
        }
    }
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Checks that a matrix has rows, the expected width, and only finite values.
pub(crate) fn check_matrix(
    x: ndarray::ArrayView2<'_, f64>,
    expected_columns: Option<usize>,
) -> Result<()> {
    if x.nrows() == 0 {
        return Err(Error::Data("the matrix has no rows".into()));
    }
    if let Some(width) = expected_columns
        && x.ncols() != width
    {
        return Err(Error::Data(format!(
            "expected {width} columns, got {}",
            x.ncols()
        )));
    }
    // Fast scan first; positions are worked out only when something is wrong.
    if x.iter().all(|v| v.is_finite()) {
        return Ok(());
    }
    if let Some(((row, column), value)) = x.indexed_iter().find(|(_, v)| !v.is_finite()) {
        return Err(Error::Data(format!(
            "row {row}, column {column}: value `{value}` is not a finite number"
        )));
    }
    Ok(())
}
