use super::family::{FeatureContext, FeatureFamily};

/// Recency, frequency and monetary value, over every cleaned line (cancellations
/// included, so quantities and spend are net of them):
/// - `Days_Since_Last_Purchase`: as-of date minus the date of the customer's last line;
/// - `Total_Transactions`: distinct InvoiceNo; `Total_Products_Purchased`: sum of Quantity;
/// - `Total_Spend`: sum of Quantity x UnitPrice; `Average_Transaction_Value`: spend per invoice;
/// - `First_Purchase_Date`, `Last_Purchase_Date` (dates of the first and last line),
///   `Tenure_Days` (as-of date minus the first).
///
/// Money is summed as whole micro-units (`amount_micros`), exactly, so the result does
/// not depend on the order in which a parallel aggregation meets the lines.
pub struct Rfm;

impl FeatureFamily for Rfm {
    fn name(&self) -> &'static str {
        "rfm"
    }

    fn query(&self, context: &FeatureContext) -> String {
        format!(
            "SELECT customer_id, \
               {as_of} - max(day_number) AS recency_days, \
               count(DISTINCT invoice_no) AS transactions, \
               sum(quantity) AS quantity, \
               sum(amount_micros) AS spend_micros, \
               min(day_number) AS first_day, \
               max(day_number) AS last_day, \
               {as_of} - min(day_number) AS tenure_days \
             FROM invoices GROUP BY customer_id",
            as_of = context.as_of_day
        )
    }

    fn outputs(&self) -> Vec<(&'static str, String)> {
        vec![
            (
                "Days_Since_Last_Purchase",
                "CAST(rfm.recency_days AS BIGINT)".to_owned(),
            ),
            ("Total_Transactions", "rfm.transactions".to_owned()),
            ("Total_Products_Purchased", "rfm.quantity".to_owned()),
            (
                "Total_Spend",
                "CAST(rfm.spend_micros AS DOUBLE) / 1000000.0".to_owned(),
            ),
            (
                "Average_Transaction_Value",
                "CAST(rfm.spend_micros AS DOUBLE) / 1000000.0 / CAST(rfm.transactions AS DOUBLE)"
                    .to_owned(),
            ),
            (
                "First_Purchase_Date",
                "arrow_cast(rfm.first_day, 'Date32')".to_owned(),
            ),
            (
                "Last_Purchase_Date",
                "arrow_cast(rfm.last_day, 'Date32')".to_owned(),
            ),
            ("Tenure_Days", "CAST(rfm.tenure_days AS BIGINT)".to_owned()),
        ]
    }
}
