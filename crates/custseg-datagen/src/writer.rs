//! Writing a generated log as Parquet or CSV (optionally gzip), atomically.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, Float64Builder, Int64Builder, StringBuilder, TimestampMicrosecondBuilder,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use crate::error::{Error, Result};
use crate::generator::{DemoSpec, Generator, Line};

/// File format of the demo log, from the output's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// `.parquet`: the schema of the UCI Parquet copy (CustomerID a nullable float).
    Parquet,
    /// `.csv`: the UCI CSV layout (`12/1/2010 8:26`).
    Csv,
    /// `.csv.gz`.
    CsvGz,
}

impl OutputFormat {
    /// The format for `path`'s extension.
    pub fn for_path(path: &Path) -> Result<OutputFormat> {
        let name = path.to_string_lossy().to_ascii_lowercase();
        if name.ends_with(".parquet") {
            Ok(OutputFormat::Parquet)
        } else if name.ends_with(".csv.gz") {
            Ok(OutputFormat::CsvGz)
        } else if name.ends_with(".csv") {
            Ok(OutputFormat::Csv)
        } else {
            Err(Error::Spec(format!(
                "cannot tell the format of `{}`: name it `.parquet`, `.csv` or `.csv.gz`",
                path.display()
            )))
        }
    }
}

const BATCH: usize = 64 * 1024;

fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("InvoiceNo", DataType::Utf8, false),
        Field::new("StockCode", DataType::Utf8, false),
        Field::new("Description", DataType::Utf8, true),
        Field::new("Quantity", DataType::Int64, false),
        Field::new(
            "InvoiceDate",
            DataType::Timestamp(TimeUnit::Microsecond, None),
            false,
        ),
        Field::new("UnitPrice", DataType::Float64, false),
        Field::new("CustomerID", DataType::Float64, true),
        Field::new("Country", DataType::Utf8, false),
    ]))
}

fn batch(lines: &[Line]) -> Result<RecordBatch> {
    let mut invoice = StringBuilder::new();
    let mut stock = StringBuilder::new();
    let mut description = StringBuilder::new();
    let mut quantity = Int64Builder::with_capacity(lines.len());
    let mut date = TimestampMicrosecondBuilder::with_capacity(lines.len());
    let mut price = Float64Builder::with_capacity(lines.len());
    let mut customer = Float64Builder::with_capacity(lines.len());
    let mut country = StringBuilder::new();
    for line in lines {
        invoice.append_value(&line.invoice_no);
        stock.append_value(&line.stock_code);
        description.append_option(line.description.as_deref());
        quantity.append_value(line.quantity);
        date.append_value(line.invoice_date.and_utc().timestamp_micros());
        price.append_value(line.unit_price);
        customer.append_option(line.customer_id.map(|id| id as f64));
        country.append_value(line.country);
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(invoice.finish()),
        Arc::new(stock.finish()),
        Arc::new(description.finish()),
        Arc::new(quantity.finish()),
        Arc::new(date.finish()),
        Arc::new(price.finish()),
        Arc::new(customer.finish()),
        Arc::new(country.finish()),
    ];
    Ok(RecordBatch::try_new(schema(), columns)?)
}

fn csv_field(out: &mut impl Write, text: &str) -> std::io::Result<()> {
    if text.contains([',', '"', '\n']) {
        write!(out, "\"{}\"", text.replace('"', "\"\""))
    } else {
        out.write_all(text.as_bytes())
    }
}

fn csv_line(out: &mut impl Write, line: &Line) -> std::io::Result<()> {
    csv_field(out, &line.invoice_no)?;
    out.write_all(b",")?;
    csv_field(out, &line.stock_code)?;
    out.write_all(b",")?;
    csv_field(out, line.description.as_deref().unwrap_or(""))?;
    write!(
        out,
        ",{},{},{},",
        line.quantity,
        line.invoice_date.format("%-m/%-d/%Y %-H:%M"),
        line.unit_price
    )?;
    if let Some(id) = line.customer_id {
        write!(out, "{id}")?;
    }
    out.write_all(b",")?;
    csv_field(out, line.country)?;
    out.write_all(b"\n")
}

fn write_csv<W: Write>(
    mut out: W,
    generator: Generator,
    progress: &mut dyn FnMut(u64),
) -> std::io::Result<(W, u64)> {
    out.write_all(
        b"InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n",
    )?;
    let mut written = 0u64;
    for line in generator {
        csv_line(&mut out, &line)?;
        written += 1;
        if written.is_multiple_of(BATCH as u64) {
            progress(written);
        }
    }
    Ok((out, written))
}

/// Generates `spec` into `path` (format from its extension), calling `progress`
/// with the rows written so far. The file appears only when complete.
pub fn write_demo(spec: &DemoSpec, path: &Path, progress: &mut dyn FnMut(u64)) -> Result<u64> {
    let format = OutputFormat::for_path(path)?;
    let generator = Generator::new(spec)?;
    let parent = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|source| Error::Io {
        path: parent.to_path_buf(),
        source,
    })?;
    let temporary = parent.join(format!(
        ".{}.partial-{}",
        path.file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default(),
        std::process::id()
    ));
    let io = |source| Error::Io {
        path: temporary.clone(),
        source,
    };
    let file = std::fs::File::create(&temporary).map_err(io)?;
    let mut written = 0u64;
    let result = (|| -> Result<()> {
        match format {
            OutputFormat::Parquet => {
                let properties = WriterProperties::builder()
                    .set_compression(Compression::ZSTD(ZstdLevel::try_new(1).unwrap_or_default()))
                    .build();
                let mut writer = ArrowWriter::try_new(file, schema(), Some(properties))?;
                let mut chunk = Vec::with_capacity(BATCH);
                for line in generator {
                    chunk.push(line);
                    if chunk.len() == BATCH {
                        writer.write(&batch(&chunk)?)?;
                        written += chunk.len() as u64;
                        progress(written);
                        chunk.clear();
                    }
                }
                if !chunk.is_empty() {
                    writer.write(&batch(&chunk)?)?;
                    written += chunk.len() as u64;
                }
                writer.close()?;
            }
            OutputFormat::Csv => {
                written = write_csv(
                    std::io::BufWriter::with_capacity(1 << 20, file),
                    generator,
                    progress,
                )
                .and_then(|(out, rows)| {
                    out.into_inner()
                        .map(|_| rows)
                        .map_err(|error| error.into_error())
                })
                .map_err(io)?;
            }
            OutputFormat::CsvGz => {
                let encoder = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
                written = write_csv(
                    std::io::BufWriter::with_capacity(1 << 20, encoder),
                    generator,
                    progress,
                )
                .and_then(|(out, rows)| {
                    let encoder = out.into_inner().map_err(|error| error.into_error())?;
                    encoder.finish().map(|_| rows)
                })
                .map_err(io)?;
            }
        }
        Ok(())
    })();
    if let Err(error) = result {
        let _ = std::fs::remove_file(&temporary);
        return Err(error);
    }
    progress(written);
    std::fs::rename(&temporary, path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(written)
}
