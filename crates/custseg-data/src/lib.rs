//! From a raw transaction log to a clean, fully accounted table of transactions
//! and one row of features per customer.
//!
//! - [`ingest`] reads CSV, CSV.gz, xlsx, legacy xls, ods, Parquet, zip archives and URLs into one
//!   canonical schema ([`schema`]), cached as Parquet by content hash.
//! - [`clean`] applies the cleaning rules as one DataFusion plan; every dropped row
//!   goes to quarantine with its rule, and the quality report adds up.
//! - [`features`] computes the per-customer features as DataFusion SQL.
//! - [`engine`] is the one place that builds the DataFusion session.
//!
//! Transaction-level work is expressed as DataFusion plans, never as loops over
//! rows, so the same plans can run on a Ballista cluster. This crate knows nothing
//! of models, serving or reports.

mod background_writer;
pub mod clean;
pub mod engine;
mod error;
pub mod features;
pub mod ingest;
pub mod insights;
mod parquet_concat;
mod parquet_settings;
pub mod pipeline;
pub mod plan_metrics;
mod progress;
pub mod purchases;
pub mod schema;
mod tables;

pub use error::{Error, Location, Result};
pub use progress::{NoProgress, Progress};
