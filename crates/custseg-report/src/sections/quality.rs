//! Section 1, data quality: rows through each cleaning rule, and what each rule dropped most.

use crate::charts::FULL_WIDTH;
use crate::charts::bars::Bars;
use crate::inputs::Quality;
use crate::page::{Section, Table};
use crate::svg::scale::grouped;

use super::fmt_count;

/// One bar of the funnel.
#[derive(Debug, Clone, PartialEq)]
pub struct FunnelBar {
    /// `input` or the rule.
    pub label: String,
    /// Rows left after it.
    pub remaining: u64,
    /// Rows it dropped.
    pub dropped: u64,
}

/// The funnel: the input, then the rows left after each rule.
pub fn funnel(quality: &Quality) -> Vec<FunnelBar> {
    let mut bars = vec![FunnelBar {
        label: "input".to_owned(),
        remaining: quality.raw_rows,
        dropped: 0,
    }];
    bars.extend(quality.steps.iter().map(|step| FunnelBar {
        label: step.rule.clone(),
        remaining: step.rows_out,
        dropped: step.rows_in.saturating_sub(step.rows_out),
    }));
    bars
}

/// Whether the funnel adds up: every dropped row is quarantined and the last step leaves
/// exactly the clean rows. Returns what does not hold.
pub fn inconsistencies(quality: &Quality) -> Vec<String> {
    let mut problems = Vec::new();
    let dropped: u64 = funnel(quality).iter().map(|b| b.dropped).sum();
    if dropped != quality.quarantined_rows {
        problems.push(format!(
            "the steps drop {dropped} rows but {} are quarantined",
            quality.quarantined_rows
        ));
    }
    if quality.raw_rows != quality.clean_rows + quality.quarantined_rows {
        problems.push(format!(
            "{} raw rows ≠ {} clean + {} quarantined",
            quality.raw_rows, quality.clean_rows, quality.quarantined_rows
        ));
    }
    if let Some(last) = quality.steps.last()
        && last.rows_out != quality.clean_rows
    {
        problems.push(format!(
            "the last step leaves {} rows but {} are clean",
            last.rows_out, quality.clean_rows
        ));
    }
    problems
}

/// The section.
pub fn section(quality: &Quality) -> Section {
    let bars = funnel(quality);
    let rows: Vec<(String, Vec<f64>)> = bars
        .iter()
        .map(|b| (b.label.clone(), vec![b.remaining as f64, b.dropped as f64]))
        .collect();
    let chart = Bars {
        id: "quality_funnel",
        title: "Rows through each cleaning rule",
        x_label: "rows",
        series: &["rows left", "rows dropped"],
        rows: &rows,
        width: FULL_WIDTH,
        label_width: 170.0,
        format: fmt_count,
    }
    .draw();
    let top = |rule: &str| {
        quality
            .top_quarantined
            .iter()
            .find(|(r, _)| r == rule)
            .map(|(_, values)| {
                values
                    .iter()
                    .take(4)
                    .map(|(v, n)| format!("{v} ({})", grouped(*n as f64, 0)))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default()
    };
    let table = Table {
        caption: "Cleaning steps".to_owned(),
        header: [
            "rule",
            "what it does",
            "rows in",
            "dropped",
            "rows out",
            "most dropped values",
        ]
        .map(String::from)
        .to_vec(),
        rows: quality
            .steps
            .iter()
            .map(|s| {
                let dropped = s.rows_in.saturating_sub(s.rows_out);
                let mut description = s.description.clone();
                if let Some(flagged) = s.flagged {
                    description
                        .push_str(&format!(" ({} flagged, kept)", grouped(flagged as f64, 0)));
                }
                vec![
                    s.rule.clone(),
                    description,
                    grouped(s.rows_in as f64, 0),
                    grouped(dropped as f64, 0),
                    grouped(s.rows_out as f64, 0),
                    top(&s.rule),
                ]
            })
            .collect(),
    };
    let share = if quality.raw_rows > 0 {
        100.0 * quality.quarantined_rows as f64 / quality.raw_rows as f64
    } else {
        0.0
    };
    Section {
        id: "quality",
        title: "Data quality".to_owned(),
        lead: format!(
            "{} rows read: {} kept, {} ({share:.1} %) quarantined with the rule that dropped them.",
            grouped(quality.raw_rows as f64, 0),
            grouped(quality.clean_rows as f64, 0),
            grouped(quality.quarantined_rows as f64, 0)
        ),
        charts: vec![chart],
        tables: vec![table],
        warnings: inconsistencies(quality),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inputs::FunnelStep;

    fn step(rule: &str, rows_in: u64, rows_out: u64) -> FunnelStep {
        FunnelStep {
            rule: rule.to_owned(),
            description: String::new(),
            rows_in,
            rows_out,
            flagged: None,
        }
    }

    #[test]
    fn funnel_starts_at_the_input_and_counts_each_rules_drops() {
        let quality = Quality {
            raw_rows: 10,
            clean_rows: 6,
            quarantined_rows: 4,
            steps: vec![step("missing_values", 10, 7), step("duplicates", 7, 6)],
            top_quarantined: Vec::new(),
            date_range: None,
        };
        let bars = funnel(&quality);
        assert_eq!(
            bars[0],
            FunnelBar {
                label: "input".into(),
                remaining: 10,
                dropped: 0
            }
        );
        assert_eq!(bars[1].dropped, 3);
        assert_eq!(bars[2].remaining, 6);
        assert!(inconsistencies(&quality).is_empty());
    }

    #[test]
    fn a_funnel_that_does_not_add_up_is_reported() {
        let quality = Quality {
            raw_rows: 10,
            clean_rows: 7,
            quarantined_rows: 4,
            steps: vec![step("missing_values", 10, 7)],
            top_quarantined: Vec::new(),
            date_range: None,
        };
        let problems = inconsistencies(&quality);
        assert_eq!(problems.len(), 2, "{problems:?}");
    }
}
