//! The train stage's body: train, then write every output into a staged directory (the
//! caller commits it), and its summary lines.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use anyhow::{Context, Result};
use custseg_data::Progress;
use custseg_io::StagedOutput;
use custseg_model::config::ModelConfig;
use custseg_model::matching::transitions;
use custseg_model::model_file::ModelFile;
use custseg_model::table::CustomerTable;
use custseg_model::train::{RFM_COLUMNS, TrainOutcome, train_with_progress, training_steps};

use crate::profiles_file::{PcaSummary, ProfilesFile, RfmSegmentRecord, StepSeconds};
use crate::tables::{self, ParquetColumns};

/// Output files of the model stage, relative to the output directory.
pub mod paths {
    /// The model file.
    pub const MODEL: &str = "model/model.json";
    /// Every candidate of the search.
    pub const SEARCH: &str = "model/search.csv";
    /// One row per customer.
    pub const SEGMENTS: &str = "segments/customer_segments.parquet";
    /// Segment profiles, machine-readable.
    pub const PROFILES_JSON: &str = "segments/profiles.json";
    /// Segment profiles, for people.
    pub const PROFILES_MD: &str = "segments/profiles.md";
    /// Who moved between segments since the previous model.
    pub const TRANSITIONS: &str = "segments/transitions.csv";
}

/// Reads the model file at `path`: the one reader of `model/model.json` files, naming the
/// file in its error.
pub fn read_model(path: &Path) -> Result<ModelFile> {
    let bytes = fs_err::read(path)?;
    ModelFile::from_bytes(&bytes).with_context(|| format!("`{}`", path.display()))
}

/// Columns to read from a feature table for training: the model's features plus what profiles
/// and RFM use.
pub fn training_columns(config: &ModelConfig) -> Vec<String> {
    let mut columns = config.features.clone();
    for extra in RFM_COLUMNS.iter().chain(&["Tenure_Days"]) {
        if !columns.iter().any(|c| c == extra) {
            columns.push((*extra).to_owned());
        }
    }
    columns
}

/// Loads a previous model and the customer assignments it made: from the
/// `segments/customer_segments.parquet` beside its `model/` directory when that exists, else by
/// scoring today's customers with it.
pub fn load_previous(
    path: &Path,
    table: &CustomerTable,
) -> Result<(ModelFile, HashMap<i64, String>)> {
    let model = read_model(path)?;
    let beside = path
        .parent()
        .and_then(Path::parent)
        .map(|dir| dir.join(paths::SEGMENTS))
        .filter(|p| p.exists());
    let assignments = match beside {
        Some(segments) => read_assignments(&segments)?,
        None => {
            let predictions = model.predict(table)?;
            table
                .customer_ids
                .iter()
                .zip(predictions)
                .map(|(id, p)| (*id, p.segment))
                .collect()
        }
    };
    Ok((model, assignments))
}

fn read_assignments(path: &Path) -> Result<HashMap<i64, String>> {
    let previous = ParquetColumns::read(path)?;
    let (ids, names) = (previous.i64s("CustomerID")?, previous.strings("segment")?);
    Ok(ids.into_iter().zip(names).collect())
}

/// Trains and writes the model outputs into `staged`.
pub fn stage_model(
    staged: &mut StagedOutput,
    table: &CustomerTable,
    config: &ModelConfig,
    data_sha256: Option<String>,
    previous: Option<&(ModelFile, HashMap<i64, String>)>,
    progress: &dyn Progress,
) -> Result<TrainOutcome> {
    progress.begin("training", Some(training_steps(config) as u64));
    let done = std::sync::atomic::AtomicU64::new(0);
    let tick = || {
        let position = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        progress.advance_to(position);
    };
    let trained = train_with_progress(
        table,
        config,
        data_sha256,
        previous.map(|(model, _)| model),
        &tick,
    );
    progress.end();
    let outcome = trained?;
    staged.write(paths::MODEL, &outcome.model.to_bytes()?)?;
    tables::write_search_csv(
        &staged.path(paths::SEARCH)?,
        &outcome.model,
        &outcome.candidates,
        outcome.chosen,
    )?;
    tables::write_segments_parquet(&staged.path(paths::SEGMENTS)?, &outcome.customers)?;

    // RFM segment summary: customers and share of revenue, in table order.
    let spend = table.column("Total_Spend").unwrap_or(&[]);
    let total: f64 = spend.iter().sum();
    let mut rfm: BTreeMap<&str, (usize, f64)> = BTreeMap::new();
    for (i, customer) in outcome.customers.iter().enumerate() {
        let entry = rfm.entry(customer.rfm_segment.as_str()).or_default();
        entry.0 += 1;
        entry.1 += spend.get(i).copied().unwrap_or(0.0);
    }
    let rfm_rows: Vec<(String, usize, f64)> = config
        .rfm
        .segments
        .iter()
        .map(|s| {
            let (count, revenue) = rfm.get(s.name.as_str()).copied().unwrap_or_default();
            (
                s.name.clone(),
                count,
                if total > 0.0 { revenue / total } else { 0.0 },
            )
        })
        .collect();

    let transitions = previous.map(|(_, before)| {
        let now: HashMap<i64, String> = outcome
            .customers
            .iter()
            .map(|c| (c.customer_id, c.segment.clone()))
            .collect();
        transitions(before, &now)
    });
    if let Some(transitions) = &transitions {
        tables::write_transitions_csv(&staged.path(paths::TRANSITIONS)?, transitions)?;
    }

    let pca = &outcome.model.pca;
    let profiles = ProfilesFile {
        metrics: outcome.model.metrics.clone(),
        pca: PcaSummary {
            all_explained_variance_ratio: pca.all_explained_variance_ratio.clone(),
            explained_variance_ratio: pca.explained_variance_ratio.clone(),
            n_components: pca.n_components(),
        },
        rfm_segments: rfm_rows
            .iter()
            .zip(&config.rfm.segments)
            .map(|((name, customers, share), rule)| RfmSegmentRecord {
                customers: *customers,
                description: rule.description.clone(),
                name: name.clone(),
                share_of_revenue: *share,
            })
            .collect(),
        segments: outcome.profiles.clone(),
        selection: outcome.model.selection.clone(),
        timings: outcome
            .timings
            .iter()
            .map(|t| StepSeconds {
                seconds: t.seconds,
                step: t.step.to_owned(),
            })
            .collect(),
        training: outcome.model.training.clone(),
        transitions,
    };
    let bytes = profiles.to_json_bytes()?;
    staged.write(paths::PROFILES_JSON, &bytes)?;
    tables::write_profiles_markdown(
        &staged.path(paths::PROFILES_MD)?,
        &outcome.model,
        &outcome.profiles,
        &rfm_rows,
    )?;
    Ok(outcome)
}

/// What training found, as lines for people.
pub fn summary_lines(outcome: &TrainOutcome) -> Vec<String> {
    let mut lines = Vec::new();
    let model = &outcome.model;
    lines.push(format!(
        "model      {} customers, {} outliers flagged; PCA {} components ({:.1} % of variance)",
        model.training.customers,
        model.training.outliers,
        model.pca.n_components(),
        100.0 * model.pca.explained_variance_ratio.iter().sum::<f64>()
    ));
    lines.push(format!(
        "search     {} candidates; {}",
        outcome.candidates.len(),
        model.selection.reason
    ));
    if let Some(stability) = &model.metrics.stability {
        lines.push(format!(
            "stability  adjusted Rand index {:.3} mean, {:.3} min over {} bootstrap refits",
            stability.mean_ari, stability.min_ari, stability.bootstraps
        ));
    }
    for profile in &outcome.profiles {
        lines.push(format!(
            "  {:>2} {:<36} {:>6} customers {:>5.1} % {:>5.1} % of revenue",
            profile.cluster,
            profile.name,
            profile.size,
            100.0 * profile.share_of_customers,
            100.0 * profile.share_of_revenue
        ));
    }
    let timings: Vec<String> = outcome
        .timings
        .iter()
        .map(|t| format!("{} {:.3}s", t.step, t.seconds))
        .collect();
    lines.push(format!("time       {}", timings.join(", ")));
    lines
}
