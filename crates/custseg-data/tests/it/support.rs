//! Helpers shared by the integration tests.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use custseg_data::clean::QualityReport;
use custseg_data::ingest::IngestOptions;
use custseg_data::pipeline::{self, FeaturesRequest, paths};
use custseg_data::{NoProgress, Result, engine};
use custseg_io::StagedOutput;

/// A file of the shared reference data; a missing file fails the test with a clear
/// message (the tests never skip).
pub fn shared_data(name: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(name);
    assert!(
        path.exists(),
        "reference data `{}` is missing: the tests expect the workplace's shared/ folder beside the repository",
        path.display()
    );
    path
}

/// Runs `custseg features` on `input` with the cache under `data_dir`.
pub fn features(input: &str, out: &Path, data_dir: &Path) -> Result<FeaturesOutcome> {
    let request = FeaturesRequest {
        ingest: IngestOptions {
            data_dir: data_dir.to_path_buf(),
            ..IngestOptions::default()
        },
        ..FeaturesRequest::default()
    };
    features_with(input, out, &request)
}

/// What the three data stages produced.
#[derive(Debug)]
pub struct FeaturesOutcome {
    /// The quality report written.
    pub report: QualityReport,
    /// Customers in the feature table.
    pub customers: usize,
    /// The as-of date used.
    pub as_of: NaiveDate,
}

/// The data stages' bodies one after the other (as the pipeline's DAG runs them), written
/// into `out` together.
pub fn features_with(
    input: &str,
    out: &Path,
    request: &FeaturesRequest,
) -> Result<FeaturesOutcome> {
    let input = custseg_data::ingest::InputSource::classify(input);
    let mut staged = StagedOutput::new(out)?;
    let record = pipeline::stage_ingest(&input, request, &mut staged, &NoProgress)?;
    let raw = staged.current_path(paths::RAW);
    let outcome = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(async {
            let session = engine::session(&request.engine).await?;
            let report =
                pipeline::clean_into(&session, &raw, &record, request, &mut staged).await?;
            let clean = staged.current_path(paths::CLEAN);
            let rows = pipeline::register_clean(&session, &clean).await?;
            let built = pipeline::features_into(
                &session,
                &input.to_string(),
                rows,
                request.as_of,
                &mut staged,
            )
            .await?;
            Ok::<_, custseg_data::Error>(FeaturesOutcome {
                report,
                customers: built.meta.customers,
                as_of: built.meta.as_of,
            })
        })?;
    staged.commit()?;
    Ok(outcome)
}

/// The feature CSV as CustomerID -> column -> value.
pub fn feature_rows(out: &Path) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut reader =
        csv::Reader::from_path(out.join("features/customer_features.csv")).expect("features CSV");
    let headers = reader.headers().expect("header").clone();
    reader
        .records()
        .map(|record| {
            let record = record.expect("a record");
            let row: BTreeMap<String, String> = headers
                .iter()
                .zip(record.iter())
                .map(|(h, v)| (h.to_owned(), v.to_owned()))
                .collect();
            (row["CustomerID"].clone(), row)
        })
        .collect()
}

/// Rows of a Parquet file, with the values of one string and one integer column.
pub fn parquet_column(path: &Path, string_column: &str, int_column: &str) -> Vec<(String, i64)> {
    use arrow::array::AsArray;
    use arrow::datatypes::Int64Type;
    let file = std::fs::File::open(path).expect("parquet file");
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .expect("parquet")
        .build()
        .expect("reader");
    let mut rows = Vec::new();
    for batch in reader {
        let batch = batch.expect("batch");
        let strings = arrow::compute::cast(
            batch.column_by_name(string_column).expect("column"),
            &arrow::datatypes::DataType::Utf8,
        )
        .expect("cast");
        let strings = strings.as_string::<i32>();
        let ints = batch
            .column_by_name(int_column)
            .expect("column")
            .as_primitive::<Int64Type>();
        for index in 0..batch.num_rows() {
            rows.push((strings.value(index).to_owned(), ints.value(index)));
        }
    }
    rows
}

/// The header of the raw CSV fixtures.
pub const HEADER: &str =
    "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n";

/// A request reading the workbook sheets `sheets` (empty: the first; `*`: every one), with
/// the cache under `data_dir`.
pub fn reading_sheets(data_dir: &Path, sheets: &[&str]) -> FeaturesRequest {
    FeaturesRequest {
        ingest: IngestOptions {
            data_dir: data_dir.to_path_buf(),
            sheet: sheets.iter().map(|name| (*name).to_owned()).collect(),
            ..IngestOptions::default()
        },
        ..FeaturesRequest::default()
    }
}

/// The (sheet, rows) pairs the quality report `report` lists for a workbook.
pub fn sheet_rows(report: &custseg_data::clean::QualityReport) -> Vec<(String, u64)> {
    report
        .input
        .sheets
        .iter()
        .map(|sheet| (sheet.name.clone(), sheet.rows))
        .collect()
}

/// The quarantine's (rule, source row) pairs of the run that wrote `out`.
pub fn quarantined(out: &Path) -> Vec<(String, i64)> {
    parquet_column(
        &out.join("quarantine/rejected.parquet"),
        "rule",
        "source_row",
    )
}

/// The clean table's (InvoiceNo, source row) pairs of the run that wrote `out`.
pub fn clean_invoices(out: &Path) -> Vec<(String, i64)> {
    parquet_column(
        &out.join("clean/transactions.parquet"),
        "InvoiceNo",
        "source_row",
    )
}

/// The column names of Online Retail II (UCI id 502), in its order.
pub const ONLINE_RETAIL_II_HEADER: [&str; 8] = [
    "Invoice",
    "StockCode",
    "Description",
    "Quantity",
    "InvoiceDate",
    "Price",
    "Customer ID",
    "Country",
];

/// Writes `text` to `dir/name` and returns the path as a string.
pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write fixture");
    path.to_string_lossy().into_owned()
}
