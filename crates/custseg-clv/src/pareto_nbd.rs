//! The Pareto/NBD purchase model (Schmittlein, Morrison & Colombo 1987, Management Science
//! 33(1)): while alive a customer buys as a Poisson process (rates Gamma(r, alpha) across
//! customers) and their lifetime is exponential (rates Gamma(s, beta) across customers). The
//! likelihood and conditional expectations follow Fader & Hardie's 2005 note "A Note on
//! Deriving the Pareto/NBD Model and Related Expressions".
//!
//! The note writes the likelihood's second term, s / (r + s + x) A0, as a difference of two
//! Gauss hypergeometric functions. Its series converges slowly exactly where real data push
//! the fit (little dropout: beta large, the argument near 1), so the term is computed from
//! the integral it comes from, s ∫ (alpha + τ)^-(r+x) (beta + τ)^-(s+1) dτ over (t_x, T], by
//! double-exponential quadrature (the `quadrature` crate), in logs and after a change of
//! variable that takes out the steep decay of customers with many purchases. The unit tests
//! check it against the hypergeometric form. The gradient is by central differences in
//! log-parameters: the analytic one would need derivatives of 2F1 in its parameters.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::bgnbd::FitOptions;
use crate::error::{Error, Result};
use crate::fit::PurchaseFit;
use crate::numerical_fit::NumericalFit;
use crate::summary::{CustomerSummary, check};

/// Pareto/NBD parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ParetoNbd {
    /// Shape of the purchase-rate Gamma.
    pub r: f64,
    /// Scale of the purchase-rate Gamma (in the summary's time unit).
    pub alpha: f64,
    /// Shape of the dropout-rate Gamma.
    pub s: f64,
    /// Scale of the dropout-rate Gamma.
    pub beta: f64,
}

/// A Pareto/NBD fit and its diagnostics.
pub type ParetoNbdFit = PurchaseFit<ParetoNbd>;

/// log(e^a + e^b), exact for infinite arguments.
fn log_sum_exp(a: f64, b: f64) -> f64 {
    let top = a.max(b);
    if top == f64::NEG_INFINITY {
        return top;
    }
    top + ((a - top).exp() + (b - top).exp()).ln()
}

impl ParetoNbd {
    /// ln of the likelihood's term for a customer who died between t_x and T, without the
    /// Gamma-function head: ln(s ∫_{t_x}^{T} (alpha + τ)^-(r+x) (beta + τ)^-(s+1) dτ), which is
    /// ln(s / (r + s + x) A0) in the note's terms. `-inf` when t_x = T.
    fn ln_died(&self, x: f64, t_x: f64, t: f64) -> Result<f64> {
        let ParetoNbd { r, alpha, s, beta } = *self;
        if t <= t_x {
            return Ok(f64::NEG_INFINITY);
        }
        // τ = (alpha + t_x) e^u - alpha: the factor (alpha + τ)^-(r+x) becomes e^-(r+x)u and
        // dτ = (alpha + t_x) e^u du, so the integrand is e^-(r+x-1)u times a factor in (0, 1].
        let (a0, b0) = (alpha + t_x, beta + t_x);
        let decay = r + x - 1.0;
        // Past u = 40 / decay the integrand is below e^-40 of its start: a customer with many
        // purchases contributes nothing there that a double could hold.
        let full = ((alpha + t) / a0).ln();
        let end = if decay > 0.0 {
            full.min(40.0 / decay)
        } else {
            full
        };
        let integrand = |u: f64| {
            let tau_beta = beta + a0 * u.exp() - alpha;
            (-decay * u - (s + 1.0) * (tau_beta / b0).ln()).exp()
        };
        // The integral is at most `end` (decay >= -1 bounds the integrand by e^end only when
        // r + x < 1, where `end` is small) and at least its first stretch; ask for an error far
        // below the smaller of the two scales.
        let scale = end.min(1.0 / decay.max(1e-3)).max(1e-300);
        let integral = quadrature::integrate(integrand, 0.0, end, 1e-11 * scale).integral;
        if !(integral > 0.0 && integral.is_finite()) {
            return Err(Error::Data(format!(
                "Pareto/NBD: the dropout integral for x = {x}, t_x = {t_x}, T = {t} is {integral}"
            )));
        }
        Ok(s.ln() - (r + x) * a0.ln() - (s + 1.0) * b0.ln() + a0.ln() + integral.ln())
    }

    /// One customer's log-likelihood.
    fn customer_log_likelihood(&self, s: &CustomerSummary, ln_shift: f64) -> Result<f64> {
        let ParetoNbd {
            r,
            alpha,
            s: shape,
            beta,
        } = *self;
        let (x, t_x, t) = (s.frequency, s.recency, s.t);
        let head = ln_shift + r * alpha.ln() + shape * beta.ln();
        let alive = -(r + x) * (alpha + t).ln() - shape * (beta + t).ln();
        let died = self.ln_died(x, t_x, t)?;
        Ok(head + log_sum_exp(alive, died))
    }

    /// Expected purchases of a new customer in their first `horizon` after the first purchase:
    /// r β / (α (s - 1)) [1 - (β / (β + t))^(s - 1)], and its limit r β / α ln(1 + t / β) at
    /// s = 1 (Fader & Hardie's 2005 note, equation 17).
    pub fn new_customer_purchases(&self, horizon: f64) -> f64 {
        if horizon <= 0.0 {
            return 0.0;
        }
        let ParetoNbd { r, alpha, s, beta } = *self;
        let log_ratio = (beta / (beta + horizon)).ln();
        let m = s - 1.0;
        // (1 - e^(m L)) / m, with its limit -L as m -> 0.
        let factor = if (m * log_ratio).abs() < 1e-8 {
            -log_ratio
        } else {
            -(m * log_ratio).exp_m1() / m
        };
        r * beta / alpha * factor
    }

    /// Total log-likelihood of the summaries.
    pub fn log_likelihood(&self, summaries: &[CustomerSummary]) -> Result<f64> {
        self.weighted_log_likelihood(&distinct_histories(summaries))
    }

    /// Total log-likelihood of distinct histories, each counted `weight` times.
    fn weighted_log_likelihood(&self, histories: &[(CustomerSummary, f64)]) -> Result<f64> {
        let summaries: Vec<&CustomerSummary> = histories.iter().map(|(s, _)| s).collect();
        // lnΓ(r + x) − lnΓ(r) for integer x as a running sum of ln(r + k) (Γ(z + 1) = z Γ(z)).
        let integral = summaries
            .iter()
            .all(|s| s.frequency.fract() == 0.0 && s.frequency <= 1e6);
        let max = summaries
            .iter()
            .map(|s| s.frequency as usize)
            .max()
            .unwrap_or(0);
        let table: Vec<f64> = if integral {
            let mut table = Vec::with_capacity(max + 1);
            let mut running = 0.0;
            table.push(running);
            for k in 0..max {
                running += (self.r + k as f64).ln();
                table.push(running);
            }
            table
        } else {
            Vec::new()
        };
        let shift = |x: f64| {
            if integral {
                table[x as usize]
            } else {
                crate::special::ln_gamma(self.r + x) - crate::special::ln_gamma(self.r)
            }
        };
        // Fixed-size chunks summed in order: the same total whatever the thread count.
        let partials: Vec<Result<f64>> = histories
            .par_chunks(256)
            .map(|chunk| {
                chunk
                    .iter()
                    .map(|(s, weight)| {
                        Ok(weight * self.customer_log_likelihood(s, shift(s.frequency))?)
                    })
                    .sum()
            })
            .collect();
        partials.into_iter().sum()
    }

    /// Probability that a customer with this history is still alive at T (the note's
    /// equation 18).
    pub fn p_alive(&self, s: &CustomerSummary) -> Result<f64> {
        let ParetoNbd {
            r,
            alpha,
            s: shape,
            beta,
        } = *self;
        let x = s.frequency;
        let ln_ratio = (r + x) * (alpha + s.t).ln()
            + shape * (beta + s.t).ln()
            + self.ln_died(x, s.recency, s.t)?;
        Ok(1.0 / (1.0 + ln_ratio.exp()))
    }

    /// Expected purchases in (T, T + horizon] for a customer with this history (the note's
    /// equation 22): (r + x)(beta + T) / ((alpha + T)(s - 1)) [1 - ((beta + T) / (beta + T +
    /// t))^(s - 1)] P(alive), with its limit (r + x)(beta + T) / (alpha + T) ln((beta + T + t) /
    /// (beta + T)) P(alive) at s = 1.
    pub fn expected_purchases(&self, s: &CustomerSummary, horizon: f64) -> Result<f64> {
        if horizon <= 0.0 {
            return Ok(0.0);
        }
        let ParetoNbd {
            r,
            alpha,
            s: shape,
            beta,
        } = *self;
        let x = s.frequency;
        let ln_q = (beta + s.t).ln() - (beta + s.t + horizon).ln();
        let bracket = if (shape - 1.0).abs() < 1e-10 {
            -ln_q
        } else {
            -((shape - 1.0) * ln_q).exp_m1() / (shape - 1.0)
        };
        Ok((r + x) * (beta + s.t) / (alpha + s.t) * bracket * self.p_alive(s)?)
    }
}

/// The distinct (x, t_x, T) histories and how many customers have each, in first-seen order:
/// on day-level data many customers share one (most of those without a repeat purchase do),
/// and each history costs a numerical integral per likelihood evaluation.
fn distinct_histories(summaries: &[CustomerSummary]) -> Vec<(CustomerSummary, f64)> {
    let mut index: std::collections::HashMap<(u64, u64, u64), usize> =
        std::collections::HashMap::new();
    let mut out: Vec<(CustomerSummary, f64)> = Vec::new();
    for s in summaries {
        let key = (s.frequency.to_bits(), s.recency.to_bits(), s.t.to_bits());
        match index.get(&key) {
            Some(&i) => out[i].1 += 1.0,
            None => {
                index.insert(key, out.len());
                out.push((*s, 1.0));
            }
        }
    }
    out
}

/// Fits Pareto/NBD by maximum likelihood: L-BFGS on log-parameters from several starts, the
/// best kept; standard errors from the observed information.
pub fn fit(summaries: &[CustomerSummary], options: &FitOptions) -> Result<ParetoNbdFit> {
    check(summaries)?;
    options.check()?;
    let n = summaries.len() as f64;
    let penalizer = options.penalizer;
    let histories = distinct_histories(summaries);
    let params_of = |theta: &[f64]| ParetoNbd {
        r: theta[0],
        alpha: theta[1],
        s: theta[2],
        beta: theta[3],
    };
    let mean_t = (summaries.iter().map(|s| s.t).sum::<f64>() / n).max(1e-3);
    let log_likelihood = |theta: &[f64]| params_of(theta).weighted_log_likelihood(&histories).ok();
    NumericalFit {
        model: "Pareto/NBD",
        names: ["r", "alpha", "s", "beta"],
        customers: summaries.len(),
        penalizer,
        max_iterations: options.max_iterations,
    }
    .run(
        &log_likelihood,
        &[
            [1.0, 1.0, 1.0, 1.0],
            [0.5, mean_t, 0.5, mean_t],
            [0.5, 10.0, 0.5, 10.0],
            [2.0, 0.5 * mean_t, 1.0, 2.0 * mean_t],
        ],
        params_of,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_customers_expectation_is_the_mean_over_the_mixing_distributions() {
        // E[λ / μ (1 - e^(-μ t))] = r / α E[(1 - e^(-μ t)) / μ] with μ ~ Gamma(s, β), by a
        // midpoint rule over v = μ^s (which takes the density's singularity at 0 away:
        // μ^(s-1) dμ = dv / s); and the s = 1 limit.
        let model = ParetoNbd {
            r: 0.553,
            alpha: 10.58,
            s: 0.606,
            beta: 11.67,
        };
        let t = 39.0;
        let (steps, top) = (2_000_000, 40f64.powf(model.s));
        let norm = (model.s * model.beta.ln() - crate::special::ln_gamma(model.s)).exp() / model.s;
        let mut sum = 0.0;
        for i in 0..steps {
            let mu = ((i as f64 + 0.5) * top / steps as f64).powf(1.0 / model.s);
            sum += (-model.beta * mu).exp() * (1.0 - (-mu * t).exp()) / mu;
        }
        let by_integral = model.r / model.alpha * norm * sum * top / steps as f64;
        let value = model.new_customer_purchases(t);
        assert!(
            (value - by_integral).abs() < 1e-4 * value,
            "{value} vs {by_integral}"
        );
        let at_one = ParetoNbd { s: 1.0, ..model };
        let expected = model.r * model.beta / model.alpha * (1.0 + t / model.beta).ln();
        assert!((at_one.new_customer_purchases(t) - expected).abs() < 1e-12);
    }

    // The fit to the CDNOW calibration sample (tests/cdnow.rs).
    const CDNOW: ParetoNbd = ParetoNbd {
        r: 0.5533,
        alpha: 10.578,
        s: 0.6062,
        beta: 11.669,
    };

    fn summary(x: f64, t_x: f64, t: f64) -> CustomerSummary {
        CustomerSummary {
            customer: 0,
            frequency: x,
            recency: t_x,
            t,
            monetary_value: 0.0,
            holdout_purchases: 0.0,
            holdout_spend: 0.0,
        }
    }

    use crate::special::hyp2f1;

    /// The likelihood of the note's equation 19 with 2F1 summed directly, for a check.
    fn direct_likelihood(p: &ParetoNbd, x: f64, t_x: f64, t: f64) -> f64 {
        let ParetoNbd { r, alpha, s, beta } = *p;
        let k = r + s + x;
        let (big, small, b) = if alpha >= beta {
            (alpha, beta, s + 1.0)
        } else {
            (beta, alpha, r + x)
        };
        let f = |time: f64| {
            hyp2f1(k, b, k + 1.0, (big - small) / (big + time)).unwrap() / (big + time).powf(k)
        };
        let a0 = f(t_x) - f(t);
        let gamma_ratio = (crate::special::ln_gamma(r + x) - crate::special::ln_gamma(r)).exp();
        gamma_ratio
            * alpha.powf(r)
            * beta.powf(s)
            * (1.0 / ((alpha + t).powf(r + x) * (beta + t).powf(s)) + s / (r + s + x) * a0)
    }

    #[test]
    fn log_likelihood_matches_the_direct_formula_on_both_branches() {
        let beta_larger = CDNOW;
        let alpha_larger = ParetoNbd {
            r: 0.8,
            alpha: 20.0,
            s: 1.3,
            beta: 5.0,
        };
        for p in [beta_larger, alpha_larger] {
            for (x, t_x, t) in [
                (0.0, 0.0, 38.0),
                (2.0, 30.43, 38.86),
                (7.0, 20.0, 30.0),
                (1.0, 5.0, 5.0),
            ] {
                let ours = p
                    .customer_log_likelihood(
                        &summary(x, t_x, t),
                        crate::special::ln_gamma(p.r + x) - crate::special::ln_gamma(p.r),
                    )
                    .unwrap();
                let direct = direct_likelihood(&p, x, t_x, t).ln();
                assert!(
                    (ours - direct).abs() < 1e-10,
                    "{p:?} x {x}: {ours} vs {direct}"
                );
            }
        }
    }

    #[test]
    fn log_likelihood_stays_finite_for_hundreds_of_purchases_and_little_dropout() {
        let ll = CDNOW
            .customer_log_likelihood(&summary(500.0, 360.0, 365.0), 0.0)
            .unwrap();
        assert!(ll.is_finite());
        // beta this large puts the hypergeometric argument at 1 - 1e-6, where its series
        // would need millions of terms; the integral does not care.
        let no_dropout = ParetoNbd {
            r: 0.8,
            alpha: 69.0,
            s: 0.05,
            beta: 1e8,
        };
        for (x, t_x, t) in [
            (0.0, 0.0, 300.0),
            (3.0, 100.0, 373.0),
            (200.0, 370.0, 373.0),
        ] {
            let ll = no_dropout
                .customer_log_likelihood(&summary(x, t_x, t), 0.0)
                .unwrap();
            assert!(ll.is_finite(), "x {x}: {ll}");
        }
    }

    #[test]
    fn p_alive_and_expectations_behave() {
        // Without a repeat purchase at T = 0 nothing can have happened: P(alive) = 1.
        assert!((CDNOW.p_alive(&summary(0.0, 0.0, 0.0)).unwrap() - 1.0).abs() < 1e-12);
        // The longer since the last purchase, the less likely alive.
        let recent = CDNOW.p_alive(&summary(4.0, 35.0, 38.0)).unwrap();
        let lapsed = CDNOW.p_alive(&summary(4.0, 5.0, 38.0)).unwrap();
        assert!(
            recent > lapsed && (0.0..=1.0).contains(&lapsed),
            "{recent} {lapsed}"
        );
        // Expected purchases grow with the horizon and are P(alive) times the alive rate.
        let s = summary(2.0, 30.43, 38.86);
        let e39 = CDNOW.expected_purchases(&s, 39.0).unwrap();
        let e78 = CDNOW.expected_purchases(&s, 78.0).unwrap();
        assert!(e78 > e39 && e39 > 0.0);
        // At s = 1 the limit form agrees with the general one just beside it.
        let one = ParetoNbd { s: 1.0, ..CDNOW };
        let near = ParetoNbd {
            s: 1.0 + 1e-7,
            ..CDNOW
        };
        let (a, b) = (
            one.expected_purchases(&s, 39.0).unwrap(),
            near.expected_purchases(&s, 39.0).unwrap(),
        );
        assert!((a - b).abs() < 1e-5 * a, "{a} {b}");
    }
}
