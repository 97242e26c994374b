use super::rule::{CleaningRule, sql_string};

/// Drops lines whose Description names a service rather than a product, compared
/// case-insensitively after trimming.
#[derive(Debug)]
pub struct ServiceDescription {
    /// The service descriptions.
    pub descriptions: Vec<String>,
}

impl CleaningRule for ServiceDescription {
    fn name(&self) -> &'static str {
        "service_description"
    }

    fn description(&self) -> String {
        format!("Description is a service: {}", self.descriptions.join(", "))
    }

    fn rejects(&self) -> String {
        if self.descriptions.is_empty() {
            return "FALSE".to_owned();
        }
        let list = self
            .descriptions
            .iter()
            .map(|text| sql_string(&text.trim().to_uppercase()))
            .collect::<Vec<_>>()
            .join(", ");
        format!("upper(trim(\"Description\")) IN ({list})")
    }

    fn key_column(&self) -> &'static str {
        "Description"
    }
}
