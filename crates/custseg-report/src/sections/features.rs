//! Section 3, customer features: one histogram per feature (a logarithmic axis where the data
//! is heavy-tailed) and the features' correlation heatmap.

use custseg_model::table::CustomerTable;

use crate::charts::heatmap::{Colours, Heatmap};
use crate::charts::histogram::Histogram;
use crate::charts::{Chart, FULL_WIDTH};
use crate::page::{Section, Table};
use crate::svg::scale::{grouped, nice_ticks, short};

/// Bins per histogram.
pub const BINS: usize = 24;
/// Features whose absolute skewness exceeds this are drawn on a logarithmic axis.
pub const HEAVY_TAIL_SKEWNESS: f64 = 2.0;

/// Whole-number features spanning at most this many values get one bin per value.
pub const MAX_WHOLE_NUMBER_BINS: f64 = 40.0;

/// How a histogram's value axis is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueAxis {
    /// One bin per whole number from the minimum to the maximum (small whole-number ranges,
    /// such as hour of day or a 0/1 flag, whatever their skewness).
    Whole,
    /// Evenly spaced bins from the minimum to the maximum.
    Linear,
    /// Bins evenly spaced in log10(1 + x) (heavy-tailed, never negative).
    Log,
    /// Heavy-tailed with negative values: bins between the 1st and 99th percentiles, values
    /// beyond them counted in the end bins, and a logarithmic count axis.
    Clipped,
}

/// The numbers behind one histogram.
#[derive(Debug, Clone, PartialEq)]
pub struct HistogramData {
    /// Bin edges, in plot coordinates (log10(1 + x) for [`ValueAxis::Log`]).
    pub edges: Vec<f64>,
    /// Customers per bin.
    pub counts: Vec<u64>,
    /// Tick positions and labels in data units.
    pub ticks: Vec<(f64, String)>,
    /// The axis.
    pub axis: ValueAxis,
    /// Values below and above the bins, counted in the end bins ([`ValueAxis::Clipped`]).
    pub clipped: (u64, u64),
    /// Sample skewness (population moments).
    pub skewness: f64,
}

fn moments(values: &[f64]) -> (f64, f64, f64) {
    let n = values.len().max(1) as f64;
    let mean = values.iter().sum::<f64>() / n;
    let m2 = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    let m3 = values.iter().map(|v| (v - mean).powi(3)).sum::<f64>() / n;
    let skewness = if m2 > 0.0 { m3 / m2.powf(1.5) } else { 0.0 };
    (mean, m2.sqrt(), skewness)
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    custseg_ml::scaling::quantile_sorted(sorted, q)
}

/// Bins `values` (non-finite ones are left out): one bin per value for small whole-number
/// ranges, else [`BINS`] bins on the axis [`ValueAxis`] describes.
pub fn histogram(values: &[f64]) -> HistogramData {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    let (_, _, skewness) = moments(&sorted);
    let (min, max) = (
        sorted.first().copied().unwrap_or(0.0),
        sorted.last().copied().unwrap_or(0.0),
    );
    let heavy = skewness.abs() > HEAVY_TAIL_SKEWNESS;
    let whole = sorted.iter().all(|v| v.fract() == 0.0) && max - min <= MAX_WHOLE_NUMBER_BINS;
    let axis = match (whole, heavy, min >= 0.0) {
        (true, _, _) => ValueAxis::Whole,
        (false, false, _) => ValueAxis::Linear,
        (false, true, true) => ValueAxis::Log,
        (false, true, false) => ValueAxis::Clipped,
    };
    if axis == ValueAxis::Whole {
        let bins = (max - min) as usize + 1;
        let edges: Vec<f64> = (0..=bins).map(|i| min - 0.5 + i as f64).collect();
        let mut counts = vec![0u64; bins];
        for v in &sorted {
            counts[(v - min) as usize] += 1;
        }
        let step = (bins as f64 / 8.0).ceil().max(1.0) as usize;
        let ticks = (0..bins)
            .step_by(step)
            .map(|i| (min + i as f64, short(min + i as f64)))
            .collect();
        return HistogramData {
            edges,
            counts,
            ticks,
            axis,
            clipped: (0, 0),
            skewness,
        };
    }
    let to_plot = |v: f64| {
        if axis == ValueAxis::Log {
            (1.0 + v).log10()
        } else {
            v
        }
    };
    let (low, high) = match axis {
        ValueAxis::Linear | ValueAxis::Whole => (min, max),
        ValueAxis::Log => (0.0, to_plot(max)),
        ValueAxis::Clipped => (quantile(&sorted, 0.01), quantile(&sorted, 0.99)),
    };
    let high = if high > low { high } else { low + 1.0 };
    let width = (high - low) / BINS as f64;
    let edges: Vec<f64> = (0..=BINS).map(|i| low + width * i as f64).collect();
    let mut counts = vec![0u64; BINS];
    let mut clipped = (0, 0);
    for &v in &sorted {
        let p = to_plot(v);
        if p < low {
            clipped.0 += 1;
        } else if p > high {
            clipped.1 += 1;
        }
        let bin = (((p - low) / width).floor().max(0.0) as usize).min(BINS - 1);
        counts[bin] += 1;
    }
    let ticks = match axis {
        ValueAxis::Log => {
            let mut ticks = vec![(0.0, "0".to_owned())];
            let mut value = 1.0;
            while value <= max {
                ticks.push((to_plot(value), short(value)));
                value *= 10.0;
            }
            ticks
        }
        _ => nice_ticks(low, high, 5)
            .0
            .into_iter()
            .filter(|t| *t >= low - 1e-9 && *t <= high + 1e-9)
            .map(|t| (t, short(t)))
            .collect(),
    };
    HistogramData {
        edges,
        counts,
        ticks,
        axis,
        clipped,
        skewness,
    }
}

/// Pearson correlations between the columns (`None` where a column is constant).
pub fn correlations(columns: &[&[f64]]) -> Vec<Vec<Option<f64>>> {
    let stats: Vec<(f64, f64)> = columns
        .iter()
        .map(|c| {
            let (mean, std, _) = moments(c);
            (mean, std)
        })
        .collect();
    (0..columns.len())
        .map(|i| {
            (0..columns.len())
                .map(|j| {
                    let ((mi, si), (mj, sj)) = (stats[i], stats[j]);
                    if si == 0.0 || sj == 0.0 {
                        return None;
                    }
                    let n = columns[i].len().max(1) as f64;
                    let covariance = columns[i]
                        .iter()
                        .zip(columns[j])
                        .map(|(a, b)| (a - mi) * (b - mj))
                        .sum::<f64>()
                        / n;
                    Some((covariance / (si * sj)).clamp(-1.0, 1.0))
                })
                .collect()
        })
        .collect()
}

/// A feature name for people: `Total_Spend` -> `Total Spend`.
pub fn label(feature: &str) -> String {
    feature.replace('_', " ")
}

/// The section.
pub fn section(table: &CustomerTable, features: &[String]) -> Section {
    let present: Vec<(&String, &[f64])> = features
        .iter()
        .filter_map(|f| table.column(f).map(|c| (f, c)))
        .collect();
    let mut charts: Vec<Chart> = Vec::new();
    let mut rows = Vec::new();
    for (name, values) in &present {
        let data = histogram(values);
        let title = label(name);
        let x_label = match data.axis {
            ValueAxis::Log => format!("{title} (log scale)"),
            ValueAxis::Clipped => "1st–99th percentile; the rest in the end bins".to_owned(),
            ValueAxis::Linear | ValueAxis::Whole => title.clone(),
        };
        let id = format!("feature_{}", name.to_lowercase());
        charts.push(
            Histogram {
                id: &id,
                title: &title,
                x_label: &x_label,
                edges: &data.edges,
                counts: &data.counts,
                ticks: &data.ticks,
                log_counts: data.axis == ValueAxis::Clipped,
                width: 356.0,
                height: 240.0,
            }
            .draw(),
        );
        let mut sorted: Vec<f64> = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let (mean, _, _) = moments(values);
        rows.push(vec![
            label(name),
            grouped(mean, 2),
            grouped(quantile(&sorted, 0.5), 2),
            grouped(sorted.first().copied().unwrap_or(f64::NAN), 2),
            grouped(sorted.last().copied().unwrap_or(f64::NAN), 2),
            format!("{:.2}", data.skewness),
            match data.axis {
                ValueAxis::Whole => "one bin per value",
                ValueAxis::Linear => "linear",
                ValueAxis::Log => "log10(1 + x)",
                ValueAxis::Clipped => "clipped, log counts",
            }
            .to_owned(),
        ]);
    }
    let columns: Vec<&[f64]> = present.iter().map(|(_, c)| *c).collect();
    let matrix = correlations(&columns);
    let names: Vec<String> = present.iter().map(|(n, _)| label(n)).collect();
    let labels: Vec<Vec<String>> = matrix
        .iter()
        .map(|row| {
            row.iter()
                .map(|v| v.map_or(String::new(), |v| format!("{v:.2}")))
                .collect()
        })
        .collect();
    charts.push(
        Heatmap {
            id: "feature_correlations",
            title: "Correlation between features (Pearson)",
            x_label: "",
            y_label: "",
            columns: &names,
            rows: &names,
            values: &matrix,
            labels: &labels,
            colours: Colours::Diverging { limit: 1.0 },
            legend: "correlation",
            row_label_width: 230.0,
            slanted_columns: true,
            width: FULL_WIDTH,
            cell_height: 30.0,
        }
        .draw(),
    );
    let strongest = strongest_pair(&matrix, &names);
    Section {
        id: "features",
        title: "Customer features".to_owned(),
        lead: format!(
            "{} customers, {} features. Heavy-tailed features (|skewness| > {HEAVY_TAIL_SKEWNESS}) are drawn on a log10(1 + x) axis.{}",
            grouped(table.len() as f64, 0),
            present.len(),
            strongest
                .map(|(a, b, r)| format!(
                    " The strongest correlation is between {a} and {b} ({r:.2})."
                ))
                .unwrap_or_default()
        ),
        charts,
        tables: vec![Table {
            caption: "Feature summary".into(),
            header: [
                "feature",
                "mean",
                "median",
                "min",
                "max",
                "skewness",
                "histogram axis",
            ]
            .map(String::from)
            .to_vec(),
            rows,
        }],
        warnings: Vec::new(),
    }
}

fn strongest_pair(matrix: &[Vec<Option<f64>>], names: &[String]) -> Option<(String, String, f64)> {
    let mut best: Option<(usize, usize, f64)> = None;
    for (i, row) in matrix.iter().enumerate() {
        for (j, value) in row.iter().enumerate().skip(i + 1) {
            if let Some(v) = value
                && best.is_none_or(|b| v.abs() > b.2.abs())
            {
                best = Some((i, j, *v));
            }
        }
    }
    best.map(|(i, j, v)| (names[i].clone(), names[j].clone(), v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_symmetric_feature_gets_linear_bins_that_count_every_value() {
        let values: Vec<f64> = (0..=96)
            .map(|v| f64::from(v) + if v == 96 { 0.0 } else { 0.5 })
            .collect();
        let data = histogram(&values);
        assert_eq!(data.axis, ValueAxis::Linear);
        assert_eq!(data.counts.iter().sum::<u64>(), 97);
        assert_eq!(data.edges.first(), Some(&0.5));
        assert_eq!(data.edges.last(), Some(&96.0));
        // 95.5 / 24 per bin: 0.5..4.48 holds 0.5, 1.5, 2.5, 3.5; the last holds 92.5, 93.5, 94.5, 95.5, 96.
        assert_eq!(data.counts[0], 4);
        assert_eq!(data.counts[23], 5);
    }

    #[test]
    fn a_small_whole_number_range_gets_one_bin_per_value_whatever_its_skew() {
        let mut values = vec![1.0; 95];
        values.extend([0.0; 5]);
        let data = histogram(&values);
        assert_eq!(data.axis, ValueAxis::Whole);
        assert_eq!(data.counts, vec![5, 95]);
        assert_eq!(data.edges, vec![-0.5, 0.5, 1.5]);
        let hours = histogram(&[7.0, 9.0, 9.0, 20.0]);
        assert_eq!(hours.counts.len(), 14);
        assert_eq!(
            (hours.counts[0], hours.counts[2], hours.counts[13]),
            (1, 2, 1)
        );
    }

    #[test]
    fn a_heavy_tailed_positive_feature_gets_a_log_axis() {
        let mut values = vec![1.0; 90];
        values.extend([10.0, 10.0, 100.0, 1000.0, 9999.5]);
        let data = histogram(&values);
        assert_eq!(data.axis, ValueAxis::Log);
        assert!((data.edges.last().copied().unwrap() - 4.0).abs() < 1e-4);
        assert_eq!(data.counts.iter().sum::<u64>(), 95);
        let labels: Vec<&str> = data.ticks.iter().map(|t| t.1.as_str()).collect();
        assert_eq!(labels, ["0", "1", "10", "100", "1000"]);
        // log10(2) = 0.301 falls in bin 1 of width 4 / 24.
        assert_eq!(data.counts[1], 90);
    }

    #[test]
    fn a_heavy_tailed_feature_with_negatives_is_clipped_not_lost() {
        let mut values: Vec<f64> = (0..200).map(|i| f64::from(i % 10) + 0.5).collect();
        values.push(-50.0);
        values.extend([5000.0, 6000.0, 7000.0]);
        let data = histogram(&values);
        assert_eq!(data.axis, ValueAxis::Clipped);
        assert_eq!(data.counts.iter().sum::<u64>(), 204);
        assert!(
            data.clipped.0 >= 1 && data.clipped.1 >= 3,
            "{:?}",
            data.clipped
        );
    }

    #[test]
    fn correlations_match_hand_computed_values() {
        let a = [1.0, 2.0, 3.0, 4.0];
        let b = [2.0, 4.0, 6.0, 8.0];
        let c = [4.0, 3.0, 2.0, 1.0];
        let d = [1.0, 1.0, 1.0, 1.0];
        let e = [1.0, 3.0, 2.0, 4.0];
        let m = correlations(&[&a, &b, &c, &d, &e]);
        assert!((m[0][1].unwrap() - 1.0).abs() < 1e-12);
        assert!((m[0][2].unwrap() + 1.0).abs() < 1e-12);
        assert_eq!(m[0][3], None);
        // cov(a, e) = (1.5*1.5 + 0.5*(-0.5) + (-0.5)*0.5 + 1.5*1.5) / 4 = 1; var = 1.25 each.
        assert!((m[0][4].unwrap() - 0.8).abs() < 1e-12);
    }
}
