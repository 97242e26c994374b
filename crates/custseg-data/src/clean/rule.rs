/// One cleaning step: a predicate that marks the rows it drops.
///
/// Rules run in order; a row is charged to the first rule that rejects it, so the
/// per-rule counts form a funnel that adds up to the quarantined total.
pub trait CleaningRule: Send + Sync + std::fmt::Debug {
    /// Stable identifier, written to the quarantine's `rule` column.
    fn name(&self) -> &'static str;

    /// What the rule drops, in plain words, for reports.
    fn description(&self) -> String;

    /// SQL predicate over the raw columns (and `is_duplicate`) that is true for
    /// the rows this rule drops.
    fn rejects(&self) -> String;

    /// The raw column whose values best explain a drop, for the report's list of
    /// most frequent quarantined values.
    fn key_column(&self) -> &'static str;
}

/// Quotes `text` as a SQL string literal.
pub(crate) fn sql_string(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}
