//! Aggregate queries behind the quality report.

use std::collections::BTreeMap;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{Int64Type, TimestampMicrosecondType};
use datafusion::prelude::SessionContext;

use super::rule::{CleaningRule, sql_string};
use crate::error::{Error, Result};
use crate::schema::{RULE, RawColumn};

use super::quality::{TableProfile, ValueCount};

async fn one_row(context: &SessionContext, sql: &str, label: &str) -> Result<RecordBatch> {
    let batches = crate::plan_metrics::collect(context.sql(sql).await?, label).await?;
    let batch = arrow::compute::concat_batches(
        &batches
            .first()
            .map(|batch| batch.schema())
            .ok_or_else(|| Error::Invariant(format!("no result for `{sql}`")))?,
        &batches,
    )?;
    if batch.num_rows() != 1 {
        return Err(Error::Invariant(format!(
            "expected one row from `{sql}`, got {}",
            batch.num_rows()
        )));
    }
    Ok(batch)
}

fn integer(batch: &RecordBatch, name: &str) -> Result<u64> {
    let column = batch
        .column_by_name(name)
        .ok_or_else(|| Error::Invariant(format!("no column `{name}`")))?;
    let column = arrow::compute::cast(column, &arrow::datatypes::DataType::Int64)?;
    let values = column.as_primitive::<Int64Type>();
    Ok(if values.is_null(0) {
        0
    } else {
        u64::try_from(values.value(0)).unwrap_or(0)
    })
}

fn timestamp(batch: &RecordBatch, name: &str) -> Result<Option<String>> {
    let column = batch
        .column_by_name(name)
        .ok_or_else(|| Error::Invariant(format!("no column `{name}`")))?;
    let values = column.as_primitive::<TimestampMicrosecondType>();
    if values.is_null(0) {
        return Ok(None);
    }
    Ok(chrono::DateTime::from_timestamp_micros(values.value(0))
        .map(|moment| moment.naive_utc().format("%Y-%m-%dT%H:%M:%S").to_string()))
}

fn profile_sql(table: &str, cancellation_prefix: &str, extra: &str) -> String {
    format!(
        "SELECT count(*) AS rows, count(DISTINCT \"InvoiceNo\") AS invoices, \
           count(DISTINCT \"StockCode\") AS stock_codes, count(DISTINCT \"CustomerID\") AS customers, \
           count(DISTINCT \"Country\") AS countries, \
           sum(CASE WHEN starts_with(\"InvoiceNo\", {}) THEN 1 ELSE 0 END) AS cancellations, \
           min(\"InvoiceDate\") AS first_date, max(\"InvoiceDate\") AS last_date{extra} \
         FROM {table}",
        sql_string(cancellation_prefix)
    )
}

fn read_profile(batch: &RecordBatch) -> Result<TableProfile> {
    Ok(TableProfile {
        rows: integer(batch, "rows")?,
        distinct_invoices: integer(batch, "invoices")?,
        distinct_stock_codes: integer(batch, "stock_codes")?,
        distinct_customers: integer(batch, "customers")?,
        distinct_countries: integer(batch, "countries")?,
        cancellation_lines: integer(batch, "cancellations")?,
        first_invoice_date: timestamp(batch, "first_date")?,
        last_invoice_date: timestamp(batch, "last_date")?,
    })
}

/// Facts of a transaction table.
pub(crate) async fn table_profile(
    context: &SessionContext,
    table: &str,
    cancellation_prefix: &str,
) -> Result<TableProfile> {
    read_profile(
        &one_row(
            context,
            &profile_sql(table, cancellation_prefix, ""),
            &format!("profile of {table}"),
        )
        .await?,
    )
}

/// Facts of the raw table, and its empty values per column.
pub(crate) async fn raw_profile(
    context: &SessionContext,
    table: &str,
    cancellation_prefix: &str,
) -> Result<(TableProfile, BTreeMap<String, u64>)> {
    let nulls_sql: String = RawColumn::ALL
        .iter()
        .enumerate()
        .map(|(index, column)| format!(", count(*) - count({}) AS nulls_{index}", column.sql()))
        .collect();
    let batch = one_row(
        context,
        &profile_sql(table, cancellation_prefix, &nulls_sql),
        &format!("profile of {table}"),
    )
    .await?;
    let mut nulls = BTreeMap::new();
    for (index, column) in RawColumn::ALL.iter().enumerate() {
        nulls.insert(
            column.name().to_owned(),
            integer(&batch, &format!("nulls_{index}"))?,
        );
    }
    Ok((read_profile(&batch)?, nulls))
}

/// The `limit` most frequent values of each rule's key column among its dropped rows.
pub(crate) async fn top_values(
    context: &SessionContext,
    table: &str,
    rules: &[Box<dyn CleaningRule>],
    limit: usize,
) -> Result<BTreeMap<String, Vec<ValueCount>>> {
    if rules.is_empty() {
        return Ok(BTreeMap::new());
    }
    let arms: String = rules
        .iter()
        .map(|rule| {
            format!(
                " WHEN {} THEN coalesce(CAST(\"{}\" AS VARCHAR), '(empty)')",
                sql_string(rule.name()),
                rule.key_column()
            )
        })
        .collect();
    let sql = format!(
        "SELECT {RULE}, value, rows FROM ( \
           SELECT {RULE}, value, rows, row_number() OVER (PARTITION BY {RULE} ORDER BY rows DESC, value) AS rank \
           FROM (SELECT {RULE}, CASE {RULE}{arms} END AS value, count(*) AS rows FROM {table} GROUP BY 1, 2)) \
         WHERE rank <= {limit} ORDER BY {RULE}, rank"
    );
    let batches =
        crate::plan_metrics::collect(context.sql(&sql).await?, &format!("top values of {table}"))
            .await?;
    let mut top: BTreeMap<String, Vec<ValueCount>> = BTreeMap::new();
    for batch in &batches {
        let names = arrow::compute::cast(batch.column(0), &arrow::datatypes::DataType::Utf8)?;
        let values = arrow::compute::cast(batch.column(1), &arrow::datatypes::DataType::Utf8)?;
        let names = names.as_string::<i32>();
        let values = values.as_string::<i32>();
        let rows = batch.column(2).as_primitive::<Int64Type>();
        for index in 0..batch.num_rows() {
            top.entry(names.value(index).to_owned())
                .or_default()
                .push(ValueCount {
                    value: values.value(index).to_owned(),
                    rows: u64::try_from(rows.value(index)).unwrap_or(0),
                });
        }
    }
    Ok(top)
}
