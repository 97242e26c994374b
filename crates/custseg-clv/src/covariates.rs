//! Static covariates in BG/NBD and Gamma-Gamma, as CLVTools parameterises them: for a
//! customer with covariates z,
//! - BG/NBD: α_i = α exp(−β_purchase · z) (a positive coefficient means more purchases),
//!   a_i = a exp(β_a · z), b_i = b exp(β_b · z) (dropout);
//! - Gamma-Gamma: γ_i = γ exp(β_spend · z) (a positive coefficient means higher spend).
//!
//! Each is fitted by maximum likelihood with the analytic gradient (the chain rule through
//! the base models' per-customer gradients), with standard errors from the observed
//! information, and tested against the model without covariates (which it nests, at all
//! coefficients 0) by a likelihood-ratio test.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::bgnbd::{BgNbd, BgNbdFit, FitOptions};
use crate::error::{Error, Result};
use crate::fit::{covariance_with_steps, minimize, standard_errors_of};
use crate::gamma_gamma::{GammaGamma, GammaGammaFit};
use crate::scorecard::{LikelihoodRatioTest, likelihood_ratio_test};
use crate::summary::CustomerSummary;

/// A model with covariates, fitted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CovariateFit {
    /// `BG/NBD` or `Gamma-Gamma`.
    pub model: String,
    /// Parameter names: the base model's, then `purchase:<covariate>`, `dropout_a:<covariate>`,
    /// `dropout_b:<covariate>` (BG/NBD) or `spend:<covariate>` (Gamma-Gamma).
    pub names: Vec<String>,
    /// The estimates, in the order of `names`.
    pub estimates: Vec<f64>,
    /// Their standard errors, when the observed information is positive definite.
    pub standard_errors: Option<Vec<f64>>,
    /// The log-likelihood at the estimates.
    pub log_likelihood: f64,
    /// Whether the search converged.
    pub converged: bool,
    /// The likelihood-ratio test against the model without covariates.
    pub test: LikelihoodRatioTest,
    /// What the reader must know: no convergence, no standard errors, a coefficient run off to
    /// a size the data cannot identify.
    pub warnings: Vec<String>,
}

/// A coefficient this large multiplies a parameter by more than e^10 per unit of its
/// covariate: the likelihood runs along a ridge the data cannot pin down.
pub const RUNAWAY_COEFFICIENT: f64 = 10.0;

/// The warnings of a fit with covariates; the base parameters are the first `base`.
fn warnings_of(model: &str, names: &[String], maximum: &Maximum, base: usize) -> Vec<String> {
    let mut warnings = Vec::new();
    if !maximum.converged {
        warnings.push(format!("{model} with covariates did not converge"));
    }
    if maximum.standard_errors.is_none() {
        warnings.push(format!(
            "{model} with covariates: no standard errors (the Hessian is not positive definite)"
        ));
    }
    for (name, value) in names.iter().zip(&maximum.estimates).skip(base) {
        if value.abs() > RUNAWAY_COEFFICIENT {
            warnings.push(format!(
                "{model} coefficient `{name}` = {value:.1} ran off: the data cannot identify it (on data with almost no dropout, the dropout coefficients)"
            ));
        }
    }
    warnings
}

/// Both models with covariates, on the covariates named.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CovariateAnalysis {
    /// The covariates, in order.
    pub covariates: Vec<String>,
    /// BG/NBD with them.
    pub bg_nbd: CovariateFit,
    /// Gamma-Gamma with them.
    pub gamma_gamma: CovariateFit,
}

/// `Σ_j coefficients[j] z[j]`.
fn dot(coefficients: &[f64], z: &[f64]) -> f64 {
    coefficients.iter().zip(z).map(|(c, v)| c * v).sum()
}

/// The difference steps of the covariance: relative for the positive base parameters,
/// absolute for the coefficients, which may be near 0.
fn steps(theta: &[f64], positive: usize) -> Vec<f64> {
    theta
        .iter()
        .enumerate()
        .map(|(i, t)| {
            if i < positive {
                1e-5 * t.abs().max(1e-8)
            } else {
                1e-5
            }
        })
        .collect()
}

fn check_covariates(summaries: &[CustomerSummary], z: &[Vec<f64>], k: usize) -> Result<()> {
    if z.len() != summaries.len() {
        return Err(Error::Data(format!(
            "{} covariate rows for {} customers",
            z.len(),
            summaries.len()
        )));
    }
    if let Some((i, row)) = z
        .iter()
        .enumerate()
        .find(|(_, row)| row.len() != k || row.iter().any(|v| !v.is_finite()))
    {
        return Err(Error::Data(format!(
            "customer {}: covariates {row:?} are not {k} finite numbers",
            summaries[i].customer
        )));
    }
    Ok(())
}

/// BG/NBD total log-likelihood and its gradient in the natural parameters
/// (r, α, a, b, β_purchase, β_a, β_b) at `theta`.
fn bgnbd_log_likelihood(
    theta: &[f64],
    k: usize,
    summaries: &[CustomerSummary],
    z: &[Vec<f64>],
) -> (f64, Vec<f64>) {
    let (r, alpha, a, b) = (theta[0], theta[1], theta[2], theta[3]);
    let (purchase, dropout_a, dropout_b) = (
        &theta[4..4 + k],
        &theta[4 + k..4 + 2 * k],
        &theta[4 + 2 * k..],
    );
    let n = theta.len();
    summaries
        .par_iter()
        .zip(z)
        .with_min_len(256)
        .map(|(s, zi)| {
            let alpha_i = alpha * (-dot(purchase, zi)).exp();
            let a_i = a * dot(dropout_a, zi).exp();
            let b_i = b * dot(dropout_b, zi).exp();
            let model = BgNbd {
                r,
                alpha: alpha_i,
                a: a_i,
                b: b_i,
            };
            let (value, g) = model.customer_log_likelihood(s);
            let mut gradient = vec![0.0; n];
            gradient[0] = g[0];
            gradient[1] = g[1] * alpha_i / alpha;
            gradient[2] = g[2] * a_i / a;
            gradient[3] = g[3] * b_i / b;
            for j in 0..k {
                gradient[4 + j] = -g[1] * alpha_i * zi[j];
                gradient[4 + k + j] = g[2] * a_i * zi[j];
                gradient[4 + 2 * k + j] = g[3] * b_i * zi[j];
            }
            (value, gradient)
        })
        .reduce(
            || (0.0, vec![0.0; n]),
            |(v1, g1), (v2, g2)| (v1 + v2, g1.iter().zip(&g2).map(|(x, y)| x + y).collect()),
        )
}

/// Gamma-Gamma total log-likelihood (over the eligible customers) and its gradient in
/// (p, q, γ, β_spend) at `theta`.
fn gamma_gamma_log_likelihood(
    theta: &[f64],
    eligible: &[(&CustomerSummary, &Vec<f64>)],
) -> (f64, Vec<f64>) {
    let (p, q, gamma) = (theta[0], theta[1], theta[2]);
    let spend = &theta[3..];
    let n = theta.len();
    eligible
        .par_iter()
        .with_min_len(256)
        .map(|(s, zi)| {
            let gamma_i = gamma * dot(spend, zi).exp();
            let model = GammaGamma {
                p,
                q,
                gamma: gamma_i,
            };
            let (value, g) = model.customer_log_likelihood(s);
            let mut gradient = vec![0.0; n];
            gradient[0] = g[0];
            gradient[1] = g[1];
            gradient[2] = g[2] * gamma_i / gamma;
            for (j, v) in zi.iter().enumerate() {
                gradient[3 + j] = g[2] * gamma_i * v;
            }
            (value, gradient)
        })
        .reduce(
            || (0.0, vec![0.0; n]),
            |(v1, g1), (v2, g2)| (v1 + v2, g1.iter().zip(&g2).map(|(x, y)| x + y).collect()),
        )
}

/// A total log-likelihood and its gradient at natural parameters.
type LogLikelihood<'a> = &'a (dyn Fn(&[f64]) -> (f64, Vec<f64>) + Sync);

/// What [`maximise`] found.
struct Maximum {
    estimates: Vec<f64>,
    log_likelihood: f64,
    converged: bool,
    standard_errors: Option<Vec<f64>>,
}

/// Maximises `log_likelihood` (natural parameters, the first `positive` of them searched on
/// the log scale) from `start`.
fn maximise(
    log_likelihood: LogLikelihood<'_>,
    start: &[f64],
    positive: usize,
    customers: usize,
    options: &FitOptions,
) -> Result<Maximum> {
    let natural = |u: &[f64]| -> Vec<f64> {
        u.iter()
            .enumerate()
            .map(|(i, v)| if i < positive { v.exp() } else { *v })
            .collect()
    };
    let n = customers.max(1) as f64;
    let objective = |u: &[f64]| {
        let theta = natural(u);
        let (ll, g) = log_likelihood(&theta);
        let penalty: f64 = theta.iter().map(|t| t * t).sum::<f64>() * options.penalizer;
        let gradient = (0..u.len())
            .map(|i| {
                let chain = if i < positive { theta[i] } else { 1.0 };
                (-g[i] / n + 2.0 * options.penalizer * theta[i]) * chain
            })
            .collect();
        let value = -ll / n + penalty;
        (
            if value.is_finite() {
                value
            } else {
                f64::INFINITY
            },
            gradient,
        )
    };
    let start: Vec<f64> = start
        .iter()
        .enumerate()
        .map(|(i, v)| if i < positive { v.ln() } else { *v })
        .collect();
    let minimum = minimize(&objective, &[start], options.max_iterations.max(1000))?;
    let theta = natural(&minimum.log_params);
    let (log_likelihood_at, _) = log_likelihood(&theta);
    let gradient_at = |t: &[f64]| -> Vec<f64> { log_likelihood(t).1.iter().map(|v| -v).collect() };
    let errors = covariance_with_steps(&theta, &steps(&theta, positive), &gradient_at)
        .ok()
        .map(|c| standard_errors_of(&c));
    Ok(Maximum {
        estimates: theta,
        log_likelihood: log_likelihood_at,
        converged: minimum.converged,
        standard_errors: errors,
    })
}

/// BG/NBD with covariates `z` (one row of `names.len()` values per summary), started from the
/// fit without them, `base`, and tested against it.
pub fn fit_bgnbd(
    summaries: &[CustomerSummary],
    z: &[Vec<f64>],
    names: &[String],
    base: &BgNbdFit,
    options: &FitOptions,
) -> Result<CovariateFit> {
    let k = names.len();
    check_covariates(summaries, z, k)?;
    let p = base.params;
    let mut start = vec![p.r, p.alpha, p.a, p.b];
    start.extend(std::iter::repeat_n(0.0, 3 * k));
    let maximum = maximise(
        &|theta| bgnbd_log_likelihood(theta, k, summaries, z),
        &start,
        4,
        summaries.len(),
        options,
    )?;
    let mut parameter_names: Vec<String> = ["r", "alpha", "a", "b"].map(String::from).to_vec();
    for prefix in ["purchase", "dropout_a", "dropout_b"] {
        parameter_names.extend(names.iter().map(|n| format!("{prefix}:{n}")));
    }
    let warnings = warnings_of("BG/NBD", &parameter_names, &maximum, 4);
    let Maximum {
        estimates,
        log_likelihood,
        converged,
        standard_errors,
    } = maximum;
    Ok(CovariateFit {
        model: "BG/NBD".into(),
        names: parameter_names,
        estimates,
        standard_errors,
        log_likelihood,
        converged,
        test: likelihood_ratio_test(
            ("BG/NBD with covariates", log_likelihood, 4 + 3 * k),
            ("BG/NBD", base.log_likelihood, 4),
        )?,
        warnings,
    })
}

/// Gamma-Gamma with covariates `z` (one row per summary; only customers with repeat purchases
/// and positive spend count, as in the fit without them, `base`), tested against it.
pub fn fit_gamma_gamma(
    summaries: &[CustomerSummary],
    z: &[Vec<f64>],
    names: &[String],
    base: &GammaGammaFit,
    options: &FitOptions,
) -> Result<CovariateFit> {
    let k = names.len();
    check_covariates(summaries, z, k)?;
    let eligible: Vec<(&CustomerSummary, &Vec<f64>)> = summaries
        .iter()
        .zip(z)
        .filter(|(s, _)| s.frequency > 0.0 && s.monetary_value > 0.0)
        .collect();
    let p = base.params;
    let mut start = vec![p.p, p.q, p.gamma];
    start.extend(std::iter::repeat_n(0.0, k));
    let maximum = maximise(
        &|theta| gamma_gamma_log_likelihood(theta, &eligible),
        &start,
        3,
        eligible.len(),
        options,
    )?;
    let mut parameter_names: Vec<String> = ["p", "q", "gamma"].map(String::from).to_vec();
    parameter_names.extend(names.iter().map(|n| format!("spend:{n}")));
    let warnings = warnings_of("Gamma-Gamma", &parameter_names, &maximum, 3);
    let Maximum {
        estimates,
        log_likelihood,
        converged,
        standard_errors,
    } = maximum;
    Ok(CovariateFit {
        model: "Gamma-Gamma".into(),
        names: parameter_names,
        estimates,
        standard_errors,
        log_likelihood,
        converged,
        test: likelihood_ratio_test(
            ("Gamma-Gamma with covariates", log_likelihood, 3 + k),
            ("Gamma-Gamma", base.log_likelihood, 3),
        )?,
        warnings,
    })
}

/// Both models with covariates.
pub fn analyse(
    summaries: &[CustomerSummary],
    z: &[Vec<f64>],
    names: &[String],
    purchase: &BgNbdFit,
    spend: &GammaGammaFit,
    options: &FitOptions,
) -> Result<CovariateAnalysis> {
    Ok(CovariateAnalysis {
        covariates: names.to_vec(),
        bg_nbd: fit_bgnbd(summaries, z, names, purchase, options)?,
        gamma_gamma: fit_gamma_gamma(summaries, z, names, spend, options)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gradients_match_differences_of_the_log_likelihoods() {
        let summaries: Vec<CustomerSummary> = (0..40)
            .map(|i| CustomerSummary {
                monetary_value: 10.0 + f64::from(i),
                ..CustomerSummary::history(
                    i64::from(i),
                    f64::from(i % 5),
                    f64::from(i % 5) * 2.0,
                    20.0,
                )
            })
            .collect();
        let z: Vec<Vec<f64>> = (0..40)
            .map(|i| vec![f64::from(i % 2), f64::from(i) / 40.0])
            .collect();
        let theta = [0.3, 5.0, 0.8, 2.5, 0.2, -0.1, 0.3, 0.1, -0.2, 0.05];
        let check = |f: LogLikelihood<'_>, theta: &[f64]| {
            let (_, gradient) = f(theta);
            for i in 0..theta.len() {
                let h = 1e-6;
                let (mut up, mut down) = (theta.to_vec(), theta.to_vec());
                up[i] += h;
                down[i] -= h;
                let numeric = (f(&up).0 - f(&down).0) / (2.0 * h);
                assert!(
                    (numeric - gradient[i]).abs() < 1e-5 * numeric.abs().max(1.0),
                    "parameter {i}: {numeric} vs {}",
                    gradient[i]
                );
            }
        };
        check(&|t| bgnbd_log_likelihood(t, 2, &summaries, &z), &theta);
        let eligible: Vec<(&CustomerSummary, &Vec<f64>)> = summaries
            .iter()
            .zip(&z)
            .filter(|(s, _)| s.frequency > 0.0)
            .collect();
        check(
            &|t| gamma_gamma_log_likelihood(t, &eligible),
            &[6.0, 3.7, 15.0, 0.3, -0.2],
        );
    }
}
