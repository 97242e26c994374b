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
        let mut parts = vec![format!(
            "character_length(regexp_replace(\"StockCode\", '[^0-9]', '', 'g')) < {}",
            self.min_digits
        )];
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
