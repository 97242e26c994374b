use super::rule::CleaningRule;

/// Drops lines whose UnitPrice is zero or negative (free samples, bad-debt adjustments).
#[derive(Debug, Default)]
pub struct InvalidPrice;

impl CleaningRule for InvalidPrice {
    fn name(&self) -> &'static str {
        "invalid_price"
    }

    fn description(&self) -> String {
        "UnitPrice is zero or negative".to_owned()
    }

    fn rejects(&self) -> String {
        "\"UnitPrice\" <= 0".to_owned()
    }

    fn key_column(&self) -> &'static str {
        "UnitPrice"
    }
}
