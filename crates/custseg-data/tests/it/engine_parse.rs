//! The parse as query-engine statements (what a cluster's executors run) against the
//! client's own parse of the same files.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{
    ArrayRef, Date32Array, Decimal128Array, Float64Array, Int32Array, Int64Array, StringArray,
    TimestampNanosecondArray,
};
use arrow::compute::concat_batches;
use arrow::record_batch::RecordBatch;
use custseg_data::NoProgress;
use custseg_data::engine::{self, EngineOptions};
use custseg_data::ingest::{self, IngestOptions, Ingested};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::file::properties::WriterProperties;

/// Writes `columns` (name, values) as a Parquet file of row groups of 1,000 rows, so that a
/// file is several row groups an engine could scan in parallel.
fn write_parquet(path: &Path, columns: Vec<(&str, ArrayRef)>) {
    let batch = RecordBatch::try_from_iter(columns).unwrap();
    let properties = WriterProperties::builder()
        .set_max_row_group_row_count(Some(1_000))
        .build();
    let file = std::fs::File::create(path).unwrap();
    let mut writer = ArrowWriter::try_new(file, batch.schema(), Some(properties)).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
}

/// A log of `rows` lines starting at `first`, in the aliases of Online Retail II and types the
/// column-wise conversion handles: integer invoice numbers, text codes with empty values,
/// 32-bit quantities, nanosecond timestamps, decimal prices, float customer ids with gaps.
fn log_columns(first: i64, rows: usize) -> Vec<(&'static str, ArrayRef)> {
    let at = |i: usize| first + i as i64;
    vec![
        (
            "Invoice",
            Arc::new(Int64Array::from_iter_values(
                (0..rows).map(|i| 536_000 + at(i) / 3),
            )),
        ),
        (
            "StockCode",
            Arc::new(StringArray::from_iter_values((0..rows).map(|i| {
                if at(i) % 97 == 0 {
                    String::new()
                } else {
                    format!("{}A", at(i) % 50)
                }
            }))),
        ),
        (
            "Description",
            Arc::new(StringArray::from_iter((0..rows).map(|i| {
                (at(i) % 11 != 0).then(|| format!("ITEM {}", at(i) % 40))
            }))),
        ),
        (
            "Quantity",
            Arc::new(Int32Array::from_iter_values(
                (0..rows).map(|i| (at(i) % 13) as i32 - 2),
            )),
        ),
        (
            "InvoiceDate",
            Arc::new(TimestampNanosecondArray::from_iter_values(
                (0..rows).map(|i| 1_291_190_400_000_000_000 + at(i) * 61_000_000_000),
            )),
        ),
        (
            "Price",
            Arc::new(
                Decimal128Array::from_iter_values((0..rows).map(|i| i128::from(at(i) % 700)))
                    .with_precision_and_scale(10, 2)
                    .unwrap(),
            ),
        ),
        (
            "Customer ID",
            Arc::new(Float64Array::from_iter((0..rows).map(|i| {
                (at(i) % 4 != 0).then(|| 12_000.0 + (at(i) % 300) as f64)
            }))),
        ),
        (
            "Country",
            Arc::new(StringArray::from_iter_values((0..rows).map(|i| {
                if at(i) % 5 == 0 {
                    "France"
                } else {
                    "United Kingdom"
                }
            }))),
        ),
        (
            "Extra",
            Arc::new(Int64Array::from_iter_values((0..rows).map(|i| at(i) * 7))),
        ),
    ]
}

pub(crate) fn options(data_dir: &Path, cache: bool) -> IngestOptions {
    IngestOptions {
        data_dir: data_dir.to_path_buf(),
        cache,
        ..IngestOptions::default()
    }
}

/// Parses `input` on a local engine of 4 partitions (more than the files' row groups need
/// to tempt a parallel scan), as a cluster would.
pub(crate) fn ingest_on_engine(
    input: &Path,
    options: &IngestOptions,
) -> custseg_data::Result<Ingested> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let context = engine::session(&EngineOptions {
            target_partitions: Some(4),
            ..EngineOptions::default()
        })
        .await?;
        ingest::ingest_with_engine(
            &ingest::InputSource::classify(input.to_str().unwrap()),
            options,
            &NoProgress,
            &context,
        )
        .await
    })
}

/// Every row of a parse (one file, or a directory of parts read in name order), as one batch.
pub(crate) fn read_parse(parsed: &Path) -> RecordBatch {
    let mut files: Vec<PathBuf> = if parsed.is_dir() {
        std::fs::read_dir(parsed)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .collect()
    } else {
        vec![parsed.to_path_buf()]
    };
    files.sort();
    let batches: Vec<RecordBatch> = files
        .iter()
        .flat_map(|file| {
            ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(file).unwrap())
                .unwrap()
                .build()
                .unwrap()
                .map(Result::unwrap)
                .collect::<Vec<_>>()
        })
        .collect();
    concat_batches(&batches[0].schema(), &batches).unwrap()
}

/// The client's and the engine's parse of `input` hold the same rows, in the same order,
/// with the same types; returns the engine's.
pub(crate) fn assert_same_parse(input: &Path, data_dir: &Path) -> Ingested {
    let client = ingest::ingest(
        &ingest::InputSource::classify(input.to_str().unwrap()),
        &options(data_dir, false),
        &NoProgress,
    )
    .unwrap();
    let engine = ingest_on_engine(input, &options(data_dir, true)).unwrap();
    assert!(engine.parsed.is_dir(), "the engine did not parse the input");
    let (expected, actual) = (read_parse(&client.parsed), read_parse(&engine.parsed));
    assert_eq!(actual.num_rows(), expected.num_rows());
    for (index, field) in expected.schema().fields().iter().enumerate() {
        assert_eq!(
            actual.schema().field(index).name(),
            field.name(),
            "column {index}"
        );
        assert_eq!(
            actual.column(index).as_ref(),
            expected.column(index).as_ref(),
            "column `{}`",
            field.name()
        );
    }
    assert_eq!(engine.outcome, client.outcome);
    engine
}

#[test]
fn a_directory_parsed_by_the_engine_equals_the_clients_parse_row_for_row() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("log");
    std::fs::create_dir_all(input.join("month=1")).unwrap();
    write_parquet(&input.join("month=1/part-0.parquet"), log_columns(0, 2_500));
    write_parquet(&input.join("part-1.parquet"), log_columns(2_500, 1));
    write_parquet(&input.join("part-2.parquet"), log_columns(2_501, 3_200));
    let data_dir = dir.path().join("data");
    let engine = assert_same_parse(&input, &data_dir);
    let parse = read_parse(&engine.parsed);
    let rows = parse
        .column(0)
        .as_any()
        .downcast_ref::<Int64Array>()
        .unwrap();
    assert!(rows.values().iter().copied().eq(1..=5_701_i64));
    assert_eq!(engine.outcome.rows, 5_701);

    // A second run finds the engine's parse in the cache.
    let again = ingest_on_engine(&input, &options(&data_dir, true)).unwrap();
    assert!(again.from_cache);
    assert_eq!(again.parsed, engine.parsed);
    // The client's own cache lookup does not take a directory of parts for its file.
    let client = ingest::ingest(
        &ingest::InputSource::classify(input.to_str().unwrap()),
        &options(&data_dir, true),
        &NoProgress,
    )
    .unwrap();
    assert!(client.parsed.is_file() && !client.from_cache);
}

#[test]
fn a_single_file_with_dates_is_parsed_by_the_engine_like_the_client() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("log.parquet");
    let mut columns = log_columns(0, 4_321);
    columns[4] = (
        "InvoiceDate",
        Arc::new(Date32Array::from_iter_values(
            (0..4_321).map(|i| 14_944 + i / 100),
        )),
    );
    write_parquet(&input, columns);
    let engine = assert_same_parse(&input, &dir.path().join("data"));
    assert_eq!(
        read_parse(&engine.parsed)
            .column(0)
            .as_any()
            .downcast_ref::<Int64Array>()
            .unwrap()
            .values()
            .last(),
        Some(&4_321)
    );
}

#[test]
fn a_value_that_fails_a_check_is_named_by_the_clients_reader() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("log.parquet");
    let mut columns = log_columns(0, 2_000);
    let mut ids: Vec<Option<f64>> = (0..2_000).map(|i| Some(12_000.0 + f64::from(i))).collect();
    ids[1_234] = Some(17_850.5);
    columns[6] = ("Customer ID", Arc::new(Float64Array::from(ids)));
    write_parquet(&input, columns);
    let error = ingest_on_engine(&input, &options(&dir.path().join("data"), true))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("row 1235") && error.contains("column `Customer ID`: is not a whole number"),
        "{error}"
    );
    // Nothing was left in the cache.
    let parsed = dir.path().join("data/parsed");
    let left: Vec<_> = std::fs::read_dir(&parsed)
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn text_dates_are_left_to_the_client() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("log.parquet");
    let mut columns = log_columns(0, 10);
    columns[4] = (
        "InvoiceDate",
        Arc::new(StringArray::from_iter_values(
            (0..10).map(|i| format!("12/{}/2010 8:26", i + 1)),
        )),
    );
    write_parquet(&input, columns);
    let parsed = ingest_on_engine(&input, &options(&dir.path().join("data"), true)).unwrap();
    assert!(parsed.parsed.is_file());
    assert_eq!(parsed.outcome.rows, 10);
    let batch = read_parse(&parsed.parsed);
    let rows = batch
        .column(0)
        .as_any()
        .downcast_ref::<Int64Array>()
        .unwrap();
    assert_eq!(rows.value(9), 10);
}
