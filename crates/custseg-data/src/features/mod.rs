//! One row of features per customer, as one DataFusion SQL statement assembled
//! from the feature families (one file each).

mod behaviour;
mod cancellations;
mod family;
mod geography;
mod monthly;
mod products;
mod rfm;

pub use behaviour::Behaviour;
pub use cancellations::Cancellations;
pub use family::{FeatureContext, FeatureFamily};
pub use geography::Geography;
pub use monthly::Monthly;
pub use products::Products;
pub use rfm::Rfm;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Int32Type};
use chrono::NaiveDate;
use std::path::Path;

use datafusion::prelude::SessionContext;

use crate::engine::CONCURRENT_STATEMENTS_MAX_ROWS;
use crate::error::{Error, Result};

/// The fifteen features, in the table's order: the contract with the model
/// ([`custseg_schema::FEATURES`]).
pub const FEATURE_COLUMNS: [&str; 15] = custseg_schema::FEATURES;

/// Descriptive columns written after the fifteen features.
pub const EXTRA_COLUMNS: [&str; 4] = [
    "Country",
    "First_Purchase_Date",
    "Last_Purchase_Date",
    "Tenure_Days",
];

/// The key column of the feature table.
pub const CUSTOMER_ID: &str = custseg_schema::CUSTOMER_ID;

/// The families, in the order their queries are joined.
pub fn families() -> Vec<Box<dyn FeatureFamily>> {
    vec![
        Box::new(Rfm),
        Box::new(Products),
        Box::new(Behaviour),
        Box::new(Geography),
        Box::new(Cancellations),
        Box::new(Monthly),
    ]
}

/// The `tx` view over the cleaned transactions table, which every family reads:
/// `customer_id`, `invoice_no`, `stock_code`, `quantity`, `invoice_ts` (timestamp),
/// `day_number` (days since 1970-01-01 of the line's calendar date), `country`,
/// `cancelled` (boolean) and `amount_micros` (Quantity x UnitPrice in millionths,
/// exact).
pub fn tx_view_sql(clean_table: &str) -> String {
    format!(
        "SELECT \"CustomerID\" AS customer_id, \"InvoiceNo\" AS invoice_no, \"StockCode\" AS stock_code, \
           \"Quantity\" AS quantity, \"InvoiceDate\" AS invoice_ts, \
           {} AS day_number, \"Country\" AS country, \
           status = 'cancelled' AS cancelled, \
           \"Quantity\" * CAST(round(\"UnitPrice\" * 1000000.0) AS BIGINT) AS amount_micros \
         FROM {clean_table}",
        day_number_sql("\"InvoiceDate\"")
    )
}

/// The table of the cleaned lines summed per invoice, which every family but
/// [`Products`] reads (see [`invoices_sql`]).
pub const INVOICES_TABLE: &str = "invoices";

/// The cleaned lines of `clean_table` summed per invoice: one row per `customer_id`,
/// `invoice_no`, `invoice_ts`, `country` and `cancelled` (an invoice has one of each, so
/// in practice one row per invoice), with `day_number`, `lines` (how many lines),
/// `quantity` and `amount_micros` (their sums). Every feature but the count of distinct
/// products is a function of these sums, and the table has about a sixteenth of the
/// lines (the 10M-row demo log: 406,378 invoices for 6,454,376 clean lines), so the
/// families aggregate it instead of the lines. On that log the feature stage's plans took
/// 1.43-1.58 s (2.10-2.38 s of CPU) with it against 1.91-2.30 s (2.89-3.47 s) over the lines,
/// two runs each with `--explain-analyze`; the feature table is the same, byte for byte.
/// The sums are of integers, so they do not depend on how the lines are grouped.
pub fn invoices_sql(clean_table: &str) -> String {
    format!(
        "SELECT customer_id, invoice_no, invoice_ts, {} AS day_number, country, cancelled, \
           lines, quantity, amount_micros \
         FROM (SELECT customer_id, invoice_no, invoice_ts, country, cancelled, count(*) AS lines, \
                 sum(quantity) AS quantity, sum(amount_micros) AS amount_micros \
               FROM ({}) GROUP BY customer_id, invoice_no, invoice_ts, country, cancelled)",
        day_number_sql("invoice_ts"),
        tx_view_sql(clean_table)
    )
}

/// One family's query as a statement of its own over `clean_table` (its `tx` view) and the
/// registered [`INVOICES_TABLE`].
pub fn family_sql(
    clean_table: &str,
    family: &dyn FeatureFamily,
    context: &FeatureContext,
) -> String {
    format!(
        "WITH tx AS ({}) {}",
        tx_view_sql(clean_table),
        family.query(context)
    )
}

/// The statement joining the families' results, registered as tables named after the
/// families: one row per customer, sorted by CustomerID, the fifteen features then
/// [`EXTRA_COLUMNS`].
pub fn join_sql() -> Result<String> {
    let families = families();
    let mut outputs: Vec<(&'static str, String)> = families
        .iter()
        .flat_map(|family| family.outputs())
        .collect();
    let mut select = vec![format!("rfm.customer_id AS \"{CUSTOMER_ID}\"")];
    for name in FEATURE_COLUMNS.iter().chain(EXTRA_COLUMNS.iter()) {
        let position = outputs
            .iter()
            .position(|(output, _)| output == name)
            .ok_or_else(|| Error::Invariant(format!("no feature family computes `{name}`")))?;
        let (_, expression) = outputs.swap_remove(position);
        select.push(format!("{expression} AS \"{name}\""));
    }
    let joins: String = families
        .iter()
        .filter(|family| family.name() != "rfm")
        .map(|family| {
            format!(
                " LEFT JOIN {0} ON {0}.customer_id = rfm.customer_id",
                family.name()
            )
        })
        .collect();
    Ok(format!(
        "SELECT {} FROM rfm{joins} ORDER BY rfm.customer_id",
        select.join(", ")
    ))
}

/// Microseconds in a day.
const MICROS_PER_DAY: i64 = 86_400_000_000;

/// SQL for the day number (days since 1970-01-01, Int32) of the calendar date of
/// `timestamp`, an expression of microsecond timestamps without a time zone.
///
/// Integer arithmetic on the timestamp's microseconds: the floor of their division by a
/// day (SQL's `%` keeps the dividend's sign, so the remainder is made non-negative first).
/// The same value as `CAST(.. AS DATE)`, which converts each value through a calendar date:
/// in a profile of the feature stage on 10M demo rows, those calendar conversions took about
/// 8% of its CPU, and the whole run took 0.5-1.7 s less CPU (of about 22 s) without them.
pub fn day_number_sql(timestamp: &str) -> String {
    let micros = format!("CAST({timestamp} AS BIGINT)");
    format!(
        "CAST(({micros} - ({micros} % {MICROS_PER_DAY} + {MICROS_PER_DAY}) % {MICROS_PER_DAY}) \
         / {MICROS_PER_DAY} AS INT)"
    )
}

/// Days since 1970-01-01 of `date`.
pub fn day_number(date: NaiveDate) -> i32 {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    i32::try_from((date - epoch).num_days()).unwrap_or(i32::MAX)
}

/// The date of day number `day`.
pub fn date_of_day(day: i32) -> NaiveDate {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    epoch + chrono::TimeDelta::days(i64::from(day))
}

/// The default as-of date: the last date in the cleaned transactions.
pub async fn last_date(context: &SessionContext, clean_table: &str) -> Result<Option<NaiveDate>> {
    let batches = context
        .sql(&format!(
            "SELECT {} AS last_day FROM {clean_table}",
            day_number_sql("max(\"InvoiceDate\")")
        ))
        .await?
        .collect()
        .await?;
    let Some(batch) = batches.first() else {
        return Ok(None);
    };
    let days = batch.column(0).as_primitive::<Int32Type>();
    Ok((!days.is_null(0)).then(|| date_of_day(days.value(0))))
}

/// Computes the feature table from the registered cleaned transactions, which have
/// `rows` rows.
///
/// First the lines are summed per invoice ([`invoices_sql`]). Then each family runs as a
/// statement of its own and its customer-level result is kept in a Parquet file under
/// `scratch` (by absolute path, so cluster executors read it too); then
/// one statement joins them. One statement for everything would run every family's
/// aggregates, sorts and joins at once, and at 100M rows under a memory limit they starve
/// each other (a sort that cannot reserve memory to merge fails even though it could spill).
/// So the families run one after another, except on tables of at most
/// [`CONCURRENT_STATEMENTS_MAX_ROWS`] rows, where they run side by side.
pub async fn build(
    context: &SessionContext,
    clean_table: &str,
    rows: u64,
    as_of: NaiveDate,
    scratch: &Path,
) -> Result<Vec<RecordBatch>> {
    let feature_context = FeatureContext {
        as_of_day: day_number(as_of),
    };
    crate::clean::materialize(
        context,
        [invoices_sql(clean_table)],
        &scratch.join(format!("{INVOICES_TABLE}.parquet")),
        INVOICES_TABLE,
    )
    .await?;
    let families = families();
    let paths: Vec<_> = families
        .iter()
        .map(|family| scratch.join(format!("{}.parquet", family.name())))
        .collect();
    let materialized = families.iter().zip(&paths).map(|(family, path)| {
        crate::clean::materialize(
            context,
            [family_sql(clean_table, family.as_ref(), &feature_context)],
            path,
            family.name(),
        )
    });
    if rows <= CONCURRENT_STATEMENTS_MAX_ROWS {
        futures::future::try_join_all(materialized).await?;
    } else {
        for family in materialized {
            family.await?;
        }
    }
    let table =
        crate::plan_metrics::collect(context.sql(&join_sql()?).await?, "customer features").await?;
    for family in &families {
        context.deregister_table(family.name())?;
    }
    context.deregister_table(INVOICES_TABLE)?;
    table.iter().map(with_plain_strings).collect()
}

/// `batch` with its text columns as `Utf8`: a local engine hands strings over as views
/// (`Utf8View`), a cluster's result as plain `Utf8`, and the feature files should have one
/// schema whichever engine built them.
fn with_plain_strings(batch: &RecordBatch) -> Result<RecordBatch> {
    let schema = batch.schema();
    if !schema
        .fields()
        .iter()
        .any(|field| matches!(field.data_type(), DataType::Utf8View | DataType::LargeUtf8))
    {
        return Ok(batch.clone());
    }
    let mut fields = Vec::with_capacity(schema.fields().len());
    let mut columns = Vec::with_capacity(schema.fields().len());
    for (field, column) in schema.fields().iter().zip(batch.columns()) {
        if matches!(field.data_type(), DataType::Utf8View | DataType::LargeUtf8) {
            fields.push(field.as_ref().clone().with_data_type(DataType::Utf8));
            columns.push(arrow::compute::cast(column, &DataType::Utf8)?);
        } else {
            fields.push(field.as_ref().clone());
            columns.push(std::sync::Arc::clone(column));
        }
    }
    let schema = arrow::datatypes::Schema::new_with_metadata(fields, schema.metadata().clone());
    Ok(RecordBatch::try_new(std::sync::Arc::new(schema), columns)?)
}

#[cfg(test)]
mod tests {
    use arrow::array::AsArray;
    use arrow::datatypes::Int32Type;
    use datafusion::prelude::SessionContext;

    use super::*;

    /// The arithmetic gives the calendar date's day number on both sides of 1970 and of
    /// midnight, and NULL for NULL, on microsecond timestamps as the canonical schema has them.
    #[tokio::test]
    async fn day_numbers_are_those_of_the_calendar_date() {
        let moments = [
            "1970-01-01 00:00:00",
            "1970-01-01 23:59:59.999999",
            "1969-12-31 23:59:59.999999",
            "1969-12-31 00:00:00",
            "1900-03-01 12:00:00",
            "2010-12-01 08:26:00",
            "2011-12-09 00:00:00",
            "2011-12-08 23:59:59",
            "2400-02-29 06:00:00",
        ];
        let values = moments
            .iter()
            .map(|moment| format!("(arrow_cast('{moment}', 'Timestamp(Microsecond, None)'))"))
            .collect::<Vec<_>>()
            .join(", ");
        let context = SessionContext::new();
        let sql = format!(
            "SELECT {}, arrow_cast(CAST(ts AS DATE), 'Int32') \
             FROM (SELECT column1 AS ts FROM (VALUES {values}, (NULL)))",
            day_number_sql("ts")
        );
        let batches = context.sql(&sql).await.unwrap().collect().await.unwrap();
        let mut seen = 0;
        for batch in batches {
            let ours = batch.column(0).as_primitive::<Int32Type>();
            let calendar = batch.column(1).as_primitive::<Int32Type>();
            for row in 0..batch.num_rows() {
                assert_eq!(ours.is_null(row), calendar.is_null(row), "row {row}");
                if !calendar.is_null(row) {
                    assert_eq!(ours.value(row), calendar.value(row), "row {row}");
                }
                seen += 1;
            }
        }
        assert_eq!(seen, moments.len() + 1);
        assert_eq!(
            day_number(NaiveDate::from_ymd_opt(1969, 12, 31).unwrap()),
            -1
        );
    }
}
