//! How fast the query engine alone does a strict subset of what `custseg features` must do:
//! a floor under any implementation of the command as DataFusion plans on this machine, to
//! tell the time the engine needs from the time our own code adds.
//!
//! `cargo run --release -p custseg-data --example engine_floor -- <input> <out dir>`, where
//! `<input>` is either a parse cache (`datasets/parsed/<hash>.parquet` after one `custseg
//! features` run: the input already in the canonical schema, so nothing is parsed) or the
//! UCI CSV.gz (`*.csv.gz`: read by the engine, converted to the canonical types and held in
//! memory first). Then, in one process, timed from the start of `main`:
//! 1. a session configured as custseg configures it;
//! 2. the exact-duplicate check in the cheapest form found when this was written (custseg's
//!    form has moved on since; `bench/engine_floor.py` follows it at any size): the
//!    `(InvoiceNo, StockCode, Quantity)` keys that occur more than once (rows equal over all
//!    eight columns agree on these), then those keys' rows numbered within groups equal over
//!    all eight columns; every row after the first is a duplicate (NULLs are not matched).
//!    One aggregate over all eight columns joined back to the rows took 0.22 s against this
//!    form's 0.15 s (best of 7, `examples/sql_timing.rs`, 2026-12-06);
//! 3. one `COPY` of the kept rows (no duplicate, none of the four dropping rules as custseg
//!    writes them in SQL) with `status` and `line_total` to a Parquet file
//!    (`FLOOR_COMPRESSION`, default `zstd(1)` as custseg writes it): the clean file alone;
//! 4. one aggregate per customer over that file (recency, invoices, quantity, spend, first
//!    and last day: five of the fifteen features), collected.
//!
//! `FLOOR_PARTITIONS=<n>` sets the engine's target partitions (default: custseg's).
//!
//! What the real command does beyond this (the quarantine file, the quality profiles, ten
//! more features, the feature files, the report, the encoding and date checks of parsing) is
//! left out, so the time printed is a floor under the real command's, not an estimate of it.
//! `bench/floor_bench.py` runs it beside custseg and the polars baseline.

use std::time::Instant;

use custseg_data::engine::{EngineOptions, session};
use custseg_data::schema::RawColumn;
use datafusion::prelude::ParquetReadOptions;

/// The kept rows of the raw table with the columns the clean file adds: not a duplicate, and
/// none of the four rules custseg's SQL applies (missing values, non-product stock codes,
/// service descriptions, invalid prices).
const KEPT: &str = r#"
SELECT source_row, "InvoiceNo", "StockCode", upper(trim("Description")) AS "Description",
       "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country",
       CASE WHEN starts_with("InvoiceNo", 'C') THEN 'cancelled' ELSE 'completed' END AS status,
       CAST("Quantity" AS DOUBLE) * "UnitPrice" AS line_total
FROM raw
WHERE source_row NOT IN (SELECT source_row FROM duplicate_rows)
  AND "CustomerID" IS NOT NULL AND "Description" IS NOT NULL
  AND regexp_like("StockCode", '[0-9].*[0-9]')
  AND upper(trim("Description")) NOT IN ('NEXT DAY CARRIAGE', 'HIGH RESOLUTION IMAGE',
      'POSTAGE', 'MANUAL', 'DISCOUNT', 'ADJUST BAD DEBT')
  AND "UnitPrice" > 0
"#;

/// The `source_row` of every row equal over all eight columns to an earlier one.
const DUPLICATE_ROWS: &str = r#"
WITH repeated AS (
  SELECT "InvoiceNo", "StockCode", "Quantity" FROM raw
  GROUP BY "InvoiceNo", "StockCode", "Quantity" HAVING count(*) > 1
)
SELECT source_row FROM (
  SELECT r.source_row, row_number() OVER (
    PARTITION BY r."InvoiceNo", r."StockCode", r."Description", r."Quantity", r."InvoiceDate",
                 r."UnitPrice", r."CustomerID", r."Country"
    ORDER BY r.source_row) AS position
  FROM raw r JOIN repeated k
    ON r."InvoiceNo" = k."InvoiceNo" AND r."StockCode" = k."StockCode"
   AND r."Quantity" = k."Quantity")
WHERE position > 1
"#;

/// Five features per customer over the clean file.
const PER_CUSTOMER: &str = r#"
SELECT "CustomerID",
       max(CAST("InvoiceDate" AS DATE)) AS last_day,
       min(CAST("InvoiceDate" AS DATE)) AS first_day,
       count(DISTINCT "InvoiceNo") AS transactions,
       sum("Quantity") AS quantity,
       sum(line_total) AS spend
FROM clean GROUP BY "CustomerID" ORDER BY "CustomerID"
"#;

/// Reads the UCI CSV.gz (US dates, `12/1/2010 8:26`) into memory as the `raw` table with
/// the canonical types and a `source_row`, as the parse stage must; no encoding check.
async fn register_csv(
    context: &datafusion::prelude::SessionContext,
    path: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    use arrow::datatypes::{DataType, Field, Schema};
    use datafusion::datasource::MemTable;
    use datafusion::datasource::file_format::file_compression_type::FileCompressionType;
    use datafusion::prelude::CsvReadOptions;
    // The UCI CSV's header is the canonical column names, read as text.
    let text = Schema::new(
        RawColumn::ALL
            .iter()
            .map(|column| Field::new(column.name(), DataType::Utf8, true))
            .collect::<Vec<_>>(),
    );
    let options = CsvReadOptions::new()
        .schema(&text)
        .file_extension(".csv.gz")
        .file_compression_type(FileCompressionType::GZIP);
    context.register_csv("text", path, options).await?;
    let typed = context
        .sql(
            r#"SELECT CAST(row_number() OVER () AS BIGINT) AS source_row, "InvoiceNo", "StockCode", "Description",
                      CAST("Quantity" AS BIGINT) AS "Quantity",
                      to_timestamp("InvoiceDate", '%m/%d/%Y %H:%M') AS "InvoiceDate",
                      CAST("UnitPrice" AS DOUBLE) AS "UnitPrice",
                      CAST("CustomerID" AS BIGINT) AS "CustomerID", "Country"
               FROM text"#,
        )
        .await?;
    let schema = std::sync::Arc::new(typed.schema().as_arrow().clone());
    let partitions = typed.collect_partitioned().await?;
    context.register_table(
        "raw",
        std::sync::Arc::new(MemTable::try_new(schema, partitions)?),
    )?;
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let started = Instant::now();
    let mut args = std::env::args().skip(1);
    let raw = args
        .next()
        .ok_or("usage: engine_floor <parse cache> <out dir>")?;
    let out = std::path::PathBuf::from(args.next().ok_or("missing <out dir>")?);
    std::fs::create_dir_all(&out)?;
    let clean_path = out.join("clean.parquet");
    let lap = |what: &str| println!("{:>7.3} s  {what}", started.elapsed().as_secs_f64());

    let target_partitions = match std::env::var("FLOOR_PARTITIONS") {
        Ok(partitions) => Some(partitions.parse()?),
        Err(_) => None,
    };
    let context = session(&EngineOptions {
        target_partitions,
        ..EngineOptions::default()
    })
    .await?;
    if raw.ends_with(".csv.gz") {
        register_csv(&context, &raw).await?;
        lap("csv.gz parsed into memory");
    } else {
        context
            .register_parquet("raw", &raw, ParquetReadOptions::default())
            .await?;
        lap("session ready, raw table registered");
    }

    let duplicates = context.sql(DUPLICATE_ROWS).await?;
    let schema = std::sync::Arc::new(duplicates.schema().as_arrow().clone());
    let partitions = duplicates.collect_partitioned().await?;
    let found: usize = partitions
        .iter()
        .flatten()
        .map(|batch| batch.num_rows())
        .sum();
    context.register_table(
        "duplicate_rows",
        std::sync::Arc::new(datafusion::datasource::MemTable::try_new(
            schema, partitions,
        )?),
    )?;
    lap(&format!("{found} duplicate rows found"));

    let compression = std::env::var("FLOOR_COMPRESSION").unwrap_or_else(|_| "zstd(1)".into());
    let copy = format!(
        "COPY ({KEPT}) TO '{}' STORED AS PARQUET \
         OPTIONS ('format.compression' '{compression}')",
        clean_path.display()
    );
    let written = context.sql(&copy).await?.collect().await?;
    lap(&format!(
        "clean file written ({} rows)",
        arrow::util::pretty::pretty_format_batches(&written)?
            .to_string()
            .lines()
            .nth(3)
            .unwrap_or("?")
            .trim_matches(|c| c == '|' || c == ' ')
    ));

    context
        .register_parquet(
            "clean",
            clean_path.to_string_lossy().as_ref(),
            ParquetReadOptions::default(),
        )
        .await?;
    let customers: usize = context
        .sql(PER_CUSTOMER)
        .await?
        .collect()
        .await?
        .iter()
        .map(|batch| batch.num_rows())
        .sum();
    lap(&format!("{customers} customers aggregated"));
    Ok(())
}
