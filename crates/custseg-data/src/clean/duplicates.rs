use super::rule::CleaningRule;
use crate::schema::{RawColumn, SOURCE_ROW};

/// Drops exact duplicates over all eight raw columns; the first occurrence (lowest
/// `source_row`) stays.
#[derive(Debug, Default)]
pub struct Duplicates;

/// Name of the helper column holding a row's position within its duplicate group.
pub const DUPLICATE_RANK: &str = "duplicate_rank";

impl CleaningRule for Duplicates {
    fn name(&self) -> &'static str {
        "duplicate"
    }

    fn description(&self) -> String {
        "exact duplicate of an earlier row over all eight raw columns".to_owned()
    }

    fn rejects(&self) -> String {
        format!("{DUPLICATE_RANK} > 1")
    }

    fn helper_columns(&self) -> Vec<(String, String)> {
        let partition = RawColumn::ALL
            .iter()
            .map(|column| column.sql())
            .collect::<Vec<_>>()
            .join(", ");
        vec![(
            DUPLICATE_RANK.to_owned(),
            format!("row_number() OVER (PARTITION BY {partition} ORDER BY {SOURCE_ROW})"),
        )]
    }

    fn key_column(&self) -> &'static str {
        "InvoiceNo"
    }
}
