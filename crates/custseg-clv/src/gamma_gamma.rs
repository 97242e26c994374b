//! The Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV", JMR 42(4)): a
//! customer's spend per purchase is Gamma(p, nu) with nu ~ Gamma(q, gamma) across customers,
//! independent of the purchase process.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::bgnbd::FitOptions;
use crate::error::{Error, Result};
use crate::fit::{covariance, minimize, standard_errors_of};
use crate::special::{digamma, ln_gamma};
use crate::summary::CustomerSummary;

/// Gamma-Gamma parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GammaGamma {
    /// Shape of spend per purchase.
    pub p: f64,
    /// Shape of the scale's Gamma.
    pub q: f64,
    /// Scale of the scale's Gamma.
    pub gamma: f64,
}

/// A fit and its diagnostics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GammaGammaFit {
    /// Parameters.
    pub params: GammaGamma,
    /// Standard errors of p, q, gamma, when available.
    #[serde(deserialize_with = "crate::nan_as_null::numbers")]
    pub standard_errors: Option<[f64; 3]>,
    /// The covariance of p, q, gamma (inverse observed information), row by row, when
    /// available. Absent in files written before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub covariance: Option<Vec<Vec<f64>>>,
    /// Log-likelihood.
    #[serde(deserialize_with = "crate::nan_as_null::number")]
    pub log_likelihood: f64,
    /// Iterations of the best start.
    pub iterations: u64,
    /// Whether it converged.
    pub converged: bool,
    /// Customers fitted (frequency > 0 and monetary value > 0).
    pub customers: usize,
    /// Customers left out because they have no repeat purchase or no positive spend.
    pub excluded: usize,
    /// Pearson correlation of frequency and monetary value among the fitted customers (the
    /// model assumes they are independent).
    #[serde(deserialize_with = "crate::nan_as_null::number")]
    pub frequency_monetary_correlation: f64,
    /// Warnings.
    pub warnings: Vec<String>,
}

/// The special-function terms of one frequency x: lnΓ(px + q) − lnΓ(px) − lnΓ(q) and
/// ψ(px + q), ψ(px), ψ(q). They depend on the customer only through x, so a likelihood
/// evaluation computes them once per distinct frequency.
#[derive(Debug, Clone, Copy)]
struct FrequencyTerms {
    ln_ratio: f64,
    psi_sum: f64,
    psi_px: f64,
    psi_q: f64,
}

impl FrequencyTerms {
    fn new(p: &GammaGamma, x: f64) -> Self {
        let px = p.p * x;
        Self {
            ln_ratio: ln_gamma(px + p.q) - ln_gamma(px) - ln_gamma(p.q),
            psi_sum: digamma(px + p.q),
            psi_px: digamma(px),
            psi_q: digamma(p.q),
        }
    }
}

fn customer_terms(p: &GammaGamma, s: &CustomerSummary, terms: FrequencyTerms) -> (f64, [f64; 3]) {
    let GammaGamma { p, q, gamma } = *p;
    let (x, m) = (s.frequency, s.monetary_value);
    let px = p * x;
    let (ln_m, ln_x, ln_total) = (m.ln(), x.ln(), (x * m + gamma).ln());
    let value =
        terms.ln_ratio + q * gamma.ln() + (px - 1.0) * ln_m + px * ln_x - (px + q) * ln_total;
    let gradient = [
        x * terms.psi_sum - x * terms.psi_px + x * ln_m + x * ln_x - x * ln_total,
        terms.psi_sum - terms.psi_q + gamma.ln() - ln_total,
        q / gamma - (px + q) / (x * m + gamma),
    ];
    (value, gradient)
}

impl GammaGamma {
    /// One (eligible) customer's log-likelihood and its gradient in (p, q, gamma), for models
    /// whose parameters differ by customer (covariates).
    pub fn customer_log_likelihood(&self, s: &CustomerSummary) -> (f64, [f64; 3]) {
        customer_terms(self, s, FrequencyTerms::new(self, s.frequency))
    }

    /// Log-likelihood of the (eligible) summaries and its gradient in (p, q, gamma).
    pub fn log_likelihood(&self, summaries: &[&CustomerSummary]) -> (f64, [f64; 3]) {
        // Frequencies are whole numbers in practice: one set of special-function terms each.
        let integral = summaries
            .iter()
            .all(|s| s.frequency.fract() == 0.0 && s.frequency <= 1e6);
        let table: Option<Vec<Option<FrequencyTerms>>> = integral.then(|| {
            let max = summaries
                .iter()
                .map(|s| s.frequency as usize)
                .max()
                .unwrap_or(0);
            let mut present = vec![false; max + 1];
            for s in summaries {
                present[s.frequency as usize] = true;
            }
            present
                .iter()
                .enumerate()
                .map(|(x, &here)| here.then(|| FrequencyTerms::new(self, x as f64)))
                .collect()
        });
        let terms = |s: &CustomerSummary| {
            table
                .as_ref()
                .and_then(|t| t[s.frequency as usize])
                .unwrap_or_else(|| FrequencyTerms::new(self, s.frequency))
        };
        // Fixed-size chunks summed in order: the same total whatever the thread count.
        let partials: Vec<(f64, [f64; 3])> = summaries
            .par_chunks(1024)
            .map(|chunk| {
                let mut total = 0.0;
                let mut gradient = [0.0; 3];
                for s in chunk {
                    let (v, g) = customer_terms(self, s, terms(s));
                    total += v;
                    for i in 0..3 {
                        gradient[i] += g[i];
                    }
                }
                (total, gradient)
            })
            .collect();
        let mut total = 0.0;
        let mut gradient = [0.0; 3];
        for (v, g) in partials {
            total += v;
            for i in 0..3 {
                gradient[i] += g[i];
            }
        }
        (total, gradient)
    }

    /// Expected spend per purchase for a customer: the posterior mean
    /// p (γ + x m̄) / (p x + q − 1) for a customer with repeat purchases, and the population's
    /// mean p γ / (q − 1) for one without. Always finite and positive for positive parameters:
    /// - where the posterior mean's denominator p x + q − 1 is not positive (q < 1 and few
    ///   purchases) the customer's own mean m̄ is used;
    /// - where the population's mean is infinite (q <= 1), a customer without repeat purchases
    ///   gets the median customer's mean spend per purchase, p γ / median(Gamma(q, 1)) (the
    ///   mean given ν is p / ν, which falls as ν rises), which always exists.
    pub fn expected_spend(&self, s: &CustomerSummary) -> f64 {
        let GammaGamma { p, q, gamma } = *self;
        if s.frequency > 0.0 && s.monetary_value > 0.0 {
            let denominator = p * s.frequency + q - 1.0;
            if denominator > 0.0 {
                p * (gamma + s.frequency * s.monetary_value) / denominator
            } else {
                s.monetary_value
            }
        } else if q > 1.0 {
            p * gamma / (q - 1.0)
        } else {
            p * gamma / median_of_unit_gamma(q)
        }
    }
}

/// The median of Gamma(shape, rate 1).
fn median_of_unit_gamma(shape: f64) -> f64 {
    use statrs::distribution::{ContinuousCDF, Gamma};
    Gamma::new(shape, 1.0).map_or(f64::NAN, |g| g.inverse_cdf(0.5))
}

/// The mean negative log-likelihood of `customers` plus the penalty, and its gradient in
/// log-parameters: what the fit minimises.
fn objective<'a>(
    customers: &'a [&'a CustomerSummary],
    penalizer: f64,
) -> impl Fn(&[f64]) -> (f64, Vec<f64>) + Sync + 'a {
    let n = customers.len() as f64;
    move |u: &[f64]| {
        let theta = [u[0].exp(), u[1].exp(), u[2].exp()];
        let params = GammaGamma {
            p: theta[0],
            q: theta[1],
            gamma: theta[2],
        };
        let (ll, gradient) = params.log_likelihood(customers);
        let penalty: f64 = theta.iter().map(|t| t * t).sum::<f64>() * penalizer;
        let g: Vec<f64> = (0..3)
            .map(|i| (-gradient[i] / n + 2.0 * penalizer * theta[i]) * theta[i])
            .collect();
        (-ll / n + penalty, g)
    }
}

fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
    cov / (va * vb).sqrt()
}

/// Fits Gamma-Gamma on the customers with frequency > 0 and monetary value > 0.
pub fn fit(summaries: &[CustomerSummary], options: &FitOptions) -> Result<GammaGammaFit> {
    let eligible: Vec<&CustomerSummary> = summaries
        .iter()
        .filter(|s| s.frequency > 0.0 && s.monetary_value > 0.0)
        .collect();
    if eligible.len() < 2 {
        return Err(Error::Data(format!(
            "the spend model needs customers with repeat purchases and positive spend; {} found",
            eligible.len()
        )));
    }
    let n = eligible.len() as f64;
    let penalizer = options.penalizer;
    let mean_m = eligible.iter().map(|s| s.monetary_value).sum::<f64>() / n;
    let starts: Vec<Vec<f64>> = [
        [1.0, 1.0, 1.0],
        [2.0, 3.0, mean_m],
        [6.0, 4.0, 15.0],
        [1.0, 2.0, mean_m / 2.0],
    ]
    .iter()
    .map(|s| s.iter().map(|v: &f64| v.max(1e-6).ln()).collect())
    .collect();
    let iterations = options.max_iterations.max(1000);
    let minimum = if eligible.len() > crate::bgnbd::LARGE_FIT {
        // As BG/NBD's fit: the starts race on an evenly spread subsample, and only the winner
        // is polished on everyone.
        let stride = eligible.len().div_ceil(crate::bgnbd::START_SAMPLE);
        let sample: Vec<&CustomerSummary> = eligible.iter().step_by(stride).copied().collect();
        let rough = minimize(&objective(&sample, penalizer), &starts, iterations)?;
        let mut polished = minimize(
            &objective(&eligible, penalizer),
            &[rough.log_params],
            iterations,
        )?;
        polished.starts = starts.len();
        polished
    } else {
        minimize(&objective(&eligible, penalizer), &starts, iterations)?
    };
    let theta: Vec<f64> = minimum.log_params.iter().map(|u| u.exp()).collect();
    let params = GammaGamma {
        p: theta[0],
        q: theta[1],
        gamma: theta[2],
    };
    let (log_likelihood, _) = params.log_likelihood(&eligible);
    let mut warnings = Vec::new();
    if !minimum.converged {
        warnings.push(format!(
            "Gamma-Gamma did not converge in {} iterations",
            minimum.iterations
        ));
    }
    for (name, value) in ["p", "q", "gamma"].iter().zip(&theta) {
        if *value > 1e4 || *value < 1e-6 {
            warnings.push(format!(
                "Gamma-Gamma parameter `{name}` = {value:.4e} ran to a bound (a few very large orders can do this); try a penalizer"
            ));
        }
    }
    if params.q <= 1.0 {
        warnings.push("Gamma-Gamma q <= 1: the population mean spend is infinite".into());
    }
    let frequencies: Vec<f64> = eligible.iter().map(|s| s.frequency).collect();
    let monetary: Vec<f64> = eligible.iter().map(|s| s.monetary_value).collect();
    let correlation = pearson(&frequencies, &monetary);
    if correlation.abs() > 0.3 {
        warnings.push(format!(
            "frequency and monetary value correlate ({correlation:.3}); the Gamma-Gamma model assumes they are independent"
        ));
    }
    let gradient_at = |t: &[f64]| {
        let p = GammaGamma {
            p: t[0],
            q: t[1],
            gamma: t[2],
        };
        let (_, g) = p.log_likelihood(&eligible);
        g.iter().map(|v| -v).collect()
    };
    let (standard_errors, covariance) = match covariance(&theta, &gradient_at) {
        Ok(matrix) => {
            let e = standard_errors_of(&matrix);
            (Some([e[0], e[1], e[2]]), Some(matrix))
        }
        Err(reason) => {
            warnings.push(format!("Gamma-Gamma standard errors unavailable: {reason}"));
            (None, None)
        }
    };
    Ok(GammaGammaFit {
        params,
        standard_errors,
        covariance,
        log_likelihood,
        iterations: minimum.iterations,
        converged: minimum.converged,
        customers: eligible.len(),
        excluded: summaries.len() - eligible.len(),
        frequency_monetary_correlation: correlation,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_spend_stays_finite_and_positive_where_the_mean_spend_is_infinite() {
        // q < 1: no population mean. A one-time buyer gets the median customer's mean spend,
        // p gamma / median(Gamma(q, 1)); Gamma(1, 1) is Exp(1), median ln 2.
        let model = GammaGamma {
            p: 2.0,
            q: 1.0,
            gamma: 10.0,
        };
        let once = CustomerSummary::history(1, 0.0, 0.0, 10.0);
        assert!((model.expected_spend(&once) - 20.0 / 2f64.ln()).abs() < 1e-9);
        let heavy = GammaGamma { q: 0.3, ..model };
        assert!(heavy.expected_spend(&once).is_finite() && heavy.expected_spend(&once) > 0.0);
        // p x + q - 1 <= 0: the customer's own mean.
        let few = CustomerSummary {
            monetary_value: 12.0,
            ..CustomerSummary::history(2, 1.0, 1.0, 10.0)
        };
        let small_p = GammaGamma {
            p: 0.5,
            q: 0.3,
            gamma: 10.0,
        };
        assert_eq!(small_p.expected_spend(&few), 12.0);
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let s = |x: f64, m: f64| CustomerSummary {
            customer: 1,
            frequency: x,
            recency: 1.0,
            t: 2.0,
            monetary_value: m,
            holdout_purchases: 0.0,
            holdout_spend: 0.0,
        };
        let data = [s(1.0, 20.0), s(4.0, 35.5), s(30.0, 12.0)];
        let refs: Vec<&CustomerSummary> = data.iter().collect();
        let p = GammaGamma {
            p: 5.0,
            q: 3.0,
            gamma: 12.0,
        };
        let (_, g) = p.log_likelihood(&refs);
        for i in 0..3 {
            let bump = |h: f64| {
                let mut t = [p.p, p.q, p.gamma];
                t[i] += h;
                GammaGamma {
                    p: t[0],
                    q: t[1],
                    gamma: t[2],
                }
                .log_likelihood(&refs)
                .0
            };
            let numeric = (bump(1e-6) - bump(-1e-6)) / 2e-6;
            assert!(
                (numeric - g[i]).abs() < 1e-5 * numeric.abs().max(1.0),
                "{i}: {numeric} vs {}",
                g[i]
            );
        }
    }

    #[test]
    fn expected_spend_shrinks_toward_the_population_mean() {
        let model = GammaGamma {
            p: 6.25,
            q: 3.74,
            gamma: 15.44,
        };
        let population = 6.25 * 15.44 / 2.74;
        let s = |x: f64, m: f64| CustomerSummary {
            customer: 1,
            frequency: x,
            recency: 1.0,
            t: 2.0,
            monetary_value: m,
            holdout_purchases: 0.0,
            holdout_spend: 0.0,
        };
        assert!((model.expected_spend(&s(0.0, 0.0)) - population).abs() < 1e-12);
        let one = model.expected_spend(&s(1.0, 100.0));
        let many = model.expected_spend(&s(20.0, 100.0));
        assert!(population < one && one < many && many < 100.0);
    }
}
