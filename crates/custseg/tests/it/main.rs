//! The `custseg` binary as a user runs it: exit codes, stdout, stderr, files.
#![expect(
    clippy::unwrap_used,
    reason = "test helpers fail loudly on broken fixtures"
)]

mod airflow;
mod architecture;
mod cli;
mod cluster;
mod clv;
mod directory_input;
mod fault_proxy;
mod mlflow;
mod mlflow_faults;
mod mlflow_server;
mod model;
mod monitor;
mod object_store;
mod pipeline;
mod predict;
mod report;
mod schedule;
mod serve;
mod tracking;
