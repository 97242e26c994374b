use super::behaviour::mode_sql;
use super::family::{FeatureContext, FeatureFamily};

/// Geography: `Country`, the country with the most lines (ties: alphabetically
/// first), and `Is_UK`, 1 when that country is United Kingdom.
pub struct Geography;

impl FeatureFamily for Geography {
    fn name(&self) -> &'static str {
        "geography"
    }

    fn query(&self, _context: &FeatureContext) -> String {
        mode_sql("country", "main_country")
    }

    fn outputs(&self) -> Vec<(&'static str, String)> {
        vec![
            (
                "Is_UK",
                "CAST(CASE WHEN geography.main_country = 'United Kingdom' THEN 1 ELSE 0 END AS BIGINT)".to_owned(),
            ),
            ("Country", "geography.main_country".to_owned()),
        ]
    }
}
