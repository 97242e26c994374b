//! Everything configurable, as `custseg.toml` spells it, with its defaults. The command line
//! is laid on top by the binary (command line > environment > `custseg.toml` > defaults).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use custseg_data::clean::CleanConfig;
use custseg_data::engine::EngineOptions;
use custseg_data::ingest::IngestOptions;
use serde::{Deserialize, Serialize};

use custseg_clv::clv::ClvOptions;
use custseg_clv::purchase_model::ModelChoice;
use custseg_clv::returns::SpendBasis;
use custseg_clv::summary::TimeUnit;
use custseg_clv::uncertainty::{UncertaintyMethod, UncertaintyOptions};
use custseg_model::ModelConfig;

/// Everything configurable, as in `custseg.toml`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// `[ingest]`: reading inputs.
    pub ingest: IngestOptions,
    /// `[clean]`: cleaning rules.
    pub clean: CleanConfig,
    /// `[engine]`: the query engine.
    pub engine: EngineOptions,
    /// `[features]`.
    pub features: FeatureSettings,
    /// `[demo]`: the built-in demo dataset.
    pub demo: DemoSettings,
    /// `[model]`: the segmentation model.
    pub model: ModelConfig,
    /// `[clv]`: customer lifetime value.
    pub clv: ClvSettings,
    /// `[tracking]`: where runs are recorded.
    pub tracking: TrackingSettings,
    /// `[registry]`: what `custseg run` registers and promotes.
    pub registry: RegistrySettings,
    /// `[schedule]`: `custseg schedule` and its retraining policy.
    pub schedule: ScheduleSettings,
}

/// `[tracking]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrackingSettings {
    /// Record each `custseg run` and `custseg train` as a run. Default: true.
    pub enabled: bool,
    /// Root of the local store (runs and the model registry). Default: `runs`.
    pub dir: PathBuf,
    /// Experiment the runs go to. Default: `custseg` (environment: `MLFLOW_EXPERIMENT_NAME`).
    pub experiment: String,
    /// An MLflow server (`http://host:5000`) to use instead of the local store. Default: none
    /// (environment: `MLFLOW_TRACKING_URI`, which takes precedence).
    pub mlflow_uri: Option<String>,
}

impl Default for TrackingSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            dir: PathBuf::from("runs"),
            experiment: "custseg".to_owned(),
            mlflow_uri: None,
        }
    }
}

/// `[registry]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RegistrySettings {
    /// Name under which `custseg run` registers each new model. Default: `customer-segments`.
    pub model: String,
    /// Whether `custseg run` registers new models at all. Default: true.
    pub register: bool,
    /// An alias (`production`) to move to each new version that passes the champion/challenger
    /// gate against the version holding it. Default: none (promote by hand).
    pub promote_to: Option<String>,
}

impl Default for RegistrySettings {
    fn default() -> Self {
        Self {
            model: "customer-segments".to_owned(),
            register: true,
            promote_to: None,
        }
    }
}

/// `[schedule]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScheduleSettings {
    /// The alias scheduled retraining promotes to when the gate passes (unless
    /// `[registry] promote_to` names another). Default: `production`.
    pub promote_to: String,
}

impl Default for ScheduleSettings {
    fn default() -> Self {
        Self {
            promote_to: "production".to_owned(),
        }
    }
}

/// `[clv]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClvSettings {
    /// Whether `custseg run` includes the lifetime-value stage. Default: true.
    pub in_run: bool,
    /// Time unit of recency and T: `days` or `weeks`. Default: days.
    pub unit: TimeUnit,
    /// Months (30-day steps) of the CLV horizon. Default: 12.
    pub horizon_months: u32,
    /// Discount rate per month. Default: 0.01.
    pub discount_rate: f64,
    /// Profit margin applied to spend, in (0, 1]. Default: 1.0.
    pub margin: f64,
    /// L2 penalty on the model parameters (as lifetimes' `penalizer_coef`). Default: 0.
    pub penalizer: f64,
    /// The purchase model CLV uses: `auto` (with a calibration end the smaller holdout MAE,
    /// else the larger log-likelihood), `bg_nbd`, `pareto_nbd` or `mbg_nbd`. Default: auto.
    pub purchase_model: ModelChoice,
    /// Where every customer's intervals come from: `parameters` (draws from the fits'
    /// estimated distribution), `bootstrap` (refits on resampled customers) or `none`.
    /// Default: parameters.
    pub intervals: UncertaintyMethod,
    /// Coverage of the intervals, in (0, 1). Default: 0.9.
    pub interval_level: f64,
    /// Parameter draws, or bootstrap resamples, behind the intervals. Default: 200.
    pub interval_draws: usize,
    /// Seed of the draws. Default: 42.
    pub interval_seed: u64,
    /// Spend `gross` (purchases only) or `net` of returns (cancelled lines, by the rules of
    /// docs/clv.md). Default: gross.
    pub spend: SpendBasis,
    /// Static covariates to fit BG/NBD and Gamma-Gamma with, beside the models without them:
    /// `country` (1 when the customer's main country is not the most common one) and `cohort`
    /// (years from the first customer's first purchase to this customer's). Default: none.
    pub covariates: Vec<String>,
}

/// The covariates `[clv] covariates` may name.
pub const COVARIATES: [&str; 2] = ["country", "cohort"];

impl Default for ClvSettings {
    fn default() -> Self {
        let options = ClvOptions::default();
        let uncertainty = UncertaintyOptions::default();
        Self {
            in_run: true,
            unit: TimeUnit::Days,
            horizon_months: options.horizon_months,
            discount_rate: options.discount_rate,
            margin: options.margin,
            penalizer: 0.0,
            purchase_model: ModelChoice::Auto,
            intervals: uncertainty.method,
            interval_level: uncertainty.level,
            interval_draws: uncertainty.draws,
            interval_seed: uncertainty.seed,
            spend: SpendBasis::Gross,
            covariates: Vec::new(),
        }
    }
}

impl ClvSettings {
    /// The horizon, discount rate and margin, checked.
    pub fn options(&self) -> Result<ClvOptions> {
        let options = ClvOptions {
            horizon_months: self.horizon_months,
            discount_rate: self.discount_rate,
            margin: self.margin,
        };
        options.check()?;
        Ok(options)
    }

    /// The covariates, checked against those custseg can build.
    pub fn checked_covariates(&self) -> Result<Vec<String>> {
        for name in &self.covariates {
            if !COVARIATES.contains(&name.as_str()) {
                anyhow::bail!(
                    "covariate `{name}`: expected one of {}",
                    COVARIATES.join(", ")
                );
            }
        }
        Ok(self.covariates.clone())
    }

    /// How the intervals are made, checked.
    pub fn uncertainty(&self) -> Result<UncertaintyOptions> {
        let options = UncertaintyOptions {
            method: self.intervals,
            level: self.interval_level,
            draws: self.interval_draws,
            seed: self.interval_seed,
        };
        options.check()?;
        Ok(options)
    }
}

/// `[features]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FeatureSettings {
    /// The date recency is measured to. Default: the last date in the cleaned data.
    pub as_of: Option<chrono::NaiveDate>,
}

/// `[demo]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DemoSettings {
    /// Rows of the demo dataset. Default: 500000.
    pub rows: u64,
    /// Its seed. Default: 7.
    pub seed: u64,
    /// Its customers. Default: about one per 120 rows.
    pub customers: Option<u64>,
}

impl Default for DemoSettings {
    fn default() -> Self {
        Self {
            rows: 500_000,
            seed: 7,
            customers: None,
        }
    }
}

impl Settings {
    /// Defaults, overlaid with `path` (or `./custseg.toml` when present and no path is given).
    pub fn load(path: Option<&Path>) -> Result<Settings> {
        let (path, required) = match path {
            Some(path) => (path.to_path_buf(), true),
            None => (PathBuf::from("custseg.toml"), false),
        };
        if !path.exists() {
            if required {
                bail!("settings file `{}` does not exist", path.display());
            }
            return Ok(Settings::default());
        }
        let text = fs_err::read_to_string(&path)?;
        let settings: Settings = toml::from_str(&text)
            .with_context(|| format!("settings file `{}` is invalid", path.display()))?;
        settings
            .clean
            .build()
            .with_context(|| format!("settings file `{}`", path.display()))?;
        settings
            .model
            .check()
            .with_context(|| format!("settings file `{}`", path.display()))?;
        settings
            .clv
            .options()
            .with_context(|| format!("settings file `{}`: [clv]", path.display()))?;
        tracing::debug!(path = %path.display(), "loaded settings");
        Ok(settings)
    }
}

/// Parses a byte size such as `4GiB`, `512MB`, `1.5G` or `1000000`.
pub fn parse_bytes(text: &str) -> Result<u64> {
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let value: f64 = number
        .parse()
        .with_context(|| format!("`{text}` is not a size; expected e.g. `4GiB` or `512MB`"))?;
    let factor: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "kib" => 1024.0,
        "m" | "mb" => 1e6,
        "mib" => 1024.0 * 1024.0,
        "g" | "gb" => 1e9,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        "t" | "tb" => 1e12,
        "tib" => 1024.0_f64.powi(4),
        other => {
            bail!("`{text}`: unknown size unit `{other}`; expected B, KB, KiB, MB, MiB, GB, GiB")
        }
    };
    Ok((value * factor) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_bytes("4GiB").unwrap(), 4 * 1024 * 1024 * 1024);
        assert_eq!(parse_bytes("512MB").unwrap(), 512_000_000);
        assert_eq!(parse_bytes("1000").unwrap(), 1000);
        assert!(parse_bytes("lots").is_err());
        assert!(parse_bytes("4XB").is_err());
    }

    #[test]
    fn unknown_settings_are_rejected() {
        let error = toml::from_str::<Settings>("[clean]\nduplicate = false\n").unwrap_err();
        assert!(
            error.to_string().contains("unknown field `duplicate`"),
            "{error}"
        );
    }

    #[test]
    fn defaults_round_trip_through_toml() {
        let text = toml::to_string(&Settings::default()).unwrap();
        let back: Settings = toml::from_str(&text).unwrap();
        assert_eq!(back, Settings::default());
    }
}
