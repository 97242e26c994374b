//! The lifetime-value section: P(alive) and expected purchases over the frequency x recency
//! plane (as `lifetimes` plots them), the CLV distribution, CLV by segment, and with a
//! calibration end the holdout check.

use std::collections::HashMap;

use custseg_clv::covariates::CovariateAnalysis;
use custseg_clv::purchase_model::PurchaseModel;
use custseg_clv::scorecard::Scorecard;
use custseg_clv::summary::CustomerSummary;

use crate::charts::bars::Bars;
use crate::charts::heatmap::{Colours, Heatmap};
use crate::charts::histogram::Histogram;
use crate::charts::line::{CategoryChart, Mark, Series};
use crate::charts::{FULL_WIDTH, HALF_WIDTH};
use crate::inputs::{Assignment, ClvCustomer, ClvInputs};
use crate::page::{Section, Table};
use crate::svg::scale::{grouped, short};

use super::features::histogram;
use super::fmt_money;

/// Frequencies shown in the matrices at most.
pub const MAX_MATRIX_FREQUENCY: f64 = 30.0;
/// Recency columns of the matrices.
pub const RECENCY_COLUMNS: usize = 13;
/// Calibration frequencies shown one by one in the holdout chart; higher ones are pooled.
pub const HOLDOUT_GROUPS: usize = 7;

/// A model quantity over the frequency x recency plane at the longest observation time.
#[derive(Debug, Clone, PartialEq)]
pub struct PlaneMatrix {
    /// Frequencies, one per row, from 0.
    pub frequencies: Vec<f64>,
    /// Recencies, one per column, from 0 to `t`.
    pub recencies: Vec<f64>,
    /// The observation length every cell assumes.
    pub t: f64,
    /// `values[row][column]`.
    pub values: Vec<Vec<f64>>,
}

fn summary(frequency: f64, recency: f64, t: f64) -> CustomerSummary {
    CustomerSummary::history(0, frequency, recency, t)
}

/// The highest frequency the matrices show: the 99th percentile of the customers', at least
/// 1, at most [`MAX_MATRIX_FREQUENCY`].
pub fn matrix_frequency(customers: &[ClvCustomer]) -> f64 {
    let mut f: Vec<f64> = customers.iter().map(|c| c.frequency).collect();
    f.sort_by(f64::total_cmp);
    custseg_ml::scaling::quantile_sorted(&f, 0.99)
        .ceil()
        .clamp(1.0, MAX_MATRIX_FREQUENCY)
}

/// Evaluates `quantity` on the plane: frequencies `0..=max_frequency`, recencies evenly from 0
/// to `t`.
pub fn plane(
    max_frequency: f64,
    t: f64,
    quantity: impl Fn(&CustomerSummary) -> f64,
) -> PlaneMatrix {
    let frequencies: Vec<f64> = (0..=max_frequency as usize).map(|f| f as f64).collect();
    let recencies: Vec<f64> = (0..RECENCY_COLUMNS)
        .map(|j| t * j as f64 / (RECENCY_COLUMNS - 1) as f64)
        .collect();
    let values = frequencies
        .iter()
        .map(|f| {
            recencies
                .iter()
                .map(|r| quantity(&summary(*f, *r, t)))
                .collect()
        })
        .collect();
    PlaneMatrix {
        frequencies,
        recencies,
        t,
        values,
    }
}

/// CLV by segment: `(segment, customers, mean CLV, total CLV, mean P(alive))`, highest mean
/// first; customers without an assignment are left out.
pub fn by_segment(
    customers: &[ClvCustomer],
    assignments: &[Assignment],
) -> Vec<(String, u64, f64, f64, f64)> {
    let segment: HashMap<i64, &str> = assignments
        .iter()
        .map(|a| (a.customer_id, a.segment.as_str()))
        .collect();
    let mut sums: HashMap<&str, (u64, f64, f64)> = HashMap::new();
    for c in customers {
        if let Some(name) = segment.get(&c.customer_id) {
            let entry = sums.entry(name).or_default();
            entry.0 += 1;
            entry.1 += c.clv;
            entry.2 += c.p_alive;
        }
    }
    let mut rows: Vec<(String, u64, f64, f64, f64)> = sums
        .into_iter()
        .map(|(name, (n, clv, alive))| (name.to_owned(), n, clv / n as f64, clv, alive / n as f64))
        .collect();
    rows.sort_by(|a, b| b.2.total_cmp(&a.2).then(a.0.cmp(&b.0)));
    rows
}

/// One calibration-frequency group of the holdout check.
#[derive(Debug, Clone, PartialEq)]
pub struct HoldoutGroup {
    /// `0`, `1`, ..., `7+`.
    pub label: String,
    /// Customers in the group.
    pub customers: u64,
    /// Their mean actual holdout purchases.
    pub actual: f64,
    /// Their mean predicted holdout purchases, one per model.
    pub predicted: Vec<f64>,
}

/// Mean actual and predicted (by each model) holdout purchases by calibration frequency.
pub fn calibration_holdout(
    models: &[PurchaseModel],
    customers: &[ClvCustomer],
    holdout_length: f64,
) -> Vec<HoldoutGroup> {
    let mut groups = vec![(0u64, 0.0, vec![0.0; models.len()]); HOLDOUT_GROUPS + 1];
    for c in customers {
        let Some(actual) = c.holdout_purchases else {
            continue;
        };
        let history = summary(c.frequency, c.recency, c.t);
        let group = &mut groups[(c.frequency as usize).min(HOLDOUT_GROUPS)];
        group.0 += 1;
        group.1 += actual;
        for (sum, model) in group.2.iter_mut().zip(models) {
            *sum += model
                .expected_purchases(&history, holdout_length)
                .unwrap_or(f64::NAN);
        }
    }
    groups
        .into_iter()
        .enumerate()
        .filter(|(_, g)| g.0 > 0)
        .map(|(i, (n, actual, predicted))| HoldoutGroup {
            label: if i == HOLDOUT_GROUPS {
                format!("{HOLDOUT_GROUPS}+")
            } else {
                i.to_string()
            },
            customers: n,
            actual: actual / n as f64,
            predicted: predicted.iter().map(|p| p / n as f64).collect(),
        })
        .collect()
}

/// How one plane matrix is drawn.
struct PlaneChart<'a> {
    id: &'a str,
    title: &'a str,
    legend: &'a str,
    unit: &'a str,
    /// Colour range.
    range: (f64, f64),
    /// Decimals written in the cells.
    decimals: usize,
}

fn plane_heatmap(chart: &PlaneChart<'_>, matrix: &PlaneMatrix) -> crate::charts::Chart {
    let PlaneChart {
        id,
        title,
        legend,
        unit,
        range: (low, high),
        decimals,
    } = *chart;
    let columns: Vec<String> = matrix.recencies.iter().map(|r| format!("{r:.0}")).collect();
    let rows: Vec<String> = matrix
        .frequencies
        .iter()
        .map(|f| format!("{f:.0}"))
        .collect();
    let values: Vec<Vec<Option<f64>>> = matrix
        .values
        .iter()
        .map(|r| r.iter().map(|v| Some(*v)).collect())
        .collect();
    let labels: Vec<Vec<String>> = matrix
        .values
        .iter()
        .map(|r| r.iter().map(|v| format!("{v:.decimals$}")).collect())
        .collect();
    Heatmap {
        id,
        title,
        x_label: &format!(
            "recency: {unit} from the first to the last purchase (T = {:.0})",
            matrix.t
        ),
        y_label: "frequency (repeat purchases)",
        columns: &columns,
        rows: &rows,
        values: &values,
        labels: &labels,
        colours: Colours::Sequential { low, high },
        legend,
        row_label_width: 70.0,
        slanted_columns: false,
        width: FULL_WIDTH,
        cell_height: 20.0,
    }
    .draw()
}

/// The section.
pub fn section(inputs: &ClvInputs, assignments: Option<&[Assignment]>) -> Section {
    let unit = if inputs.unit_days == 7.0 {
        "weeks"
    } else {
        "days"
    };
    let t_max = inputs.customers.iter().map(|c| c.t).fold(0.0f64, f64::max);
    let max_f = matrix_frequency(&inputs.customers);
    let alive = plane(max_f, t_max, |s| {
        inputs.model.p_alive(s).unwrap_or(f64::NAN)
    });
    let horizon = f64::from(inputs.horizon_months) * 30.0 / inputs.unit_days;
    let expected = plane(max_f, t_max, |s| {
        inputs
            .model
            .expected_purchases(s, horizon)
            .unwrap_or(f64::NAN)
    });
    let expected_high = expected
        .values
        .iter()
        .flatten()
        .copied()
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    let mut charts = vec![
        plane_heatmap(
            &PlaneChart {
                id: "clv_p_alive",
                title: "Probability that a customer is still active, by history",
                legend: "P(alive)",
                unit,
                range: (0.0, 1.0),
                decimals: 2,
            },
            &alive,
        ),
        plane_heatmap(
            &PlaneChart {
                id: "clv_expected_purchases",
                title: &format!(
                    "Expected purchases in the next {} months, by history",
                    inputs.horizon_months
                ),
                legend: "expected purchases",
                unit,
                range: (0.0, expected_high),
                decimals: 1,
            },
            &expected,
        ),
    ];
    let clv: Vec<f64> = inputs.customers.iter().map(|c| c.clv).collect();
    let data = histogram(&clv);
    charts.push(
        Histogram {
            id: "clv_distribution",
            title: &format!(
                "Customer lifetime value over {} months",
                inputs.horizon_months
            ),
            x_label: "discounted CLV (currency units)",
            edges: &data.edges,
            counts: &data.counts,
            ticks: &data.ticks,
            log_counts: false,
            width: HALF_WIDTH,
            height: 300.0,
        }
        .draw(),
    );
    let mut tables = Vec::new();
    if let Some(assignments) = assignments {
        let rows = by_segment(&inputs.customers, assignments);
        let bars: Vec<(String, Vec<f64>)> = rows.iter().map(|r| (r.0.clone(), vec![r.2])).collect();
        charts.push(
            Bars {
                id: "clv_by_segment",
                title: "Mean CLV per segment",
                x_label: "mean discounted CLV (currency units)",
                series: &["mean CLV"],
                rows: &bars,
                width: HALF_WIDTH,
                label_width: 180.0,
                format: fmt_money,
            }
            .draw(),
        );
        tables.push(Table {
            caption: "CLV by segment".into(),
            header: [
                "segment",
                "customers",
                "mean CLV",
                "total CLV",
                "mean P(alive)",
            ]
            .map(String::from)
            .to_vec(),
            rows: rows
                .iter()
                .map(|r| {
                    vec![
                        r.0.clone(),
                        grouped(r.1 as f64, 0),
                        grouped(r.2, 2),
                        grouped(r.3, 0),
                        format!("{:.3}", r.4),
                    ]
                })
                .collect(),
        });
    }
    if let Some(length) = inputs.holdout_length {
        let groups = calibration_holdout(&inputs.fitted, &inputs.customers, length);
        let categories: Vec<String> = groups.iter().map(|g| g.label.clone()).collect();
        let mut series = vec![Series {
            name: "actual".into(),
            values: groups.iter().map(|g| Some(g.actual)).collect(),
            mark: Mark::Line,
        }];
        for (i, model) in inputs.fitted.iter().enumerate() {
            series.push(Series {
                name: model.label().into(),
                values: groups.iter().map(|g| Some(g.predicted[i])).collect(),
                mark: Mark::Line,
            });
        }
        charts.push(
            CategoryChart {
                id: "clv_holdout",
                title: "Holdout purchases: actual and predicted, by calibration frequency",
                x_label: "repeat purchases in the calibration period",
                y_label: "mean purchases in the holdout",
                categories: &categories,
                series: &series,
                marked: None,
                width: HALF_WIDTH,
                height: 300.0,
            }
            .draw(),
        );
        let mut header: Vec<String> = ["calibration frequency", "customers", "actual mean"]
            .map(String::from)
            .to_vec();
        header.extend(inputs.fitted.iter().map(|m| format!("{} mean", m.label())));
        tables.push(Table {
            caption: format!("Holdout check ({length:.1} {unit})"),
            header,
            rows: groups
                .iter()
                .map(|g| {
                    let mut row = vec![
                        g.label.clone(),
                        grouped(g.customers as f64, 0),
                        format!("{:.3}", g.actual),
                    ];
                    row.extend(g.predicted.iter().map(|p| format!("{p:.3}")));
                    row
                })
                .collect(),
        });
    }
    if let Some(card) = &inputs.scorecard {
        tables.push(scorecard_table(card, unit));
    }
    tables.push(parameter_table(inputs));
    if let Some(analysis) = &inputs.covariates {
        tables.push(covariate_table(analysis));
    }
    if let Some(uncertainty) = &inputs.uncertainty {
        tables.push(top_customers_table(&inputs.customers, uncertainty.level));
    }
    let total: f64 = clv.iter().sum();
    let total_range = inputs.uncertainty.as_ref().map_or(String::new(), |u| {
        format!(
            " ({:.0} % interval {} to {}, from {}: the uncertainty of the fitted parameters, not of each customer's own future)",
            100.0 * u.level,
            short(u.totals.clv.low),
            short(u.totals.clv.high),
            u.source
        )
    });
    let new_customer = inputs.new_customer.map_or(String::new(), |new| {
        let range = new.intervals.map_or(String::new(), |i| {
            format!(" ({} to {})", fmt_money(i.clv.low), fmt_money(i.clv.high))
        });
        format!(
            " A new customer is expected to make {:.2} repeat purchases worth {}{range} in that time.",
            new.prediction.expected_purchases,
            fmt_money(new.prediction.clv)
        )
    });
    let mean_alive = inputs.customers.iter().map(|c| c.p_alive).sum::<f64>()
        / inputs.customers.len().max(1) as f64;
    let parameters = match inputs.model {
        PurchaseModel::BgNbd(p) => {
            format!("r {:.3}, α {:.3}, a {:.3}, b {:.3}", p.r, p.alpha, p.a, p.b)
        }
        PurchaseModel::ParetoNbd(p) => format!(
            "r {:.3}, α {:.3}, s {:.3}, β {:.3}",
            p.r, p.alpha, p.s, p.beta
        ),
        PurchaseModel::MbgNbd(p) => {
            format!("r {:.3}, α {:.3}, a {:.3}, b {:.3}", p.r, p.alpha, p.a, p.b)
        }
    };
    let at_zero = match inputs.model {
        PurchaseModel::BgNbd(_) => {
            " BG/NBD counts a customer without a repeat purchase as alive (P(alive) = 1 at frequency 0)."
        }
        PurchaseModel::ParetoNbd(_) | PurchaseModel::MbgNbd(_) => "",
    };
    Section {
        id: "clv",
        title: "Customer lifetime value".to_owned(),
        lead: format!(
            "{} ({parameters}, in {unit}) with Gamma-Gamma spend: {} customers worth {}{total_range} over {} months; mean P(alive) {:.2}.{at_zero}{new_customer} {}",
            inputs.model.label(),
            grouped(inputs.customers.len() as f64, 0),
            short(total),
            inputs.horizon_months,
            mean_alive,
            inputs.choice
        ),
        charts,
        tables,
        warnings: inputs.warnings.clone(),
    }
}

/// Customers listed with their intervals.
pub const TOP_CUSTOMERS: usize = 10;

/// Every purchase model and the naive baseline on the one holdout.
fn scorecard_table(card: &Scorecard, unit: &str) -> Table {
    Table {
        caption: format!(
            "Scorecard: every model fitted up to {} and scored on the same {:.0} {unit} after it ({} customers, {} purchases)",
            card.split.calibration_end,
            card.split.holdout_length,
            grouped(card.split.customers as f64, 0),
            grouped(card.split.holdout_purchases, 0)
        ),
        header: [
            "model",
            "MAE",
            "RMSE",
            "total error",
            "Brier (P(alive))",
            "Spearman (value)",
            "normalised Gini",
            "top-decile capture",
        ]
        .map(String::from)
        .to_vec(),
        rows: card
            .rows
            .iter()
            .map(|row| {
                vec![
                    row.model.clone(),
                    format!("{:.3}", row.mae),
                    format!("{:.3}", row.rmse),
                    format!("{:+.1} %", 100.0 * row.total_error_share),
                    row.brier.map_or("-".into(), |b| format!("{b:.3}")),
                    format!("{:.3}", row.spearman),
                    format!("{:.3}", row.normalised_gini),
                    format!("{:.1} %", 100.0 * row.top_decile_capture),
                ]
            })
            .collect(),
    }
}

/// The covariates' coefficients and each model's test against the model without them.
fn covariate_table(analysis: &CovariateAnalysis) -> Table {
    let mut rows = Vec::new();
    for fit in [&analysis.bg_nbd, &analysis.gamma_gamma] {
        for (i, name) in fit
            .names
            .iter()
            .enumerate()
            .filter(|(_, n)| n.contains(':'))
        {
            rows.push(vec![
                fit.model.clone(),
                name.clone(),
                format!("{:+.4}", fit.estimates[i]),
                fit.standard_errors
                    .as_ref()
                    .map_or("unavailable".into(), |e| format!("{:.4}", e[i])),
                String::new(),
            ]);
        }
        rows.push(vec![
            fit.model.clone(),
            "against no covariates".into(),
            format!("LR {:.2}", fit.test.statistic),
            format!("{} df", fit.test.degrees_of_freedom),
            format!("p = {:.4}", fit.test.p_value),
        ]);
    }
    Table {
        caption: format!(
            "Covariates ({}): a positive purchase coefficient means more purchases, a positive spend coefficient higher spend",
            analysis.covariates.join(", ")
        ),
        header: ["model", "coefficient", "estimate", "standard error", "test"]
            .map(String::from)
            .to_vec(),
        rows,
    }
}

/// The fitted parameters with their standard errors and intervals.
fn parameter_table(inputs: &ClvInputs) -> Table {
    let level = inputs.uncertainty.as_ref().map_or(0.9, |u| u.level);
    Table {
        caption: "Fitted parameters".into(),
        header: vec![
            "model".into(),
            "parameter".into(),
            "estimate".into(),
            "standard error".into(),
            format!("{:.0} % interval", 100.0 * level),
        ],
        rows: inputs
            .parameters
            .iter()
            .map(|p| {
                vec![
                    p.model.to_owned(),
                    p.name.to_owned(),
                    significant(p.estimate),
                    p.standard_error.map_or("unavailable".into(), significant),
                    p.interval.map_or("unavailable".into(), |i| {
                        format!("{} to {}", significant(i.low), significant(i.high))
                    }),
                ]
            })
            .collect(),
    }
}

/// A number with four significant digits.
fn significant(value: f64) -> String {
    if value == 0.0 || !value.is_finite() {
        return format!("{value}");
    }
    let decimals = (3 - value.abs().log10().floor() as i32).clamp(0, 10) as usize;
    format!("{value:.decimals$}")
}

/// The most valuable customers, with the intervals of their CLV, P(alive) and purchases.
fn top_customers_table(customers: &[ClvCustomer], level: f64) -> Table {
    let mut ranked: Vec<&ClvCustomer> =
        customers.iter().filter(|c| c.intervals.is_some()).collect();
    ranked.sort_by(|a, b| {
        b.clv
            .total_cmp(&a.clv)
            .then(a.customer_id.cmp(&b.customer_id))
    });
    let range = |value: f64, low: f64, high: f64, decimals: usize| {
        format!(
            "{} ({} to {})",
            grouped(value, decimals),
            grouped(low, decimals),
            grouped(high, decimals)
        )
    };
    Table {
        caption: format!(
            "The {TOP_CUSTOMERS} most valuable customers, with {:.0} % intervals",
            100.0 * level
        ),
        header: ["customer", "CLV", "P(alive)", "expected purchases"]
            .map(String::from)
            .to_vec(),
        rows: ranked
            .iter()
            .take(TOP_CUSTOMERS)
            .filter_map(|c| {
                let i = c.intervals?;
                Some(vec![
                    c.customer_id.to_string(),
                    range(c.clv, i.clv.low, i.clv.high, 0),
                    format!(
                        "{:.3} ({:.3} to {:.3})",
                        c.p_alive, i.p_alive.low, i.p_alive.high
                    ),
                    range(
                        c.expected_purchases,
                        i.expected_purchases.low,
                        i.expected_purchases.high,
                        1,
                    ),
                ])
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BG: custseg_clv::bgnbd::BgNbd = custseg_clv::bgnbd::BgNbd {
        r: 0.243,
        alpha: 4.414,
        a: 0.793,
        b: 2.426,
    };

    fn customer(id: i64, frequency: f64, holdout: f64, clv: f64) -> ClvCustomer {
        ClvCustomer {
            customer_id: id,
            frequency,
            recency: frequency * 3.0,
            t: 38.0,
            p_alive: 0.5,
            expected_purchases: 1.0,
            clv,
            holdout_purchases: Some(holdout),
            intervals: None,
        }
    }

    #[test]
    fn the_top_customers_table_ranks_by_clv_with_each_interval() {
        use custseg_clv::uncertainty::{ClvIntervals, Interval};
        let around = |value: f64| Interval {
            low: value * 0.8,
            high: value * 1.25,
        };
        let with_intervals = |id: i64, clv: f64| ClvCustomer {
            intervals: Some(ClvIntervals {
                p_alive: Interval {
                    low: 0.4,
                    high: 0.6,
                },
                expected_purchases: around(1.0),
                expected_value: around(50.0),
                clv: around(clv),
            }),
            ..customer(id, 1.0, 0.0, clv)
        };
        let mut customers: Vec<ClvCustomer> = (0..12)
            .map(|i| with_intervals(i, 100.0 * i as f64))
            .collect();
        // Without intervals: not listed, however valuable.
        customers.push(customer(99, 1.0, 0.0, 1e6));
        customers.push(with_intervals(50, 1100.0));
        let table = top_customers_table(&customers, 0.9);
        assert_eq!(table.rows.len(), TOP_CUSTOMERS);
        assert_eq!(table.rows[0][0], "11");
        assert_eq!(table.rows[1][0], "50", "ties go to the smaller id first");
        assert_eq!(table.rows[0][1], "1,100 (880 to 1,375)");
        assert_eq!(table.rows[0][2], "0.500 (0.400 to 0.600)");
        assert!(table.caption.contains("90 % intervals"));
    }

    #[test]
    fn parameters_show_four_significant_digits() {
        assert_eq!(significant(0.0031), "0.003100");
        assert_eq!(significant(431.8628), "431.9");
        assert_eq!(significant(69.1367), "69.14");
        assert_eq!(significant(509_874.6), "509875");
    }

    #[test]
    fn plane_matches_the_model_at_its_cells() {
        let matrix = plane(2.0, 36.0, |s| BG.p_alive(s));
        assert_eq!(matrix.frequencies, vec![0.0, 1.0, 2.0]);
        assert_eq!(matrix.recencies.len(), RECENCY_COLUMNS);
        assert_eq!(matrix.recencies[12], 36.0);
        assert!(matrix.values[0].iter().all(|v| *v == 1.0));
        // Hand-computed: 1 / (1 + a / (b + x - 1) * ((alpha + T) / (alpha + t_x))^(r + x)).
        let (x, tx, t) = (2.0, 18.0, 36.0);
        let by_hand = 1.0
            / (1.0 + 0.793 / (2.426 + x - 1.0) * ((4.414f64 + t) / (4.414 + tx)).powf(0.243 + x));
        assert!((matrix.values[2][6] - by_hand).abs() < 1e-12);
        // More recent purchases mean more likely alive.
        assert!(matrix.values[2].windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn holdout_groups_pool_high_frequencies_and_average_within_groups() {
        let customers = [
            customer(1, 0.0, 0.0, 1.0),
            customer(2, 0.0, 2.0, 1.0),
            customer(3, 9.0, 4.0, 1.0),
            customer(4, 12.0, 6.0, 1.0),
        ];
        let pareto = PurchaseModel::ParetoNbd(custseg_clv::pareto_nbd::ParetoNbd {
            r: 0.5533,
            alpha: 10.578,
            s: 0.6062,
            beta: 11.669,
        });
        let groups = calibration_holdout(&[PurchaseModel::BgNbd(BG), pareto], &customers, 39.0);
        assert_eq!(groups.len(), 2);
        assert_eq!(
            (
                groups[0].label.as_str(),
                groups[0].customers,
                groups[0].actual
            ),
            ("0", 2, 1.0)
        );
        assert_eq!(
            (
                groups[1].label.as_str(),
                groups[1].customers,
                groups[1].actual
            ),
            ("7+", 2, 5.0)
        );
        let s = summary(0.0, 0.0, 38.0);
        assert!((groups[0].predicted[0] - BG.expected_purchases(&s, 39.0).unwrap()).abs() < 1e-12);
        assert!(
            (groups[0].predicted[1] - pareto.expected_purchases(&s, 39.0).unwrap()).abs() < 1e-12
        );
    }

    #[test]
    fn segments_get_mean_and_total_clv() {
        let customers = [
            customer(1, 1.0, 0.0, 10.0),
            customer(2, 1.0, 0.0, 30.0),
            customer(3, 1.0, 0.0, 5.0),
        ];
        let assign = |id: i64, segment: &str| Assignment {
            customer_id: id,
            cluster: 0,
            segment: segment.into(),
            outlier: false,
            r: 1,
            f: 1,
            m: 1,
            rfm_segment: String::new(),
        };
        let rows = by_segment(
            &customers,
            &[assign(1, "A"), assign(2, "A"), assign(3, "B")],
        );
        assert_eq!(rows[0], ("A".into(), 2, 20.0, 40.0, 0.5));
        assert_eq!(rows[1], ("B".into(), 1, 5.0, 5.0, 0.5));
    }
}
