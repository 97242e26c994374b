/// Settings every family may need.
#[derive(Debug, Clone, Copy)]
pub struct FeatureContext {
    /// The as-of date as days since 1970-01-01.
    pub as_of_day: i32,
}

/// A group of related per-customer features, computed by one SQL query.
///
/// The query reads the `invoices` table (the lines summed per invoice, see
/// [`super::invoices_sql`]) or, for what needs the lines themselves, the `tx` view (see
/// [`super::tx_view_sql`]), and returns one row per customer keyed by `customer_id`; [`FeatureFamily::outputs`] turns its
/// columns into the published features.
pub trait FeatureFamily: Send + Sync {
    /// The name of the family's common table expression.
    fn name(&self) -> &'static str;

    /// The family's query over `invoices` or `tx`.
    fn query(&self, context: &FeatureContext) -> String;

    /// `(feature name, SQL expression)` pairs; expressions refer to this family's
    /// columns as `name.column` and may use `rfm.` columns (every customer has them).
    fn outputs(&self) -> Vec<(&'static str, String)>;
}
