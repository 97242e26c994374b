//! `clv/model.json`: the one record of a lifetime-value fit, written by the lifetime-value stage
//! and read by `custseg clv`'s summary, `custseg serve` (`POST /v1/clv`) and the report.
//!
//! Non-finite numbers (a correlation over too few customers, a log-likelihood of minus
//! infinity) are written as JSON `null`, as JSON requires, and read back as NaN on the fields
//! where they can occur ([`crate::nan_as_null`]); every other field must be present and of its
//! type, so a damaged file is an error that names the field.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::bgnbd::BgNbdFit;
use crate::clv::{ClvOptions, NewCustomerPrediction};
use crate::covariates::CovariateAnalysis;
use crate::fit::PurchaseFit;
use crate::gamma_gamma::GammaGammaFit;
use crate::mbgnbd::MbgNbdFit;
use crate::pareto_nbd::ParetoNbdFit;
use crate::purchase_model::{HoldoutErrors, ModelChoice, PurchaseModel};
use crate::returns::SpendBasis;
use crate::scorecard::Scorecard;
use crate::summary::TimeUnit;
use crate::uncertainty::predictive::PredictiveTotal;
use crate::uncertainty::{ClvIntervals, DrawSet, Interval, TotalIntervals, parameter_intervals};

/// Where the file sits in a run's output directory.
pub const CLV_MODEL_FILE: &str = "clv/model.json";

/// Everything the lifetime-value stage decided and fitted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClvModelFile {
    /// BG/NBD's fit (always made).
    pub bg_nbd: BgNbdFit,
    /// The end of the calibration period, when a holdout was kept.
    pub calibration_end: Option<NaiveDate>,
    /// How CLV is discounted and over what horizon.
    pub clv: ClvOptions,
    /// Customers summarised.
    pub customers: usize,
    /// Gamma-Gamma's fit of spend per purchase.
    pub gamma_gamma: GammaGammaFit,
    /// The holdout's errors per purchase model, when a calibration end was given.
    pub holdout: Option<Holdout>,
    /// Which purchase model predicts, and why.
    pub model_choice: ModelChoiceRecord,
    /// The last day of the summaries' observation period (the calibration end, or the as-of date).
    pub observation_end: NaiveDate,
    /// Pareto/NBD's fit, when it was fitted (a holdout, or asked for).
    pub pareto_nbd: Option<ParetoNbdFit>,
    /// MBG/NBD's fit, when it was fitted (a holdout, or asked for); absent in files written
    /// before it was offered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mbg_nbd: Option<MbgNbdFit>,
    /// The purchase model the predictions come from (absent in files of the first versions,
    /// which knew only BG/NBD: see [`ClvModelFile::chosen_model`]).
    pub purchase_model: Option<PurchaseModel>,
    /// Customers with at least one repeat purchase.
    pub repeat_customers: usize,
    /// The parameter draws the predictions' intervals come from, when intervals were made
    /// (absent in files written before they were).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uncertainty: Option<DrawSet>,
    /// What a customer with no history yet is expected to bring over the horizon, and its
    /// intervals when intervals were made; absent in files written before it was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_customer: Option<NewCustomer>,
    /// The predictive interval of the total purchases over the CLV horizon (parameters and
    /// each customer's own randomness together), when the chosen model is BG/NBD with
    /// parameter draws.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predictive_purchases: Option<PredictiveTotal>,
    /// The same over the holdout, with a calibration end, to set beside what happened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holdout_predictive_purchases: Option<PredictiveTotal>,
    /// BG/NBD and Gamma-Gamma with the covariates asked for, and their tests against the
    /// models without them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub covariates: Option<CovariateAnalysis>,
    /// Whether spend and CLV are gross or net of returns (absent, gross, in files written
    /// before net value was offered).
    #[serde(default)]
    pub spend: SpendBasis,
    /// Net of returns: the population's kept share, which a new customer's value uses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub population_kept_share: Option<f64>,
    /// Every purchase model and the naive baseline scored on the same holdout, when a
    /// calibration end was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scorecard: Option<Scorecard>,
    /// The intervals of the totals over every customer (expected purchases, CLV), from the
    /// same draws, when intervals were made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_intervals: Option<TotalIntervals>,
    /// The time unit of the summaries and parameters.
    pub unit: TimeUnit,
    /// What the user should know about the fits.
    pub warnings: Vec<String>,
}

/// The rule that chose the purchase model and its reason in words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelChoiceRecord {
    /// The rule asked for.
    pub rule: ModelChoice,
    /// Why the chosen model was chosen.
    pub reason: String,
}

/// The purchase models scored on the holdout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Holdout {
    /// Length of the holdout, in the summaries' unit.
    pub holdout_length: f64,
    /// Customers scored.
    pub customers: usize,
    /// Errors by purchase model name (`bg_nbd`, `pareto_nbd`).
    pub models: BTreeMap<String, HoldoutErrors>,
}

impl ClvModelFile {
    /// The purchase model the predictions come from.
    pub fn chosen_model(&self) -> PurchaseModel {
        self.purchase_model
            .unwrap_or(PurchaseModel::BgNbd(self.bg_nbd.params))
    }

    /// The chosen purchase model's parameter names, standard errors and covariance (the
    /// last two where its fit gave them).
    fn chosen_fit(&self) -> ChosenFit<'_> {
        fn parts<'a, P>(
            names: [&'static str; 4],
            fit: Option<&'a PurchaseFit<P>>,
        ) -> ChosenFit<'a> {
            ChosenFit {
                names,
                standard_errors: fit.and_then(|f| f.standard_errors),
                covariance: fit.and_then(|f| f.covariance.as_ref()),
            }
        }
        match self.chosen_model() {
            PurchaseModel::BgNbd(_) => parts(["r", "alpha", "a", "b"], Some(&self.bg_nbd)),
            PurchaseModel::ParetoNbd(_) => {
                parts(["r", "alpha", "s", "beta"], self.pareto_nbd.as_ref())
            }
            PurchaseModel::MbgNbd(_) => parts(["r", "alpha", "a", "b"], self.mbg_nbd.as_ref()),
        }
    }

    /// Standard errors of the chosen purchase model's and the spend model's parameters by name
    /// (`r`, `alpha`, `a`, `b` or `r`, `alpha`, `s`, `beta`; `p`, `q`, `gamma`): those the
    /// fits could give.
    pub fn standard_errors_by_name(&self) -> BTreeMap<String, f64> {
        let chosen = self.chosen_fit();
        let names = chosen.names;
        let mut errors = BTreeMap::new();
        if let Some(values) = chosen.standard_errors {
            errors.extend(names.iter().map(|n| (*n).to_owned()).zip(values));
        }
        if let Some(values) = self.gamma_gamma.standard_errors {
            errors.extend(
                ["p", "q", "gamma"]
                    .iter()
                    .map(|n| (*n).to_owned())
                    .zip(values),
            );
        }
        errors.retain(|_, v| v.is_finite());
        errors
    }

    /// Every fitted parameter of the chosen purchase model and the spend model, with its
    /// standard error and its Wald interval at `level` on the log scale, where the fit gave a
    /// covariance.
    pub fn parameter_estimates(&self, level: f64) -> Vec<ParameterEstimate> {
        let chosen = self.chosen_model();
        let fit = self.chosen_fit();
        let spend = self.gamma_gamma.params;
        let mut estimates = estimates_of(
            chosen.label(),
            &fit.names,
            &chosen.params(),
            fit.covariance,
            level,
        );
        estimates.extend(estimates_of(
            "Gamma-Gamma",
            &["p", "q", "gamma"],
            &[spend.p, spend.q, spend.gamma],
            self.gamma_gamma.covariance.as_ref(),
            level,
        ));
        estimates
    }

    /// The purchase models fitted: BG/NBD, then Pareto/NBD and MBG/NBD when they were fitted.
    pub fn fitted_models(&self) -> Vec<PurchaseModel> {
        let mut fitted = vec![PurchaseModel::BgNbd(self.bg_nbd.params)];
        fitted.extend(
            self.pareto_nbd
                .as_ref()
                .map(|f| PurchaseModel::ParetoNbd(f.params)),
        );
        fitted.extend(
            self.mbg_nbd
                .as_ref()
                .map(|f| PurchaseModel::MbgNbd(f.params)),
        );
        fitted
    }

    /// The file's bytes: pretty JSON with every object's keys in order, and a final newline.
    pub fn to_json_bytes(&self) -> serde_json::Result<Vec<u8>> {
        // Through `serde_json::Value`, whose objects keep their keys sorted: nested records
        // (the fits, their parameters) come out in key order as well, as they always have.
        let value = serde_json::to_value(self)?;
        let mut bytes = serde_json::to_vec_pretty(&value)?;
        bytes.push(b'\n');
        Ok(bytes)
    }

    /// Reads the bytes of a `clv/model.json`; `null` numbers come back as NaN.
    pub fn from_json_bytes(bytes: &[u8]) -> serde_json::Result<Self> {
        serde_json::from_slice(bytes)
    }
}

/// The chosen purchase model's parameter names, standard errors and covariance (the last two
/// where its fit gave them).
struct ChosenFit<'a> {
    names: [&'static str; 4],
    standard_errors: Option<[f64; 4]>,
    covariance: Option<&'a Vec<Vec<f64>>>,
}

/// A new customer's expectation over the horizon, and its intervals.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NewCustomer {
    /// The point values.
    #[serde(flatten)]
    pub prediction: NewCustomerPrediction,
    /// Their intervals (P(alive) is 1), when intervals were made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub intervals: Option<ClvIntervals>,
}

/// One fitted parameter, as the report's table shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ParameterEstimate {
    /// The model's name for people (`BG/NBD`, `Gamma-Gamma`).
    pub model: &'static str,
    /// The parameter's name.
    pub name: &'static str,
    /// The maximum-likelihood estimate.
    pub estimate: f64,
    /// Its standard error, when the fit gave a covariance.
    pub standard_error: Option<f64>,
    /// Its Wald interval on the log scale, when the fit gave a covariance.
    pub interval: Option<Interval>,
}

fn estimates_of(
    model: &'static str,
    names: &[&'static str],
    theta: &[f64],
    covariance: Option<&Vec<Vec<f64>>>,
    level: f64,
) -> Vec<ParameterEstimate> {
    let intervals = covariance.map(|c| parameter_intervals(theta, c, level));
    names
        .iter()
        .enumerate()
        .map(|(i, name)| ParameterEstimate {
            model,
            name,
            estimate: theta[i],
            standard_error: covariance.map(|c| c[i][i].sqrt()),
            interval: intervals.as_ref().map(|v| v[i]),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bgnbd::BgNbd;
    use crate::fit::PurchaseFit;
    use crate::gamma_gamma::GammaGamma;

    fn file(correlation: f64, log_likelihood: f64) -> ClvModelFile {
        let params = BgNbd {
            r: 0.24,
            alpha: 4.41,
            a: 0.79,
            b: 2.43,
        };
        ClvModelFile {
            bg_nbd: PurchaseFit {
                params,
                standard_errors: Some([0.01, 0.2, f64::NAN, 0.3]),
                covariance: None,
                log_likelihood,
                iterations: 40,
                converged: true,
                starts: 3,
                customers: 2357,
                warnings: vec![],
            },
            calibration_end: NaiveDate::from_ymd_opt(1997, 9, 30),
            clv: ClvOptions::default(),
            customers: 2357,
            gamma_gamma: GammaGammaFit {
                params: GammaGamma {
                    p: 6.25,
                    q: 3.74,
                    gamma: 15.44,
                },
                standard_errors: None,
                covariance: None,
                log_likelihood: -4000.5,
                iterations: 20,
                converged: true,
                customers: 946,
                excluded: 1411,
                frequency_monetary_correlation: correlation,
                warnings: vec!["few customers".into()],
            },
            holdout: Some(Holdout {
                holdout_length: 39.0,
                customers: 2357,
                models: BTreeMap::from([(
                    "bg_nbd".to_owned(),
                    HoldoutErrors {
                        mae: 0.6,
                        rmse: 1.1,
                        predicted_total: 1788.0,
                        actual_total: 1811.0,
                        total_error: -23.0,
                    },
                )]),
            }),
            model_choice: ModelChoiceRecord {
                rule: ModelChoice::Auto,
                reason: "lower holdout MAE".into(),
            },
            observation_end: NaiveDate::from_ymd_opt(1998, 6, 30).unwrap(),
            pareto_nbd: None,
            mbg_nbd: None,
            purchase_model: Some(PurchaseModel::BgNbd(params)),
            repeat_customers: 946,
            uncertainty: None,
            new_customer: None,
            scorecard: None,
            spend: SpendBasis::Gross,
            population_kept_share: None,
            predictive_purchases: None,
            holdout_predictive_purchases: None,
            covariates: None,
            total_intervals: None,
            unit: TimeUnit::Weeks,
            warnings: vec!["few customers".into()],
        }
    }

    #[test]
    fn a_written_file_reads_back_with_non_finite_numbers_as_nan() {
        let written = file(f64::NAN, f64::NEG_INFINITY);
        let bytes = written.to_json_bytes().unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.ends_with("}\n"));
        // Keys in order at every level, as the stage has always written them.
        assert!(
            text.find("\"bg_nbd\"").unwrap() < text.find("\"warnings\": [\n    \"few").unwrap()
        );
        assert!(text.contains("\"frequency_monetary_correlation\": null"));
        let read = ClvModelFile::from_json_bytes(&bytes).unwrap();
        assert!(read.gamma_gamma.frequency_monetary_correlation.is_nan());
        assert!(read.bg_nbd.log_likelihood.is_nan());
        assert!(read.bg_nbd.standard_errors.unwrap()[2].is_nan());
        let finite = file(0.11, -9582.4);
        let again = ClvModelFile::from_json_bytes(&finite.to_json_bytes().unwrap()).unwrap();
        assert_eq!(again.bg_nbd.standard_errors.unwrap()[..2], [0.01, 0.2]);
        assert_eq!(again.chosen_model(), finite.chosen_model());
        assert_eq!(
            (again.holdout, again.gamma_gamma),
            (finite.holdout, finite.gamma_gamma)
        );
    }

    #[test]
    fn a_damaged_file_names_the_field_and_old_files_fall_back_to_bg_nbd() {
        let mut value = serde_json::to_value(file(0.1, -1.0)).unwrap();
        value["gamma_gamma"]["params"]["q"] = serde_json::json!("three");
        let error = ClvModelFile::from_json_bytes(&serde_json::to_vec(&value).unwrap())
            .unwrap_err()
            .to_string();
        assert!(error.contains("invalid type"), "{error}");
        // The first versions wrote no `purchase_model`: they predicted with BG/NBD.
        let mut old = serde_json::to_value(file(0.1, -1.0)).unwrap();
        old.as_object_mut().unwrap().remove("purchase_model");
        let read = ClvModelFile::from_json_bytes(&serde_json::to_vec(&old).unwrap()).unwrap();
        assert_eq!(read.purchase_model, None);
        assert_eq!(read.fitted_models(), vec![read.chosen_model()]);
    }
}
