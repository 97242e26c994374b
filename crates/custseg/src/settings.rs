//! Settings resolved once: command line > environment > `custseg.toml` > defaults.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use custseg_data::clean::CleanConfig;
use custseg_data::engine::EngineOptions;
use custseg_data::ingest::IngestOptions;
use serde::{Deserialize, Serialize};

use custseg_clv::clv::ClvOptions;
use custseg_clv::purchase_model::ModelChoice;
use custseg_clv::summary::TimeUnit;
use custseg_ml::search::SelectionRule;
use custseg_model::ModelConfig;

use crate::cli::{ClvArgs, IngestArgs, ModelArgs};

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
    /// else the larger log-likelihood), `bg_nbd` or `pareto_nbd`. Default: auto.
    pub purchase_model: ModelChoice,
}

impl Default for ClvSettings {
    fn default() -> Self {
        let options = ClvOptions::default();
        Self {
            in_run: true,
            unit: TimeUnit::Days,
            horizon_months: options.horizon_months,
            discount_rate: options.discount_rate,
            margin: options.margin,
            penalizer: 0.0,
            purchase_model: ModelChoice::Auto,
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

    /// Overrides `[model]` with the command line.
    pub fn apply_model_args(&mut self, args: &ModelArgs) -> Result<()> {
        let model = &mut self.model;
        let search = &mut model.search;
        if let Some(v) = args.k_min {
            search.k_min = v;
        }
        if let Some(v) = args.k_max {
            search.k_max = v;
        }
        if let Some(inits) = &args.inits {
            search.inits = inits
                .iter()
                .map(|i| i.trim().parse())
                .collect::<Result<_, _>>()?;
        }
        if let Some(v) = args.n_init {
            search.n_init = v;
        }
        if let Some(v) = args.max_iter {
            search.max_iter = v;
        }
        if let Some(v) = args.tol {
            search.tol = v;
        }
        if let Some(v) = args.seed {
            search.seed = v;
        }
        if let Some(rule) = &args.selection {
            search.selection.rule = match rule.as_str() {
                "composite" => SelectionRule::Composite,
                "silhouette" => SelectionRule::Silhouette,
                "davies_bouldin" => SelectionRule::DaviesBouldin,
                "calinski_harabasz" => SelectionRule::CalinskiHarabasz,
                other => bail!(
                    "`--selection {other}`: expected composite, silhouette, davies_bouldin or calinski_harabasz"
                ),
            };
        }
        if let Some(v) = args.select_k_min {
            search.selection.k_min = v;
        }
        if let Some(v) = args.select_k_max {
            search.selection.k_max = v;
        }
        if let Some(v) = args.stability_bootstraps {
            search.stability_bootstraps = v;
        }
        if let Some(v) = args.silhouette_exact_max {
            search.silhouette.exact_max_rows = v;
        }
        if let Some(v) = args.contamination {
            model.outliers.contamination = v;
        }
        if let Some(v) = args.n_estimators {
            model.outliers.n_estimators = v;
        }
        if let Some(v) = args.outlier_seed {
            model.outliers.seed = v;
        }
        if args.no_outliers {
            model.outliers.enabled = false;
        }
        if let Some(scaling) = &args.scaling {
            model.scaling = match scaling.as_str() {
                "standard" => custseg_ml::scaling::ScalingKind::Standard,
                "robust" => custseg_ml::scaling::ScalingKind::Robust,
                other => bail!("`--scaling {other}`: expected standard or robust"),
            };
        }
        if let Some(v) = args.pca_components {
            model.pca.n_components = Some(v);
        }
        if let Some(v) = args.pca_variance {
            model.pca.n_components = None;
            model.pca.variance_threshold = v;
        }
        model.check()?;
        Ok(())
    }

    /// Overrides `[clv]` with `custseg clv`'s command line.
    pub fn apply_clv_args(&mut self, args: &ClvArgs) -> Result<()> {
        let clv = &mut self.clv;
        if let Some(unit) = &args.unit {
            clv.unit = match unit.as_str() {
                "days" => TimeUnit::Days,
                "weeks" => TimeUnit::Weeks,
                other => bail!("`--unit {other}`: expected days or weeks"),
            };
        }
        if let Some(v) = args.horizon_months {
            clv.horizon_months = v;
        }
        if let Some(v) = args.discount_rate {
            clv.discount_rate = v;
        }
        if let Some(v) = args.margin {
            clv.margin = v;
        }
        if let Some(v) = args.penalizer {
            clv.penalizer = v;
        }
        if let Some(model) = &args.purchase_model {
            clv.purchase_model = model
                .parse()
                .map_err(|e: String| anyhow::anyhow!("`--purchase-model {model}`: {e}"))?;
        }
        Ok(())
    }

    /// Applies the command line's engine options on top (`--memory-limit`, `--spill-dir`,
    /// `--engine`), checks the cluster's address, and returns the spill directory: the one
    /// given, or `.custseg-spill/` under `out`. The one place engine flags are resolved.
    pub fn apply_engine_args(
        &mut self,
        args: &crate::cli::EngineArgs,
        out: &Path,
    ) -> Result<PathBuf> {
        let engine = &mut self.engine;
        if let Some(limit) = &args.memory_limit {
            engine.memory_limit = Some(parse_bytes(limit)?);
        }
        if let Some(directory) = &args.spill_dir {
            engine.spill_dir = Some(directory.clone());
        }
        let spill_dir = engine
            .spill_dir
            .get_or_insert_with(|| custseg_data::engine::default_spill_dir(out))
            .clone();
        if let Some(url) = &args.engine {
            engine.cluster = Some(url.clone());
        }
        if let Some(url) = &engine.cluster
            && !url.starts_with("df://")
        {
            bail!("`--engine {url}`: expected the Ballista scheduler as `df://host:port`");
        }
        Ok(spill_dir)
    }

    /// Applies the command line's ingest options on top.
    pub fn apply_ingest_args(&mut self, args: &IngestArgs) -> Result<()> {
        let ingest = &mut self.ingest;
        if !args.sheet.is_empty() {
            ingest.sheet = args.sheet.clone();
        }
        if let Some(member) = &args.member {
            ingest.member = Some(member.clone());
        }
        if let Some(encoding) = &args.encoding {
            ingest.encoding = encoding.parse().map_err(anyhow::Error::msg)?;
        }
        if let Some(format) = &args.date_format {
            ingest.date_format = format.parse().map_err(anyhow::Error::msg)?;
        }
        if let Some(delimiter) = args.delimiter {
            ingest.delimiter = Some(delimiter);
        }
        if let Some(decimal) = &args.decimal {
            ingest.decimal = decimal.parse().map_err(anyhow::Error::msg)?;
        }
        for mapping in &args.map {
            let Some((source, target)) = mapping.split_once('=') else {
                bail!(
                    "`--map {mapping}`: expected SOURCE=TARGET, e.g. `--map \"Order ID=InvoiceNo\"`"
                );
            };
            ingest
                .columns
                .insert(source.trim().to_owned(), target.trim().to_owned());
        }
        if let Some(sha256) = &args.sha256 {
            ingest.sha256 = Some(sha256.clone());
        }
        ingest.refresh |= args.refresh;
        if args.no_cache {
            ingest.cache = false;
        }
        if let Some(data_dir) = &args.data_dir {
            ingest.data_dir = data_dir.clone();
        }
        Ok(())
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

    #[test]
    fn map_needs_an_equals_sign() {
        let mut settings = Settings::default();
        let args = IngestArgs {
            map: vec!["Order ID".to_owned()],
            ..IngestArgs::default()
        };
        assert!(settings.apply_ingest_args(&args).is_err());
        let args = IngestArgs {
            map: vec!["Order ID = InvoiceNo".to_owned()],
            ..IngestArgs::default()
        };
        settings.apply_ingest_args(&args).unwrap();
        assert_eq!(settings.ingest.columns["Order ID"], "InvoiceNo");
    }

    #[test]
    fn sheets_are_one_name_or_a_list_and_the_command_line_wins() {
        let one: Settings = toml::from_str("[ingest]\nsheet = \"Year 2010-2011\"\n").unwrap();
        assert_eq!(one.ingest.sheet, ["Year 2010-2011"]);
        let text = "[ingest]\nsheet = [\"Year 2009-2010\", \"Year 2010-2011\"]\n";
        let mut many: Settings = toml::from_str(text).unwrap();
        assert_eq!(many.ingest.sheet, ["Year 2009-2010", "Year 2010-2011"]);
        let back: Settings = toml::from_str(&toml::to_string(&many).unwrap()).unwrap();
        assert_eq!(back, many);
        assert!(toml::from_str::<Settings>("[ingest]\nsheet = 2\n").is_err());
        let args = IngestArgs {
            sheet: vec!["*".to_owned()],
            ..IngestArgs::default()
        };
        many.apply_ingest_args(&args).unwrap();
        assert_eq!(many.ingest.sheet, ["*"]);
    }
}
