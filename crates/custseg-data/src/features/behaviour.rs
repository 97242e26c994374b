use super::family::{FeatureContext, FeatureFamily};

/// Shopping-time behaviour:
/// - `Average_Days_Between_Purchases`: mean gap in days between consecutive distinct
///   dates with a completed line; 0 with fewer than two such dates. The gaps
///   telescope, so the mean is `(last - first) / (dates - 1)`.
///   (The seed platform averaged gaps between consecutive *lines*, so the lines of one
///   invoice added 0-day gaps; that is deliberately not copied.)
/// - `Day_Of_Week` (Monday = 0) and `Hour`: the value with the most lines, ties to
///   the smallest.
pub struct Behaviour;

/// The most frequent value of `expression` (over the `invoices` table's columns) per
/// customer, counted in lines, ties to the smallest value.
///
/// An ordered `first_value` aggregate keeps the best row per customer as it goes, where a
/// `row_number()` window would sort the whole customer-by-value table first (and at 100M
/// rows, under a memory limit, spill and merge it).
pub(crate) fn mode_sql(expression: &str, alias: &str) -> String {
    format!(
        "SELECT customer_id, first_value({alias} ORDER BY lines DESC, {alias} ASC) AS {alias} \
         FROM (SELECT customer_id, {expression} AS {alias}, sum(lines) AS lines FROM invoices GROUP BY 1, 2) \
         GROUP BY customer_id"
    )
}

impl FeatureFamily for Behaviour {
    fn name(&self) -> &'static str {
        "behaviour"
    }

    fn query(&self, _context: &FeatureContext) -> String {
        // The day-of-week mode has a row for every customer with a line, so it is the
        // customer list the other parts join to (a separate DISTINCT scan would repeat it).
        format!(
            "SELECT day.customer_id, purchase_days.dates, purchase_days.first_day, purchase_days.last_day, \
               day.day_of_week, hour.hour \
             FROM ({day}) AS day \
             LEFT JOIN (SELECT customer_id, count(DISTINCT day_number) AS dates, min(day_number) AS first_day, \
                          max(day_number) AS last_day FROM invoices WHERE NOT cancelled GROUP BY customer_id) AS purchase_days \
               ON purchase_days.customer_id = day.customer_id \
             LEFT JOIN ({hour}) AS hour ON hour.customer_id = day.customer_id",
            day = mode_sql(
                "(CAST(date_part('dow', invoice_ts) AS BIGINT) + 6) % 7",
                "day_of_week"
            ),
            hour = mode_sql("CAST(date_part('hour', invoice_ts) AS BIGINT)", "hour"),
        )
    }

    fn outputs(&self) -> Vec<(&'static str, String)> {
        vec![
            (
                "Average_Days_Between_Purchases",
                "CASE WHEN behaviour.dates >= 2 \
                   THEN CAST(behaviour.last_day - behaviour.first_day AS DOUBLE) / CAST(behaviour.dates - 1 AS DOUBLE) \
                   ELSE 0.0 END"
                    .to_owned(),
            ),
            ("Day_Of_Week", "behaviour.day_of_week".to_owned()),
            ("Hour", "behaviour.hour".to_owned()),
        ]
    }
}
