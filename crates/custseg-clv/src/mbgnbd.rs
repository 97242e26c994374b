//! The MBG/NBD purchase model (Batislam, Denizel & Filiztekin 2007, IJRM 24(3)): BG/NBD with a
//! chance to drop out at the first purchase as well, so a customer who never came back can be
//! counted as gone, where BG/NBD keeps every one-time buyer alive.
//!
//! A customer (x, t_x, T) has the likelihood
//! B(a, b + x + 1) / B(a, b) Γ(r + x) α^r / Γ(r) (α + T)^-(r+x)
//! [1 + a / (b + x) ((α + T) / (α + t_x))^(r+x)], as `lifetimes`' `ModifiedBetaGeoFitter`.

use serde::{Deserialize, Serialize};

use crate::bgnbd::FitOptions;
use crate::error::Result;
use crate::fit::PurchaseFit;
use crate::numerical_fit::NumericalFit;
use crate::special::{ln_gamma, one_minus_power_times_hyp2f1};
use crate::summary::{CustomerSummary, check};

/// MBG/NBD parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MbgNbd {
    /// Shape of the purchase-rate Gamma.
    pub r: f64,
    /// Scale of the purchase-rate Gamma (in the summary's time unit).
    pub alpha: f64,
    /// First shape of the dropout-probability Beta.
    pub a: f64,
    /// Second shape of the dropout-probability Beta.
    pub b: f64,
}

/// An MBG/NBD fit and its diagnostics.
pub type MbgNbdFit = PurchaseFit<MbgNbd>;

impl MbgNbd {
    fn from_slice(theta: &[f64]) -> Self {
        Self {
            r: theta[0],
            alpha: theta[1],
            a: theta[2],
            b: theta[3],
        }
    }

    /// log of a / (b + x) ((α + T) / (α + t_x))^(r+x): the odds that the customer has dropped
    /// out, against being alive.
    fn log_dropout_odds(&self, s: &CustomerSummary) -> f64 {
        let MbgNbd { r, alpha, a, b } = *self;
        let x = s.frequency;
        a.ln() - (b + x).ln() + (r + x) * ((alpha + s.t).ln() - (alpha + s.recency).ln())
    }

    /// One customer's log-likelihood.
    fn customer_log_likelihood(&self, s: &CustomerSummary) -> f64 {
        let MbgNbd { r, alpha, a, b } = *self;
        let x = s.frequency;
        let head = ln_gamma(r + x) - ln_gamma(r) + r * alpha.ln();
        let beta =
            ln_gamma(a + b) + ln_gamma(b + x + 1.0) - ln_gamma(b) - ln_gamma(a + b + x + 1.0);
        let odds = self.log_dropout_odds(s);
        // ln(1 + e^odds), stable for large odds.
        let ln_one_plus = if odds > 0.0 {
            odds + (-odds).exp().ln_1p()
        } else {
            odds.exp().ln_1p()
        };
        head + beta - (r + x) * (alpha + s.t).ln() + ln_one_plus
    }

    /// Total log-likelihood of the summaries.
    pub fn log_likelihood(&self, summaries: &[CustomerSummary]) -> f64 {
        summaries
            .iter()
            .map(|s| self.customer_log_likelihood(s))
            .sum()
    }

    /// Probability that a customer with this history is still alive at T.
    pub fn p_alive(&self, s: &CustomerSummary) -> f64 {
        1.0 / (1.0 + self.log_dropout_odds(s).exp())
    }

    /// Expected purchases in (T, T + horizon] for a customer with this history:
    /// (a + b + x) / (a - 1) [1 - ((α + T) / (α + T + t))^(r+x)
    /// 2F1(r + x, b + x + 1; a + b + x; t / (α + T + t))] P(alive).
    pub fn expected_purchases(&self, s: &CustomerSummary, horizon: f64) -> Result<f64> {
        if horizon <= 0.0 {
            return Ok(0.0);
        }
        let MbgNbd { r, alpha, a, b } = *self;
        let x = s.frequency;
        let z = horizon / (alpha + s.t + horizon);
        // (1 - z)^(r+x) 2F1(r+x, b+x+1; a+b+x; z) = (1 - z)^(a-1) 2F1(a+b-r, a-1; a+b+x; z)
        // by Euler's transformation, whose series is short where z nears 1.
        let bracket = one_minus_power_times_hyp2f1(a - 1.0, a + b - r, a - 1.0, a + b + x, z)?;
        Ok((a + b + x) / (a - 1.0) * bracket * self.p_alive(s))
    }

    /// Expected purchases of a new customer in their first `horizon` after the first
    /// purchase: b / (a - 1) [1 - (α / (α + t))^r 2F1(r, b + 1; a + b; t / (α + t))] (the mean
    /// of (1 - p) / p (1 - e^(-λ p t)) over the two mixing distributions).
    pub fn new_customer_purchases(&self, horizon: f64) -> Result<f64> {
        if horizon <= 0.0 {
            return Ok(0.0);
        }
        let MbgNbd { r, alpha, a, b } = *self;
        let z = horizon / (alpha + horizon);
        // Euler: (1 - z)^r 2F1(r, b+1; a+b; z) = (1 - z)^(a-1) 2F1(a+b-r, a-1; a+b; z).
        let bracket = one_minus_power_times_hyp2f1(a - 1.0, a + b - r, a - 1.0, a + b, z)?;
        Ok(b / (a - 1.0) * bracket)
    }
}

/// Fits MBG/NBD by maximum likelihood (gradient by differences); standard errors from the
/// observed information.
pub fn fit(summaries: &[CustomerSummary], options: &FitOptions) -> Result<MbgNbdFit> {
    check(summaries)?;
    options.check()?;
    let mean_t = (summaries.iter().map(|s| s.t).sum::<f64>() / summaries.len() as f64).max(1e-3);
    let log_likelihood = |theta: &[f64]| {
        let ll = MbgNbd::from_slice(theta).log_likelihood(summaries);
        ll.is_finite().then_some(ll)
    };
    NumericalFit {
        model: "MBG/NBD",
        names: ["r", "alpha", "a", "b"],
        customers: summaries.len(),
        penalizer: options.penalizer,
        max_iterations: options.max_iterations,
    }
    .run(
        &log_likelihood,
        &[
            [1.0, 1.0, 1.0, 1.0],
            [0.5, mean_t, 1.0, 2.0],
            [0.2, 5.0, 0.8, 2.5],
            [2.0, 10.0, 0.5, 5.0],
        ],
        MbgNbd::from_slice,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::special::hyp2f1;

    const CDNOW: MbgNbd = MbgNbd {
        r: 0.525,
        alpha: 6.183,
        a: 0.891,
        b: 1.614,
    };

    #[test]
    fn expected_purchases_match_the_series_without_eulers_transformation() {
        // Where the plain series converges quickly, both forms agree.
        let s = CustomerSummary::history(1, 2.0, 30.43, 38.86);
        let horizon = 10.0;
        let MbgNbd { r, alpha, a, b } = CDNOW;
        let x = 2.0;
        let z = horizon / (alpha + s.t + horizon);
        let plain = (a + b + x) / (a - 1.0)
            * (1.0 - (1.0 - z).powf(r + x) * hyp2f1(r + x, b + x + 1.0, a + b + x, z).unwrap())
            * CDNOW.p_alive(&s);
        let value = CDNOW.expected_purchases(&s, horizon).unwrap();
        assert!(
            (value - plain).abs() < 1e-10 * plain.abs(),
            "{value} vs {plain}"
        );
        let new = CDNOW.new_customer_purchases(horizon).unwrap();
        let zn = horizon / (alpha + horizon);
        let plain_new =
            b / (a - 1.0) * (1.0 - (1.0 - zn).powf(r) * hyp2f1(r, b + 1.0, a + b, zn).unwrap());
        assert!(
            (new - plain_new).abs() < 1e-10 * plain_new.abs(),
            "{new} vs {plain_new}"
        );
    }

    #[test]
    fn a_new_customers_expectation_is_the_mean_over_the_mixing_distributions() {
        // E[(1 - p) / p (1 - e^(-λ p t))] with λ ~ Gamma(r, α), p ~ Beta(a, b), by a midpoint
        // rule over p of the closed form in λ: (1 - p) / p (1 - (α / (α + p t))^r).
        let MbgNbd { r, alpha, a, b } = CDNOW;
        let t = 39.0;
        let steps = 200_000;
        let ln_beta = ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b);
        let mut sum = 0.0;
        for i in 0..steps {
            let p = (i as f64 + 0.5) / steps as f64;
            let density = ((a - 1.0) * p.ln() + (b - 1.0) * (1.0 - p).ln() - ln_beta).exp();
            sum += density * (1.0 - p) / p * (1.0 - (alpha / (alpha + p * t)).powf(r));
        }
        let by_integral = sum / steps as f64;
        let value = CDNOW.new_customer_purchases(t).unwrap();
        assert!(
            (value - by_integral).abs() < 1e-3 * value,
            "{value} vs {by_integral}"
        );
    }

    #[test]
    fn a_one_time_buyer_may_be_gone_unlike_under_bgnbd() {
        let s = CustomerSummary::history(1, 0.0, 0.0, 30.0);
        let alive = CDNOW.p_alive(&s);
        assert!(alive < 1.0 && alive > 0.0, "{alive}");
    }
}
