use super::family::{FeatureContext, FeatureFamily};

/// Monthly spending, over the calendar months in which the customer has lines, of
/// the net spend per month:
/// - `Monthly_Spending_Mean`;
/// - `Monthly_Spending_Std`: sample standard deviation (ddof 1), 0 for one month;
/// - `Spending_Trend`: least-squares slope of monthly spend against the months'
///   positions 0..n-1 in date order, 0 for one month.
///
/// Written with exact integer sums (spend in micro-units, squares as 38-digit
/// decimals) and closed forms: with `s = Σy`, `q = Σy²`, `p = Σ i·y` over positions
/// `i = 0..n-1`, the variance is `(n·q - s²) / (n(n-1))` and the slope
/// `(12p - 6(n-1)s) / (n(n²-1))`. The only rounding is the final division, so the
/// result is the same whatever order the engine aggregates in, and there is no
/// cancellation error in the variance.
pub struct Monthly;

impl FeatureFamily for Monthly {
    fn name(&self) -> &'static str {
        "monthly"
    }

    fn query(&self, _context: &FeatureContext) -> String {
        "SELECT customer_id, count(*) AS months, sum(month_micros) AS s, \
           sum(CAST(month_micros AS DECIMAL(38, 0)) * CAST(month_micros AS DECIMAL(38, 0))) AS q, \
           sum(CAST(position AS DECIMAL(38, 0)) * CAST(month_micros AS DECIMAL(38, 0))) AS p \
         FROM ( \
           SELECT customer_id, month_micros, \
             row_number() OVER (PARTITION BY customer_id ORDER BY month) - 1 AS position \
           FROM (SELECT customer_id, date_trunc('month', invoice_ts) AS month, sum(amount_micros) AS month_micros \
                 FROM invoices GROUP BY 1, 2)) \
         GROUP BY customer_id"
            .to_owned()
    }

    fn outputs(&self) -> Vec<(&'static str, String)> {
        vec![
            (
                "Monthly_Spending_Mean",
                "CAST(monthly.s AS DOUBLE) / CAST(monthly.months AS DOUBLE) / 1000000.0".to_owned(),
            ),
            (
                "Monthly_Spending_Std",
                "CASE WHEN monthly.months > 1 THEN \
                   sqrt(CAST(CAST(monthly.months AS DECIMAL(38, 0)) * monthly.q \
                             - CAST(monthly.s AS DECIMAL(38, 0)) * CAST(monthly.s AS DECIMAL(38, 0)) AS DOUBLE) \
                        / CAST(monthly.months * (monthly.months - 1) AS DOUBLE)) / 1000000.0 \
                 ELSE 0.0 END"
                    .to_owned(),
            ),
            (
                "Spending_Trend",
                "CASE WHEN monthly.months > 1 THEN \
                   CAST(12 * monthly.p - CAST(6 * (monthly.months - 1) AS DECIMAL(38, 0)) * CAST(monthly.s AS DECIMAL(38, 0)) AS DOUBLE) \
                   / CAST(monthly.months * (monthly.months * monthly.months - 1) AS DOUBLE) / 1000000.0 \
                 ELSE 0.0 END"
                    .to_owned(),
            ),
        ]
    }
}
