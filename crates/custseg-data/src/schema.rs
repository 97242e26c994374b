//! The canonical transaction schema every reader produces.
//!
//! Column names follow the UCI Online Retail dataset, the schema most users know;
//! `source_row` is added by ingestion and never comes from the input.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};

/// One of the eight raw columns of a transaction log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RawColumn {
    /// Invoice number; a leading `C` marks a cancellation.
    InvoiceNo,
    /// Product code.
    StockCode,
    /// Product name.
    Description,
    /// Units on the line; negative on cancellations.
    Quantity,
    /// When the invoice was made (naive local time).
    InvoiceDate,
    /// Price of one unit.
    UnitPrice,
    /// Customer identifier.
    CustomerId,
    /// Customer's country.
    Country,
}

impl RawColumn {
    /// All raw columns in their canonical order.
    pub const ALL: [RawColumn; 8] = [
        RawColumn::InvoiceNo,
        RawColumn::StockCode,
        RawColumn::Description,
        RawColumn::Quantity,
        RawColumn::InvoiceDate,
        RawColumn::UnitPrice,
        RawColumn::CustomerId,
        RawColumn::Country,
    ];

    /// The canonical column name.
    pub fn name(self) -> &'static str {
        match self {
            RawColumn::InvoiceNo => "InvoiceNo",
            RawColumn::StockCode => "StockCode",
            RawColumn::Description => "Description",
            RawColumn::Quantity => "Quantity",
            RawColumn::InvoiceDate => "InvoiceDate",
            RawColumn::UnitPrice => "UnitPrice",
            RawColumn::CustomerId => "CustomerID",
            RawColumn::Country => "Country",
        }
    }

    /// The canonical column's Arrow type.
    pub fn data_type(self) -> DataType {
        match self {
            RawColumn::Quantity | RawColumn::CustomerId => DataType::Int64,
            RawColumn::UnitPrice => DataType::Float64,
            RawColumn::InvoiceDate => DataType::Timestamp(TimeUnit::Microsecond, None),
            _ => DataType::Utf8,
        }
    }

    /// The column with this canonical name, if any.
    pub fn from_name(name: &str) -> Option<RawColumn> {
        RawColumn::ALL
            .into_iter()
            .find(|column| column.name() == name)
    }

    /// The column quoted for use in SQL.
    pub fn sql(self) -> String {
        format!("\"{}\"", self.name())
    }
}

/// Name of the 1-based input record number column added by ingestion.
pub const SOURCE_ROW: &str = "source_row";
/// Name of the cleaned table's completed/cancelled column.
pub const STATUS: &str = "status";
/// Name of the cleaned table's `Quantity x UnitPrice` column.
pub const LINE_TOTAL: &str = "line_total";
/// Name of the quarantine table's column naming the rule that dropped a row.
pub const RULE: &str = "rule";

/// The schema of ingested transactions: `source_row` then the eight raw columns,
/// all nullable (missing values are a cleaning matter, not an ingest error).
pub fn canonical_schema() -> SchemaRef {
    let mut fields = vec![Field::new(SOURCE_ROW, DataType::Int64, false)];
    fields.extend(
        RawColumn::ALL
            .iter()
            .map(|column| Field::new(column.name(), column.data_type(), true)),
    );
    Arc::new(Schema::new(fields))
}

/// Version of the canonical schema; part of every parsed-input cache key.
pub const CANONICAL_SCHEMA_VERSION: u32 = 1;
