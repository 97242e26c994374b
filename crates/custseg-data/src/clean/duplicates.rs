//! Exact duplicates: rows equal over all eight raw columns to an earlier row.
//!
//! Finding them is the one cleaning step that must compare every row with every other,
//! and at 100M rows a grouped aggregate over all eight columns (long descriptions
//! included) holds about 10 GB of group keys, so under a memory limit it spills most of its
//! time away. [`find_duplicates`] narrows the question in three statements instead:
//!
//! 1. **Candidates**: `(InvoiceNo, StockCode, Quantity)` keys that occur more than once: a
//!    grouped aggregate with short keys. Exact duplicates agree on these three columns, so
//!    every duplicate is among the candidates' rows (1.5% of the rows of the demo log).
//!    When the keys would not fit in seven eighths of the memory limit, the aggregate runs
//!    in several passes, each over the rows of one bucket of the numeric columns' sum
//!    (equal rows land in the same bucket), so that no pass spills.
//! 2. **Duplicate rows**: the candidates' rows, grouped by all eight columns (NULLs compare
//!    equal, as in pandas' `drop_duplicates`): in a group of more than one row, every row
//!    after the first (the lowest `source_row`) is a duplicate.
//! 3. The annotated table joins those `source_row`s back to the raw table (see
//!    [`with_duplicate_flag_sql`]): a join on one integer whose build side is small.
//!
//! Each intermediate result is small and kept as a Parquet file under a scratch directory,
//! so that the same statements run on a Ballista cluster, whose executors read the files.

use std::path::Path;

use datafusion::execution::memory_pool::MemoryLimit;
use datafusion::prelude::SessionContext;

use super::materialize;
use super::rule::CleaningRule;
use crate::error::Result;
use crate::schema::{RawColumn, SOURCE_ROW};

/// Drops exact duplicates over all eight raw columns; the first occurrence (lowest
/// `source_row`) stays. See [`find_duplicates`].
#[derive(Debug, Default)]
pub struct Duplicates;

impl CleaningRule for Duplicates {
    fn name(&self) -> &'static str {
        "duplicate"
    }

    fn description(&self) -> String {
        "exact duplicate of an earlier row over all eight raw columns".to_owned()
    }

    fn rejects(&self) -> String {
        IS_DUPLICATE.to_owned()
    }

    fn key_column(&self) -> &'static str {
        "InvoiceNo"
    }
}

/// Column of the annotated table that is true for exact duplicates of an earlier row.
pub const IS_DUPLICATE: &str = "is_duplicate";

/// The table [`find_duplicates`] registers: one `source_row` per duplicate row.
pub const DUPLICATE_ROWS_TABLE: &str = "duplicate_rows";

const CANDIDATES_TABLE: &str = "duplicate_candidates";

/// Memory one candidate group takes in the aggregate's memory pool, at most: found by
/// running one pass of the candidate statement over the 100M-row demo log's canonical table
/// under memory limits a quarter GiB apart and reading its spill count (`EXPLAIN ANALYZE`
/// with `examples/sql_timing.rs`). 33.3M groups (3 passes) spilled under 2.75 GiB and not
/// under 3 GiB, 88-97 bytes a group; 50M groups (2 passes) spilled under 3.5 GiB and not
/// under 4 GiB, 75-86 bytes. The cost per group varies because the hash table grows by
/// doubling; this is the larger figure, rounded up.
const BYTES_PER_GROUP: u64 = 100;

/// The share of the memory limit the candidate groups of one pass may take, in eighths:
/// the rest is for the scan's batches and the result.
const GROUP_BUDGET_EIGHTHS: u64 = 7;

/// Passes at most: each one scans the raw table, so beyond this the spilling aggregate
/// of one pass is the faster way.
const MAX_PASSES: u64 = 32;

/// How many passes the candidate aggregate over `rows` rows takes so that its groups
/// fit in [`GROUP_BUDGET_EIGHTHS`] of `limit`, at most [`MAX_PASSES`]. A pass that does
/// not fit spills, and takes two to three times as long: at 100M rows under 4 GiB, one
/// pass over 33.3M groups took 5.2 s without spilling and 10.3 s spilling under 2.75 GiB.
pub(crate) fn candidate_passes(rows: u64, limit: MemoryLimit) -> u64 {
    match limit {
        MemoryLimit::Finite(bytes) => {
            let budget = (bytes as u64 / 8 * GROUP_BUDGET_EIGHTHS).max(1);
            rows.saturating_mul(BYTES_PER_GROUP)
                .div_ceil(budget)
                .clamp(1, MAX_PASSES)
        }
        MemoryLimit::Infinite | MemoryLimit::Unknown => 1,
    }
}

/// Finds the exact duplicates of `raw_table` (which has `rows` rows) and registers their
/// `source_row`s as [`DUPLICATE_ROWS_TABLE`], writing the intermediate tables under
/// `scratch`. Returns how many rows are duplicates.
pub(crate) async fn find_duplicates(
    context: &SessionContext,
    raw_table: &str,
    rows: u64,
    scratch: &Path,
) -> Result<u64> {
    let passes = candidate_passes(rows, context.runtime_env().memory_pool.memory_limit());
    find_duplicates_in_passes(context, raw_table, passes, scratch).await
}

/// [`find_duplicates`] with the candidate aggregate in `passes` passes.
async fn find_duplicates_in_passes(
    context: &SessionContext,
    raw_table: &str,
    passes: u64,
    scratch: &Path,
) -> Result<u64> {
    let candidates = materialize(
        context,
        (0..passes).map(|pass| candidates_sql(raw_table, pass, passes)),
        &scratch.join("duplicate-candidates.parquet"),
        CANDIDATES_TABLE,
    )
    .await?;
    let found: usize = candidates.iter().map(|batch| batch.num_rows()).sum();
    tracing::debug!(
        passes,
        candidate_groups = found,
        "duplicate candidates found"
    );
    let duplicates = materialize(
        context,
        [duplicate_rows_sql(raw_table)],
        &scratch.join("duplicate-rows.parquet"),
        DUPLICATE_ROWS_TABLE,
    )
    .await?;
    context.deregister_table(CANDIDATES_TABLE)?;
    Ok(duplicates.iter().map(|batch| batch.num_rows() as u64).sum())
}

/// The candidate key of `table`'s rows: the three columns, NULLs replaced by a value of
/// their type (merging NULL with that value only adds candidates, which the exact step
/// then tells apart; SQL equality would never match the NULLs themselves).
fn candidate_key(table: &str) -> [String; 3] {
    [
        format!("coalesce({table}.\"InvoiceNo\", '')"),
        format!("coalesce({table}.\"StockCode\", '')"),
        format!("coalesce({table}.\"Quantity\", 0)"),
    ]
}

/// The candidate keys among the rows of bucket `pass` of `passes`.
fn candidates_sql(raw_table: &str, pass: u64, passes: u64) -> String {
    let key = candidate_key("raw");
    let bucket = if passes > 1 {
        // SQL's `%` keeps the sign of the dividend, so residue `pass - passes` is bucket
        // `pass` too.
        format!(
            "WHERE {} IN ({pass}, {})",
            bucket_residue_sql("raw", passes),
            pass as i64 - passes as i64
        )
    } else {
        String::new()
    };
    format!(
        "SELECT {} AS k0, {} AS k1, {} AS k2 FROM {raw_table} AS raw {bucket} \
         GROUP BY 1, 2, 3 HAVING count(*) > 1",
        key[0], key[1], key[2]
    )
}

/// The residue, in `-buckets + 1..buckets`, that puts each row of `table` in a bucket: the
/// sum of CustomerID, the minute of InvoiceDate and Quantity modulo `buckets`. Equal rows
/// share a bucket; the minute spreads the rows without a customer (a quarter of a typical
/// log) as evenly as the customer spreads the others. Every pass evaluates it over every
/// row, so it is kept to a few cheap kernels; the engine's integer addition wraps, so
/// extreme values cannot make it fail.
fn bucket_residue_sql(table: &str, buckets: u64) -> String {
    format!(
        "(coalesce({table}.\"CustomerID\", 0) \
          + coalesce(CAST({table}.\"InvoiceDate\" AS BIGINT) / 60000000, 0) \
          + coalesce({table}.\"Quantity\", 0)) % {buckets}"
    )
}

/// The `source_row`s of the candidates' rows that repeat an earlier row exactly. A key
/// can be a candidate in more than one pass (its rows spread over buckets), so the keys
/// are made distinct first: joined twice, a row would count as its own duplicate.
///
/// The rows are grouped by all eight columns, each group keeping its first `source_row` and
/// the list of them all, and every row of the list after the first is a duplicate. This is
/// the same set of rows as numbering each group's rows with `row_number()` in `source_row`
/// order and keeping those after the first, the form used before, and it is cheaper: the
/// window sorts the rows and keeps a state per group as it walks them. With DataFusion's
/// Python bindings over the 10M-row demo log's canonical table (best of 3,
/// `bench/plan_forms.py`, which also checks the two find the same rows): 0.31-0.34 s
/// against 0.51-0.53 s, the same 149,194 rows; on the UCI data 5,268 rows either way. In
/// custseg's own plan metrics (`--explain-analyze`): 10M rows 0.33-0.35 s against
/// 0.60-0.68 s (two runs each), 100M rows under 4 GiB 4.29 s against 7.40 s.
fn duplicate_rows_sql(raw_table: &str) -> String {
    let raw_key = candidate_key("raw");
    let all_columns = RawColumn::ALL
        .iter()
        .map(|column| format!("raw.{}", column.sql()))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "SELECT duplicate_row FROM ( \
           SELECT unnest(occurrences) AS duplicate_row, first FROM ( \
             SELECT min(raw.{SOURCE_ROW}) AS first, array_agg(raw.{SOURCE_ROW}) AS occurrences \
             FROM (SELECT DISTINCT k0, k1, k2 FROM {CANDIDATES_TABLE}) AS candidate \
             JOIN {raw_table} AS raw \
               ON {} = candidate.k0 AND {} = candidate.k1 AND {} = candidate.k2 \
             GROUP BY {all_columns} HAVING count(*) > 1)) \
         WHERE duplicate_row > first",
        raw_key[0], raw_key[1], raw_key[2]
    )
}

/// `raw_table` with [`IS_DUPLICATE`] added, once [`find_duplicates`] has registered
/// [`DUPLICATE_ROWS_TABLE`]. The small table is the build side of the join and the raw
/// table streams past it in its `source_row` order, so the caller's `ORDER BY source_row`
/// costs a merge, not a sort.
pub fn with_duplicate_flag_sql(raw_table: &str) -> String {
    format!(
        "SELECT raw.*, duplicate.duplicate_row IS NOT NULL AS {IS_DUPLICATE} \
         FROM {DUPLICATE_ROWS_TABLE} AS duplicate \
         RIGHT JOIN {raw_table} AS raw ON raw.{SOURCE_ROW} = duplicate.duplicate_row"
    )
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{
        Array, AsArray, Float64Array, Int64Array, RecordBatch, StringArray,
        TimestampMicrosecondArray,
    };
    use arrow::datatypes::Int64Type;

    use super::*;
    use crate::schema::canonical_schema;
    use crate::tables::register_parquet_unordered;

    /// Rows 1-12: (1, 2) equal, (3, 4, 6) equal with NULLs in the same places, 5 differs
    /// from 3 only by a NULL, 7 and 8 differ only in Description (same candidate key),
    /// 9-12 spread over other invoices with 11 repeating 9. Rows 13-20 share one candidate
    /// key but are pairs of four customers, so in several passes the key is a candidate
    /// in more than one bucket.
    fn raw_batch() -> RecordBatch {
        type Row<'a> = (Option<&'a str>, &'a str, Option<&'a str>, i64, Option<i64>);
        let (a, b, c, e) = (
            Some("536365"),
            Some("536366"),
            Some("536367"),
            Some("536368"),
        );
        let mut rows: Vec<Row> = vec![
            (a, "X", Some("d"), 1, Some(7)),
            (a, "X", Some("d"), 1, Some(7)),
            (None, "Y", None, 2, None),
            (None, "Y", None, 2, None),
            (None, "Y", None, 2, Some(8)),
            (None, "Y", None, 2, None),
            (b, "Z", Some("one"), 3, Some(9)),
            (b, "Z", Some("two"), 3, Some(9)),
            (c, "X", Some("d"), 1, Some(10)),
            (a, "Y", Some("d"), 1, Some(11)),
            (c, "X", Some("d"), 1, Some(10)),
            (b, "X", Some("d"), 1, Some(12)),
        ];
        for customer in 20..24 {
            rows.push((e, "W", Some("w"), 5, Some(customer)));
            rows.push((e, "W", Some("w"), 5, Some(customer)));
        }
        let n = rows.len();
        let columns: Vec<Arc<dyn Array>> = vec![
            Arc::new(Int64Array::from((1..=n as i64).collect::<Vec<i64>>())),
            Arc::new(StringArray::from(
                rows.iter().map(|r| r.0).collect::<Vec<_>>(),
            )),
            Arc::new(StringArray::from(
                rows.iter().map(|r| Some(r.1)).collect::<Vec<_>>(),
            )),
            Arc::new(StringArray::from(
                rows.iter().map(|r| r.2).collect::<Vec<_>>(),
            )),
            Arc::new(Int64Array::from(
                rows.iter().map(|r| Some(r.3)).collect::<Vec<_>>(),
            )),
            Arc::new(TimestampMicrosecondArray::from(vec![
                Some(60_000_000i64);
                n
            ])),
            Arc::new(Float64Array::from(vec![Some(1.5); n])),
            Arc::new(Int64Array::from(
                rows.iter().map(|r| r.4).collect::<Vec<_>>(),
            )),
            Arc::new(StringArray::from(vec![Some("UK"); n])),
        ];
        RecordBatch::try_new(canonical_schema(), columns).unwrap()
    }

    async fn duplicate_rows(passes: u64) -> Vec<i64> {
        let directory = tempfile::tempdir().unwrap();
        let raw = directory.path().join("raw.parquet");
        crate::tables::write_parquet(&raw, &[raw_batch()]).unwrap();
        let context = SessionContext::new();
        register_parquet_unordered(&context, "raw", &raw)
            .await
            .unwrap();
        let found = find_duplicates_in_passes(&context, "raw", passes, directory.path())
            .await
            .unwrap();
        let batches = context
            .sql(&format!("SELECT duplicate_row FROM {DUPLICATE_ROWS_TABLE}"))
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        let mut rows: Vec<i64> = batches
            .iter()
            .flat_map(|batch| {
                batch
                    .column(0)
                    .as_primitive::<Int64Type>()
                    .values()
                    .to_vec()
            })
            .collect();
        rows.sort_unstable();
        assert_eq!(found, rows.len() as u64);
        rows
    }

    #[tokio::test]
    async fn later_copies_are_duplicates_with_nulls_equal_and_in_any_number_of_passes() {
        let expected = vec![2, 4, 6, 11, 14, 16, 18, 20];
        for passes in [1, 2, 3, 7] {
            assert_eq!(duplicate_rows(passes).await, expected, "{passes} passes");
        }
    }

    /// Every row, negative quantities, NULLs and extreme customer numbers included, falls
    /// in exactly one bucket.
    #[tokio::test]
    async fn the_buckets_partition_the_rows() {
        let context = SessionContext::new();
        context
            .sql(
                "CREATE TABLE raw AS SELECT * FROM (VALUES \
                   (CAST(9223372036854775807 AS BIGINT), CAST(-5 AS BIGINT), CAST(NULL AS TIMESTAMP)), \
                   (CAST(-9223372036854775807 AS BIGINT), CAST(3 AS BIGINT), TIMESTAMP '2011-12-09 12:50:00'), \
                   (NULL, CAST(-1 AS BIGINT), TIMESTAMP '1960-01-01 00:00:00'), \
                   (CAST(17850 AS BIGINT), NULL, TIMESTAMP '2010-12-01 08:26:00'), \
                   (NULL, NULL, NULL)) AS t(\"CustomerID\", \"Quantity\", \"InvoiceDate\")",
            )
            .await
            .unwrap();
        for buckets in [2u64, 3, 7] {
            let mut seen = 0;
            for pass in 0..buckets {
                let sql = format!(
                    "SELECT count(*) FROM raw WHERE {} IN ({pass}, {})",
                    bucket_residue_sql("raw", buckets),
                    pass as i64 - buckets as i64
                );
                let batches = context.sql(&sql).await.unwrap().collect().await.unwrap();
                seen += batches[0].column(0).as_primitive::<Int64Type>().value(0);
            }
            assert_eq!(seen, 5, "{buckets} buckets");
        }
    }

    #[test]
    fn passes_keep_the_candidate_groups_within_the_budget() {
        let gib = 1usize << 30;
        assert_eq!(
            candidate_passes(10_000_000, MemoryLimit::Finite(4 * gib)),
            1
        );
        assert_eq!(
            candidate_passes(100_000_000, MemoryLimit::Finite(4 * gib)),
            3
        );
        // 10M groups take about 1 GB: under a 1 GiB limit, two passes.
        assert_eq!(candidate_passes(10_000_000, MemoryLimit::Finite(gib)), 2);
        assert_eq!(candidate_passes(100_000_000, MemoryLimit::Infinite), 1);
        assert_eq!(candidate_passes(0, MemoryLimit::Finite(4 * gib)), 1);
        assert_eq!(
            candidate_passes(u64::MAX, MemoryLimit::Finite(1)),
            MAX_PASSES
        );
    }
}
