//! The purchase models side by side: what CLV needs of either (P(alive) and expected
//! purchases), and the choice between them.

use serde::{Deserialize, Serialize};

use crate::bgnbd::BgNbd;
use crate::error::Result;
use crate::mbgnbd::MbgNbd;
use crate::pareto_nbd::ParetoNbd;
use crate::summary::CustomerSummary;

/// A fitted purchase model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "model", rename_all = "snake_case")]
pub enum PurchaseModel {
    /// BG/NBD.
    BgNbd(BgNbd),
    /// Pareto/NBD.
    ParetoNbd(ParetoNbd),
    /// MBG/NBD.
    MbgNbd(MbgNbd),
}

impl PurchaseModel {
    /// The model's name as in `model.json` and on the command line.
    pub fn name(&self) -> &'static str {
        match self {
            Self::BgNbd(_) => "bg_nbd",
            Self::ParetoNbd(_) => "pareto_nbd",
            Self::MbgNbd(_) => "mbg_nbd",
        }
    }

    /// The model's name for people.
    pub fn label(&self) -> &'static str {
        match self {
            Self::BgNbd(_) => "BG/NBD",
            Self::ParetoNbd(_) => "Pareto/NBD",
            Self::MbgNbd(_) => "MBG/NBD",
        }
    }

    /// The names of the four parameters, in the order of [`PurchaseModel::params`].
    pub fn param_names(&self) -> [&'static str; 4] {
        match self {
            Self::BgNbd(_) | Self::MbgNbd(_) => ["r", "alpha", "a", "b"],
            Self::ParetoNbd(_) => ["r", "alpha", "s", "beta"],
        }
    }

    /// The four parameters in their order of the model file: (r, alpha, a, b) or
    /// (r, alpha, s, beta).
    pub fn params(&self) -> Vec<f64> {
        match self {
            Self::BgNbd(m) => vec![m.r, m.alpha, m.a, m.b],
            Self::ParetoNbd(m) => vec![m.r, m.alpha, m.s, m.beta],
            Self::MbgNbd(m) => vec![m.r, m.alpha, m.a, m.b],
        }
    }

    /// The same model with the parameters `theta`, in the order of [`PurchaseModel::params`].
    pub fn with_params(&self, theta: &[f64]) -> Self {
        match self {
            Self::BgNbd(_) => Self::BgNbd(BgNbd {
                r: theta[0],
                alpha: theta[1],
                a: theta[2],
                b: theta[3],
            }),
            Self::ParetoNbd(_) => Self::ParetoNbd(ParetoNbd {
                r: theta[0],
                alpha: theta[1],
                s: theta[2],
                beta: theta[3],
            }),
            Self::MbgNbd(_) => Self::MbgNbd(MbgNbd {
                r: theta[0],
                alpha: theta[1],
                a: theta[2],
                b: theta[3],
            }),
        }
    }

    /// Probability that a customer with this history is still alive at T.
    pub fn p_alive(&self, s: &CustomerSummary) -> Result<f64> {
        match self {
            Self::BgNbd(m) => Ok(m.p_alive(s)),
            Self::ParetoNbd(m) => m.p_alive(s),
            Self::MbgNbd(m) => Ok(m.p_alive(s)),
        }
    }

    /// Expected purchases of a new customer in their first `horizon` after the first purchase.
    pub fn new_customer_purchases(&self, horizon: f64) -> Result<f64> {
        match self {
            Self::BgNbd(m) => m.new_customer_purchases(horizon),
            Self::ParetoNbd(m) => Ok(m.new_customer_purchases(horizon)),
            Self::MbgNbd(m) => m.new_customer_purchases(horizon),
        }
    }

    /// Expected purchases in (T, T + horizon].
    pub fn expected_purchases(&self, s: &CustomerSummary, horizon: f64) -> Result<f64> {
        match self {
            Self::BgNbd(m) => m.expected_purchases(s, horizon),
            Self::ParetoNbd(m) => m.expected_purchases(s, horizon),
            Self::MbgNbd(m) => m.expected_purchases(s, horizon),
        }
    }
}

/// Which purchase model CLV uses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelChoice {
    /// With a holdout, the model with the smaller holdout MAE per customer; without one,
    /// BG/NBD (its fit is the one checked against `lifetimes`, and a likelihood is no test of
    /// predictions).
    #[default]
    Auto,
    /// BG/NBD.
    BgNbd,
    /// Pareto/NBD.
    ParetoNbd,
    /// MBG/NBD.
    MbgNbd,
}

impl std::str::FromStr for ModelChoice {
    type Err = String;

    fn from_str(text: &str) -> std::result::Result<Self, String> {
        match text {
            "auto" => Ok(Self::Auto),
            "bg_nbd" | "bg-nbd" | "bgnbd" => Ok(Self::BgNbd),
            "pareto_nbd" | "pareto-nbd" | "paretonbd" => Ok(Self::ParetoNbd),
            "mbg_nbd" | "mbg-nbd" | "mbgnbd" => Ok(Self::MbgNbd),
            other => Err(format!(
                "`{other}`: expected auto, bg_nbd, pareto_nbd or mbg_nbd"
            )),
        }
    }
}

/// One model's errors on the holdout period.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HoldoutErrors {
    /// Mean absolute error of purchases per customer.
    #[serde(deserialize_with = "crate::nan_as_null::number")]
    pub mae: f64,
    /// Root mean squared error of purchases per customer.
    #[serde(deserialize_with = "crate::nan_as_null::number")]
    pub rmse: f64,
    /// Predicted purchases, all customers.
    #[serde(deserialize_with = "crate::nan_as_null::number")]
    pub predicted_total: f64,
    /// Actual purchases, all customers.
    #[serde(deserialize_with = "crate::nan_as_null::number")]
    pub actual_total: f64,
    /// Predicted minus actual total.
    #[serde(deserialize_with = "crate::nan_as_null::number")]
    pub total_error: f64,
}

/// Relative difference of holdout MAE under which two models count as equally good.
pub const TIED_MAE: f64 = 0.001;

/// The chosen model's index among `candidates` (each with its log-likelihood and, with a
/// holdout, its errors) and the reason in words. A named model must be among the candidates.
pub fn choose(
    choice: ModelChoice,
    candidates: &[(PurchaseModel, f64, Option<HoldoutErrors>)],
) -> (usize, String) {
    let named = |name: &str| candidates.iter().position(|(m, _, _)| m.name() == name);
    match choice {
        ModelChoice::BgNbd | ModelChoice::ParetoNbd | ModelChoice::MbgNbd => {
            let name = match choice {
                ModelChoice::ParetoNbd => "pareto_nbd",
                ModelChoice::MbgNbd => "mbg_nbd",
                _ => "bg_nbd",
            };
            let index = named(name).unwrap_or(0);
            (
                index,
                format!("{} as named in the settings", candidates[index].0.label()),
            )
        }
        ModelChoice::Auto => {
            let with_holdout = candidates.len() > 1 && candidates.iter().all(|c| c.2.is_some());
            if !with_holdout {
                let index = named("bg_nbd").unwrap_or(0);
                return (
                    index,
                    format!(
                        "{} by default; give a calibration end to choose between BG/NBD, Pareto/NBD and MBG/NBD on a holdout",
                        candidates[index].0.label()
                    ),
                );
            }
            let mae = |i: usize| candidates[i].2.map_or(f64::INFINITY, |e| e.mae);
            let best = (0..candidates.len()).map(mae).fold(f64::INFINITY, f64::min);
            // Within TIED_MAE of the best counts as a tie, won by the first candidate (BG/NBD):
            // a difference in the fifth digit is no reason to switch models.
            let tied: Vec<usize> = (0..candidates.len())
                .filter(|&i| mae(i) <= best * (1.0 + TIED_MAE))
                .collect();
            let index = tied[0];
            let parts: Vec<String> = (0..candidates.len())
                .map(|i| format!("{} {:.4}", candidates[i].0.label(), mae(i)))
                .collect();
            let reason = if tied.len() > 1 {
                let names: Vec<&str> = tied.iter().map(|&i| candidates[i].0.label()).collect();
                format!(
                    "{} predict the holdout equally well (MAE per customer within {} %: {}); {} is kept, the first of them",
                    names.join(", "),
                    100.0 * TIED_MAE,
                    parts.join(" vs "),
                    candidates[index].0.label()
                )
            } else {
                format!(
                    "{} has the smaller holdout MAE per customer ({})",
                    candidates[index].0.label(),
                    parts.join(" vs ")
                )
            };
            (index, reason)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BG: PurchaseModel = PurchaseModel::BgNbd(BgNbd {
        r: 0.243,
        alpha: 4.414,
        a: 0.793,
        b: 2.426,
    });
    const PARETO: PurchaseModel = PurchaseModel::ParetoNbd(ParetoNbd {
        r: 0.5533,
        alpha: 10.578,
        s: 0.6062,
        beta: 11.669,
    });

    fn errors(mae: f64) -> Option<HoldoutErrors> {
        Some(HoldoutErrors {
            mae,
            rmse: mae,
            predicted_total: 0.0,
            actual_total: 0.0,
            total_error: 0.0,
        })
    }

    #[test]
    fn auto_chooses_on_the_holdout_when_there_is_one_else_bg_nbd() {
        let (index, reason) = choose(
            ModelChoice::Auto,
            &[(BG, -9582.4, errors(0.9)), (PARETO, -9595.0, errors(0.8))],
        );
        assert_eq!(index, 1);
        assert!(
            reason.contains("smaller holdout MAE") && reason.contains("Pareto/NBD 0.8000"),
            "{reason}"
        );
        let (index, reason) = choose(ModelChoice::Auto, &[(BG, -9582.4, None)]);
        assert_eq!(index, 0);
        assert!(reason.contains("BG/NBD by default"), "{reason}");
        let (index, _) = choose(
            ModelChoice::ParetoNbd,
            &[(BG, -1.0, errors(0.1)), (PARETO, -2.0, errors(0.9))],
        );
        assert_eq!(index, 1);
        // Equal to within 0.1 %: a tie, kept by the first (BG/NBD), and said so.
        let (index, reason) = choose(
            ModelChoice::Auto,
            &[(BG, -1.0, errors(0.93775)), (PARETO, -1.0, errors(0.93770))],
        );
        assert_eq!(index, 0);
        assert!(
            reason.contains("predict the holdout equally well")
                && reason.contains("BG/NBD is kept"),
            "{reason}"
        );
    }

    #[test]
    fn model_choices_parse_by_name() {
        assert_eq!(
            "pareto-nbd".parse::<ModelChoice>(),
            Ok(ModelChoice::ParetoNbd)
        );
        assert!("gamma".parse::<ModelChoice>().is_err());
    }
}
