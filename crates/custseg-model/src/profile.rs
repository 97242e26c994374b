//! Segment profiles: size, shares, and the mean and median of every feature per segment.

use std::collections::BTreeMap;

use custseg_ml::scaling::quantile_sorted;
use serde::{Deserialize, Serialize};

use crate::table::CustomerTable;

/// The column summed as revenue.
pub const REVENUE_COLUMN: &str = "Total_Spend";

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
            }
        })
        .collect()
}
