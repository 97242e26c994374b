//! The data-quality report: where every input row went, and what the data looks like.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `reports/quality.json`. `raw_rows == clean_rows + quarantined_rows` always holds:
/// the program refuses to finish otherwise.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct QualityReport {
    /// Where the data came from and how it was read.
    pub input: InputReport,
    /// Rows read from the input.
    pub raw_rows: u64,
    /// Rows kept.
    pub clean_rows: u64,
    /// Rows dropped, each to quarantine with its rule.
    pub quarantined_rows: u64,
    /// The cleaning funnel, in order.
    pub steps: Vec<StepReport>,
    /// Empty values per raw column.
    pub nulls: BTreeMap<String, u64>,
    /// Exact duplicate rows over all eight raw columns (beyond the first of each
    /// group), counted over the whole input whichever rule dropped them.
    pub duplicates: u64,
    /// Facts of the raw input.
    pub raw: TableProfile,
    /// Facts of the cleaned transactions.
    pub clean: TableProfile,
    /// The most frequent values of each rule's key column among its dropped rows.
    pub top_quarantined: BTreeMap<String, Vec<ValueCount>>,
}

/// How the input was read.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct InputReport {
    /// The input as named.
    pub source: String,
    /// Detected format.
    pub format: String,
    /// Archive member read, for a zip.
    pub member: Option<String>,
    /// Files read, for a directory input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files: Option<u64>,
    /// SHA-256 of the input file.
    pub sha256: String,
    /// Timestamp format used.
    pub date_format: String,
    /// Text encoding used (or the binary format).
    pub encoding: String,
    /// CSV delimiter.
    pub delimiter: Option<char>,
    /// Decimal separator of numbers in text (CSV input): `point`, `comma`, or what `auto`
    /// settled on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decimal_separator: Option<String>,
    /// Canonical column -> input column.
    pub columns: BTreeMap<String, String>,
    /// Worksheets read and their data rows, in reading order, for a workbook.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sheets: Vec<crate::ingest::SheetRows>,
    /// Whether parsing was skipped thanks to the cache.
    pub parsed_from_cache: bool,
}

/// One step of the funnel.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StepReport {
    /// Rule name (also in the quarantine's `rule` column).
    pub rule: String,
    /// What it does.
    pub description: String,
    /// Rows reaching the step.
    pub rows_in: u64,
    /// Rows leaving it.
    pub rows_out: u64,
    /// Rows it dropped (`rows_in - rows_out`).
    pub dropped: u64,
    /// Rows it flagged without dropping (the transaction-status step).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flagged: Option<u64>,
}

/// Counts and ranges of a transaction table.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct TableProfile {
    /// Rows.
    pub rows: u64,
    /// Distinct InvoiceNo.
    pub distinct_invoices: u64,
    /// Distinct StockCode.
    pub distinct_stock_codes: u64,
    /// Distinct non-null CustomerID.
    pub distinct_customers: u64,
    /// Distinct Country.
    pub distinct_countries: u64,
    /// Lines whose InvoiceNo marks a cancellation.
    pub cancellation_lines: u64,
    /// Earliest InvoiceDate (ISO), if any.
    pub first_invoice_date: Option<String>,
    /// Latest InvoiceDate (ISO), if any.
    pub last_invoice_date: Option<String>,
}

/// A value and how many rows had it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ValueCount {
    /// The value (empty values are shown as `(empty)`).
    pub value: String,
    /// Rows.
    pub rows: u64,
}
