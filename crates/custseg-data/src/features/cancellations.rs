use super::family::{FeatureContext, FeatureFamily};

/// Cancellations: `Cancellation_Frequency`, distinct cancelled invoices, and
/// `Cancellation_Rate`, that divided by `Total_Transactions`.
pub struct Cancellations;

impl FeatureFamily for Cancellations {
    fn name(&self) -> &'static str {
        "cancellations"
    }

    fn query(&self, _context: &FeatureContext) -> String {
        "SELECT customer_id, count(DISTINCT CASE WHEN cancelled THEN invoice_no END) AS cancelled_invoices \
         FROM invoices GROUP BY customer_id"
            .to_owned()
    }

    fn outputs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("Cancellation_Frequency", "cancellations.cancelled_invoices".to_owned()),
            (
                "Cancellation_Rate",
                "CAST(cancellations.cancelled_invoices AS DOUBLE) / CAST(rfm.transactions AS DOUBLE)".to_owned(),
            ),
        ]
    }
}
