//! The SQL that assigns every raw row its fate: kept, or dropped by one named rule.

pub use super::duplicates::IS_DUPLICATE;
use super::duplicates::with_duplicate_flag_sql;
use super::rule::{CleaningRule, sql_string};
use crate::schema::{LINE_TOTAL, RULE, RawColumn, SOURCE_ROW, STATUS};

/// Column of the annotated table holding the cleaned Description.
pub const CLEAN_DESCRIPTION: &str = "clean_description";

/// The annotated table over `raw_table`: every raw column, `rule` (the first rule
/// that drops the row, NULL when kept), the cleaned Description, `status`,
/// `line_total` and `is_duplicate`. No `ORDER BY`: over a raw table registered as sorted,
/// each of the engine's partitions comes in `source_row` order, and `split` writes them in
/// order (see `split::split`).
pub fn annotate_sql(
    raw_table: &str,
    rules: &[Box<dyn CleaningRule>],
    cancellation_prefix: &str,
) -> String {
    let raw_columns = RawColumn::ALL
        .iter()
        .map(|column| column.sql())
        .collect::<Vec<_>>()
        .join(", ");
    let rule_case = if rules.is_empty() {
        "CAST(NULL AS VARCHAR)".to_owned()
    } else {
        let arms: String = rules
            .iter()
            .map(|rule| {
                format!(
                    " WHEN ({}) THEN {}",
                    rule.rejects(),
                    sql_string(rule.name())
                )
            })
            .collect();
        format!("CASE{arms} END")
    };
    let prefix = sql_string(cancellation_prefix);
    format!(
        "SELECT {SOURCE_ROW}, {raw_columns}, \
           {rule_case} AS {RULE}, \
           upper(trim(\"Description\")) AS {CLEAN_DESCRIPTION}, \
           CASE WHEN starts_with(\"InvoiceNo\", {prefix}) THEN 'cancelled' ELSE 'completed' END AS {STATUS}, \
           CAST(\"Quantity\" AS DOUBLE) * \"UnitPrice\" AS {LINE_TOTAL}, \
           {IS_DUPLICATE} \
         FROM ({flagged})",
        flagged = with_duplicate_flag_sql(raw_table)
    )
}
