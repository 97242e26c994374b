use arrow::datatypes::DataType;

use super::rule::CleaningRule;
use crate::schema::{RawColumn, SOURCE_ROW};

/// Drops exact duplicates over all eight raw columns; the first occurrence (lowest
/// `source_row`) stays. See [`with_duplicate_flag_sql`].
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

/// The raw table with [`IS_DUPLICATE`] added: a row is a duplicate unless it is the
/// first (lowest `source_row`) of its group of rows equal over the eight raw columns
/// (empty values compare equal, as in pandas' `drop_duplicates`).
///
/// The plan is chosen for bounded memory and for keeping the rows in `source_row` order:
/// a grouped aggregate (which spills) finds the groups that occur more than once, with
/// their first row; that table is small (only repeated rows), so it is the build side of
/// a hash join that streams the raw table past it. The raw table keeps its order through
/// the join, so the caller's `ORDER BY source_row` costs a merge, not a sort. (Joining
/// back every group's first row, or a `row_number()` window over all eight columns, needs
/// memory for every distinct row and a full sort afterwards.)
///
/// SQL equality never matches NULLs, so each nullable key is compared as a non-null value
/// plus a bit mask saying which keys were NULL: exact, unlike a sentinel value.
pub fn with_duplicate_flag_sql(raw_table: &str) -> String {
    let keys = |table: &str| -> Vec<String> {
        let mut keys: Vec<String> = RawColumn::ALL
            .iter()
            .map(|&column| non_null_key(table, column))
            .collect();
        keys.push(null_mask(table));
        keys
    };
    let grouped = keys("raw_keys")
        .iter()
        .enumerate()
        .map(|(index, key)| format!("{key} AS k{index}"))
        .collect::<Vec<_>>()
        .join(", ");
    let names = (0..=RawColumn::ALL.len())
        .map(|index| format!("k{index}"))
        .collect::<Vec<_>>()
        .join(", ");
    let on = keys("raw")
        .iter()
        .enumerate()
        .map(|(index, key)| format!("{key} = repeated.k{index}"))
        .collect::<Vec<_>>()
        .join(" AND ");
    format!(
        "SELECT raw.*, \
           (repeated.first_row IS NOT NULL AND raw.{SOURCE_ROW} <> repeated.first_row) AS {IS_DUPLICATE} \
         FROM (SELECT {names}, min({SOURCE_ROW}) AS first_row \
               FROM (SELECT {SOURCE_ROW}, {grouped} FROM {raw_table} AS raw_keys) \
               GROUP BY {names} HAVING count(*) > 1) AS repeated \
         RIGHT JOIN {raw_table} AS raw ON {on}"
    )
}

/// `column` of `table` with NULL replaced by a value of its type (see [`null_mask`]).
fn non_null_key(table: &str, column: RawColumn) -> String {
    let name = format!("{table}.{}", column.sql());
    match column.data_type() {
        DataType::Utf8 => format!("coalesce({name}, '')"),
        DataType::Float64 => format!("coalesce({name}, 0.0)"),
        DataType::Timestamp(..) => format!("coalesce(CAST({name} AS BIGINT), 0)"),
        _ => format!("coalesce({name}, 0)"),
    }
}

/// One bit per raw column of `table`, set when the value is NULL.
fn null_mask(table: &str) -> String {
    RawColumn::ALL
        .iter()
        .enumerate()
        .map(|(bit, column)| {
            format!(
                "CASE WHEN {table}.{} IS NULL THEN {} ELSE 0 END",
                column.sql(),
                1i64 << bit
            )
        })
        .collect::<Vec<_>>()
        .join(" + ")
}
