//! The customer segmentation model: from a table of customer features to named segments and
//! a model file that scores new customers.
//!
//! [`train::train`] runs Isolation Forest (outliers are flagged, not dropped), scaling and PCA
//! fitted on the inliers, the K-Means search of `custseg-ml`, then orders and names the
//! segments from their profiles and scores every customer on the RFM grid.
//! [`model_file::ModelFile`] is the one versioned file `predict` and `serve` load.
//!
//! This crate speaks in customers and features but not in files or query plans: tables come in
//! as [`table::CustomerTable`] (`custseg-pipeline` converts Parquet/CSV/JSON) and no DataFusion is
//! linked.

pub mod config;
pub mod drift_reference;
pub mod error;
pub mod matching;
pub mod model_file;
pub mod naming;
pub mod predict;
pub mod profile;
pub mod rfm;
pub mod search_sample;
pub mod stats;
pub mod table;
pub mod train;

pub use config::ModelConfig;
pub use error::{Error, Result};
pub use model_file::ModelFile;
pub use table::CustomerTable;
