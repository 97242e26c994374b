//! Section 7, cohorts: customers grouped by the month of their first purchase, and the share
//! of each cohort buying again in each following month.

use crate::charts::FULL_WIDTH;
use crate::charts::heatmap::{Colours, Heatmap};
use crate::inputs::Cohort;
use crate::page::{Section, Table};
use crate::svg::scale::{grouped, percent};

/// `retention[c][m]`: the share of cohort `c` active `m` months after its first month
/// (`None` past the log's end; month 0 is 1).
pub fn retention(cohorts: &[Cohort]) -> Vec<Vec<Option<f64>>> {
    let width = cohorts.iter().map(|c| c.active.len()).max().unwrap_or(0);
    cohorts
        .iter()
        .map(|cohort| {
            let size = cohort.active.first().copied().unwrap_or(0) as f64;
            (0..width)
                .map(|m| {
                    cohort
                        .active
                        .get(m)
                        .map(|a| if size > 0.0 { *a as f64 / size } else { 0.0 })
                })
                .collect()
        })
        .collect()
}

/// Mean retention `m` months after acquisition over the cohorts that reached that month,
/// weighted by cohort size.
pub fn mean_retention(cohorts: &[Cohort], m: usize) -> Option<f64> {
    let (mut active, mut size) = (0u64, 0u64);
    for cohort in cohorts {
        if let (Some(a), Some(s)) = (cohort.active.get(m), cohort.active.first()) {
            active += a;
            size += s;
        }
    }
    (size > 0).then(|| active as f64 / size as f64)
}

/// The section.
pub fn section(cohorts: &[Cohort]) -> Section {
    let shares = retention(cohorts);
    let width = shares.first().map_or(0, Vec::len);
    let columns: Vec<String> = (0..width).map(|m| m.to_string()).collect();
    let rows: Vec<String> = cohorts
        .iter()
        .map(|c| {
            format!(
                "{} ({})",
                c.month,
                grouped(c.active.first().copied().unwrap_or(0) as f64, 0)
            )
        })
        .collect();
    let labels: Vec<Vec<String>> = shares
        .iter()
        .map(|row| {
            row.iter()
                .map(|v| v.map_or(String::new(), |v| format!("{:.0}", 100.0 * v)))
                .collect()
        })
        .collect();
    // Month 0 is 100 % by definition: colour the later months on their own range.
    let high = shares
        .iter()
        .flat_map(|r| r.iter().skip(1).flatten())
        .fold(0.0f64, |a, b| a.max(*b));
    let chart = Heatmap {
        id: "cohort_retention",
        title: "Monthly acquisition cohorts: % of each cohort buying in later months",
        x_label: "months since the first purchase",
        y_label: "cohort (customers)",
        columns: &columns,
        rows: &rows,
        values: &shares,
        labels: &labels,
        colours: Colours::Sequential {
            low: 0.0,
            high: if high > 0.0 { high } else { 1.0 },
        },
        legend: "share of the cohort active",
        row_label_width: 130.0,
        slanted_columns: false,
        width: FULL_WIDTH,
        cell_height: 26.0,
    }
    .draw();
    let one = mean_retention(cohorts, 1);
    let table = Table {
        caption: "Cohorts".into(),
        header: [
            "cohort",
            "customers",
            "month 1",
            "month 3",
            "month 6",
            "month 12",
        ]
        .map(String::from)
        .to_vec(),
        rows: cohorts
            .iter()
            .zip(&shares)
            .map(|(c, s)| {
                let at = |m: usize| s.get(m).copied().flatten().map_or("–".to_owned(), percent);
                vec![
                    c.month.clone(),
                    grouped(c.active.first().copied().unwrap_or(0) as f64, 0),
                    at(1),
                    at(3),
                    at(6),
                    at(12),
                ]
            })
            .collect(),
    };
    Section {
        id: "cohorts",
        title: "Cohorts".to_owned(),
        lead: format!(
            "{} monthly cohorts. Weighted by size, {} of a cohort buys again in the month after its first.",
            cohorts.len(),
            one.map_or("–".to_owned(), percent)
        ),
        charts: vec![chart],
        tables: vec![table],
        warnings: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_is_active_over_cohort_size_and_stops_at_the_log_end() {
        let cohorts = [
            Cohort {
                month: "2011-01".into(),
                active: vec![4, 2, 1],
            },
            Cohort {
                month: "2011-02".into(),
                active: vec![2, 0],
            },
        ];
        let shares = retention(&cohorts);
        assert_eq!(shares[0], vec![Some(1.0), Some(0.5), Some(0.25)]);
        assert_eq!(shares[1], vec![Some(1.0), Some(0.0), None]);
        assert_eq!(mean_retention(&cohorts, 1), Some(2.0 / 6.0));
        assert_eq!(mean_retention(&cohorts, 2), Some(0.25));
    }
}
