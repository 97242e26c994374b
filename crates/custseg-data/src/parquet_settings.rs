//! How this crate encodes the Parquet files it writes: the parse cache, the clean and
//! quarantine files, and the intermediate tables.
//!
//! Encoding is a large share of the CPU time of cleaning (the clean and quarantine files of
//! 10M demo rows take about 2 s of one core to encode), and most of it is the dictionary
//! encoder hashing every value. Dictionaries pay off for columns with few distinct values
//! (StockCode, Description, UnitPrice, Country, `status`, `line_total`), not for columns whose
//! values are unique or come in runs (`source_row`, InvoiceNo, InvoiceDate, CustomerID):
//! those are encoded plain, which the compressor shrinks at least as well. Measured on the
//! clean file of 10M demo rows, one column at a time: `source_row` 0.42 s with a dictionary
//! and 0.19 s without (13.0 and 6.6 MB), InvoiceNo 0.20 and 0.16 s, InvoiceDate 0.13 and
//! 0.06 s, CustomerID 0.13 and 0.09 s; the whole file 2.1-2.4 s and 1.6-1.7 s, 62.9 and
//! 62.0 MB (`examples/parquet_encodings.rs`).
//!
//! Page statistics stay on every column. Turning them off where no reader could prune
//! with them (all but `source_row`, InvoiceNo, InvoiceDate) saved up to 0.2 s per text
//! column in that example (Description 0.55-0.57 s with them, 0.35-0.39 s without; StockCode
//! 0.04-0.09 s less), but `custseg features` on the same 10M rows did not get measurably
//! faster (three alternating runs each: 27.3-29.7 s of CPU before, 27.4-28.8 after), so
//! the files keep them for the tools users read them with.

use datafusion::config::{ParquetColumnOptions, TableParquetOptions};
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::{WriterProperties, WriterPropertiesBuilder};
use parquet::schema::types::ColumnPath;

use crate::schema::{RawColumn, SOURCE_ROW};

/// Rows per row group: small enough for parallel scans of a single file, large
/// enough for good compression.
const ROW_GROUP_ROWS: usize = 256 * 1024;

/// Columns encoded without a dictionary: unique values or runs of one value.
fn plain_columns() -> [&'static str; 4] {
    [
        SOURCE_ROW,
        RawColumn::InvoiceNo.name(),
        RawColumn::InvoiceDate.name(),
        RawColumn::CustomerId.name(),
    ]
}

fn with_column_encodings(mut builder: WriterPropertiesBuilder) -> WriterPropertiesBuilder {
    builder = builder.set_max_row_group_row_count(Some(ROW_GROUP_ROWS));
    for column in plain_columns() {
        builder = builder.set_column_dictionary_enabled(ColumnPath::from(column), false);
    }
    builder
}

/// Settings of the files users keep (clean, quarantine, features): zstd level 1.
pub(crate) fn output_properties() -> WriterProperties {
    let level = ZstdLevel::try_new(1).unwrap_or_default();
    with_column_encodings(WriterProperties::builder().set_compression(Compression::ZSTD(level)))
        .build()
}

/// Settings of the parse cache, written once and read by every cleaning step: snappy,
/// the cheaper codec to decode.
pub(crate) fn cache_properties() -> WriterProperties {
    with_column_encodings(WriterProperties::builder().set_compression(Compression::SNAPPY)).build()
}

/// [`cache_properties`] as the query engine's writer options, for parse caches the engine
/// writes (see `ingest::engine_parse`).
pub(crate) fn cache_table_options() -> TableParquetOptions {
    let mut options = TableParquetOptions::default();
    options.global.compression = Some("snappy".to_owned());
    options.global.max_row_group_size = ROW_GROUP_ROWS;
    for column in plain_columns() {
        options.column_specific_options.insert(
            column.to_owned(),
            ParquetColumnOptions {
                dictionary_enabled: Some(false),
                ..Default::default()
            },
        );
    }
    options
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_and_run_columns_are_plain_and_the_rest_use_dictionaries() {
        for properties in [output_properties(), cache_properties()] {
            for plain in plain_columns() {
                assert!(
                    !properties.dictionary_enabled(&ColumnPath::from(plain)),
                    "{plain}"
                );
            }
            for dictionary in ["StockCode", "Description", "UnitPrice", "Country", "status"] {
                assert!(
                    properties.dictionary_enabled(&ColumnPath::from(dictionary)),
                    "{dictionary}"
                );
            }
            assert_eq!(properties.max_row_group_row_count(), Some(ROW_GROUP_ROWS));
        }
    }
}
