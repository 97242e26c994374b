use super::family::{FeatureContext, FeatureFamily};

/// Product diversity: `Unique_Products_Purchased`, distinct StockCode over every line.
pub struct Products;

impl FeatureFamily for Products {
    fn name(&self) -> &'static str {
        "products"
    }

    fn query(&self, _context: &FeatureContext) -> String {
        "SELECT customer_id, count(DISTINCT stock_code) AS unique_products FROM tx GROUP BY customer_id".to_owned()
    }

    fn outputs(&self) -> Vec<(&'static str, String)> {
        vec![(
            "Unique_Products_Purchased",
            "products.unique_products".to_owned(),
        )]
    }
}
