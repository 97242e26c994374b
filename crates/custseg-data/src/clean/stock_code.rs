use super::rule::{CleaningRule, sql_string};

/// Drops lines whose StockCode is not a product: fewer than `min_digits` digits
/// (on the UCI data: POST, D, M, C2, DOT, BANK CHARGES, PADS, CRUK), or one of the
/// configured extra codes (case-insensitive) or regular expressions.
#[derive(Debug)]
pub struct NonProductStockCode {
    /// A code with fewer digits than this is not a product.
    pub min_digits: usize,
    /// Further codes to drop, compared case-insensitively.
    pub extra_codes: Vec<String>,
    /// Further regular expressions; a code matching any is dropped.
    pub extra_patterns: Vec<String>,
}

impl CleaningRule for NonProductStockCode {
    fn name(&self) -> &'static str {
        "non_product_stock_code"
    }

    fn description(&self) -> String {
        let mut text = format!("StockCode with fewer than {} digits", self.min_digits);
        if !self.extra_codes.is_empty() {
            text.push_str(&format!(", or one of {}", self.extra_codes.join(", ")));
        }
        if !self.extra_patterns.is_empty() {
            text.push_str(&format!(
                ", or matching {}",
                self.extra_patterns.join(" | ")
            ));
        }
        text
    }

    fn rejects(&self) -> String {
        let mut parts = vec![fewer_digits_than(self.min_digits)];
        if !self.extra_codes.is_empty() {
            let codes = self
                .extra_codes
                .iter()
                .map(|code| sql_string(&code.trim().to_uppercase()))
                .collect::<Vec<_>>()
                .join(", ");
            parts.push(format!("upper(trim(\"StockCode\")) IN ({codes})"));
        }
        for pattern in &self.extra_patterns {
            parts.push(format!(
                "regexp_like(\"StockCode\", {})",
                sql_string(pattern)
            ));
        }
        parts.join(" OR ")
    }

    fn key_column(&self) -> &'static str {
        "StockCode"
    }
}

/// SQL that is true when StockCode has fewer than `digits` ASCII digits: its length less the
/// length of its copy without digits (`translate` deletes them, character by character).
/// It runs on every row, and this is the cheapest form measured (`bench/annotate_expr_costs.py`
/// over the 10M-row demo log's canonical table on 2 cores, DataFusion 55, best of 3, two
/// sessions): the test alone 0.17 s against 0.31 s for a match test
/// (`NOT regexp_like(StockCode, '[0-9][^0-9]*[0-9]')`, the form used before) and 0.43-0.45 s
/// for measuring a `regexp_replace` copy; the whole rule `CASE` of the annotate step 0.64-0.76 s
/// against 0.74-0.96 s.
fn fewer_digits_than(digits: usize) -> String {
    match digits {
        0 => "FALSE".to_owned(),
        _ => format!(
            "(character_length(\"StockCode\") - character_length(translate(\"StockCode\", '0123456789', ''))) < {digits}"
        ),
    }
}

#[cfg(test)]
mod tests {
    use arrow::array::{Array, AsArray};
    use datafusion::prelude::SessionContext;

    use super::*;

    #[tokio::test]
    async fn codes_with_fewer_digits_than_the_minimum_are_rejected() {
        let codes = [
            "POST",
            "D",
            "C2",
            "85123A",
            "DCGS0076",
            "1x2",
            "BANK CHARGES",
            "84406B",
            "",
            "٣٤",
            "é1 2",
        ];
        let context = SessionContext::new();
        let values = codes
            .iter()
            .map(|code| format!("({})", sql_string(code)))
            .collect::<Vec<_>>()
            .join(", ");
        for min_digits in 0..=4 {
            let sql = format!(
                "SELECT code, {} AS rejected FROM (SELECT column1 AS code, column1 AS \"StockCode\" \
                 FROM (VALUES {values}, (NULL)))",
                fewer_digits_than(min_digits)
            );
            let batches = context.sql(&sql).await.unwrap().collect().await.unwrap();
            for batch in batches {
                let code = arrow::compute::cast(batch.column(0), &arrow::datatypes::DataType::Utf8)
                    .unwrap();
                let code = code.as_string::<i32>();
                let rejected = batch.column(1).as_boolean();
                for row in 0..batch.num_rows() {
                    if code.is_null(row) {
                        assert!(min_digits == 0 || rejected.is_null(row));
                        continue;
                    }
                    let digits = code.value(row).chars().filter(char::is_ascii_digit).count();
                    assert_eq!(
                        rejected.value(row),
                        digits < min_digits,
                        "{:?} with at least {min_digits} digits",
                        code.value(row)
                    );
                }
            }
        }
    }
}
