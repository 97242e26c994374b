//! Times the parse of an input on a local query engine (what a cluster's executors run for
//! Parquet and CSV inputs) against the client's own parse of it.
//!
//! `cargo run --release -p custseg-data --example engine_parse_timing -- <input> <runs>`:
//! each run parses the input afresh (no cache) both ways and prints the wall times;
//! `RUST_LOG=custseg_data=debug` shows each job.

use std::time::Instant;

use custseg_data::NoProgress;
use custseg_data::engine::{EngineOptions, session};
use custseg_data::ingest::{self, IngestOptions};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let mut args = std::env::args().skip(1);
    let input = args
        .next()
        .ok_or("usage: engine_parse_timing <input> <runs>")?;
    let runs: usize = args.next().ok_or("missing <runs>")?.parse()?;
    let data = tempfile::tempdir()?;
    let options = IngestOptions {
        data_dir: data.path().to_path_buf(),
        cache: false,
        ..IngestOptions::default()
    };
    let context = session(&EngineOptions::default()).await?;
    for run in 1..=runs {
        let clock = Instant::now();
        let client = ingest::ingest(
            &ingest::InputSource::classify(&input),
            &options,
            &NoProgress,
        )?;
        let client_seconds = clock.elapsed().as_secs_f64();
        let clock = Instant::now();
        let engine = ingest::ingest_with_engine(
            &ingest::InputSource::classify(&input),
            &options,
            &NoProgress,
            &context,
        )
        .await?;
        let engine_seconds = clock.elapsed().as_secs_f64();
        println!(
            "run {run}: client {client_seconds:.3} s, engine {engine_seconds:.3} s ({} rows, engine parsed: {})",
            client.outcome.rows,
            engine.parsed.is_dir()
        );
    }
    Ok(())
}
