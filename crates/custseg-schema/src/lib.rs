//! The contract between the data stages and the model: the names of the customer feature
//! table's columns, written once. `custseg-data` writes the table with these columns in this
//! order; `custseg-model` clusters on them by default; the tests of both check it.
//!
//! This crate holds names only: it depends on nothing, and every crate may depend on it.

/// The customer key, the feature table's first column.
pub const CUSTOMER_ID: &str = "CustomerID";

/// The fifteen behavioural features per customer, in the table's (and the model file's) order.
pub const FEATURES: [&str; 15] = [
    "Days_Since_Last_Purchase",
    "Total_Transactions",
    "Total_Products_Purchased",
    "Total_Spend",
    "Average_Transaction_Value",
    "Unique_Products_Purchased",
    "Average_Days_Between_Purchases",
    "Day_Of_Week",
    "Hour",
    "Is_UK",
    "Cancellation_Frequency",
    "Cancellation_Rate",
    "Monthly_Spending_Mean",
    "Monthly_Spending_Std",
    "Spending_Trend",
];

#[cfg(test)]
mod tests {
    #[test]
    fn feature_names_are_distinct_and_not_the_key() {
        let mut names = super::FEATURES.to_vec();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), super::FEATURES.len());
        assert!(!names.contains(&super::CUSTOMER_ID));
    }
}
