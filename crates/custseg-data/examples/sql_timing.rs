//! Times SQL statements over a canonical Parquet file with the engine custseg uses, to
//! compare ways of writing one step before changing the plans.
//!
//! `cargo run --release -p custseg-data --example sql_timing -- <parquet> <runs> <sql>...`:
//! the file is registered as `raw` (sorted by `source_row`, as the clean stage registers
//! it); each statement runs `runs` times, its result drained, and the best and median wall
//! times are printed. A statement starting with `EXPLAIN` (e.g. `EXPLAIN ANALYZE ...`) prints its plan instead.
//! `MEMORY_LIMIT_BYTES=<n>` in the environment gives the engine the memory limit
//! `--memory-limit` would.

use std::time::Instant;

use custseg_data::engine::{EngineOptions, session};
use custseg_data::schema::SOURCE_ROW;
use datafusion::prelude::{ParquetReadOptions, col};
use futures::StreamExt;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .ok_or("usage: sql_timing <parquet> <runs> <sql>...")?;
    let runs: usize = args.next().ok_or("missing <runs>")?.parse()?;
    if runs == 0 {
        return Err("<runs> must be at least 1".into());
    }
    let memory_limit = match std::env::var("MEMORY_LIMIT_BYTES") {
        Ok(bytes) => Some(bytes.parse::<u64>()?),
        Err(_) => None,
    };
    let context = session(&EngineOptions {
        memory_limit,
        ..EngineOptions::default()
    })
    .await?;
    let options = ParquetReadOptions::default()
        .file_sort_order(vec![vec![col(SOURCE_ROW).sort(true, false)]]);
    context.register_parquet("raw", &path, options).await?;
    for sql in args {
        if sql.starts_with("EXPLAIN") {
            let batches = context.sql(&sql).await?.collect().await?;
            println!("{}", arrow::util::pretty::pretty_format_batches(&batches)?);
            continue;
        }
        let mut seconds = Vec::with_capacity(runs);
        let mut rows = 0;
        for _ in 0..runs {
            let clock = Instant::now();
            let mut stream = context.sql(&sql).await?.execute_stream().await?;
            rows = 0;
            while let Some(batch) = stream.next().await {
                rows += batch?.num_rows();
            }
            seconds.push(clock.elapsed().as_secs_f64());
        }
        seconds.sort_by(f64::total_cmp);
        println!(
            "best {:.4} s, median {:.4} s, {rows} rows: {sql}",
            seconds[0],
            seconds[seconds.len() / 2]
        );
    }
    Ok(())
}
