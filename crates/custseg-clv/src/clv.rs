//! Discounted customer lifetime value from a purchase model and a spend model.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::gamma_gamma::GammaGamma;
use crate::purchase_model::PurchaseModel;
use crate::summary::{CustomerSummary, TimeUnit};

/// How CLV is computed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClvOptions {
    /// Months ahead (30-day steps).
    pub horizon_months: u32,
    /// Discount rate per month.
    pub discount_rate: f64,
    /// Profit margin applied to spend.
    pub margin: f64,
}

impl Default for ClvOptions {
    fn default() -> Self {
        Self {
            horizon_months: 12,
            discount_rate: 0.01,
            margin: 1.0,
        }
    }
}

impl ClvOptions {
    /// Checks the ranges.
    pub fn check(&self) -> Result<()> {
        if self.horizon_months == 0 || self.horizon_months > 1200 {
            return Err(Error::InvalidParameter {
                name: "horizon_months",
                reason: format!("must be 1 to 1200, got {}", self.horizon_months),
            });
        }
        if !(0.0..1.0).contains(&self.discount_rate) {
            return Err(Error::InvalidParameter {
                name: "discount_rate",
                reason: format!("must be in [0, 1) per month, got {}", self.discount_rate),
            });
        }
        if !(self.margin > 0.0 && self.margin <= 1.0) {
            return Err(Error::InvalidParameter {
                name: "margin",
                reason: format!("must be in (0, 1], got {}", self.margin),
            });
        }
        Ok(())
    }
}

/// One customer's prediction.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClvPrediction {
    /// P(alive) at T.
    pub p_alive: f64,
    /// Expected purchases over the horizon.
    pub expected_purchases: f64,
    /// Expected spend per purchase.
    pub expected_value: f64,
    /// Discounted value over the horizon.
    pub clv: f64,
}

/// What a customer with no history yet is worth: from their first purchase on, the
/// purchase model's expectation for a new customer and the population's mean spend per
/// purchase.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NewCustomerPrediction {
    /// Expected repeat purchases over the horizon.
    pub expected_purchases: f64,
    /// Expected spend per purchase: the spend model's population mean p γ / (q - 1).
    pub expected_value: f64,
    /// Discounted value of those purchases over the horizon.
    pub clv: f64,
}

/// Predicts for a new customer, month by month as [`predict`] does.
pub fn predict_new_customer(
    purchases: &PurchaseModel,
    spend: &GammaGamma,
    unit: TimeUnit,
    options: &ClvOptions,
) -> Result<NewCustomerPrediction> {
    let month = 30.0 / unit.days();
    let expected_value = spend.expected_spend(&CustomerSummary::history(0, 0.0, 0.0, 0.0));
    let mut clv = 0.0;
    let mut previous = 0.0;
    for m in 1..=options.horizon_months {
        let cumulative = purchases.new_customer_purchases(month * f64::from(m))?;
        clv += (cumulative - previous) * expected_value * options.margin
            / (1.0 + options.discount_rate).powi(m as i32);
        previous = cumulative;
    }
    Ok(NewCustomerPrediction {
        expected_purchases: previous,
        expected_value,
        clv,
    })
}

/// Predicts for one customer: each month's expected purchases (the difference of cumulative
/// expectations) times expected spend times margin, discounted by (1 + rate)^month.
pub fn predict(
    purchases: &PurchaseModel,
    spend: &GammaGamma,
    s: &CustomerSummary,
    unit: TimeUnit,
    options: &ClvOptions,
) -> Result<ClvPrediction> {
    let month = 30.0 / unit.days();
    let expected_value = spend.expected_spend(s);
    let mut clv = 0.0;
    let mut previous = 0.0;
    for m in 1..=options.horizon_months {
        let cumulative = purchases.expected_purchases(s, month * f64::from(m))?;
        clv += (cumulative - previous) * expected_value * options.margin
            / (1.0 + options.discount_rate).powi(m as i32);
        previous = cumulative;
    }
    Ok(ClvPrediction {
        p_alive: purchases.p_alive(s)?,
        expected_purchases: previous,
        expected_value,
        clv,
    })
}
