//! The report's business facts on the hand-made log of `features.rs`, computed by hand.
//!
//! Cleaned lines: customer 1 (UK) 3.00 + 3.00 on 2010-12-01, 6.00 and a -1.50 cancellation on
//! 2010-12-03, 2.50 on 2011-01-10; customer 2 (France) 9.00 + 2.00 on 2011-01-10; customer 3
//! 1.50 in Germany on 2011-01-05 and 1.50 in France on 2011-01-06.

use custseg_data::engine::EngineOptions;
use custseg_data::insights::{CohortCell, CountryActivity, MonthlyActivity, insights, month_label};

use crate::features::fixture;
use crate::support::{features, write};

#[test]
fn months_countries_and_cohorts_match_hand_computed_values() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "log.csv", fixture().as_bytes());
    let out = dir.path().join("out");
    features(&input, &out, &dir.path().join("data")).unwrap();
    let facts = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(insights(
            &out.join("clean/transactions.parquet"),
            &EngineOptions::default(),
        ))
        .unwrap();

    let december = 2010 * 12 + 11;
    assert_eq!(month_label(december), "2010-12");
    assert_eq!(month_label(december + 1), "2011-01");
    assert_eq!(
        facts.months,
        vec![
            // Net of the cancellation; only completed invoices and their customers count.
            MonthlyActivity {
                month: december,
                revenue: 10.5,
                customers: 1,
                invoices: 2
            },
            MonthlyActivity {
                month: december + 1,
                revenue: 16.5,
                customers: 3,
                invoices: 4
            },
        ]
    );
    let country = |name: &str, revenue: f64, customers: u64| CountryActivity {
        country: name.to_owned(),
        revenue,
        customers,
    };
    assert_eq!(
        facts.countries,
        vec![
            country("France", 12.5, 2),
            country("Germany", 1.5, 1),
            country("United Kingdom", 13.0, 1)
        ]
    );
    let cell = |cohort: i64, offset: i64, customers: u64| CohortCell {
        cohort,
        offset,
        customers,
    };
    assert_eq!(
        facts.cohorts,
        vec![
            cell(december, 0, 1),
            cell(december, 1, 1),
            cell(december + 1, 0, 2)
        ]
    );
}
