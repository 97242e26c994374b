//! Net value: lifetime value after returns, by documented rules.
//!
//! 1. A return is a cancelled line of a known customer; its value is |Quantity x UnitPrice|.
//!    Returns on or before the calibration end count; a return day is not a purchase (it does
//!    not change x, t_x or T).
//! 2. A customer's **kept share** is k = 1 - returned / bought over the calibration period,
//!    clamped to [0, 1], where bought is all their purchase spend (the first purchase too).
//!    A customer who bought nothing and returned something keeps 0; one with no returns keeps 1.
//! 3. The spend model is fitted on gross spend per purchase, as Gamma-Gamma assumes positive
//!    spend; a customer's expected net spend per purchase is k times their expected gross spend,
//!    and so their net CLV is k times the gross one. Their intervals scale the same way (k is
//!    data, not an estimate). The purchase model is unchanged.
//! 4. A new customer's net value uses the population's kept share, total kept over total
//!    bought.
//!
//! So net CLV is never negative, never above the gross, and finite wherever the gross is: a
//! customer whose returns exceed their purchases is worth 0, not less.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::clv::{ClvPrediction, NewCustomerPrediction};
use crate::summary::Purchase;
use crate::uncertainty::{ClvIntervals, Interval};

/// Whether spend is taken gross or net of returns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpendBasis {
    /// Purchases only, as the published models and `lifetimes` take them.
    #[default]
    Gross,
    /// Purchases less returns, by the rules of this module.
    Net,
}

impl std::str::FromStr for SpendBasis {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "gross" => Ok(Self::Gross),
            "net" => Ok(Self::Net),
            other => Err(format!("`{other}`: expected gross or net")),
        }
    }
}

/// Bought and returned value of one customer over the calibration period.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Returns {
    /// Purchase spend.
    pub bought: f64,
    /// Returned value.
    pub returned: f64,
}

impl Returns {
    /// The kept share, rule 2.
    pub fn kept_share(&self) -> f64 {
        if self.returned <= 0.0 {
            return 1.0;
        }
        if self.bought.is_nan() || self.bought <= 0.0 {
            return 0.0;
        }
        let kept = 1.0 - self.returned / self.bought;
        if kept.is_finite() {
            kept.clamp(0.0, 1.0)
        } else {
            0.0
        }
    }
}

/// Each customer's bought and returned value up to `calibration_end` (a day number).
pub fn returns_by_customer(
    purchases: &[Purchase],
    returns: &[Purchase],
    calibration_end: i64,
) -> HashMap<i64, Returns> {
    let mut by_customer: HashMap<i64, Returns> = HashMap::new();
    for p in purchases.iter().filter(|p| p.day <= calibration_end) {
        by_customer.entry(p.customer).or_default().bought += p.amount.max(0.0);
    }
    for r in returns.iter().filter(|r| r.day <= calibration_end) {
        by_customer.entry(r.customer).or_default().returned += r.amount.abs();
    }
    by_customer
}

/// The population's kept share, rule 4: total kept over total bought (1 with nothing bought).
pub fn population_kept_share(by_customer: &HashMap<i64, Returns>) -> f64 {
    let (kept, bought) = by_customer.values().fold((0.0, 0.0), |(k, b), r| {
        (k + r.kept_share() * r.bought, b + r.bought)
    });
    if bought > 0.0 { kept / bought } else { 1.0 }
}

impl ClvPrediction {
    /// The prediction net of returns for a customer who keeps `share` of what they buy.
    pub fn kept(self, share: f64) -> Self {
        Self {
            expected_value: self.expected_value * share,
            clv: self.clv * share,
            ..self
        }
    }
}

impl NewCustomerPrediction {
    /// The new customer's value at the population's kept `share`.
    pub fn kept(self, share: f64) -> Self {
        Self {
            expected_value: self.expected_value * share,
            clv: self.clv * share,
            ..self
        }
    }
}

impl ClvIntervals {
    /// The intervals net of returns at kept `share`.
    pub fn kept(self, share: f64) -> Self {
        let scale = |i: Interval| Interval {
            low: i.low * share,
            high: i.high * share,
        };
        Self {
            expected_value: scale(self.expected_value),
            clv: scale(self.clv),
            ..self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn purchase(customer: i64, day: i64, amount: f64) -> Purchase {
        Purchase {
            customer,
            day,
            amount,
        }
    }

    #[test]
    fn kept_shares_follow_the_rules_at_their_edges() {
        let purchases = [
            purchase(1, 1, 100.0),
            purchase(1, 5, 100.0),
            purchase(2, 1, 50.0),
            purchase(3, 1, 80.0),
            purchase(4, 1, 10.0),
        ];
        let returns = [
            purchase(1, 6, 50.0),
            // More returned than bought.
            purchase(2, 2, 75.0),
            // After the calibration end: not counted.
            purchase(3, 30, 80.0),
            // A returns-only customer.
            purchase(5, 3, 20.0),
        ];
        let by = returns_by_customer(&purchases, &returns, 10);
        assert_eq!(by[&1].kept_share(), 0.75);
        assert_eq!(by[&2].kept_share(), 0.0);
        assert_eq!(by[&3].kept_share(), 1.0);
        assert_eq!(by[&4].kept_share(), 1.0);
        assert_eq!(by[&5].kept_share(), 0.0);
        // Kept 150 + 0 + 80 + 10 of 340 bought.
        assert!((population_kept_share(&by) - 240.0 / 340.0).abs() < 1e-12);
        let extreme = Returns {
            bought: 1e-300,
            returned: 1e300,
        };
        assert_eq!(extreme.kept_share(), 0.0);
    }

    #[test]
    fn net_predictions_scale_value_and_keep_purchases() {
        let gross = ClvPrediction {
            p_alive: 0.8,
            expected_purchases: 2.0,
            expected_value: 40.0,
            clv: 75.0,
        };
        let net = gross.kept(0.5);
        assert_eq!((net.p_alive, net.expected_purchases), (0.8, 2.0));
        assert_eq!((net.expected_value, net.clv), (20.0, 37.5));
    }
}
