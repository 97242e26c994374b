//! Per-customer summaries (frequency, recency, T, monetary value) from purchases.
//!
//! Definitions as in the literature and `lifetimes`: a purchase is a calendar day with spend;
//! `frequency` (x) counts purchase days after the first; `recency` (t_x) is the last purchase
//! day minus the first; `T` is the observation end minus the first purchase day; `monetary_value`
//! is the mean spend of the repeat purchase days (the first excluded), 0 when x = 0.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// One purchase line: a customer, a day number (days since any fixed origin) and its spend.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Purchase {
    /// Customer key.
    pub customer: i64,
    /// Day number.
    pub day: i64,
    /// Spend of the line.
    pub amount: f64,
}

/// Time unit of recency and T.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeUnit {
    /// Days.
    #[default]
    Days,
    /// Weeks, as days / 7 (fractional, not rounded).
    Weeks,
}

impl TimeUnit {
    /// Days per unit.
    pub fn days(self) -> f64 {
        match self {
            Self::Days => 1.0,
            Self::Weeks => 7.0,
        }
    }
}

/// One customer's summary.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CustomerSummary {
    /// Customer key.
    pub customer: i64,
    /// Repeat purchase days in the calibration period (x).
    pub frequency: f64,
    /// Last minus first purchase day, in the unit (t_x).
    pub recency: f64,
    /// Calibration end minus first purchase day, in the unit.
    pub t: f64,
    /// Mean spend of the repeat purchase days; 0 without repeats.
    pub monetary_value: f64,
    /// Purchase days after the calibration end (0 without a holdout).
    pub holdout_purchases: f64,
    /// Spend after the calibration end.
    pub holdout_spend: f64,
}

impl CustomerSummary {
    /// A purchase history alone (no spend, no holdout): what the purchase models read.
    pub fn history(customer: i64, frequency: f64, recency: f64, t: f64) -> Self {
        Self {
            customer,
            frequency,
            recency,
            t,
            monetary_value: 0.0,
            holdout_purchases: 0.0,
            holdout_spend: 0.0,
        }
    }
}

/// Summaries of every customer with a purchase up to `calibration_end` (inclusive), in
/// customer order. Purchases after it count as holdout. Every day with a line is a purchase,
/// whatever its spend (CDNOW has a few $0 purchases; they count, as in the published results).
pub fn summarize(
    purchases: &[Purchase],
    calibration_end: i64,
    unit: TimeUnit,
) -> Result<Vec<CustomerSummary>> {
    // customer -> day -> spend
    let mut days: BTreeMap<i64, BTreeMap<i64, f64>> = BTreeMap::new();
    for p in purchases {
        if !p.amount.is_finite() {
            return Err(Error::Data(format!(
                "customer {}: spend `{}` on day {} is not a finite number",
                p.customer, p.amount, p.day
            )));
        }
        *days
            .entry(p.customer)
            .or_default()
            .entry(p.day)
            .or_default() += p.amount;
    }
    let scale = unit.days();
    let mut out = Vec::with_capacity(days.len());
    for (customer, spend_by_day) in days {
        let calibration: Vec<(i64, f64)> = spend_by_day
            .iter()
            .filter(|(day, _)| **day <= calibration_end)
            .map(|(d, s)| (*d, *s))
            .collect();
        let Some(&(first, _)) = calibration.first() else {
            continue;
        };
        let last = calibration.last().map_or(first, |(d, _)| *d);
        let repeats = &calibration[1..];
        let holdout: Vec<f64> = spend_by_day
            .iter()
            .filter(|(day, _)| **day > calibration_end)
            .map(|(_, s)| *s)
            .collect();
        out.push(CustomerSummary {
            customer,
            frequency: repeats.len() as f64,
            recency: (last - first) as f64 / scale,
            t: (calibration_end - first) as f64 / scale,
            monetary_value: if repeats.is_empty() {
                0.0
            } else {
                repeats.iter().map(|(_, s)| s).sum::<f64>() / repeats.len() as f64
            },
            holdout_purchases: holdout.len() as f64,
            holdout_spend: holdout.iter().sum(),
        });
    }
    Ok(out)
}

/// Checks a summary before fitting: finite, non-negative, recency within T, at least one
/// repeat customer (otherwise the model is not identified).
pub fn check(summaries: &[CustomerSummary]) -> Result<()> {
    if summaries.is_empty() {
        return Err(Error::Data("the summary has no customers".into()));
    }
    for s in summaries {
        let values = [s.frequency, s.recency, s.t, s.monetary_value];
        if values.iter().any(|v| !v.is_finite() || *v < 0.0) {
            return Err(Error::Data(format!(
                "customer {}: frequency, recency, T and monetary value must be finite and non-negative, got {}, {}, {}, {}",
                s.customer, s.frequency, s.recency, s.t, s.monetary_value
            )));
        }
        if s.recency > s.t + 1e-9 {
            return Err(Error::Data(format!(
                "customer {}: recency {} is beyond T {}",
                s.customer, s.recency, s.t
            )));
        }
    }
    if !summaries.iter().any(|s| s.frequency > 0.0) {
        return Err(Error::Data(
            "no customer has a repeat purchase, so the purchase model is not identified".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_merged_and_the_first_is_not_a_repeat() {
        let p = |customer, day, amount| Purchase {
            customer,
            day,
            amount,
        };
        let purchases = [
            p(1, 0, 10.0),
            p(1, 0, 5.0),
            p(1, 7, 20.0),
            p(1, 14, 40.0),
            p(1, 30, 8.0),
            p(2, 20, 3.0),
        ];
        let summary = summarize(&purchases, 21, TimeUnit::Weeks).unwrap();
        assert_eq!(summary.len(), 2);
        let first = &summary[0];
        assert_eq!(first.frequency, 2.0);
        assert_eq!(first.recency, 2.0);
        assert_eq!(first.t, 3.0);
        assert_eq!(first.monetary_value, 30.0);
        assert_eq!(first.holdout_purchases, 1.0);
        assert_eq!(first.holdout_spend, 8.0);
        assert_eq!(summary[1].frequency, 0.0);
        assert_eq!(summary[1].monetary_value, 0.0);
    }

    #[test]
    fn bad_summaries_are_refused() {
        let base = CustomerSummary {
            customer: 7,
            frequency: 1.0,
            recency: 5.0,
            t: 4.0,
            monetary_value: 1.0,
            holdout_purchases: 0.0,
            holdout_spend: 0.0,
        };
        assert!(
            check(std::slice::from_ref(&base))
                .unwrap_err()
                .to_string()
                .contains("beyond T")
        );
        let negative = CustomerSummary {
            recency: -1.0,
            ..base
        };
        assert!(check(&[negative]).is_err());
        let one_off = CustomerSummary {
            frequency: 0.0,
            recency: 0.0,
            ..base
        };
        assert!(
            check(&[one_off])
                .unwrap_err()
                .to_string()
                .contains("not identified")
        );
    }
}
