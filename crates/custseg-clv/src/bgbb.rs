//! The BG/BB model (Fader, Hardie & Shang 2010, Marketing Science 29(6)) for discrete-time
//! settings, where a customer can buy at most once per period (a yearly donation, an annual
//! event): while alive a customer buys in each period with probability p ~ Beta(α, β), and
//! before each period stays alive with probability 1 - θ, θ ~ Beta(γ, δ).
//!
//! A history is (x, t_x, n): x purchases in the n periods after the first, the last in period
//! t_x. Its likelihood is
//! B(α + x, β + n − x) / B(α, β) · B(γ, δ + n) / B(γ, δ)
//! + Σ_{i=0}^{n − t_x − 1} B(α + x, β + t_x − x + i) / B(α, β) · B(γ + 1, δ + t_x + i) / B(γ, δ).

use serde::{Deserialize, Serialize};

use crate::bgnbd::FitOptions;
use crate::error::{Error, Result};
use crate::fit::PurchaseFit;
use crate::numerical_fit::NumericalFit;
use crate::special::ln_gamma;

/// BG/BB parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BgBb {
    /// First shape of the purchase-probability Beta.
    pub alpha: f64,
    /// Second shape of the purchase-probability Beta.
    pub beta: f64,
    /// First shape of the dropout-probability Beta.
    pub gamma: f64,
    /// Second shape of the dropout-probability Beta.
    pub delta: f64,
}

/// A BG/BB fit and its diagnostics.
pub type BgBbFit = PurchaseFit<BgBb>;

/// One customer's history in whole periods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DiscreteHistory {
    /// x: periods with a purchase after the first.
    pub frequency: u32,
    /// t_x: the last period with a purchase (0 without one).
    pub recency: u32,
    /// n: periods observed after the first.
    pub periods: u32,
}

impl DiscreteHistory {
    /// Checks 0 <= x <= t_x <= n, and x = 0 exactly when t_x = 0.
    pub fn check(&self) -> Result<()> {
        let DiscreteHistory {
            frequency: x,
            recency: t_x,
            periods: n,
        } = *self;
        if x > t_x || t_x > n || (x == 0) != (t_x == 0) {
            return Err(Error::Data(format!(
                "a BG/BB history needs 0 <= frequency <= recency <= periods, and frequency 0 exactly when recency is 0; got ({x}, {t_x}, {n})"
            )));
        }
        Ok(())
    }
}

/// ln B(a, b).
fn ln_beta(a: f64, b: f64) -> f64 {
    ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b)
}

/// log(Σ e^v) of `values`.
fn log_sum_exp(values: &[f64]) -> f64 {
    let top = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if top == f64::NEG_INFINITY {
        return top;
    }
    top + values.iter().map(|v| (v - top).exp()).sum::<f64>().ln()
}

impl BgBb {
    fn from_slice(theta: &[f64]) -> Self {
        Self {
            alpha: theta[0],
            beta: theta[1],
            gamma: theta[2],
            delta: theta[3],
        }
    }

    /// The log of the term of a customer alive through period n.
    fn ln_alive_through(&self, h: &DiscreteHistory, n: f64) -> f64 {
        let BgBb {
            alpha,
            beta,
            gamma,
            delta,
        } = *self;
        let x = f64::from(h.frequency);
        ln_beta(alpha + x, beta + f64::from(h.periods) - x) - ln_beta(alpha, beta)
            + ln_beta(gamma, delta + n)
            - ln_beta(gamma, delta)
    }

    /// One history's log-likelihood.
    pub fn ln_likelihood(&self, h: &DiscreteHistory) -> f64 {
        let BgBb {
            alpha,
            beta,
            gamma,
            delta,
        } = *self;
        let (x, t_x) = (f64::from(h.frequency), f64::from(h.recency));
        let mut terms = vec![self.ln_alive_through(h, f64::from(h.periods))];
        for i in 0..h.periods - h.recency {
            let i = f64::from(i);
            terms.push(
                ln_beta(alpha + x, beta + t_x - x + i) - ln_beta(alpha, beta)
                    + ln_beta(gamma + 1.0, delta + t_x + i)
                    - ln_beta(gamma, delta),
            );
        }
        log_sum_exp(&terms)
    }

    /// Total log-likelihood of histories, each counted `weight` times.
    pub fn log_likelihood(&self, histories: &[(DiscreteHistory, f64)]) -> f64 {
        histories
            .iter()
            .map(|(h, weight)| weight * self.ln_likelihood(h))
            .sum()
    }

    /// Probability that a customer with this history is alive in period n + 1.
    pub fn p_alive(&self, h: &DiscreteHistory) -> f64 {
        let alive = self.ln_alive_through(h, f64::from(h.periods) + 1.0);
        (alive - self.ln_likelihood(h)).exp()
    }

    /// Expected purchases in the next `periods` periods (n + 1 .. n + periods) for a customer
    /// with this history (the paper's equation 13).
    pub fn expected_purchases(&self, h: &DiscreteHistory, periods: u32) -> f64 {
        let BgBb {
            alpha,
            beta,
            gamma,
            delta,
        } = *self;
        if periods == 0 {
            return 0.0;
        }
        let (x, n, ahead) = (
            f64::from(h.frequency),
            f64::from(h.periods),
            f64::from(periods),
        );
        let ln_head = ln_beta(alpha + x + 1.0, beta + n - x) - ln_beta(alpha, beta)
            + ln_gamma(gamma + delta)
            - ln_gamma(1.0 + delta)
            - self.ln_likelihood(h);
        let bracket = (ln_gamma(1.0 + delta + n) - ln_gamma(gamma + delta + n)).exp()
            - (ln_gamma(1.0 + delta + n + ahead) - ln_gamma(gamma + delta + n + ahead)).exp();
        ln_head.exp() * delta / (gamma - 1.0) * bracket
    }

    /// Expected purchases of a new customer in the `periods` periods after the first
    /// (the paper's equation 7): α / (α + β) · δ / (γ − 1) ·
    /// [1 − Γ(γ + δ) / Γ(γ + δ + n) · Γ(1 + δ + n) / Γ(1 + δ)].
    pub fn new_customer_purchases(&self, periods: u32) -> f64 {
        let BgBb {
            alpha,
            beta,
            gamma,
            delta,
        } = *self;
        let n = f64::from(periods);
        let ratio = (ln_gamma(gamma + delta) - ln_gamma(gamma + delta + n)
            + ln_gamma(1.0 + delta + n)
            - ln_gamma(1.0 + delta))
        .exp();
        alpha / (alpha + beta) * delta / (gamma - 1.0) * (1.0 - ratio)
    }
}

/// The distinct histories of `histories`, each with how many customers have it.
pub fn distinct(histories: &[DiscreteHistory]) -> Vec<(DiscreteHistory, f64)> {
    let mut counts: std::collections::BTreeMap<(u32, u32, u32), f64> = Default::default();
    for h in histories {
        *counts
            .entry((h.frequency, h.recency, h.periods))
            .or_default() += 1.0;
    }
    counts
        .into_iter()
        .map(|((frequency, recency, periods), count)| {
            (
                DiscreteHistory {
                    frequency,
                    recency,
                    periods,
                },
                count,
            )
        })
        .collect()
}

/// Fits BG/BB by maximum likelihood over the distinct histories (gradient by differences);
/// standard errors from the observed information.
pub fn fit(histories: &[DiscreteHistory], options: &FitOptions) -> Result<BgBbFit> {
    options.check()?;
    if histories.is_empty() {
        return Err(Error::Data("no histories to fit".into()));
    }
    for h in histories {
        h.check()?;
    }
    let weighted = distinct(histories);
    let log_likelihood = |theta: &[f64]| {
        let ll = BgBb::from_slice(theta).log_likelihood(&weighted);
        ll.is_finite().then_some(ll)
    };
    NumericalFit {
        model: "BG/BB",
        names: ["alpha", "beta", "gamma", "delta"],
        customers: histories.len(),
        penalizer: options.penalizer,
        max_iterations: options.max_iterations,
    }
    .run(
        &log_likelihood,
        &[
            [1.0, 1.0, 1.0, 1.0],
            [0.5, 0.5, 0.5, 2.0],
            [2.0, 1.0, 1.0, 3.0],
            [1.0, 2.0, 0.5, 1.0],
        ],
        BgBb::from_slice,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_likelihoods_of_every_history_of_a_short_horizon_add_up_to_one() {
        // With n = 3 every (x, t_x) pattern's probability is the likelihood times the number
        // of purchase sequences that give it: C(t_x - 1, x - 1) for x >= 1.
        let model = BgBb {
            alpha: 1.2,
            beta: 0.75,
            gamma: 0.66,
            delta: 2.8,
        };
        let choose = |n: u32, k: u32| -> f64 {
            (0..k)
                .map(|i| f64::from(n - i) / f64::from(i + 1))
                .product()
        };
        let mut total = 0.0;
        for t_x in 0..=3u32 {
            for x in 0..=t_x {
                let h = DiscreteHistory {
                    frequency: x,
                    recency: t_x,
                    periods: 3,
                };
                if h.check().is_err() {
                    continue;
                }
                let sequences = if x == 0 { 1.0 } else { choose(t_x - 1, x - 1) };
                total += sequences * model.ln_likelihood(&h).exp();
            }
        }
        assert!((total - 1.0).abs() < 1e-12, "{total}");
    }

    #[test]
    fn a_bad_history_is_refused() {
        let h = DiscreteHistory {
            frequency: 2,
            recency: 1,
            periods: 6,
        };
        assert!(h.check().is_err());
        assert!(fit(&[h], &FitOptions::default()).is_err());
    }
}
