//! The custseg application as a library: everything a command does between reading its
//! settings and printing its result.
//!
//! - [`settings`]: everything configurable, as `custseg.toml` spells it;
//! - [`request`]: what a run is built from (input, settings, which part of the DAG);
//! - [`graph`]: the pipeline as a DAG of cached stages (ingest -> clean -> features -> lifetime
//!   value -> train -> evaluate -> register -> report), one file per stage in [`stages`];
//! - [`run`]: one run of that DAG in an output directory, recorded as a tracked run;
//! - the stage bodies: [`clv_stage`], [`model_stage`], [`report_stage`] (ingest, clean and
//!   features are `custseg-data`'s), each returning its summary as lines;
//! - [`tables`]: the typed readers and writers of the tables one part writes and another
//!   reads; [`tracking`]: where runs and registered models go, and what a run records.
//!
//! It owns the order of the steps and the files between them. It must never depend on the
//! command line (`clap`) or the terminal (`indicatif`, colours), and never binds or runs the
//! HTTP server ([`serving`] loads what it serves, with `custseg-serve`'s types): the binary
//! parses, prints, shows progress and serves, and hands progress in through
//! [`custseg_data::Progress`].

pub mod clv_stage;
pub mod engine_stage;
pub mod graph;
pub mod model_stage;
pub mod monitoring;
pub mod profiles_file;
pub mod registered;
pub mod report_stage;
pub mod request;
pub mod retraining;
pub mod run;
pub mod serving;
pub mod settings;
pub mod stages;
pub mod tables;
pub mod tracking;
