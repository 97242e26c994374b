use super::rule::CleaningRule;
use crate::schema::RawColumn;

/// Drops rows without a customer or a description, and any row missing another of
/// the eight raw columns (never the case in the UCI data; such a row could not be
/// attributed or priced).
#[derive(Debug, Default)]
pub struct MissingValues;

impl CleaningRule for MissingValues {
    fn name(&self) -> &'static str {
        "missing_values"
    }

    fn description(&self) -> String {
        "no CustomerID or Description (or another raw column empty)".to_owned()
    }

    fn rejects(&self) -> String {
        RawColumn::ALL
            .iter()
            .map(|column| format!("{} IS NULL", column.sql()))
            .collect::<Vec<_>>()
            .join(" OR ")
    }

    fn key_column(&self) -> &'static str {
        "StockCode"
    }
}
