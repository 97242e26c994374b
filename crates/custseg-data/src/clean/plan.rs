//! The SQL that assigns every raw row its fate: kept, or dropped by one named rule.

use super::duplicates::DUPLICATE_RANK;
use super::rule::{CleaningRule, sql_string};
use crate::schema::{LINE_TOTAL, RULE, RawColumn, SOURCE_ROW, STATUS};

/// Column of the annotated table holding the cleaned Description.
pub const CLEAN_DESCRIPTION: &str = "clean_description";
/// Column of the annotated table that is true for exact duplicates of an earlier row.
pub const IS_DUPLICATE: &str = "is_duplicate";

/// The annotated table over `raw_table`: every raw column, `rule` (the first rule
/// that drops the row, NULL when kept), the cleaned Description, `status`,
/// `line_total` and `is_duplicate`, in `source_row` order.
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
    let mut helpers: Vec<(String, String)> = rules
        .iter()
        .flat_map(|rule| rule.helper_columns())
        .collect();
    let has_duplicate_rank = helpers.iter().any(|(name, _)| name == DUPLICATE_RANK);
    if !has_duplicate_rank {
        // still report exact duplicates when the rule is off
        helpers.extend(super::duplicates::Duplicates.helper_columns());
    }
    let helper_sql: String = helpers
        .iter()
        .map(|(name, expression)| format!(", {expression} AS {name}"))
        .collect();
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
           {DUPLICATE_RANK} > 1 AS {IS_DUPLICATE} \
         FROM (SELECT *{helper_sql} FROM {raw_table}) \
         ORDER BY {SOURCE_ROW}"
    )
}
