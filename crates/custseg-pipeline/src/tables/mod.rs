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

/// A JSON file's bytes with the keys of every object in name order, pretty, ending in a
/// newline: through a `Value`, whose objects keep their keys sorted, so that nested records
/// are in name order too (the order custseg's JSON outputs have always had).
pub fn sorted_json_bytes(record: &impl serde::Serialize) -> serde_json::Result<Vec<u8>> {
    let mut bytes = serde_json::to_vec_pretty(&serde_json::to_value(record)?)?;
    bytes.push(b'\n');
    Ok(bytes)
}

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
