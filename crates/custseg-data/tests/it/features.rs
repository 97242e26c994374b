//! Every feature on a small hand-made log with hand-checked values.

use crate::support::{HEADER, feature_rows, features, write};

/// Customer 1 (UK): four invoices over two months, one cancellation.
/// Customer 2 (France): one invoice (and a POST line that cleaning drops).
/// Customer 3: one line in Germany, one in France (a country tie).
pub fn fixture() -> String {
    format!(
        "{HEADER}\
536001,10001,RED MUG,2,2010-12-01 09:00:00,1.50,1,United Kingdom\n\
536001,10002,BLUE MUG,1,2010-12-01 09:00:00,3.00,1,United Kingdom\n\
536002,10001,RED MUG,4,2010-12-03 10:30:00,1.50,1,United Kingdom\n\
C536003,10001,RED MUG,-1,2010-12-03 11:00:00,1.50,1,United Kingdom\n\
536004,10003,TEA LIGHT,10,2011-01-10 09:15:00,0.25,1,United Kingdom\n\
536005,10002,BLUE MUG,3,2011-01-10 14:00:00,3.00,2,France\n\
536005,10004,JAR,1,2011-01-10 14:00:00,2.00,2,France\n\
536005,POST,POSTAGE,1,2011-01-10 14:00:00,18.00,2,France\n\
536006,10001,RED MUG,1,2011-01-05 12:00:00,1.50,3,Germany\n\
536007,10001,RED MUG,1,2011-01-06 12:10:00,1.50,3,France\n\
536008,10001,RED MUG,1,2011-01-06 12:10:00,1.50,,United Kingdom\n\
536001,10001,RED MUG,2,2010-12-01 09:00:00,1.50,1,United Kingdom\n\
536009,22222,  discount ,1,2011-01-06 12:10:00,5.00,3,France\n\
536010,10005,FREE SAMPLE,1,2011-01-06 12:10:00,0,3,France\n"
    )
}

#[test]
fn hand_checked_features() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "log.csv", fixture().as_bytes());
    let outcome = features(&input, &dir.path().join("out"), &dir.path().join("data")).unwrap();
    assert_eq!(outcome.customers, 3);
    assert_eq!(outcome.as_of.to_string(), "2011-01-10");
    let rows = feature_rows(&dir.path().join("out"));

    let one = &rows["1"];
    let expect = |row: &std::collections::BTreeMap<String, String>, column: &str, value: &str| {
        assert_eq!(
            row[column], value,
            "customer {} column {column}",
            row["CustomerID"]
        );
    };
    expect(one, "Days_Since_Last_Purchase", "0");
    expect(one, "Total_Transactions", "4");
    expect(one, "Total_Products_Purchased", "16");
    expect(one, "Total_Spend", "13.0");
    expect(one, "Average_Transaction_Value", "3.25");
    expect(one, "Unique_Products_Purchased", "3");
    // completed dates 12-01, 12-03, 01-10: gaps 2 and 38
    expect(one, "Average_Days_Between_Purchases", "20.0");
    // Wednesday and Friday both have two lines: the smaller (Wednesday = 2) wins
    expect(one, "Day_Of_Week", "2");
    expect(one, "Hour", "9");
    expect(one, "Is_UK", "1");
    expect(one, "Country", "United Kingdom");
    expect(one, "Cancellation_Frequency", "1");
    expect(one, "Cancellation_Rate", "0.25");
    // December 6 + 6 - 1.5 = 10.5, January 2.5
    expect(one, "Monthly_Spending_Mean", "6.5");
    let std: f64 = one["Monthly_Spending_Std"].parse().unwrap();
    assert!((std - 32f64.sqrt()).abs() < 1e-12, "{std}");
    expect(one, "Spending_Trend", "-8.0");
    expect(one, "First_Purchase_Date", "2010-12-01");
    expect(one, "Last_Purchase_Date", "2011-01-10");
    expect(one, "Tenure_Days", "40");

    let two = &rows["2"];
    expect(two, "Total_Transactions", "1");
    expect(two, "Total_Products_Purchased", "4");
    expect(two, "Total_Spend", "11.0");
    expect(two, "Unique_Products_Purchased", "2");
    expect(two, "Average_Days_Between_Purchases", "0.0");
    expect(two, "Day_Of_Week", "0");
    expect(two, "Hour", "14");
    expect(two, "Is_UK", "0");
    expect(two, "Monthly_Spending_Std", "0.0");
    expect(two, "Spending_Trend", "0.0");

    let three = &rows["3"];
    // one line each in Germany and France: alphabetical tie-break
    expect(three, "Country", "France");
    expect(three, "Is_UK", "0");
    expect(three, "Days_Since_Last_Purchase", "4");
    expect(three, "Average_Days_Between_Purchases", "1.0");
    expect(three, "Day_Of_Week", "2");
    expect(three, "Hour", "12");
}

#[test]
fn as_of_date_moves_recency_and_tenure() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "log.csv", fixture().as_bytes());
    let request = custseg_data::pipeline::FeaturesRequest {
        ingest: custseg_data::ingest::IngestOptions {
            data_dir: dir.path().join("data"),
            ..Default::default()
        },
        as_of: chrono::NaiveDate::from_ymd_opt(2011, 2, 1),
        ..Default::default()
    };
    crate::support::features_with(&input, &dir.path().join("out"), &request).unwrap();
    let rows = feature_rows(&dir.path().join("out"));
    assert_eq!(rows["1"]["Days_Since_Last_Purchase"], "22");
    assert_eq!(rows["1"]["Tenure_Days"], "62");
}

#[test]
fn columns_come_in_the_documented_order() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "log.csv", fixture().as_bytes());
    features(&input, &dir.path().join("out"), &dir.path().join("data")).unwrap();
    let text =
        std::fs::read_to_string(dir.path().join("out/features/customer_features.csv")).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    // The contract with the model: the key, then the fifteen features in their order.
    let mut expected = vec![custseg_schema::CUSTOMER_ID];
    expected.extend(custseg_schema::FEATURES);
    expected.extend(custseg_data::features::EXTRA_COLUMNS);
    assert_eq!(header, expected);
}
