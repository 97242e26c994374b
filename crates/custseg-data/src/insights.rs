//! Business facts of the cleaned log for the report: revenue and activity per month, revenue
//! per country, and monthly acquisition cohorts. Each is one query on the engine.
//!
//! Months are numbered `year * 12 + month - 1` so that differences are month counts.

use std::path::Path;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{Float64Type, Int64Type};
use datafusion::prelude::SessionContext;

use crate::engine::{self, EngineOptions};
use crate::error::{Error, Result};
use crate::schema::{LINE_TOTAL, STATUS};

/// One calendar month.
#[derive(Debug, Clone, PartialEq)]
pub struct MonthlyActivity {
    /// `year * 12 + month - 1`.
    pub month: i64,
    /// Net revenue: every line's total, cancellations subtracting.
    pub revenue: f64,
    /// Customers with a completed line.
    pub customers: u64,
    /// Distinct invoices with a completed line.
    pub invoices: u64,
}

/// One country.
#[derive(Debug, Clone, PartialEq)]
pub struct CountryActivity {
    /// Country as written in the log.
    pub country: String,
    /// Net revenue.
    pub revenue: f64,
    /// Customers with a line there.
    pub customers: u64,
}

/// Customers of one acquisition cohort active in one later month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CohortCell {
    /// The cohort: month of the customers' first completed line.
    pub cohort: i64,
    /// Months after the cohort's month (0: the cohort itself).
    pub offset: i64,
    /// Cohort customers with a completed line in that month.
    pub customers: u64,
}

/// All three, from one registration of the cleaned transactions.
#[derive(Debug, Clone, PartialEq)]
pub struct Insights {
    /// Per month, in order.
    pub months: Vec<MonthlyActivity>,
    /// Per country, by name.
    pub countries: Vec<CountryActivity>,
    /// Per cohort and offset, in order.
    pub cohorts: Vec<CohortCell>,
}

/// Formats a month number as `YYYY-MM`.
pub fn month_label(month: i64) -> String {
    format!(
        "{:04}-{:02}",
        month.div_euclid(12),
        month.rem_euclid(12) + 1
    )
}

const MONTH: &str = "CAST(date_part('year', \"InvoiceDate\") AS BIGINT) * 12 + CAST(date_part('month', \"InvoiceDate\") AS BIGINT) - 1";

async fn query(context: &SessionContext, sql: &str) -> Result<Vec<RecordBatch>> {
    Ok(context.sql(sql).await?.collect().await?)
}

fn int(batch: &RecordBatch, column: usize, row: usize) -> Result<i64> {
    let values = batch
        .column(column)
        .as_primitive_opt::<Int64Type>()
        .ok_or_else(|| {
            Error::Invariant(format!("insight column {column} is not a 64-bit integer"))
        })?;
    Ok(if values.is_null(row) {
        0
    } else {
        values.value(row)
    })
}

fn float(batch: &RecordBatch, column: usize, row: usize) -> Result<f64> {
    let values = batch
        .column(column)
        .as_primitive_opt::<Float64Type>()
        .ok_or_else(|| Error::Invariant(format!("insight column {column} is not a float")))?;
    Ok(if values.is_null(row) {
        0.0
    } else {
        values.value(row)
    })
}

/// Reads `clean/transactions.parquet` and computes the report's business facts.
pub async fn insights(clean_parquet: &Path, options: &EngineOptions) -> Result<Insights> {
    let context = engine::session(options).await?;
    crate::tables::register_parquet(&context, "clean_for_insights", clean_parquet).await?;
    let completed = format!("{STATUS} = 'completed'");
    let monthly = query(
        &context,
        &format!(
            "SELECT {MONTH} AS month, CAST(sum({LINE_TOTAL}) AS DOUBLE) AS revenue, \
                    CAST(count(DISTINCT CASE WHEN {completed} THEN \"CustomerID\" END) AS BIGINT), \
                    CAST(count(DISTINCT CASE WHEN {completed} THEN \"InvoiceNo\" END) AS BIGINT) \
             FROM clean_for_insights GROUP BY 1 ORDER BY 1"
        ),
    )
    .await?;
    let mut months = Vec::new();
    for batch in &monthly {
        for row in 0..batch.num_rows() {
            months.push(MonthlyActivity {
                month: int(batch, 0, row)?,
                revenue: float(batch, 1, row)?,
                customers: int(batch, 2, row)? as u64,
                invoices: int(batch, 3, row)? as u64,
            });
        }
    }
    let by_country = query(
        &context,
        &format!(
            "SELECT \"Country\", CAST(sum({LINE_TOTAL}) AS DOUBLE), CAST(count(DISTINCT \"CustomerID\") AS BIGINT) \
             FROM clean_for_insights GROUP BY 1 ORDER BY 1"
        ),
    )
    .await?;
    let mut countries = Vec::new();
    for batch in &by_country {
        let names = arrow::compute::cast(batch.column(0), &arrow::datatypes::DataType::Utf8)?;
        let names = names.as_string::<i32>();
        for row in 0..batch.num_rows() {
            countries.push(CountryActivity {
                country: if names.is_null(row) {
                    "(empty)".to_owned()
                } else {
                    names.value(row).to_owned()
                },
                revenue: float(batch, 1, row)?,
                customers: int(batch, 2, row)? as u64,
            });
        }
    }
    let cohort_cells = query(
        &context,
        &format!(
            "WITH active AS (SELECT DISTINCT \"CustomerID\" AS customer, {MONTH} AS month \
                             FROM clean_for_insights WHERE {completed}), \
                  first AS (SELECT customer, min(month) AS cohort FROM active GROUP BY customer) \
             SELECT first.cohort, active.month - first.cohort, CAST(count(*) AS BIGINT) \
             FROM active JOIN first ON active.customer = first.customer \
             GROUP BY 1, 2 ORDER BY 1, 2"
        ),
    )
    .await?;
    let mut cohorts = Vec::new();
    for batch in &cohort_cells {
        for row in 0..batch.num_rows() {
            cohorts.push(CohortCell {
                cohort: int(batch, 0, row)?,
                offset: int(batch, 1, row)?,
                customers: int(batch, 2, row)? as u64,
            });
        }
    }
    Ok(Insights {
        months,
        countries,
        cohorts,
    })
}
