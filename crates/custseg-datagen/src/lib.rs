//! Seeded synthetic transaction logs in the UCI Online Retail schema, for the demo,
//! tests and benchmarks.
//!
//! The log looks like the real one where it matters to custseg: heavy-tailed spend
//! per customer, seasonality toward November, no trading on Saturdays, about 2 %
//! cancellation lines, about 25 % of rows without CustomerID, exact duplicates,
//! non-product stock codes, zero prices and missing descriptions, and a customer
//! base dominated by the United Kingdom. Rows are generated invoice by invoice and
//! streamed to disk, so a hundred million rows need little memory. The same
//! [`DemoSpec`] always produces the same bytes.
//!
//! This crate depends on Arrow and Parquet only, never on DataFusion.

mod abandoned;
mod bgnbd_process;
mod catalogue;
mod error;
mod generator;
mod matrix;
mod writer;

pub use bgnbd_process::{
    SimulatedCustomer, simulate_bgnbd, simulate_bgnbd_with_holdout, simulate_gamma_gamma_spend,
};
pub use error::{Error, Result};
pub use generator::{DemoSpec, Generator, Line};
pub use matrix::gaussian_blobs;
pub use writer::{OutputFormat, write_demo, write_demo_partitioned};
