//! One fair scorecard of the purchase models on a holdout: every model fitted on the same
//! calibration period, with the same spend model, scored on the same holdout beside a naive
//! baseline (each customer's calibration purchase rate carried forward).
//!
//! Per model: per-customer MAE and RMSE of holdout purchases, the error of the total, P(alive)
//! against "bought again in the holdout" (Brier score, calibration by decile), and how well the
//! predicted holdout value ranks customers by their actual holdout spend (Spearman's rank
//! correlation, normalised Gini, the share of spend the top predicted decile holds). Rows of
//! different splits are refused: [`Scorecard::push`] checks every row's split against the
//! scorecard's.

use serde::{Deserialize, Serialize};
use statrs::distribution::{ChiSquared, ContinuousCDF};

use crate::error::{Error, Result};
use crate::gamma_gamma::GammaGamma;
use crate::purchase_model::{HoldoutErrors, PurchaseModel};
use crate::summary::CustomerSummary;

/// The split every row of a scorecard was fitted and scored on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Split {
    /// Last day of the calibration period.
    pub calibration_end: chrono::NaiveDate,
    /// Length of the holdout, in the summaries' time unit.
    pub holdout_length: f64,
    /// Customers scored.
    pub customers: usize,
    /// Purchases made in the holdout, all customers.
    pub holdout_purchases: f64,
}

/// P(alive) against "bought again" for one tenth of the customers, ranked by P(alive).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Decile {
    /// Customers in the decile.
    pub customers: usize,
    /// Their mean P(alive).
    pub mean_p_alive: f64,
    /// The share of them who bought in the holdout.
    pub bought_again: f64,
}

/// One model's scores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScorecardRow {
    /// The model's name (`bg_nbd`, ..., `naive`).
    pub model: String,
    /// The split it was fitted and scored on.
    pub split: Split,
    /// Log-likelihood of the calibration period (none for the naive baseline).
    pub log_likelihood: Option<f64>,
    /// Parameters fitted (0 for the naive baseline).
    pub parameters: usize,
    /// Mean absolute error of holdout purchases per customer.
    pub mae: f64,
    /// Root mean squared error of holdout purchases per customer.
    pub rmse: f64,
    /// Predicted holdout purchases, all customers.
    pub predicted_total: f64,
    /// Predicted minus actual, as a share of actual.
    pub total_error_share: f64,
    /// Brier score of P(alive) against "bought again in the holdout" (none for the baseline,
    /// which has no P(alive)).
    pub brier: Option<f64>,
    /// P(alive) against "bought again", by decile of P(alive) (empty for the baseline).
    pub calibration: Vec<Decile>,
    /// Spearman's rank correlation of predicted holdout value with actual holdout spend.
    pub spearman: f64,
    /// Gini of actual spend ordered by predicted value, over the Gini of the perfect order.
    pub normalised_gini: f64,
    /// Share of actual holdout spend held by the tenth of customers with the highest
    /// predicted value.
    pub top_decile_capture: f64,
}

/// A likelihood-ratio test of a model against one nested in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LikelihoodRatioTest {
    /// The larger model.
    pub model: String,
    /// The model nested in it.
    pub nested: String,
    /// 2 (LL_model - LL_nested).
    pub statistic: f64,
    /// Degrees of freedom: the difference in parameters.
    pub degrees_of_freedom: usize,
    /// P-value under the chi-square distribution.
    pub p_value: f64,
}

/// The scorecard: one split, its rows, and the likelihood-ratio tests of nested pairs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scorecard {
    /// The split of every row.
    pub split: Split,
    /// One row per model, the naive baseline last.
    pub rows: Vec<ScorecardRow>,
    /// Tests of nested pairs among the rows.
    pub likelihood_ratio_tests: Vec<LikelihoodRatioTest>,
}

impl ScorecardRow {
    /// The row's purchase errors in the shape the model choice and `clv/model.json`'s
    /// `holdout` record take.
    pub fn holdout_errors(&self) -> HoldoutErrors {
        HoldoutErrors {
            mae: self.mae,
            rmse: self.rmse,
            predicted_total: self.predicted_total,
            actual_total: self.split.holdout_purchases,
            total_error: self.predicted_total - self.split.holdout_purchases,
        }
    }
}

impl Scorecard {
    /// An empty scorecard of `split`.
    pub fn new(split: Split) -> Self {
        Self {
            split,
            rows: Vec::new(),
            likelihood_ratio_tests: Vec::new(),
        }
    }

    /// Adds a row; an error when it was fitted or scored on another split.
    pub fn push(&mut self, row: ScorecardRow) -> Result<()> {
        if row.split != self.split {
            return Err(Error::Data(format!(
                "the scorecard of the split ending {} ({} customers, holdout {}) cannot hold `{}`, scored on the split ending {} ({} customers, holdout {})",
                self.split.calibration_end,
                self.split.customers,
                self.split.holdout_length,
                row.model,
                row.split.calibration_end,
                row.split.customers,
                row.split.holdout_length
            )));
        }
        self.rows.push(row);
        Ok(())
    }
}

/// The likelihood-ratio test of `nested` (log-likelihood, parameters) inside `model`.
pub fn likelihood_ratio_test(
    model: (&str, f64, usize),
    nested: (&str, f64, usize),
) -> Result<LikelihoodRatioTest> {
    let degrees_of_freedom = model
        .2
        .checked_sub(nested.2)
        .filter(|d| *d > 0)
        .ok_or_else(|| {
            Error::Data(format!(
                "`{}` ({} parameters) does not nest `{}` ({} parameters)",
                model.0, model.2, nested.0, nested.2
            ))
        })?;
    let statistic = (2.0 * (model.1 - nested.1)).max(0.0);
    let chi = ChiSquared::new(degrees_of_freedom as f64)
        .map_err(|e| Error::Data(format!("chi-square: {e}")))?;
    Ok(LikelihoodRatioTest {
        model: model.0.to_owned(),
        nested: nested.0.to_owned(),
        statistic,
        degrees_of_freedom,
        p_value: chi.sf(statistic),
    })
}

/// The scores of predictions `purchases` (holdout purchases), `alive` (P(alive), when the model
/// has one) and `value` (predicted holdout value) against the summaries' holdout.
pub fn score(
    model: &str,
    split: &Split,
    summaries: &[CustomerSummary],
    purchases: &[f64],
    alive: Option<&[f64]>,
    value: &[f64],
) -> ScorecardRow {
    let n = summaries.len().max(1) as f64;
    let actual: Vec<f64> = summaries.iter().map(|s| s.holdout_purchases).collect();
    let spend: Vec<f64> = summaries.iter().map(|s| s.holdout_spend).collect();
    let errors = purchases.iter().zip(&actual).map(|(p, a)| p - a);
    let mae = errors.clone().map(f64::abs).sum::<f64>() / n;
    let rmse = (errors.map(|e| e * e).sum::<f64>() / n).sqrt();
    let predicted_total: f64 = purchases.iter().sum();
    let actual_total: f64 = actual.iter().sum();
    let bought: Vec<f64> = actual
        .iter()
        .map(|a| f64::from(u8::from(*a > 0.0)))
        .collect();
    let brier = alive.map(|alive| {
        alive
            .iter()
            .zip(&bought)
            .map(|(p, y)| (p - y).powi(2))
            .sum::<f64>()
            / n
    });
    ScorecardRow {
        model: model.to_owned(),
        split: split.clone(),
        log_likelihood: None,
        parameters: 0,
        mae,
        rmse,
        predicted_total,
        total_error_share: (predicted_total - actual_total) / actual_total,
        brier,
        calibration: alive.map_or_else(Vec::new, |alive| deciles(alive, &bought)),
        spearman: spearman(value, &spend),
        normalised_gini: normalised_gini(value, &spend),
        top_decile_capture: top_decile_capture(value, &spend),
    }
}

/// A fitted purchase model's row: its holdout purchases, P(alive) and predicted holdout value
/// (purchases times the spend model's expected spend).
pub fn score_model(
    model: &PurchaseModel,
    log_likelihood: f64,
    spend: &GammaGamma,
    split: &Split,
    summaries: &[CustomerSummary],
) -> Result<ScorecardRow> {
    let mut purchases = Vec::with_capacity(summaries.len());
    let mut alive = Vec::with_capacity(summaries.len());
    let mut value = Vec::with_capacity(summaries.len());
    for s in summaries {
        let expected = model.expected_purchases(s, split.holdout_length)?;
        purchases.push(expected);
        alive.push(model.p_alive(s)?);
        value.push(expected * spend.expected_spend(s));
    }
    let mut row = score(
        model.name(),
        split,
        summaries,
        &purchases,
        Some(&alive),
        &value,
    );
    row.log_likelihood = Some(log_likelihood);
    row.parameters = model.params().len();
    Ok(row)
}

/// The naive baseline's row: each customer's calibration rate of repeat purchases, x / T,
/// carried over the holdout, at their mean calibration spend (the population's mean spend for
/// a customer without a repeat purchase, whose predicted purchases are 0 anyway).
pub fn score_naive(split: &Split, summaries: &[CustomerSummary]) -> ScorecardRow {
    let purchases: Vec<f64> = summaries
        .iter()
        .map(|s| {
            if s.t > 0.0 {
                s.frequency / s.t * split.holdout_length
            } else {
                0.0
            }
        })
        .collect();
    let value: Vec<f64> = purchases
        .iter()
        .zip(summaries)
        .map(|(p, s)| p * s.monetary_value)
        .collect();
    score("naive", split, summaries, &purchases, None, &value)
}

/// Ten groups of customers by ascending `alive` (the last ones larger by the remainder).
fn deciles(alive: &[f64], bought: &[f64]) -> Vec<Decile> {
    let mut order: Vec<usize> = (0..alive.len()).collect();
    order.sort_by(|&a, &b| alive[a].total_cmp(&alive[b]).then(a.cmp(&b)));
    let n = order.len();
    (0..10)
        .filter_map(|d| {
            let group = &order[d * n / 10..(d + 1) * n / 10];
            (!group.is_empty()).then(|| {
                let size = group.len() as f64;
                Decile {
                    customers: group.len(),
                    mean_p_alive: group.iter().map(|&i| alive[i]).sum::<f64>() / size,
                    bought_again: group.iter().map(|&i| bought[i]).sum::<f64>() / size,
                }
            })
        })
        .collect()
}

/// Ranks from 1, ties given their mean rank.
fn ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start;
        while end + 1 < order.len() && values[order[end + 1]] == values[order[start]] {
            end += 1;
        }
        let mean = (start + end) as f64 / 2.0 + 1.0;
        for &i in &order[start..=end] {
            ranks[i] = mean;
        }
        start = end + 1;
    }
    ranks
}

/// Spearman's rank correlation: Pearson's correlation of the ranks (ties at their mean rank).
pub fn spearman(a: &[f64], b: &[f64]) -> f64 {
    let (ra, rb) = (ranks(a), ranks(b));
    let n = ra.len() as f64;
    let (ma, mb) = (ra.iter().sum::<f64>() / n, rb.iter().sum::<f64>() / n);
    let cov: f64 = ra.iter().zip(&rb).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = ra.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = rb.iter().map(|y| (y - mb).powi(2)).sum();
    cov / (va * vb).sqrt()
}

/// Gini of `actual` ordered by descending `predicted` (ties by position): the area between the
/// cumulative share of actual and the diagonal.
fn gini(predicted: &[f64], actual: &[f64]) -> f64 {
    let mut order: Vec<usize> = (0..actual.len()).collect();
    order.sort_by(|&a, &b| predicted[b].total_cmp(&predicted[a]).then(a.cmp(&b)));
    let total: f64 = actual.iter().sum();
    let n = actual.len() as f64;
    let mut cumulative = 0.0;
    let mut area = 0.0;
    for &i in &order {
        cumulative += actual[i];
        area += cumulative / total;
    }
    area / n - (n + 1.0) / (2.0 * n)
}

/// The Gini of the predicted order over the Gini of the perfect one: 1 for a perfect ranking,
/// about 0 for a random one.
pub fn normalised_gini(predicted: &[f64], actual: &[f64]) -> f64 {
    gini(predicted, actual) / gini(actual, actual)
}

/// The share of the total of `actual` held by the tenth of customers (rounded up) with the
/// highest `predicted`.
pub fn top_decile_capture(predicted: &[f64], actual: &[f64]) -> f64 {
    let mut order: Vec<usize> = (0..actual.len()).collect();
    order.sort_by(|&a, &b| predicted[b].total_cmp(&predicted[a]).then(a.cmp(&b)));
    let top = actual.len().div_ceil(10);
    let total: f64 = actual.iter().sum();
    order[..top].iter().map(|&i| actual[i]).sum::<f64>() / total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spearman_of_a_monotone_pair_is_one_and_of_a_reversed_pair_minus_one() {
        let a = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert!((spearman(&a, &[10.0, 20.0, 25.0, 100.0, 1000.0]) - 1.0).abs() < 1e-12);
        assert!((spearman(&a, &[5.0, 4.0, 3.0, 2.0, 1.0]) + 1.0).abs() < 1e-12);
        // scipy 1.17.1: spearmanr([1, 2, 2, 3], [1, 3, 2, 4]).statistic = 0.9486832980505139
        // (ties at their mean rank).
        let tied = spearman(&[1.0, 2.0, 2.0, 3.0], &[1.0, 3.0, 2.0, 4.0]);
        assert!((tied - 0.948_683_298_050_513_9).abs() < 1e-12, "{tied}");
    }

    #[test]
    fn the_gini_of_the_perfect_order_is_one_and_top_decile_capture_adds_up() {
        let actual: Vec<f64> = (1..=20).map(f64::from).collect();
        assert!((normalised_gini(&actual, &actual) - 1.0).abs() < 1e-12);
        let reversed: Vec<f64> = actual.iter().map(|v| -v).collect();
        assert!((normalised_gini(&reversed, &actual) + 1.0).abs() < 1e-12);
        // The top two of 20 hold 19 + 20 of 210.
        assert!((top_decile_capture(&actual, &actual) - 39.0 / 210.0).abs() < 1e-12);
    }

    #[test]
    fn a_row_of_another_split_is_refused() {
        let split = |days: u32| Split {
            calibration_end: chrono::NaiveDate::from_ymd_opt(2011, 9, days).unwrap(),
            holdout_length: 90.0,
            customers: 3,
            holdout_purchases: 4.0,
        };
        let summaries = vec![
            CustomerSummary {
                holdout_purchases: 2.0,
                holdout_spend: 50.0,
                ..CustomerSummary::history(1, 2.0, 5.0, 10.0)
            },
            CustomerSummary {
                holdout_purchases: 2.0,
                holdout_spend: 30.0,
                ..CustomerSummary::history(2, 1.0, 5.0, 10.0)
            },
            CustomerSummary::history(3, 0.0, 0.0, 10.0),
        ];
        let mut card = Scorecard::new(split(8));
        card.push(score_naive(&split(8), &summaries)).unwrap();
        let error = card.push(score_naive(&split(9), &summaries)).unwrap_err();
        assert!(error.to_string().contains("cannot hold `naive`"), "{error}");
        // The naive rates: 2/10 and 1/10 per day over 90 days.
        let row = &card.rows[0];
        assert!((row.predicted_total - 27.0).abs() < 1e-12);
        assert!((row.mae - (16.0 + 7.0 + 0.0) / 3.0).abs() < 1e-12);
    }

    #[test]
    fn holdout_errors_compare_predictions_with_actual_purchases() {
        let bg = PurchaseModel::BgNbd(crate::bgnbd::BgNbd {
            r: 0.243,
            alpha: 4.414,
            a: 0.793,
            b: 2.426,
        });
        let spend = GammaGamma {
            p: 6.25,
            q: 3.74,
            gamma: 15.44,
        };
        let mut s = CustomerSummary {
            holdout_purchases: 3.0,
            ..CustomerSummary::history(1, 2.0, 30.43, 38.86)
        };
        let predicted = bg.expected_purchases(&s, 39.0).unwrap();
        let errors = |s: &CustomerSummary| {
            let split = Split {
                calibration_end: chrono::NaiveDate::from_ymd_opt(1997, 9, 30).unwrap(),
                holdout_length: 39.0,
                customers: 1,
                holdout_purchases: s.holdout_purchases,
            };
            score_model(&bg, -1.0, &spend, &split, std::slice::from_ref(s))
                .unwrap()
                .holdout_errors()
        };
        let one = errors(&s);
        assert!((one.mae - (predicted - 3.0).abs()).abs() < 1e-12);
        assert!((one.total_error - (predicted - 3.0)).abs() < 1e-12);
        s.holdout_purchases = predicted;
        assert!(errors(&s).rmse < 1e-12);
    }

    #[test]
    fn a_likelihood_ratio_test_needs_a_nested_pair() {
        let test = likelihood_ratio_test(("full", -100.0, 6), ("base", -103.0, 4)).unwrap();
        // chi2.sf(6, 2) = exp(-3).
        assert!((test.statistic - 6.0).abs() < 1e-12);
        assert!((test.p_value - (-3.0f64).exp()).abs() < 1e-12);
        assert!(likelihood_ratio_test(("a", -1.0, 4), ("b", -2.0, 4)).is_err());
    }
}
