//! Integration tests of custseg-data: one binary, one module per concern.
#![expect(
    clippy::unwrap_used,
    reason = "test helpers fail loudly on broken fixtures"
)]

mod bad_input;
mod cleaning;
mod decimals;
mod download;
mod engine_csv;
mod engine_parse;
mod features;
mod insights;
mod ods;
mod real_data;
mod support;
mod xls;
mod xlsx;
