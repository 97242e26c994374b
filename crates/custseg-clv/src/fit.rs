//! Maximum likelihood fitting shared by the models: L-BFGS (argmin) on log-parameters from
//! several starting points, then standard errors from the observed information matrix.

use argmin::core::{CostFunction, Executor, Gradient, State, TerminationReason, TerminationStatus};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::LBFGS;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::matrix::{cholesky, invert};

/// A function of log-parameters returning the value to minimise and its gradient.
pub type Objective<'a> = &'a (dyn Fn(&[f64]) -> (f64, Vec<f64>) + Sync);

/// The objective as argmin sees it. argmin asks for the cost and the gradient at the same
/// point separately; both come from one pass over the customers, so the last evaluation is
/// kept and reused.
struct Problem<'a> {
    objective: Objective<'a>,
    last: std::sync::Mutex<Option<Evaluation>>,
}

/// A point, the objective there, and its gradient.
type Evaluation = (Vec<f64>, f64, Vec<f64>);

impl Problem<'_> {
    fn evaluate(&self, param: &[f64]) -> (f64, Vec<f64>) {
        if let Ok(last) = self.last.lock()
            && let Some((at, value, gradient)) = last.as_ref()
            && at.as_slice() == param
        {
            return (*value, gradient.clone());
        }
        let (value, gradient) = (self.objective)(param);
        if let Ok(mut last) = self.last.lock() {
            *last = Some((param.to_vec(), value, gradient.clone()));
        }
        (value, gradient)
    }
}

impl CostFunction for Problem<'_> {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, param: &Self::Param) -> Result<f64, argmin::core::Error> {
        let (value, _) = self.evaluate(param);
        Ok(if value.is_finite() { value } else { f64::MAX })
    }
}

impl Gradient for Problem<'_> {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;
    fn gradient(&self, param: &Self::Param) -> Result<Vec<f64>, argmin::core::Error> {
        let (_, gradient) = self.evaluate(param);
        Ok(gradient)
    }
}

/// A four-parameter purchase model's fit (BG/NBD or Pareto/NBD) and its diagnostics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PurchaseFit<P> {
    /// Parameters at the maximum found.
    pub params: P,
    /// Standard errors of the four parameters (inverse observed information), when available.
    #[serde(deserialize_with = "crate::nan_as_null::numbers")]
    pub standard_errors: Option<[f64; 4]>,
    /// The four parameters' covariance (the inverse observed information), row by row, when
    /// available; what parameter draws and intervals come from. Absent in files written before
    /// it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub covariance: Option<Vec<Vec<f64>>>,
    /// Total log-likelihood (without the penalty).
    #[serde(deserialize_with = "crate::nan_as_null::number")]
    pub log_likelihood: f64,
    /// Iterations of the best start.
    pub iterations: u64,
    /// Whether the best start converged.
    pub converged: bool,
    /// Starts tried.
    pub starts: usize,
    /// Customers fitted.
    pub customers: usize,
    /// What the user should know (non-convergence, a parameter at a bound, no standard errors).
    pub warnings: Vec<String>,
}

/// The best point found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Minimum {
    /// Log-parameters at the minimum.
    pub log_params: Vec<f64>,
    /// Objective value there.
    pub value: f64,
    /// Iterations of the winning start.
    pub iterations: u64,
    /// Whether the winning start stopped because it converged (not on the iteration cap).
    pub converged: bool,
    /// Starts tried.
    pub starts: usize,
}

/// Minimises `objective` from each start and keeps the lowest value.
pub fn minimize(
    objective: Objective<'_>,
    starts: &[Vec<f64>],
    max_iterations: u64,
) -> Result<Minimum> {
    // Starts run in parallel; the best is chosen in start order, so the result does not
    // depend on which finishes first.
    let runs: Vec<std::result::Result<Minimum, String>> = starts
        .par_iter()
        .map(|start| {
            let solver = LBFGS::new(MoreThuenteLineSearch::new(), 10)
                .with_tolerance_grad(1e-9)
                .and_then(|s| s.with_tolerance_cost(1e-14))
                .map_err(|e| e.to_string())?;
            let problem = Problem {
                objective,
                last: std::sync::Mutex::new(None),
            };
            let result = Executor::new(problem, solver)
                .configure(|state| state.param(start.clone()).max_iters(max_iterations))
                .run()
                .map_err(|e| e.to_string())?;
            let state = result.state();
            let params = state
                .get_best_param()
                .cloned()
                .ok_or_else(|| "no parameters".to_owned())?;
            let converged = matches!(
                state.get_termination_status(),
                TerminationStatus::Terminated(
                    TerminationReason::SolverConverged | TerminationReason::TargetCostReached
                )
            ) || gradient_norm(objective, &params) < 1e-5;
            Ok(Minimum {
                log_params: params,
                value: state.get_best_cost(),
                iterations: state.get_iter(),
                converged,
                starts: starts.len(),
            })
        })
        .collect();
    let mut best: Option<Minimum> = None;
    let mut last_error = None;
    for run in runs {
        match run {
            Ok(minimum) => {
                if minimum.value.is_finite()
                    && best.as_ref().is_none_or(|b| minimum.value < b.value)
                {
                    best = Some(minimum);
                }
            }
            Err(error) => last_error = Some(error),
        }
    }
    best.ok_or_else(|| {
        Error::Optimisation(
            last_error.unwrap_or_else(|| "no start gave a finite likelihood".into()),
        )
    })
}

fn gradient_norm(objective: Objective<'_>, params: &[f64]) -> f64 {
    let (_, gradient) = objective(params);
    gradient.iter().map(|g| g * g).sum::<f64>().sqrt()
}

/// The warnings every multi-start fit owes its reader: a best start that did not converge, and
/// parameters that ran to a bound of the log-parameter search (below 1e-6 or above 1e4).
pub fn fit_warnings(model: &str, names: &[&str], theta: &[f64], minimum: &Minimum) -> Vec<String> {
    let mut warnings = Vec::new();
    if !minimum.converged {
        warnings.push(format!(
            "{model} did not converge in {} iterations; the parameters are the last ones reached",
            minimum.iterations
        ));
    }
    for (name, value) in names.iter().zip(theta) {
        if *value > 1e4 || *value < 1e-6 {
            warnings.push(format!(
                "{model} parameter `{name}` = {value:.4e} ran to a bound; try a penalizer (e.g. 0.001)"
            ));
        }
    }
    warnings
}

/// The covariance of the four parameters and their standard errors, or `None` with the
/// reason added to `warnings`.
pub fn four_parameter_covariance(
    model: &str,
    theta: &[f64],
    gradient_at: &dyn Fn(&[f64]) -> Vec<f64>,
    warnings: &mut Vec<String>,
) -> (Option<[f64; 4]>, Option<Vec<Vec<f64>>>) {
    match covariance(theta, gradient_at) {
        Ok(matrix) => {
            let e = standard_errors_of(&matrix);
            (Some([e[0], e[1], e[2], e[3]]), Some(matrix))
        }
        Err(reason) => {
            warnings.push(format!("{model} standard errors unavailable: {reason}"));
            (None, None)
        }
    }
}

/// Square roots of a covariance matrix's diagonal.
pub fn standard_errors_of(covariance: &[Vec<f64>]) -> Vec<f64> {
    (0..covariance.len())
        .map(|i| covariance[i][i].sqrt())
        .collect()
}

/// Covariance of natural parameters `theta` at the maximum: the inverse of the Hessian of the
/// total negative log-likelihood, whose gradient in natural parameters is `gradient_at`, taken
/// by central differences. An error with a reason when the Hessian is not finite or not
/// positive definite.
pub fn covariance(
    theta: &[f64],
    gradient_at: &dyn Fn(&[f64]) -> Vec<f64>,
) -> std::result::Result<Vec<Vec<f64>>, String> {
    let steps: Vec<f64> = theta.iter().map(|t| 1e-5 * t.abs().max(1e-8)).collect();
    covariance_with_steps(theta, &steps, gradient_at)
}

/// [`covariance`] with the difference step of each parameter given: parameters that may be
/// near 0 (a covariate's coefficient) need an absolute step, not one relative to their value.
pub fn covariance_with_steps(
    theta: &[f64],
    steps: &[f64],
    gradient_at: &dyn Fn(&[f64]) -> Vec<f64>,
) -> std::result::Result<Vec<Vec<f64>>, String> {
    let n = theta.len();
    let mut hessian = vec![vec![0.0; n]; n];
    for j in 0..n {
        let h = steps[j];
        let mut up = theta.to_vec();
        let mut down = theta.to_vec();
        up[j] += h;
        down[j] -= h;
        let (gu, gd) = (gradient_at(&up), gradient_at(&down));
        for i in 0..n {
            hessian[i][j] = (gu[i] - gd[i]) / (2.0 * h);
        }
    }
    // Symmetrise, then invert.
    for i in 0..n {
        for j in 0..i {
            let mean = (hessian[i][j] + hessian[j][i]) / 2.0;
            hessian[i][j] = mean;
            hessian[j][i] = mean;
        }
    }
    if hessian.iter().flatten().any(|v| !v.is_finite()) {
        return Err("the Hessian is not finite".into());
    }
    let inverse = invert(&hessian).ok_or("the Hessian is singular")?;
    if cholesky(&inverse).is_none() {
        return Err("the Hessian is not positive definite (not a maximum, or a flat ridge)".into());
    }
    Ok(inverse)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimises_a_shifted_quadratic_from_several_starts() {
        let objective = |u: &[f64]| {
            let value = (u[0] - 1.0).powi(2) + 3.0 * (u[1] + 2.0).powi(2);
            (value, vec![2.0 * (u[0] - 1.0), 6.0 * (u[1] + 2.0)])
        };
        let minimum = minimize(&objective, &[vec![0.0, 0.0], vec![5.0, 5.0]], 100).unwrap();
        assert!((minimum.log_params[0] - 1.0).abs() < 1e-6);
        assert!((minimum.log_params[1] + 2.0).abs() < 1e-6);
        assert!(minimum.converged);
    }

    #[test]
    fn standard_errors_of_a_quadratic_are_its_inverse_curvature() {
        // Negative log-likelihood 0.5 * (x - 1)^2 / 4 + 0.5 * y^2 / 9: variances 4 and 9.
        let gradient = |t: &[f64]| vec![(t[0] - 1.0) / 4.0, t[1] / 9.0];
        let errors = standard_errors_of(&covariance(&[1.0, 0.5], &gradient).unwrap());
        assert!(
            (errors[0] - 2.0).abs() < 1e-6 && (errors[1] - 3.0).abs() < 1e-6,
            "{errors:?}"
        );
        let flat = |_: &[f64]| vec![0.0, 0.0];
        assert!(covariance(&[1.0, 1.0], &flat).is_err());
    }
}
