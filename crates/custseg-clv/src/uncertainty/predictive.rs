//! The predictive interval of the total purchases in a coming period: the uncertainty of the
//! parameters and the randomness of every customer's own future together, as a planner needs
//! it ("next quarter, 3,100 to 3,500 purchases"). The customer intervals of this module's
//! parent cover the parameters only.
//!
//! Under each parameter draw every customer's coming purchases are simulated from the BG/NBD
//! posterior given their history: alive with probability P(alive); if alive, a purchase rate
//! λ ~ Gamma(r + x, α + T) and a dropout probability p ~ Beta(a, b + x) (independent given
//! alive), purchases as a Poisson process of rate λ, dropping out after each with probability
//! p. Each draw gives one simulated total; the interval is the totals' quantiles.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Beta, Distribution, Exp, Gamma};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::{Interval, interval_of_finite};
use crate::bgnbd::BgNbd;
use crate::error::{Error, Result};
use crate::purchase_model::PurchaseModel;
use crate::summary::CustomerSummary;

/// The predictive distribution of a period's total purchases.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PredictiveTotal {
    /// The period's length, in the summaries' unit.
    pub horizon: f64,
    /// The mean of the simulated totals.
    pub mean: f64,
    /// Their quantile interval at the draw set's level.
    pub interval: Interval,
}

/// One customer's simulated purchases in the next `horizon` under `model`.
fn simulate_customer(
    model: &BgNbd,
    s: &CustomerSummary,
    horizon: f64,
    rng: &mut SmallRng,
) -> Result<f64> {
    if !rng.random_bool(model.p_alive(s).clamp(0.0, 1.0)) {
        return Ok(0.0);
    }
    let x = s.frequency;
    let rate = Gamma::new(model.r + x, 1.0 / (model.alpha + s.t))
        .map_err(|e| Error::Data(format!("purchase-rate posterior: {e}")))?;
    let dropout = Beta::new(model.a, model.b + x)
        .map_err(|e| Error::Data(format!("dropout posterior: {e}")))?;
    let lambda: f64 = rate.sample(rng);
    let p: f64 = dropout.sample(rng);
    if lambda.is_nan() || lambda <= 0.0 {
        return Ok(0.0);
    }
    let wait = Exp::new(lambda).map_err(|e| Error::Data(format!("waiting time: {e}")))?;
    let (mut now, mut count) = (0.0, 0.0);
    loop {
        now += wait.sample(rng);
        if now > horizon {
            return Ok(count);
        }
        count += 1.0;
        if rng.random_bool(p.clamp(0.0, 1.0)) {
            return Ok(count);
        }
    }
}

/// The predictive interval at `level` of the summaries' total purchases in the next
/// `horizon`, one simulated total per purchase-model draw in `draws` (draw `d` simulated from
/// seed `seed + d`, so the result does not depend on the thread count). `None` unless every
/// draw is BG/NBD.
pub fn total_purchases(
    draws: &[PurchaseModel],
    level: f64,
    summaries: &[CustomerSummary],
    horizon: f64,
    seed: u64,
) -> Option<Result<PredictiveTotal>> {
    let models: Vec<BgNbd> = draws
        .iter()
        .map(|m| match m {
            PurchaseModel::BgNbd(params) => Some(*params),
            _ => None,
        })
        .collect::<Option<_>>()?;
    let totals: Result<Vec<f64>> = models
        .par_iter()
        .enumerate()
        .map(|(d, model)| {
            let mut rng = SmallRng::seed_from_u64(seed.wrapping_add(d as u64));
            summaries
                .iter()
                .map(|s| simulate_customer(model, s, horizon, &mut rng))
                .sum()
        })
        .collect();
    Some(totals.map(|mut totals| {
        let mean = totals.iter().sum::<f64>() / totals.len().max(1) as f64;
        PredictiveTotal {
            horizon,
            mean,
            interval: interval_of_finite(&mut totals, level),
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_simulated_mean_matches_the_conditional_expectation() {
        // Under one draw repeated, the mean simulated purchases of a history approach
        // E[X(T, T + t) | history].
        let model = BgNbd {
            r: 0.243,
            alpha: 4.414,
            a: 0.793,
            b: 2.426,
        };
        let s = CustomerSummary::history(1, 3.0, 30.0, 38.0);
        let mut rng = SmallRng::seed_from_u64(5);
        let n = 200_000;
        let simulated: f64 = (0..n)
            .map(|_| simulate_customer(&model, &s, 39.0, &mut rng).unwrap())
            .sum::<f64>()
            / n as f64;
        let expected = model.expected_purchases(&s, 39.0).unwrap();
        assert!(
            (simulated - expected).abs() < 0.01 * expected,
            "{simulated} vs {expected}"
        );
    }
}
