//! The pipeline's stages, one file each: what a stage reads, its parameters, what it writes,
//! and the call to its body. The DAG they form is in `graph.rs`.

pub mod clean;
pub mod clv;
pub mod evaluate;
pub mod features;
pub mod ingest;
pub mod register;
pub mod report;
pub mod train;
