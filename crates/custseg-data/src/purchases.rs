//! Daily purchases per customer from the cleaned transactions: the input of the lifetime-value
//! models, aggregated by the engine (one row per customer and calendar day).

use std::path::Path;

use arrow::array::AsArray;
use arrow::datatypes::{Float64Type, Int32Type, Int64Type};

use crate::engine::{self, EngineOptions};
use crate::error::Result;
use crate::schema::{LINE_TOTAL, STATUS};

/// One customer's spend on one calendar day (completed lines only).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DailyPurchase {
    /// Customer key.
    pub customer: i64,
    /// Days since 1970-01-01.
    pub day: i32,
    /// Sum of the day's completed lines (Quantity x UnitPrice).
    pub spend: f64,
}

/// Reads `clean/transactions.parquet` and returns the daily purchases, ordered by customer and
/// day.
pub async fn daily_purchases(
    clean_parquet: &Path,
    options: &EngineOptions,
) -> Result<Vec<DailyPurchase>> {
    daily_lines(clean_parquet, options, "completed", LINE_TOTAL).await
}

/// Reads `clean/transactions.parquet` and returns each customer's returns per day: the value of
/// their cancelled lines, |Quantity x UnitPrice| summed, ordered by customer and day.
pub async fn daily_returns(
    clean_parquet: &Path,
    options: &EngineOptions,
) -> Result<Vec<DailyPurchase>> {
    daily_lines(
        clean_parquet,
        options,
        "cancelled",
        &format!("abs({LINE_TOTAL})"),
    )
    .await
}

/// `value` of the lines of status `status`, summed per customer and day.
async fn daily_lines(
    clean_parquet: &Path,
    options: &EngineOptions,
    status: &str,
    value: &str,
) -> Result<Vec<DailyPurchase>> {
    let context = engine::session(options).await?;
    crate::tables::register_parquet(&context, "clean_for_clv", clean_parquet).await?;
    let sql = format!(
        "SELECT \"CustomerID\" AS customer, {} AS day, \
                CAST(sum({value}) AS DOUBLE) AS spend \
         FROM clean_for_clv WHERE {STATUS} = '{status}' \
         GROUP BY 1, 2 ORDER BY 1, 2",
        crate::features::day_number_sql("\"InvoiceDate\"")
    );
    let batches = context.sql(&sql).await?.collect().await?;
    let mut out = Vec::new();
    for batch in batches {
        let customers = batch.column(0).as_primitive::<Int64Type>();
        let days = batch.column(1).as_primitive::<Int32Type>();
        let spend = batch.column(2).as_primitive::<Float64Type>();
        for i in 0..batch.num_rows() {
            out.push(DailyPurchase {
                customer: customers.value(i),
                day: days.value(i),
                spend: spend.value(i),
            });
        }
    }
    Ok(out)
}

/// Each customer's main country: the one of most of their completed lines (ties to the first
/// by name), ordered by customer.
pub async fn customer_countries(
    clean_parquet: &Path,
    options: &EngineOptions,
) -> Result<Vec<(i64, String)>> {
    let context = engine::session(options).await?;
    crate::tables::register_parquet(&context, "clean_for_countries", clean_parquet).await?;
    let sql = format!(
        "SELECT customer, country FROM ( \
           SELECT \"CustomerID\" AS customer, \"Country\" AS country, \
                  row_number() OVER (PARTITION BY \"CustomerID\" ORDER BY count(*) DESC, \"Country\") AS rank \
           FROM clean_for_countries WHERE {STATUS} = 'completed' \
           GROUP BY 1, 2) \
         WHERE rank = 1 ORDER BY customer"
    );
    let batches = context.sql(&sql).await?.collect().await?;
    let mut out = Vec::new();
    for batch in batches {
        let customers = batch.column(0).as_primitive::<Int64Type>();
        let countries = arrow::compute::cast(batch.column(1), &arrow::datatypes::DataType::Utf8)?;
        let countries = countries.as_string::<i32>();
        for i in 0..batch.num_rows() {
            out.push((customers.value(i), countries.value(i).to_owned()));
        }
    }
    Ok(out)
}
