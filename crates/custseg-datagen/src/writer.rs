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

    /// The file extension of this format, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            OutputFormat::Parquet => "parquet",
            OutputFormat::Csv => "csv",
            OutputFormat::CsvGz => "csv.gz",
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
    lines: &mut dyn Iterator<Item = Line>,
    progress: &mut dyn FnMut(u64),
) -> std::io::Result<(W, u64)> {
    out.write_all(
        b"InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n",
    )?;
    let mut written = 0u64;
    for line in lines {
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
    let mut generator = Generator::new(spec)?;
    let parent = parent_of(path)?;
    crate::abandoned::remove_abandoned(&parent, &file_name(path));
    let temporary = parent.join(format!(
        ".{}.partial-{}",
        file_name(path),
        std::process::id()
    ));
    let written = write_file(format, &temporary, &mut generator, progress, 0);
    let written = match written {
        Ok(written) => written,
        Err(error) => {
            let _ = std::fs::remove_file(&temporary);
            return Err(error);
        }
    };
    progress(written);
    rename(&temporary, path)?;
    Ok(written)
}

/// Generates `spec` into the directory `directory` as `partitions` files
/// `part-00000.<ext>`, ... of (nearly) equal row counts. Read in name order, the parts hold
/// exactly the rows, in the same order, of the single file `write_demo` writes for the same
/// spec. The directory appears (or replaces an earlier one) only when every part is written.
pub fn write_demo_partitioned(
    spec: &DemoSpec,
    directory: &Path,
    partitions: u64,
    format: OutputFormat,
    progress: &mut dyn FnMut(u64),
) -> Result<u64> {
    if partitions == 0 || partitions > spec.rows {
        return Err(Error::Spec(format!(
            "`partitions` must be between 1 and the number of rows ({}), not {partitions}",
            spec.rows
        )));
    }
    let mut generator = Generator::new(spec)?;
    let parent = parent_of(directory)?;
    crate::abandoned::remove_abandoned(&parent, &file_name(directory));
    let staging = parent.join(format!(
        ".{}.partial-{}",
        file_name(directory),
        std::process::id()
    ));
    let result = (|| -> Result<u64> {
        let _ = std::fs::remove_dir_all(&staging);
        std::fs::create_dir_all(&staging).map_err(|source| Error::Io {
            path: staging.clone(),
            source,
        })?;
        let mut written = 0u64;
        for part in 0..partitions {
            let rows = spec.rows / partitions + u64::from(part < spec.rows % partitions);
            let path = staging.join(format!("part-{part:05}.{}", format.extension()));
            let mut lines = generator.by_ref().take(rows as usize);
            written += write_file(format, &path, &mut lines, progress, written)?;
        }
        Ok(written)
    })();
    let written = match result {
        Ok(written) => written,
        Err(error) => {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(error);
        }
    };
    progress(written);
    if directory.exists() {
        let old = parent.join(format!(
            ".{}.old-{}",
            file_name(directory),
            std::process::id()
        ));
        rename(directory, &old)?;
        rename(&staging, directory)?;
        let _ = std::fs::remove_dir_all(&old);
    } else {
        rename(&staging, directory)?;
    }
    Ok(written)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The folder `path` is in, created if missing.
fn parent_of(path: &Path) -> Result<std::path::PathBuf> {
    let parent = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|source| Error::Io {
        path: parent.to_path_buf(),
        source,
    })?;
    Ok(parent.to_path_buf())
}

fn rename(from: &Path, to: &Path) -> Result<()> {
    std::fs::rename(from, to).map_err(|source| Error::Io {
        path: to.to_path_buf(),
        source,
    })
}

/// Writes `lines` to `path` in `format`; `progress` gets `base` plus the rows written.
fn write_file(
    format: OutputFormat,
    path: &Path,
    lines: &mut dyn Iterator<Item = Line>,
    progress: &mut dyn FnMut(u64),
    base: u64,
) -> Result<u64> {
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::create(path).map_err(io)?;
    let mut report = |rows: u64| progress(base + rows);
    let written = match format {
        OutputFormat::Parquet => {
            let properties = WriterProperties::builder()
                .set_compression(Compression::ZSTD(ZstdLevel::try_new(1).unwrap_or_default()))
                .build();
            let mut writer = ArrowWriter::try_new(file, schema(), Some(properties))?;
            let mut written = 0u64;
            let mut chunk = Vec::with_capacity(BATCH);
            for line in lines {
                chunk.push(line);
                if chunk.len() == BATCH {
                    writer.write(&batch(&chunk)?)?;
                    written += chunk.len() as u64;
                    report(written);
                    chunk.clear();
                }
            }
            if !chunk.is_empty() {
                writer.write(&batch(&chunk)?)?;
                written += chunk.len() as u64;
            }
            writer.close()?;
            written
        }
        OutputFormat::Csv => write_csv(
            std::io::BufWriter::with_capacity(1 << 20, file),
            lines,
            &mut report,
        )
        .and_then(|(out, rows)| {
            out.into_inner()
                .map(|_| rows)
                .map_err(|error| error.into_error())
        })
        .map_err(io)?,
        OutputFormat::CsvGz => {
            let encoder = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
            write_csv(
                std::io::BufWriter::with_capacity(1 << 20, encoder),
                lines,
                &mut report,
            )
            .and_then(|(out, rows)| {
                let encoder = out.into_inner().map_err(|error| error.into_error())?;
                encoder.finish().map(|_| rows)
            })
            .map_err(io)?
        }
    };
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv_body(path: &Path) -> Vec<String> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .skip(1)
            .map(str::to_owned)
            .collect()
    }

    /// A run killed earlier left its half-written file: the next run removes it.
    #[test]
    fn a_new_run_removes_what_a_killed_one_left() {
        let directory = tempfile::tempdir().unwrap();
        let abandoned = directory.path().join(".demo.csv.partial-999999999");
        std::fs::write(&abandoned, b"InvoiceNo,StockCode\n536365").unwrap();
        let spec = DemoSpec {
            rows: 100,
            ..DemoSpec::default()
        };
        write_demo(&spec, &directory.path().join("demo.csv"), &mut |_| {}).unwrap();
        assert!(!abandoned.exists());
        assert_eq!(csv_body(&directory.path().join("demo.csv")).len(), 100);
    }

    #[test]
    fn parts_in_name_order_hold_the_single_file_rows() {
        let spec = DemoSpec {
            rows: 10_007,
            seed: 3,
            ..DemoSpec::default()
        };
        let directory = tempfile::tempdir().unwrap();
        let single = directory.path().join("single.csv");
        write_demo(&spec, &single, &mut |_| {}).unwrap();
        let parts = directory.path().join("parts");
        let written =
            write_demo_partitioned(&spec, &parts, 4, OutputFormat::Csv, &mut |_| {}).unwrap();
        assert_eq!(written, 10_007);
        let mut names: Vec<String> = std::fs::read_dir(&parts)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "part-00000.csv",
                "part-00001.csv",
                "part-00002.csv",
                "part-00003.csv"
            ]
        );
        let sizes: Vec<usize> = names
            .iter()
            .map(|name| csv_body(&parts.join(name)).len())
            .collect();
        assert_eq!(sizes, [2502, 2502, 2502, 2501]);
        let joined: Vec<String> = names
            .iter()
            .flat_map(|name| csv_body(&parts.join(name)))
            .collect();
        assert_eq!(joined, csv_body(&single));

        // writing again replaces the directory, leaving no staging folder behind
        write_demo_partitioned(&spec, &parts, 2, OutputFormat::Csv, &mut |_| {}).unwrap();
        assert_eq!(std::fs::read_dir(&parts).unwrap().count(), 2);
        let leftovers: Vec<_> = std::fs::read_dir(directory.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .filter(|name| name.to_string_lossy().starts_with('.'))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[test]
    fn more_partitions_than_rows_is_refused() {
        let spec = DemoSpec {
            rows: 3,
            ..DemoSpec::default()
        };
        let directory = tempfile::tempdir().unwrap();
        let error = write_demo_partitioned(
            &spec,
            &directory.path().join("parts"),
            4,
            OutputFormat::Parquet,
            &mut |_| {},
        )
        .unwrap_err();
        assert!(error.to_string().contains("partitions"), "{error}");
    }
}
