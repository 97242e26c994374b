//! Maximum likelihood for the four-parameter models whose log-likelihood has no analytic
//! gradient here (Pareto/NBD, MBG/NBD, BG/BB): L-BFGS on log-parameters with the gradient by
//! central differences, from several starts, then the covariance from the observed
//! information, also by differences.

use crate::error::Result;
use crate::fit::{PurchaseFit, fit_warnings, four_parameter_covariance, minimize};

/// A model's total log-likelihood at natural parameters; `None` where it cannot be computed
/// (a series that does not converge), which the search treats as infinitely bad.
pub type LogLikelihood<'a> = &'a (dyn Fn(&[f64]) -> Option<f64> + Sync);

/// What a four-parameter fit is asked to do.
#[derive(Debug, Clone, Copy)]
pub struct NumericalFit<'a> {
    /// The model's name for warnings (`MBG/NBD`).
    pub model: &'a str,
    /// The parameters' names, in order.
    pub names: [&'a str; 4],
    /// Customers the log-likelihood sums over (the objective is its mean).
    pub customers: usize,
    /// L2 penalty on the parameters.
    pub penalizer: f64,
    /// Iterations per start at most.
    pub max_iterations: u64,
}

impl NumericalFit<'_> {
    /// Fits from `starts` (natural parameters); `params` makes the model's parameters from
    /// four numbers.
    pub fn run<P>(
        &self,
        log_likelihood: LogLikelihood<'_>,
        starts: &[[f64; 4]],
        params: impl Fn(&[f64]) -> P,
    ) -> Result<PurchaseFit<P>> {
        let n = self.customers.max(1) as f64;
        let value = |u: &[f64]| -> f64 {
            let theta: Vec<f64> = u.iter().map(|v| v.exp()).collect();
            match log_likelihood(&theta) {
                Some(ll) if ll.is_finite() => {
                    -ll / n + self.penalizer * theta.iter().map(|t| t * t).sum::<f64>()
                }
                _ => f64::INFINITY,
            }
        };
        let objective = |u: &[f64]| {
            let centre = value(u);
            let gradient = (0..u.len())
                .map(|i| {
                    let h = 1e-6;
                    let (mut up, mut down) = (u.to_vec(), u.to_vec());
                    up[i] += h;
                    down[i] -= h;
                    (value(&up) - value(&down)) / (2.0 * h)
                })
                .collect();
            (centre, gradient)
        };
        let starts: Vec<Vec<f64>> = starts
            .iter()
            .map(|s| s.iter().map(|v| v.ln()).collect())
            .collect();
        let minimum = minimize(&objective, &starts, self.max_iterations)?;
        let theta: Vec<f64> = minimum.log_params.iter().map(|u| u.exp()).collect();
        let log_likelihood_at = log_likelihood(&theta).unwrap_or(f64::NAN);
        let mut warnings = fit_warnings(self.model, &self.names, &theta, &minimum);
        // The total negative log-likelihood's gradient in natural parameters.
        let gradient_at = |t: &[f64]| -> Vec<f64> {
            let total = |t: &[f64]| log_likelihood(t).map_or(f64::NAN, |ll| -ll);
            (0..t.len())
                .map(|i| {
                    let h = 1e-6 * t[i].abs().max(1e-8);
                    let (mut up, mut down) = (t.to_vec(), t.to_vec());
                    up[i] += h;
                    down[i] -= h;
                    (total(&up) - total(&down)) / (2.0 * h)
                })
                .collect()
        };
        let (standard_errors, covariance) =
            four_parameter_covariance(self.model, &theta, &gradient_at, &mut warnings);
        Ok(PurchaseFit {
            params: params(&theta),
            standard_errors,
            covariance,
            log_likelihood: log_likelihood_at,
            iterations: minimum.iterations,
            converged: minimum.converged,
            starts: minimum.starts,
            customers: self.customers,
            warnings,
        })
    }
}
