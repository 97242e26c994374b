//! Reading customer tables. Columns the caller asks for must be numbers in every row; an error
//! names the file, the row and the column. Other columns are listed but not read.

use std::path::Path;

use anyhow::{Context, Result, bail};
use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Float64Type, Int64Type};
use custseg_model::table::{CUSTOMER_ID, CustomerTable};

use super::TableFormat;

/// Reads `path` (CSV, Parquet or JSON by extension). Returns the table (customer key plus the
/// `numeric` columns that exist) and every column name found.
pub fn read_customer_table(
    path: &Path,
    numeric: &[String],
) -> Result<(CustomerTable, Vec<String>)> {
    let shown = path.display();
    match TableFormat::from_path(path)? {
        TableFormat::Parquet => {
            let table = super::ParquetColumns::read(path)?;
            from_batches(table.batches(), numeric).with_context(|| format!("`{shown}`"))
        }
        TableFormat::Csv => read_csv(path, numeric),
        TableFormat::Json => read_json(path, numeric),
    }
}

/// Converts Arrow batches (e.g. the feature table of `custseg run`) into a customer table.
pub fn from_batches(
    batches: &[RecordBatch],
    numeric: &[String],
) -> Result<(CustomerTable, Vec<String>)> {
    let Some(first) = batches.first() else {
        bail!("the table has no rows");
    };
    let schema = first.schema();
    let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    if !names.iter().any(|n| n == CUSTOMER_ID) {
        bail!("there is no `{CUSTOMER_ID}` column");
    }
    let mut table = CustomerTable::default();
    let mut offset = 0;
    let wanted: Vec<&String> = names.iter().filter(|n| numeric.contains(n)).collect();
    table.columns = wanted.iter().map(|n| ((*n).clone(), Vec::new())).collect();
    for batch in batches {
        let ids = column_as_f64(batch, CUSTOMER_ID, offset)?;
        for (row, id) in ids.iter().enumerate() {
            if id.fract() != 0.0 || !id.is_finite() {
                bail!(
                    "row {}: `{CUSTOMER_ID}` is `{id}`, not a whole number",
                    offset + row + 1
                );
            }
        }
        table.customer_ids.extend(ids.iter().map(|v| *v as i64));
        for (name, values) in table.columns.iter_mut() {
            values.extend(column_as_f64(batch, name, offset)?);
        }
        offset += batch.num_rows();
    }
    Ok((table, names))
}

/// A column as `f64`: numbers cast, text parsed (an error names the row), nulls refused.
fn column_as_f64(batch: &RecordBatch, name: &str, offset: usize) -> Result<Vec<f64>> {
    let column = batch
        .column_by_name(name)
        .with_context(|| format!("there is no `{name}` column"))?;
    if let Some(row) = (0..column.len()).find(|&i| column.is_null(i)) {
        bail!(
            "row {}: `{name}` is empty; a number is needed",
            offset + row + 1
        );
    }
    match column.data_type() {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            let text = arrow::compute::cast(column, &DataType::Utf8)?;
            text.as_string::<i32>()
                .iter()
                .enumerate()
                .map(|(row, value)| {
                    parse_number(
                        value.unwrap_or(""),
                        name,
                        &format!("row {}", offset + row + 1),
                    )
                })
                .collect()
        }
        DataType::Int64 => Ok(column
            .as_primitive::<Int64Type>()
            .values()
            .iter()
            .map(|v| *v as f64)
            .collect()),
        data_type if data_type.is_numeric() || *data_type == DataType::Boolean => {
            let cast = arrow::compute::cast(column, &DataType::Float64)?;
            Ok(cast.as_primitive::<Float64Type>().values().to_vec())
        }
        other => bail!("column `{name}` holds {other}, not numbers"),
    }
}

/// Parses one cell; `place` says where it is ("row 12", or "line 13" for CSV, whose header is
/// line 1).
fn parse_number(text: &str, column: &str, place: &str) -> Result<f64> {
    let trimmed = text.trim();
    match trimmed.parse::<f64>() {
        Ok(value) if value.is_finite() => Ok(value),
        Ok(value) => bail!("{place}: `{column}` is `{value}`, not a finite number"),
        Err(_) if trimmed.is_empty() => bail!("{place}: `{column}` is empty; a number is needed"),
        Err(_) => bail!("{place}: `{column}` is not a number: `{trimmed}`"),
    }
}

fn read_csv(path: &Path, numeric: &[String]) -> Result<(CustomerTable, Vec<String>)> {
    let shown = path.display();
    let mut reader = csv::ReaderBuilder::new()
        .from_path(path)
        .with_context(|| format!("cannot open `{shown}`"))?;
    let names: Vec<String> = reader
        .headers()
        .with_context(|| format!("`{shown}`: no header row"))?
        .iter()
        .map(|h| h.trim().to_owned())
        .collect();
    let Some(id_index) = names.iter().position(|n| n == CUSTOMER_ID) else {
        bail!("`{shown}`: there is no `{CUSTOMER_ID}` column");
    };
    let wanted: Vec<(usize, String)> = names
        .iter()
        .enumerate()
        .filter(|(_, n)| numeric.contains(n))
        .map(|(i, n)| (i, n.clone()))
        .collect();
    let mut table = CustomerTable {
        customer_ids: Vec::new(),
        columns: wanted
            .iter()
            .map(|(_, n)| (n.clone(), Vec::new()))
            .collect(),
    };
    for (index, record) in reader.records().enumerate() {
        // Line numbers as a spreadsheet shows them: the header is line 1.
        let line = index + 2;
        let record = record.with_context(|| format!("`{shown}`, line {line}"))?;
        let place = format!("line {line}");
        let id = parse_number(record.get(id_index).unwrap_or(""), CUSTOMER_ID, &place)
            .with_context(|| format!("`{shown}`"))?;
        table.customer_ids.push(id as i64);
        for ((column, name), (_, values)) in wanted.iter().zip(table.columns.iter_mut()) {
            values.push(
                parse_number(record.get(*column).unwrap_or(""), name, &place)
                    .with_context(|| format!("`{shown}`"))?,
            );
        }
    }
    if table.is_empty() {
        bail!("`{shown}` has no customer rows");
    }
    Ok((table, names))
}

fn read_json(path: &Path, numeric: &[String]) -> Result<(CustomerTable, Vec<String>)> {
    let shown = path.display();
    let text = fs_err::read_to_string(path)?;
    let value: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("`{shown}` is not valid JSON"))?;
    let rows = match &value {
        serde_json::Value::Array(rows) => rows,
        serde_json::Value::Object(object) => match object.get("instances") {
            Some(serde_json::Value::Array(rows)) => rows,
            _ => bail!("`{shown}`: expected an array of objects or {{\"instances\": [...]}}"),
        },
        _ => bail!("`{shown}`: expected an array of objects"),
    };
    let mut names: Vec<String> = Vec::new();
    for row in rows {
        if let serde_json::Value::Object(object) = row {
            for key in object.keys() {
                if !names.contains(key) {
                    names.push(key.clone());
                }
            }
        }
    }
    let wanted: Vec<String> = names
        .iter()
        .filter(|n| numeric.contains(n))
        .cloned()
        .collect();
    let mut table = CustomerTable {
        customer_ids: Vec::new(),
        columns: wanted.iter().map(|n| (n.clone(), Vec::new())).collect(),
    };
    for (index, row) in rows.iter().enumerate() {
        let serde_json::Value::Object(object) = row else {
            bail!("`{shown}`: instance {index} is not an object");
        };
        let number = |name: &str| -> Result<f64> {
            match object.get(name) {
                Some(serde_json::Value::Number(n)) => n.as_f64().with_context(|| {
                    format!("`{shown}`: instance {index}: `{name}` is out of range")
                }),
                Some(other) => {
                    bail!("`{shown}`: instance {index}: `{name}` is {other}, not a number")
                }
                None => bail!("`{shown}`: instance {index}: `{name}` is missing"),
            }
        };
        let id = number(CUSTOMER_ID)?;
        table.customer_ids.push(id as i64);
        for (name, values) in table.columns.iter_mut() {
            values.push(number(name)?);
        }
    }
    if table.is_empty() {
        bail!("`{shown}` has no instances");
    }
    Ok((table, names))
}
