//! Customer tables on disk: reading feature tables (Parquet, CSV, JSON) into
//! [`custseg_model::CustomerTable`] and writing segment and prediction tables.

mod parquet_columns;
mod read;
mod write;

pub use parquet_columns::ParquetColumns;

pub use read::read_customer_table;
pub use write::{
    write_predictions, write_profiles_markdown, write_search_csv, write_segments_parquet,
    write_transitions_csv,
};

/// Output format chosen from a file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableFormat {
    /// `.csv`
    Csv,
    /// `.parquet`
    Parquet,
    /// `.json`
    Json,
}

impl TableFormat {
    /// From the extension of `path`.
    pub fn from_path(path: &std::path::Path) -> anyhow::Result<Self> {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("csv") => Ok(Self::Csv),
            Some("parquet") | Some("pq") => Ok(Self::Parquet),
            Some("json") => Ok(Self::Json),
            _ => anyhow::bail!(
                "`{}`: cannot tell the format from the extension; use .csv, .parquet or .json",
                path.display()
            ),
        }
    }
}
