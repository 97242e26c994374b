//! Section 6, RFM: the recency x frequency grid with each cell's customers and its most common
//! named RFM segment, and customers and revenue per named segment.

use std::collections::{BTreeMap, HashMap};

use custseg_model::table::CustomerTable;

use crate::charts::bars::Bars;
use crate::charts::heatmap::{Colours, Heatmap};
use crate::charts::{FULL_WIDTH, HALF_WIDTH};
use crate::inputs::Assignment;
use crate::page::{Section, Table};
use crate::svg::scale::{grouped, percent};

use super::{fmt_count, fmt_percent};

/// One cell of the recency x frequency grid.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GridCell {
    /// Customers in the cell.
    pub customers: u64,
    /// The named segment most of them are in (ties: the name first in the table order).
    pub segment: String,
}

/// `grid[5 - r][f - 1]`: recency 5 (most recent) on the top row, frequency 1 on the left.
pub fn grid(assignments: &[Assignment], segment_order: &[String]) -> Vec<Vec<GridCell>> {
    let mut counts: HashMap<(u8, u8), BTreeMap<usize, u64>> = HashMap::new();
    for a in assignments {
        let rank = segment_order
            .iter()
            .position(|s| *s == a.rfm_segment)
            .unwrap_or(segment_order.len());
        *counts
            .entry((a.r, a.f))
            .or_default()
            .entry(rank)
            .or_default() += 1;
    }
    (1..=5u8)
        .rev()
        .map(|r| {
            (1..=5u8)
                .map(|f| {
                    let Some(by_segment) = counts.get(&(r, f)) else {
                        return GridCell::default();
                    };
                    let customers = by_segment.values().sum();
                    let (rank, _) = by_segment
                        .iter()
                        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
                        .map_or((usize::MAX, &0), |(k, v)| (*k, v));
                    GridCell {
                        customers,
                        segment: segment_order.get(rank).cloned().unwrap_or_default(),
                    }
                })
                .collect()
        })
        .collect()
}

/// Customers and revenue per named segment, in table order: `(name, customers, revenue)`.
pub fn totals(
    assignments: &[Assignment],
    table: &CustomerTable,
    segment_order: &[String],
) -> Vec<(String, u64, f64)> {
    let spend: HashMap<i64, f64> = match table.column("Total_Spend") {
        Some(values) => table
            .customer_ids
            .iter()
            .copied()
            .zip(values.iter().copied())
            .collect(),
        None => HashMap::new(),
    };
    segment_order
        .iter()
        .map(|name| {
            let members = assignments.iter().filter(|a| a.rfm_segment == *name);
            let (count, revenue) = members.fold((0u64, 0.0), |(n, r), a| {
                (n + 1, r + spend.get(&a.customer_id).copied().unwrap_or(0.0))
            });
            (name.clone(), count, revenue)
        })
        .collect()
}

/// The section.
pub fn section(
    assignments: &[Assignment],
    table: &CustomerTable,
    segment_order: &[String],
) -> Section {
    let cells = grid(assignments, segment_order);
    let max = cells
        .iter()
        .flatten()
        .map(|c| c.customers)
        .max()
        .unwrap_or(0) as f64;
    let values: Vec<Vec<Option<f64>>> = cells
        .iter()
        .map(|row| {
            row.iter()
                .map(|c| (c.customers > 0).then_some(c.customers as f64))
                .collect()
        })
        .collect();
    let labels: Vec<Vec<String>> = cells
        .iter()
        .map(|row| {
            row.iter()
                .map(|c| {
                    if c.customers > 0 {
                        format!("{} · {}", c.segment, c.customers)
                    } else {
                        String::new()
                    }
                })
                .collect()
        })
        .collect();
    let columns: Vec<String> = (1..=5).map(|f| format!("F = {f}")).collect();
    let rows: Vec<String> = (1..=5).rev().map(|r| format!("R = {r}")).collect();
    let heatmap = Heatmap {
        id: "rfm_grid",
        title: "Recency × frequency scores: customers and their most common RFM segment",
        x_label: "frequency score (5 = most transactions)",
        y_label: "recency score (5 = most recent)",
        columns: &columns,
        rows: &rows,
        values: &values,
        labels: &labels,
        colours: Colours::Sequential {
            low: 0.0,
            high: max,
        },
        legend: "customers",
        row_label_width: 80.0,
        slanted_columns: false,
        width: FULL_WIDTH,
        cell_height: 56.0,
    }
    .draw();
    let sums = totals(assignments, table, segment_order);
    let customers: f64 = sums.iter().map(|s| s.1 as f64).sum();
    let revenue: f64 = sums.iter().map(|s| s.2).sum();
    let share = |v: f64, total: f64| if total != 0.0 { v / total } else { 0.0 };
    let count_rows: Vec<(String, Vec<f64>)> = sums
        .iter()
        .map(|s| (s.0.clone(), vec![s.1 as f64]))
        .collect();
    let revenue_rows: Vec<(String, Vec<f64>)> = sums
        .iter()
        .map(|s| (s.0.clone(), vec![100.0 * share(s.2, revenue)]))
        .collect();
    let by_count = Bars {
        id: "rfm_customers",
        title: "Customers per RFM segment",
        x_label: "customers",
        series: &["customers"],
        rows: &count_rows,
        width: HALF_WIDTH,
        label_width: 150.0,
        format: fmt_count,
    }
    .draw();
    let by_revenue = Bars {
        id: "rfm_revenue",
        title: "Share of revenue per RFM segment",
        x_label: "share of revenue (%)",
        series: &["revenue"],
        rows: &revenue_rows,
        width: HALF_WIDTH,
        label_width: 150.0,
        format: fmt_percent,
    }
    .draw();
    let top = sums.iter().max_by(|a, b| a.2.total_cmp(&b.2));
    Section {
        id: "rfm",
        title: "RFM segments".to_owned(),
        lead: format!(
            "Recency, frequency and monetary scores 1–5 by quintile, mapped to named segments by a complete 125-cell table.{}",
            top.map(|t| format!(
                " {} bring the most revenue: {} from {} customers.",
                t.0,
                percent(share(t.2, revenue)),
                grouped(t.1 as f64, 0)
            ))
            .unwrap_or_default()
        ),
        charts: vec![heatmap, by_count, by_revenue],
        tables: vec![Table {
            caption: "RFM segments".into(),
            header: [
                "segment",
                "customers",
                "share of customers",
                "revenue",
                "share of revenue",
            ]
            .map(String::from)
            .to_vec(),
            rows: sums
                .iter()
                .map(|s| {
                    vec![
                        s.0.clone(),
                        grouped(s.1 as f64, 0),
                        percent(share(s.1 as f64, customers)),
                        grouped(s.2, 0),
                        percent(share(s.2, revenue)),
                    ]
                })
                .collect(),
        }],
        warnings: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn customer(id: i64, r: u8, f: u8, segment: &str) -> Assignment {
        Assignment {
            customer_id: id,
            cluster: 0,
            segment: String::new(),
            outlier: false,
            r,
            f,
            m: 3,
            rfm_segment: segment.into(),
        }
    }

    #[test]
    fn grid_puts_recent_frequent_customers_top_right_with_their_majority_segment() {
        let order = vec!["Champions".to_owned(), "Lost".to_owned()];
        let assignments = [
            customer(1, 5, 5, "Champions"),
            customer(2, 5, 5, "Champions"),
            customer(3, 5, 5, "Lost"),
            customer(4, 1, 1, "Lost"),
            customer(5, 1, 1, "Champions"),
        ];
        let cells = grid(&assignments, &order);
        assert_eq!(
            cells[0][4],
            GridCell {
                customers: 3,
                segment: "Champions".into()
            }
        );
        // A 1-1 tie goes to the segment first in the table.
        assert_eq!(
            cells[4][0],
            GridCell {
                customers: 2,
                segment: "Champions".into()
            }
        );
        assert_eq!(cells[2][2], GridCell::default());
    }

    #[test]
    fn totals_sum_spend_by_segment_in_table_order() {
        let order = vec![
            "Champions".to_owned(),
            "Lost".to_owned(),
            "New Customers".to_owned(),
        ];
        let assignments = [
            customer(1, 5, 5, "Champions"),
            customer(2, 1, 1, "Lost"),
            customer(3, 5, 4, "Champions"),
        ];
        let table = CustomerTable {
            customer_ids: vec![1, 2, 3],
            columns: vec![("Total_Spend".into(), vec![100.0, 5.0, 50.5])],
        };
        let sums = totals(&assignments, &table, &order);
        assert_eq!(
            sums,
            vec![
                ("Champions".into(), 2, 150.5),
                ("Lost".into(), 1, 5.0),
                ("New Customers".into(), 0, 0.0)
            ]
        );
    }
}
