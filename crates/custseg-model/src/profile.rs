//! Segment profiles: size, shares, and the mean and median of every feature per segment.

use std::collections::BTreeMap;

use custseg_ml::scaling::quantile_sorted;
use serde::{Deserialize, Serialize};

use crate::table::CustomerTable;

/// The column summed as revenue.
pub const REVENUE_COLUMN: &str = "Total_Spend";
/// Discounted customer lifetime value, when the lifetime-value stage ran.
pub const CLV_COLUMN: &str = "CLV";
/// Probability that the customer is still active, when the lifetime-value stage ran.
pub const P_ALIVE_COLUMN: &str = "P_Alive";

/// A segment's lifetime value, from the table's [`CLV_COLUMN`] and [`P_ALIVE_COLUMN`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SegmentValue {
    /// Mean discounted CLV of its customers.
    pub mean_clv: f64,
    /// Their total discounted CLV.
    pub total_clv: f64,
    /// Their share of all customers' CLV.
    pub share_of_clv: f64,
    /// Mean P(alive).
    pub mean_p_alive: f64,
}

/// Mean and median of one feature within a segment.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FeatureSummary {
    /// Mean.
    pub mean: f64,
    /// Median.
    pub median: f64,
}

/// One segment, described.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentProfile {
    /// Cluster id (0 = the segment with the highest mean spend).
    pub cluster: usize,
    /// Name in plain words.
    pub name: String,
    /// Why the name: the traits it was built from.
    pub description: String,
    /// Customers.
    pub size: usize,
    /// Share of all customers.
    pub share_of_customers: f64,
    /// Total spend of its customers.
    pub revenue: f64,
    /// Share of all customers' spend.
    pub share_of_revenue: f64,
    /// Customers flagged as outliers (assigned here by nearest centroid).
    pub outliers: usize,
    /// Per feature, mean and median.
    pub features: BTreeMap<String, FeatureSummary>,
    /// Lifetime value, when the table has the CLV columns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<SegmentValue>,
}

/// Size, shares and per-feature summaries of each cluster (names are filled in later).
pub fn profiles(
    table: &CustomerTable,
    clusters: &[usize],
    outliers: &[bool],
    k: usize,
) -> Vec<SegmentProfile> {
    let n = table.len().max(1) as f64;
    let revenue_column = table.column(REVENUE_COLUMN);
    let total_revenue: f64 = revenue_column.map_or(0.0, |v| v.iter().sum());
    let value_columns = table.column(CLV_COLUMN).zip(table.column(P_ALIVE_COLUMN));
    let total_clv: f64 = value_columns.map_or(0.0, |(clv, _)| clv.iter().sum());
    (0..k)
        .map(|cluster| {
            let members: Vec<usize> = (0..table.len())
                .filter(|&i| clusters[i] == cluster)
                .collect();
            let revenue: f64 = revenue_column.map_or(0.0, |v| members.iter().map(|&i| v[i]).sum());
            let features = table
                .columns
                .iter()
                .map(|(name, values)| {
                    let mut picked: Vec<f64> = members.iter().map(|&i| values[i]).collect();
                    let mean = picked.iter().sum::<f64>() / picked.len().max(1) as f64;
                    picked.sort_by(f64::total_cmp);
                    (
                        name.clone(),
                        FeatureSummary {
                            mean,
                            median: quantile_sorted(&picked, 0.5),
                        },
                    )
                })
                .collect();
            SegmentProfile {
                cluster,
                name: String::new(),
                description: String::new(),
                size: members.len(),
                share_of_customers: members.len() as f64 / n,
                revenue,
                share_of_revenue: if total_revenue > 0.0 {
                    revenue / total_revenue
                } else {
                    0.0
                },
                outliers: members.iter().filter(|&&i| outliers[i]).count(),
                features,
                value: value_columns.map(|(clv, alive)| {
                    let n = members.len().max(1) as f64;
                    let total: f64 = members.iter().map(|&i| clv[i]).sum();
                    SegmentValue {
                        mean_clv: total / n,
                        total_clv: total,
                        share_of_clv: if total_clv > 0.0 {
                            total / total_clv
                        } else {
                            0.0
                        },
                        mean_p_alive: members.iter().map(|&i| alive[i]).sum::<f64>() / n,
                    }
                }),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_value_sums_clv_and_averages_p_alive_over_members() {
        let table = CustomerTable {
            customer_ids: vec![1, 2, 3],
            columns: vec![
                (REVENUE_COLUMN.into(), vec![10.0, 20.0, 30.0]),
                (CLV_COLUMN.into(), vec![100.0, 50.0, 50.0]),
                (P_ALIVE_COLUMN.into(), vec![0.9, 0.5, 0.2]),
            ],
        };
        let segments = profiles(&table, &[0, 0, 1], &[false; 3], 2);
        let value = segments[0].value.unwrap();
        assert_eq!(value.total_clv, 150.0);
        assert_eq!(value.mean_clv, 75.0);
        assert_eq!(value.share_of_clv, 0.75);
        assert!((value.mean_p_alive - 0.7).abs() < 1e-12);
        let without = CustomerTable {
            customer_ids: vec![1],
            columns: vec![(REVENUE_COLUMN.into(), vec![1.0])],
        };
        assert_eq!(profiles(&without, &[0], &[false], 1)[0].value, None);
    }
}
