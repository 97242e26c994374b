//! The command line laid over the settings: command line > environment > `custseg.toml` >
//! defaults. The settings themselves, and how `custseg.toml` is read, are in
//! `custseg_pipeline::settings`; this file is the one place a flag changes them.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use custseg_clv::summary::TimeUnit;
use custseg_ml::search::SelectionRule;
pub use custseg_pipeline::settings::{Settings, parse_bytes};

use crate::cli::{ClvArgs, EngineArgs, IngestArgs, ModelArgs};

/// Applies a command's flags to the settings.
pub trait ApplyArgs {
    /// Overrides `[model]` with the command line.
    fn apply_model_args(&mut self, args: &ModelArgs) -> Result<()>;
    /// Overrides `[clv]` with `custseg clv`'s command line.
    fn apply_clv_args(&mut self, args: &ClvArgs) -> Result<()>;
    /// Applies the command line's engine options on top (`--memory-limit`, `--spill-dir`,
    /// `--engine`), checks the cluster's address, and returns the spill directory: the one
    /// given, or `.custseg-spill/` under `out`. The one place engine flags are resolved.
    fn apply_engine_args(&mut self, args: &EngineArgs, out: &Path) -> Result<PathBuf>;
    /// Applies the command line's ingest options on top.
    fn apply_ingest_args(&mut self, args: &IngestArgs) -> Result<()>;
}

impl ApplyArgs for Settings {
    fn apply_model_args(&mut self, args: &ModelArgs) -> Result<()> {
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

    fn apply_clv_args(&mut self, args: &ClvArgs) -> Result<()> {
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
        if let Some(method) = &args.intervals {
            clv.intervals = method
                .parse()
                .map_err(|e: String| anyhow::anyhow!("`--intervals {method}`: {e}"))?;
        }
        if let Some(v) = args.interval_level {
            clv.interval_level = v;
        }
        if let Some(v) = args.interval_draws {
            clv.interval_draws = v;
        }
        if let Some(covariates) = &args.covariates {
            clv.covariates = covariates.clone();
        }
        if let Some(basis) = &args.spend {
            clv.spend = basis
                .parse()
                .map_err(|e: String| anyhow::anyhow!("`--spend {basis}`: {e}"))?;
        }
        clv.uncertainty()?;
        Ok(())
    }

    fn apply_engine_args(&mut self, args: &EngineArgs, out: &Path) -> Result<PathBuf> {
        let engine = &mut self.engine;
        if let Some(limit) = &args.memory_limit {
            engine.memory_limit = Some(parse_bytes(limit)?);
        }
        if let Some(directory) = &args.spill_dir {
            engine.spill_dir = Some(directory.clone());
        }
        if let Some(directory) = &args.explain_analyze {
            engine.explain_analyze = Some(directory.clone());
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

    fn apply_ingest_args(&mut self, args: &IngestArgs) -> Result<()> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
