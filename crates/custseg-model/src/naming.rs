//! Segment names a marketer understands, generated from the profiles.
//!
//! Each segment's median of a few key features is placed among all customers as a percentile
//! (the share of customers with a lower value). The name combines a value word from spend
//! ("High-value", "Mid-value", "Low-spend") with a behaviour word from recency, frequency and
//! tenure ("Lapsed", "New", "loyal", "active", "occasional"). When two segments would share a
//! name, each gets the trait that sets it most apart ("international", "growing", ...).
//! The rules are deterministic, so the same data gives the same names.

use crate::profile::SegmentProfile;
use crate::table::CustomerTable;

const SPEND: &str = "Total_Spend";
const RECENCY: &str = "Days_Since_Last_Purchase";
const FREQUENCY: &str = "Total_Transactions";
const TENURE: &str = "Tenure_Days";

/// Traits used to tell apart segments that would otherwise share a name:
/// (feature, word when high, word when low).
const DISTINGUISHING_TRAITS: [(&str, &str, &str); 6] = [
    ("Is_UK", "domestic", "international"),
    ("Cancellation_Rate", "frequent returns", "few returns"),
    ("Spending_Trend", "growing", "declining"),
    (
        "Average_Transaction_Value",
        "large baskets",
        "small baskets",
    ),
    ("Unique_Products_Purchased", "broad range", "narrow range"),
    ("Hour", "late-day shoppers", "early shoppers"),
];

/// Share of `values` strictly below `value` plus half of those equal (mid-rank percentile).
fn percentile(values: &[f64], value: f64) -> f64 {
    if values.is_empty() {
        return 0.5;
    }
    let below = values.iter().filter(|v| **v < value).count() as f64;
    let equal = values.iter().filter(|v| **v == value).count() as f64;
    (below + equal / 2.0) / values.len() as f64
}

fn median_percentile(
    profile: &SegmentProfile,
    table: &CustomerTable,
    feature: &str,
) -> Option<f64> {
    let values = table.column(feature)?;
    let median = profile.features.get(feature)?.median;
    Some(percentile(values, median))
}

/// Fills in `name` and `description` of every profile.
pub fn name_segments(profiles: &mut [SegmentProfile], table: &CustomerTable) {
    for profile in profiles.iter_mut() {
        let spend = median_percentile(profile, table, SPEND).unwrap_or(0.5);
        let recency = median_percentile(profile, table, RECENCY).unwrap_or(0.5);
        let frequency = median_percentile(profile, table, FREQUENCY).unwrap_or(0.5);
        let tenure = median_percentile(profile, table, TENURE);
        let value = if spend >= 0.75 {
            "High-value"
        } else if spend >= 0.45 {
            "Mid-value"
        } else {
            "Low-spend"
        };
        profile.name = if recency >= 0.7 {
            format!("Lapsed {}", value.to_lowercase())
        } else if tenure.is_some_and(|t| t <= 0.3) && frequency <= 0.5 {
            if spend >= 0.75 {
                "New high-value".to_owned()
            } else {
                "New".to_owned()
            }
        } else if frequency >= 0.7 {
            format!("{value} loyal")
        } else if recency <= 0.35 {
            format!("{value} active")
        } else {
            format!("{value} occasional")
        };
        let summary = |feature: &str| profile.features.get(feature).map_or(f64::NAN, |s| s.median);
        profile.description = format!(
            "{} customers ({:.1} % of customers, {:.1} % of revenue). Median spend {:.0} (percentile {:.0}), last purchase {:.0} days ago (percentile {:.0}), {:.0} purchases (percentile {:.0}){}.",
            profile.size,
            100.0 * profile.share_of_customers,
            100.0 * profile.share_of_revenue,
            summary(SPEND),
            100.0 * spend,
            summary(RECENCY),
            100.0 * recency,
            summary(FREQUENCY),
            100.0 * frequency,
            tenure.map_or(String::new(), |t| format!(
                ", customer for {:.0} days (percentile {:.0})",
                summary(TENURE),
                100.0 * t
            )),
        );
    }
    disambiguate(profiles, table);
}

/// Appends the most distinguishing trait to names shared by several segments, then a number
/// if that is not enough.
fn disambiguate(profiles: &mut [SegmentProfile], table: &CustomerTable) {
    let names: Vec<String> = profiles.iter().map(|p| p.name.clone()).collect();
    for (index, profile) in profiles.iter_mut().enumerate() {
        if names.iter().filter(|n| **n == names[index]).count() < 2 {
            continue;
        }
        let best = DISTINGUISHING_TRAITS
            .iter()
            .filter_map(|(feature, high, low)| {
                let values = table.column(feature)?;
                let mean = values.iter().sum::<f64>() / values.len().max(1) as f64;
                let std = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>()
                    / values.len().max(1) as f64)
                    .sqrt();
                let segment_mean = profile.features.get(*feature)?.mean;
                (std > 0.0).then(|| {
                    let z = (segment_mean - mean) / std;
                    (z.abs(), if z > 0.0 { *high } else { *low })
                })
            })
            .fold(None::<(f64, &str)>, |best, candidate| match best {
                Some(b) if b.0 >= candidate.0 => Some(b),
                _ => Some(candidate),
            });
        if let Some((_, word)) = best {
            profile.name = format!("{}, {word}", profile.name);
        }
    }
    // Still equal: number them in cluster order.
    let names: Vec<String> = profiles.iter().map(|p| p.name.clone()).collect();
    let mut seen = std::collections::HashMap::<String, usize>::new();
    for (index, profile) in profiles.iter_mut().enumerate() {
        if names.iter().filter(|n| **n == names[index]).count() > 1 {
            let count = seen.entry(names[index].clone()).or_insert(0);
            *count += 1;
            profile.name = format!("{} ({})", profile.name, count);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::profiles;

    #[test]
    fn names_follow_spend_recency_and_frequency() {
        // Cluster 0: big, frequent, recent; cluster 1: small, rare, long ago.
        let table = CustomerTable {
            customer_ids: (0..8).collect(),
            columns: vec![
                (
                    SPEND.into(),
                    vec![900.0, 950.0, 1000.0, 980.0, 10.0, 12.0, 11.0, 9.0],
                ),
                (
                    RECENCY.into(),
                    vec![2.0, 3.0, 1.0, 4.0, 300.0, 280.0, 310.0, 290.0],
                ),
                (
                    FREQUENCY.into(),
                    vec![20.0, 25.0, 22.0, 21.0, 1.0, 1.0, 2.0, 1.0],
                ),
            ],
        };
        let clusters = [0, 0, 0, 0, 1, 1, 1, 1];
        let mut segments = profiles(&table, &clusters, &[false; 8], 2);
        name_segments(&mut segments, &table);
        assert_eq!(segments[0].name, "High-value loyal");
        assert_eq!(segments[1].name, "Lapsed low-spend");
        assert!(segments[0].description.starts_with("4 customers (50.0 %"));
    }

    #[test]
    fn shared_names_get_a_distinguishing_trait() {
        let table = CustomerTable {
            customer_ids: (0..4).collect(),
            columns: vec![
                (SPEND.into(), vec![10.0, 10.0, 10.0, 10.0]),
                ("Is_UK".into(), vec![1.0, 1.0, 0.0, 0.0]),
            ],
        };
        let mut segments = profiles(&table, &[0, 0, 1, 1], &[false; 4], 2);
        name_segments(&mut segments, &table);
        assert_ne!(segments[0].name, segments[1].name);
        assert!(
            segments[0].name.ends_with("domestic"),
            "{}",
            segments[0].name
        );
        assert!(
            segments[1].name.ends_with("international"),
            "{}",
            segments[1].name
        );
    }
}
