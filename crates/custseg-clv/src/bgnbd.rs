//! The BG/NBD purchase model (Fader, Hardie & Lee 2005, "Counting your customers the easy
//! way", Marketing Science 24(2)): while alive a customer buys as a Poisson process (rates
//! Gamma(r, alpha) across customers) and after each purchase drops out with probability p
//! (Beta(a, b) across customers).

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::fit::{PurchaseFit, fit_warnings, four_parameter_covariance, minimize};
use crate::special::{digamma, ln_gamma, one_minus_power_times_hyp2f1};
use crate::summary::{CustomerSummary, check};

/// BG/NBD parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BgNbd {
    /// Shape of the purchase-rate Gamma.
    pub r: f64,
    /// Scale of the purchase-rate Gamma (in the summary's time unit).
    pub alpha: f64,
    /// Dropout Beta, first shape.
    pub a: f64,
    /// Dropout Beta, second shape.
    pub b: f64,
}

/// A BG/NBD fit and its diagnostics.
pub type BgNbdFit = PurchaseFit<BgNbd>;

/// Fitting options.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FitOptions {
    /// L2 penalty on the parameters, as `lifetimes`' `penalizer_coef` (0: plain maximum
    /// likelihood).
    pub penalizer: f64,
    /// Iterations per start at most.
    pub max_iterations: u64,
}

impl FitOptions {
    /// Checks the penalizer (finite, not negative).
    pub fn check(&self) -> Result<()> {
        if !(self.penalizer >= 0.0 && self.penalizer.is_finite()) {
            return Err(Error::InvalidParameter {
                name: "penalizer",
                reason: format!("must be >= 0, got {}", self.penalizer),
            });
        }
        Ok(())
    }
}

impl Default for FitOptions {
    fn default() -> Self {
        Self {
            penalizer: 0.0,
            max_iterations: 500,
        }
    }
}

/// lnΓ(z + x) − lnΓ(z) and ψ(z + x) − ψ(z) for z = r, b and a + b, for one frequency x.
#[derive(Debug, Clone, Copy, Default)]
struct Shifts {
    ln_r: f64,
    psi_r: f64,
    ln_b: f64,
    psi_b: f64,
    ln_ab: f64,
    psi_ab: f64,
}

impl Shifts {
    fn direct(p: &BgNbd, x: f64) -> Self {
        let (r, a, b) = (p.r, p.a, p.b);
        Self {
            ln_r: ln_gamma(r + x) - ln_gamma(r),
            psi_r: digamma(r + x) - digamma(r),
            ln_b: ln_gamma(b + x) - ln_gamma(b),
            psi_b: digamma(b + x) - digamma(b),
            ln_ab: ln_gamma(a + b + x) - ln_gamma(a + b),
            psi_ab: digamma(a + b + x) - digamma(a + b),
        }
    }
}

/// Shifts for every integer frequency 0..=max: for integer x, lnΓ(z + x) − lnΓ(z) is the sum
/// of ln(z + k) and ψ(z + x) − ψ(z) the sum of 1 / (z + k) over k < x (the recurrence
/// Γ(z + 1) = z Γ(z)), so one table per likelihood evaluation replaces six special-function
/// calls per customer.
fn shift_table(p: &BgNbd, max: usize) -> Vec<Shifts> {
    let mut table = Vec::with_capacity(max + 1);
    let mut running = Shifts::default();
    table.push(running);
    for k in 0..max {
        let k = k as f64;
        let (zr, zb, zab) = (p.r + k, p.b + k, p.a + p.b + k);
        running.ln_r += zr.ln();
        running.psi_r += 1.0 / zr;
        running.ln_b += zb.ln();
        running.psi_b += 1.0 / zb;
        running.ln_ab += zab.ln();
        running.psi_ab += 1.0 / zab;
        table.push(running);
    }
    table
}

/// One customer's log-likelihood and its gradient in (r, alpha, a, b).
fn customer_terms(p: &BgNbd, s: &CustomerSummary, shifts: Shifts) -> (f64, [f64; 4]) {
    let BgNbd { r, alpha, a, b } = *p;
    let (x, t_x, t) = (s.frequency, s.recency, s.t);
    let a1 = shifts.ln_r + r * alpha.ln();
    let a2 = shifts.ln_b - shifts.ln_ab;
    let d_a1 = [shifts.psi_r + alpha.ln(), r / alpha, 0.0, 0.0];
    let d_a2 = [0.0, 0.0, -shifts.psi_ab, shifts.psi_b - shifts.psi_ab];
    let a3 = -(r + x) * (alpha + t).ln();
    let d_a3 = [-(alpha + t).ln(), -(r + x) / (alpha + t), 0.0, 0.0];
    let (tail, d_tail) = if x > 0.0 {
        let a4 = a.ln() - (b + x - 1.0).ln() - (r + x) * (alpha + t_x).ln();
        let d_a4 = [
            -(alpha + t_x).ln(),
            -(r + x) / (alpha + t_x),
            1.0 / a,
            -1.0 / (b + x - 1.0),
        ];
        // log(exp(a3) + exp(a4)) without overflow, and the weights of the two terms.
        let top = a3.max(a4);
        let (e3, e4) = ((a3 - top).exp(), (a4 - top).exp());
        let total = e3 + e4;
        let (w3, w4) = (e3 / total, e4 / total);
        let mut d = [0.0; 4];
        for i in 0..4 {
            d[i] = w3 * d_a3[i] + w4 * d_a4[i];
        }
        (top + total.ln(), d)
    } else {
        (a3, d_a3)
    };
    let mut gradient = [0.0; 4];
    for i in 0..4 {
        gradient[i] = d_a1[i] + d_a2[i] + d_tail[i];
    }
    (a1 + a2 + tail, gradient)
}

impl BgNbd {
    /// One customer's log-likelihood and its gradient in (r, alpha, a, b), for models whose
    /// parameters differ by customer (covariates).
    pub fn customer_log_likelihood(&self, s: &CustomerSummary) -> (f64, [f64; 4]) {
        customer_terms(self, s, Shifts::direct(self, s.frequency))
    }

    /// Total log-likelihood of the summaries and its gradient in (r, alpha, a, b).
    pub fn log_likelihood(&self, summaries: &[CustomerSummary]) -> (f64, [f64; 4]) {
        let integral = summaries
            .iter()
            .all(|s| s.frequency.fract() == 0.0 && s.frequency <= 1e6);
        let table = integral.then(|| {
            let max = summaries
                .iter()
                .map(|s| s.frequency as usize)
                .max()
                .unwrap_or(0);
            shift_table(self, max)
        });
        let shifts = |s: &CustomerSummary| match &table {
            Some(table) => table[s.frequency as usize],
            None => Shifts::direct(self, s.frequency),
        };
        // Fixed-size chunks summed in order: the same total whatever the thread count.
        let partials: Vec<(f64, [f64; 4])> = summaries
            .par_chunks(1024)
            .map(|chunk| {
                let mut total = 0.0;
                let mut gradient = [0.0; 4];
                for s in chunk {
                    let (value, g) = customer_terms(self, s, shifts(s));
                    total += value;
                    for i in 0..4 {
                        gradient[i] += g[i];
                    }
                }
                (total, gradient)
            })
            .collect();
        let mut total = 0.0;
        let mut gradient = [0.0; 4];
        for (value, g) in partials {
            total += value;
            for i in 0..4 {
                gradient[i] += g[i];
            }
        }
        (total, gradient)
    }

    /// Probability that a customer with this history is still alive at T.
    pub fn p_alive(&self, s: &CustomerSummary) -> f64 {
        1.0 / self.inverse_p_alive(s)
    }

    /// 1 / P(alive): 1 for a customer without repeat purchases, else
    /// 1 + a / (b + x - 1) ((alpha + T) / (alpha + t_x))^(r + x).
    pub fn inverse_p_alive(&self, s: &CustomerSummary) -> f64 {
        if s.frequency == 0.0 {
            return 1.0;
        }
        let BgNbd { r, alpha, a, b } = *self;
        let x = s.frequency;
        let log_ratio =
            a.ln() - (b + x - 1.0).ln() + (r + x) * ((alpha + s.t).ln() - (alpha + s.recency).ln());
        1.0 + log_ratio.exp()
    }

    /// Expected purchases in (T, T + horizon] for a customer with this history.
    pub fn expected_purchases(&self, s: &CustomerSummary, horizon: f64) -> Result<f64> {
        Ok(self.purchases_if_alive(s.frequency, s.t, horizon)? / self.inverse_p_alive(s))
    }

    /// Expected purchases of a new customer in their first `horizon` after the first purchase:
    /// (a + b - 1) / (a - 1) [1 - (α / (α + t))^r 2F1(r, b; a + b - 1; t / (α + t))]
    /// (Fader, Hardie & Lee 2005, equation 9).
    pub fn new_customer_purchases(&self, horizon: f64) -> Result<f64> {
        if horizon <= 0.0 {
            return Ok(0.0);
        }
        let BgNbd { r, alpha, a, b } = *self;
        let z = horizon / (alpha + horizon);
        // Euler: (1 - z)^r 2F1(r, b; a+b-1; z) = (1 - z)^(a-1) 2F1(a+b-1-r, a-1; a+b-1; z).
        let bracket =
            one_minus_power_times_hyp2f1(a - 1.0, a + b - 1.0 - r, a - 1.0, a + b - 1.0, z)?;
        Ok((a + b - 1.0) / (a - 1.0) * bracket)
    }

    /// The part of the expected purchases in (T, T + horizon] that depends on the history only
    /// through x and T: (a + b + x - 1) / (a - 1) (1 - ((alpha + T) / (alpha + T + horizon))^(r+x)
    /// 2F1(r + x, b + x; a + b + x - 1; horizon / (alpha + T + horizon))). Divided by
    /// [`BgNbd::inverse_p_alive`] it is the expectation; customers who share x and T share it.
    pub fn purchases_if_alive(&self, x: f64, t: f64, horizon: f64) -> Result<f64> {
        if horizon <= 0.0 {
            return Ok(0.0);
        }
        let BgNbd { r, alpha, a, b } = *self;
        let z = horizon / (alpha + t + horizon);
        // (1 - z)^(r+x) 2F1(r+x, b+x; a+b+x-1; z) after Euler's transformation:
        // (1 - z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z).
        let c = a + b + x - 1.0;
        let bracket = one_minus_power_times_hyp2f1(a - 1.0, a + b - 1.0 - r, a - 1.0, c, z)?;
        Ok((a + b + x - 1.0) / (a - 1.0) * bracket)
    }
}

/// Mean dropout probability per purchase, a / (a + b), below which the fit says that it sees
/// almost no churn.
pub const NEGLIGIBLE_DROPOUT: f64 = 0.01;

/// A warning when the fitted dropout probability is so small that P(alive) is close to 1 for
/// nearly every customer who bought rarely, however long ago: the number is then little guide
/// to who has churned, and the reader must be told so.
pub fn negligible_dropout(params: &BgNbd) -> Option<String> {
    let mean = params.a / (params.a + params.b);
    (mean < NEGLIGIBLE_DROPOUT).then(|| {
        format!(
            "BG/NBD sees almost no dropout (mean dropout probability per purchase a / (a + b) = {mean:.4}): P(alive) stays near 1 except for frequent buyers who stopped long ago, so it says little about who has lapsed; check the fit on a holdout (`--calibration-end`) before acting on it"
        )
    })
}

/// The mean negative log-likelihood (plus penalty) over `summaries`, and its gradient, in
/// log-parameters.
fn objective(
    summaries: &[CustomerSummary],
    penalizer: f64,
) -> impl Fn(&[f64]) -> (f64, Vec<f64>) + Sync + '_ {
    let n = summaries.len() as f64;
    move |u: &[f64]| {
        let theta = [u[0].exp(), u[1].exp(), u[2].exp(), u[3].exp()];
        let params = BgNbd {
            r: theta[0],
            alpha: theta[1],
            a: theta[2],
            b: theta[3],
        };
        let (ll, gradient) = params.log_likelihood(summaries);
        let penalty: f64 = theta.iter().map(|t| t * t).sum::<f64>() * penalizer;
        let value = -ll / n + penalty;
        let g: Vec<f64> = (0..4)
            .map(|i| (-gradient[i] / n + 2.0 * penalizer * theta[i]) * theta[i])
            .collect();
        (value, g)
    }
}

/// Customers from which the starts of a fit race on a subsample.
pub const LARGE_FIT: usize = 200_000;
/// Size of that subsample.
pub const START_SAMPLE: usize = 50_000;

/// Fits BG/NBD by maximum likelihood: L-BFGS on log-parameters from several starts, the best
/// kept; standard errors from the observed information.
pub fn fit(summaries: &[CustomerSummary], options: &FitOptions) -> Result<BgNbdFit> {
    check(summaries)?;
    options.check()?;
    let n = summaries.len() as f64;
    let penalizer = options.penalizer;
    let mean_t = summaries.iter().map(|s| s.t).sum::<f64>() / n;
    let starts: Vec<Vec<f64>> = [
        [1.0, 1.0, 1.0, 1.0],
        [0.5, mean_t.max(1e-3), 1.0, 2.0],
        [0.2, 5.0, 0.8, 2.5],
        [2.0, 10.0, 0.5, 5.0],
    ]
    .iter()
    .map(|s| s.iter().map(|v: &f64| v.ln()).collect())
    .collect();
    let minimum = if summaries.len() > LARGE_FIT {
        // Many customers: the starts race on an evenly spread subsample, and only the winner is
        // polished on everyone. The basin is the same at this sample size; the full data then
        // need a handful of iterations instead of four full searches.
        let stride = summaries.len().div_ceil(START_SAMPLE);
        let sample: Vec<CustomerSummary> = summaries.iter().step_by(stride).cloned().collect();
        let rough = minimize(
            &objective(&sample, penalizer),
            &starts,
            options.max_iterations,
        )?;
        let mut polished = minimize(
            &objective(summaries, penalizer),
            &[rough.log_params],
            options.max_iterations,
        )?;
        polished.starts = starts.len();
        polished
    } else {
        minimize(
            &objective(summaries, penalizer),
            &starts,
            options.max_iterations,
        )?
    };
    let theta: Vec<f64> = minimum.log_params.iter().map(|u| u.exp()).collect();
    let params = BgNbd {
        r: theta[0],
        alpha: theta[1],
        a: theta[2],
        b: theta[3],
    };
    let (log_likelihood, _) = params.log_likelihood(summaries);
    let mut warnings = fit_warnings("BG/NBD", &["r", "alpha", "a", "b"], &theta, &minimum);
    if params.a <= 1.0 {
        // Not an error: expected purchases need a > 1 only through a - 1 in a denominator,
        // which is finite for a != 1.
        if (params.a - 1.0).abs() < 1e-9 {
            warnings
                .push("BG/NBD parameter `a` is 1, where expected purchases are undefined".into());
        }
    }
    if let Some(warning) = negligible_dropout(&params) {
        warnings.push(warning);
    }
    let gradient_at = |t: &[f64]| {
        let p = BgNbd {
            r: t[0],
            alpha: t[1],
            a: t[2],
            b: t[3],
        };
        let (_, g) = p.log_likelihood(summaries);
        g.iter().map(|v| -v).collect()
    };
    let (standard_errors, covariance) =
        four_parameter_covariance("BG/NBD", &theta, &gradient_at, &mut warnings);
    Ok(BgNbdFit {
        params,
        standard_errors,
        covariance,
        log_likelihood,
        iterations: minimum.iterations,
        converged: minimum.converged,
        starts: minimum.starts,
        customers: summaries.len(),
        warnings,
    })
}

#[cfg(test)]
mod dropout_tests {
    use super::*;

    #[test]
    fn a_new_customers_expectation_is_the_mean_over_the_mixing_distributions() {
        // E[(1 - e^(-λ p t)) / p] with λ ~ Gamma(r, α), p ~ Beta(a, b): the closed form in λ,
        // (1 - (α / (α + p t))^r) / p, averaged over p by a midpoint rule.
        let model = BgNbd {
            r: 0.243,
            alpha: 4.414,
            a: 0.793,
            b: 2.426,
        };
        let t = 39.0;
        let steps = 400_000;
        let ln_beta = crate::special::ln_gamma(model.a) + crate::special::ln_gamma(model.b)
            - crate::special::ln_gamma(model.a + model.b);
        let mut sum = 0.0;
        for i in 0..steps {
            let p = (i as f64 + 0.5) / steps as f64;
            let density =
                ((model.a - 1.0) * p.ln() + (model.b - 1.0) * (1.0 - p).ln() - ln_beta).exp();
            sum += density / p * (1.0 - (model.alpha / (model.alpha + p * t)).powf(model.r));
        }
        let by_integral = sum / steps as f64;
        let value = model.new_customer_purchases(t).unwrap();
        assert!(
            (value - by_integral).abs() < 2e-3 * value,
            "{value} vs {by_integral}"
        );
    }

    #[test]
    fn negligible_dropout_is_flagged_and_the_cdnow_fit_is_not() {
        let real = BgNbd {
            r: 0.8232,
            alpha: 69.14,
            a: 0.0031,
            b: 7.247,
        };
        assert!(negligible_dropout(&real).unwrap().contains("0.0004"));
        let cdnow = BgNbd {
            r: 0.243,
            alpha: 4.414,
            a: 0.793,
            b: 2.426,
        };
        assert_eq!(negligible_dropout(&cdnow), None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::special::hyp2f1;

    fn summary(x: f64, t_x: f64, t: f64) -> CustomerSummary {
        CustomerSummary {
            customer: 1,
            frequency: x,
            recency: t_x,
            t,
            monetary_value: 0.0,
            holdout_purchases: 0.0,
            holdout_spend: 0.0,
        }
    }

    const PAPER: BgNbd = BgNbd {
        r: 0.243,
        alpha: 4.414,
        a: 0.793,
        b: 2.426,
    };

    #[test]
    fn gradient_matches_finite_differences() {
        let data = [
            summary(0.0, 0.0, 38.0),
            summary(2.0, 30.43, 38.86),
            summary(200.0, 36.0, 38.0),
        ];
        let p = BgNbd {
            r: 0.3,
            alpha: 4.0,
            a: 0.9,
            b: 2.0,
        };
        let (_, gradient) = p.log_likelihood(&data);
        let bump = |i: usize, h: f64| {
            let mut t = [p.r, p.alpha, p.a, p.b];
            t[i] += h;
            BgNbd {
                r: t[0],
                alpha: t[1],
                a: t[2],
                b: t[3],
            }
            .log_likelihood(&data)
            .0
        };
        for i in 0..4 {
            let h = 1e-6;
            let numeric = (bump(i, h) - bump(i, -h)) / (2.0 * h);
            assert!(
                (numeric - gradient[i]).abs() < 1e-5 * numeric.abs().max(1.0),
                "{i}: {numeric} vs {}",
                gradient[i]
            );
        }
    }

    #[test]
    fn tabulated_shifts_equal_the_special_functions() {
        let p = BgNbd {
            r: 0.3,
            alpha: 4.0,
            a: 0.9,
            b: 2.0,
        };
        let table = shift_table(&p, 300);
        for x in [0usize, 1, 2, 17, 300] {
            let direct = Shifts::direct(&p, x as f64);
            let tab = table[x];
            for (t, d) in [
                (tab.ln_r, direct.ln_r),
                (tab.psi_r, direct.psi_r),
                (tab.ln_b, direct.ln_b),
                (tab.psi_b, direct.psi_b),
                (tab.ln_ab, direct.ln_ab),
                (tab.psi_ab, direct.psi_ab),
            ] {
                assert!(
                    (t - d).abs() < 1e-10 * d.abs().max(1.0),
                    "x = {x}: {t} vs {d}"
                );
            }
        }
        // A non-integer frequency (a summary from elsewhere) takes the special functions.
        let data = [summary(2.5, 10.0, 20.0)];
        assert!(p.log_likelihood(&data).0.is_finite());
    }

    #[test]
    fn likelihood_stays_finite_at_high_frequency() {
        let (ll, g) = PAPER.log_likelihood(&[summary(500.0, 700.0, 720.0)]);
        assert!(ll.is_finite() && g.iter().all(|v| v.is_finite()));
    }

    #[test]
    fn p_alive_by_hand() {
        // x = 0: alive for sure under BG/NBD.
        assert_eq!(PAPER.p_alive(&summary(0.0, 0.0, 30.0)), 1.0);
        // x = 2, t_x = 30.43, T = 38.86: 1 / (1 + a/(b+1) ((alpha+T)/(alpha+t_x))^(r+2)).
        let ratio: f64 = (4.414 + 38.86) / (4.414 + 30.43);
        let expected = 1.0 / (1.0 + 0.793 / 3.426 * ratio.powf(2.243));
        assert!((PAPER.p_alive(&summary(2.0, 30.43, 38.86)) - expected).abs() < 1e-12);
        // A customer whose last purchase was at T is more likely alive than one long silent.
        assert!(PAPER.p_alive(&summary(5.0, 38.0, 38.0)) > PAPER.p_alive(&summary(5.0, 5.0, 38.0)));
    }

    #[test]
    fn expected_purchases_by_hand_for_a_new_customer() {
        // x = 0, t_x = 0, T = 0 is the unconditional E[X(t)]:
        // (a+b-1)/(a-1) [1 - (alpha/(alpha+t))^r 2F1(r, b; a+b-1; t/(alpha+t))].
        let t = 39.0;
        let z = t / (PAPER.alpha + t);
        let hyper = hyp2f1(PAPER.r, PAPER.b, PAPER.a + PAPER.b - 1.0, z).unwrap();
        let expected = (PAPER.a + PAPER.b - 1.0) / (PAPER.a - 1.0)
            * (1.0 - (PAPER.alpha / (PAPER.alpha + t)).powf(PAPER.r) * hyper);
        let value = PAPER
            .expected_purchases(&summary(0.0, 0.0, 0.0), t)
            .unwrap();
        assert!(
            (value - expected).abs() < 1e-10 * expected,
            "{value} vs {expected}"
        );
        assert!(value > 0.0);
    }
}
