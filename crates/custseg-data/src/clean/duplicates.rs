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
/// A hash aggregate of the first row per group joined back on `source_row`; a
/// `row_number()` window partitioned by all eight columns gives the same answer but
/// is several times slower, because nearly every partition holds one row.
pub fn with_duplicate_flag_sql(raw_table: &str) -> String {
    let columns = RawColumn::ALL
        .iter()
        .map(|column| column.sql())
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "SELECT raw.*, first_rows.first_row IS NULL AS {IS_DUPLICATE} \
         FROM {raw_table} AS raw \
         LEFT JOIN (SELECT min({SOURCE_ROW}) AS first_row FROM {raw_table} GROUP BY {columns}) AS first_rows \
           ON raw.{SOURCE_ROW} = first_rows.first_row"
    )
}
