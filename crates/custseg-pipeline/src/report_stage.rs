//! The report stage's body, for `custseg report` and `custseg run`: gather a run's outputs into the
//! report's inputs, draw it, and stage `report/index.html` (and PNGs).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use custseg_clv::model_file::ClvModelFile;
use custseg_clv::uncertainty::UncertaintyMethod;
use custseg_data::clean::QualityReport;
use custseg_data::engine::EngineOptions;
use custseg_data::insights::{Insights, insights, month_label};
use custseg_data::pipeline::paths as data_paths;
use custseg_io::StagedOutput;
use custseg_model::ModelFile;
use custseg_model::config::ModelConfig;
use custseg_model::profile::SegmentProfile;
use custseg_report::inputs::{
    Assignment, ClvCustomer, ClvInputs, ClvUncertainty, Cohort, CountryRevenue, FunnelStep,
    KCandidate, ModelInputs, MonthActivity, Quality,
};
use custseg_report::png::Rasteriser;
use custseg_report::{ReportInputs, build};

use crate::clv_stage::{
    MODEL as CLV_MODEL, PREDICTIONS as CLV_PREDICTIONS, SUMMARY as CLV_SUMMARY, read_predictions,
};
use crate::model_stage::{paths as model_paths, training_columns};
use crate::profiles_file::ProfilesFile;
use crate::tables::{ParquetColumns, read_customer_table};

/// The report's files, relative to the output directory.
pub mod paths {
    /// The page.
    pub const INDEX: &str = "report/index.html";
    /// Directory of the PNG copies.
    pub const DIR: &str = "report";
}

/// What the report stage wrote.
#[derive(Debug, Clone)]
pub struct ReportOutcome {
    /// Section ids, in page order.
    pub sections: Vec<&'static str>,
    /// Charts drawn.
    pub charts: usize,
    /// PNG files written.
    pub pngs: usize,
    /// Wall time of the stage.
    pub seconds: f64,
}

/// What the report stage did, as lines for people.
pub fn summary_lines(outcome: &ReportOutcome) -> Vec<String> {
    let mut lines = Vec::new();
    lines.push(format!(
        "report     {} sections ({}), {} charts{}, {:.3}s",
        outcome.sections.len(),
        outcome.sections.join(", "),
        outcome.charts,
        if outcome.pngs > 0 {
            format!(", {} PNG files", outcome.pngs)
        } else {
            String::new()
        },
        outcome.seconds
    ));
    lines
}

/// Reads the outputs in `staged` (its own staged files first, then the destination's), draws
/// the report and stages it.
pub fn stage_report(
    staged: &mut StagedOutput,
    engine: &EngineOptions,
    config: &ModelConfig,
    png: bool,
) -> Result<ReportOutcome> {
    let clock = Instant::now();
    let inputs = gather(&|relative| staged.current_path(relative), engine, config)?;
    let report = build(&inputs);
    staged.write(paths::INDEX, report.html().as_bytes())?;
    let mut pngs = 0;
    if png {
        let rasteriser = Rasteriser::new();
        if rasteriser.fonts() == 0 {
            tracing::warn!("no system fonts found: the PNG charts will have no text");
        }
        for chart in report.charts() {
            let bytes = rasteriser.png(&chart.id, &chart.svg)?;
            staged.write(&format!("{}/{}.png", paths::DIR, chart.id), &bytes)?;
            pngs += 1;
        }
    }
    Ok(ReportOutcome {
        sections: report.sections.iter().map(|s| s.id).collect(),
        charts: report.charts().count(),
        pngs,
        seconds: clock.elapsed().as_secs_f64(),
    })
}

/// Gathers the report's inputs from the files `path` points to. Quality report, cleaned
/// transactions and features are required; the model and lifetime-value files are used when
/// present.
pub fn gather(
    path: &dyn Fn(&str) -> PathBuf,
    engine: &EngineOptions,
    config: &ModelConfig,
) -> Result<ReportInputs> {
    let quality_path = path(data_paths::QUALITY);
    let quality: QualityReport = serde_json::from_slice(&fs_err::read(&quality_path)?)
        .with_context(|| format!("`{}` is not a quality report", quality_path.display()))?;
    let facts = crate::engine_stage::block_on(insights(&path(data_paths::CLEAN), engine))??;

    let model_path = path(model_paths::MODEL);
    let model = if model_path.exists() {
        Some(crate::model_stage::read_model(&model_path)?)
    } else {
        None
    };
    let model_config = model.as_ref().map_or(config, |m| &m.config);
    let mut features = model_config.features.clone();
    if let Some(model) = &model {
        features.clone_from(&model.features);
    }
    let (customers, _) = read_customer_table(
        &path(data_paths::FEATURES_PARQUET),
        &training_columns(model_config),
    )?;

    let model_inputs = match model {
        Some(model) => Some(model_inputs(path, model)?),
        None => None,
    };
    let clv = if path(CLV_MODEL).exists() && path(CLV_PREDICTIONS).exists() {
        Some(clv_inputs(path)?)
    } else {
        None
    };
    Ok(ReportInputs {
        source: quality.input.source.clone(),
        quality: quality_inputs(&quality),
        months: facts
            .months
            .iter()
            .map(|m| MonthActivity {
                month: month_label(m.month),
                revenue: m.revenue,
                customers: m.customers,
                invoices: m.invoices,
            })
            .collect(),
        countries: facts
            .countries
            .iter()
            .map(|c| CountryRevenue {
                country: c.country.clone(),
                revenue: c.revenue,
                customers: c.customers,
            })
            .collect(),
        cohorts: cohorts(&facts),
        customers,
        features,
        model: model_inputs,
        clv,
    })
}

fn quality_inputs(quality: &QualityReport) -> Quality {
    Quality {
        raw_rows: quality.raw_rows,
        clean_rows: quality.clean_rows,
        quarantined_rows: quality.quarantined_rows,
        steps: quality
            .steps
            .iter()
            .map(|s| FunnelStep {
                rule: s.rule.clone(),
                description: s.description.clone(),
                rows_in: s.rows_in,
                rows_out: s.rows_out,
                flagged: s.flagged,
            })
            .collect(),
        top_quarantined: quality
            .top_quarantined
            .iter()
            .map(|(rule, values)| {
                (
                    rule.clone(),
                    values.iter().map(|v| (v.value.clone(), v.rows)).collect(),
                )
            })
            .collect(),
        date_range: quality
            .clean
            .first_invoice_date
            .clone()
            .zip(quality.clean.last_invoice_date.clone()),
    }
}

/// Cohort rows from the engine's (cohort, offset, customers) cells, each as wide as the
/// months from the cohort to the log's last month.
fn cohorts(facts: &Insights) -> Vec<Cohort> {
    let last = facts
        .months
        .iter()
        .filter(|m| m.customers > 0)
        .map(|m| m.month)
        .max()
        .unwrap_or(0);
    let mut rows: Vec<Cohort> = Vec::new();
    let mut current: Option<i64> = None;
    for cell in &facts.cohorts {
        if current != Some(cell.cohort) {
            current = Some(cell.cohort);
            let width = (last - cell.cohort + 1).max(1) as usize;
            rows.push(Cohort {
                month: month_label(cell.cohort),
                active: vec![0; width],
            });
        }
        if let Some(row) = rows.last_mut()
            && let Some(slot) = row.active.get_mut(cell.offset as usize)
        {
            *slot = cell.customers;
        }
    }
    rows
}

fn model_inputs(path: &dyn Fn(&str) -> PathBuf, model: ModelFile) -> Result<ModelInputs> {
    let segments_path = path(model_paths::SEGMENTS);
    let table = ParquetColumns::read(&segments_path)?;
    let ids = table.i64s("CustomerID")?;
    let clusters = table.i64s("cluster")?;
    let names = table.strings("segment")?;
    let outliers = table.bools("outlier")?;
    let (r, f, m) = (table.u8s("R")?, table.u8s("F")?, table.u8s("M")?);
    let rfm = table.strings("rfm_segment")?;
    let assignments = (0..ids.len())
        .map(|i| Assignment {
            customer_id: ids[i],
            cluster: clusters[i] as usize,
            segment: names[i].clone(),
            outlier: outliers[i],
            r: r[i],
            f: f[i],
            m: m[i],
            rfm_segment: rfm[i].clone(),
        })
        .collect();

    let profiles = ProfilesFile::read(&path(model_paths::PROFILES_JSON))?;
    let segment_profiles: Vec<SegmentProfile> = profiles.segments;
    let rfm_segments = if profiles.rfm_segments.is_empty() {
        model
            .config
            .rfm
            .segments
            .iter()
            .map(|s| s.name.clone())
            .collect()
    } else {
        profiles.rfm_segments.into_iter().map(|s| s.name).collect()
    };

    let search_path = path(model_paths::SEARCH);
    let mut reader = csv::Reader::from_path(&search_path)?;
    let header = reader.headers()?.clone();
    let index = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .with_context(|| format!("`{}` has no column `{name}`", search_path.display()))
    };
    let (k, init, inertia, silhouette, db, ch, composite, chosen) = (
        index("k")?,
        index("init")?,
        index("inertia")?,
        index("silhouette")?,
        index("davies_bouldin")?,
        index("calinski_harabasz")?,
        index("composite")?,
        index("chosen")?,
    );
    let mut candidates = Vec::new();
    for (line, record) in reader.records().enumerate() {
        let record = record?;
        let number = |i: usize| -> Result<f64> {
            record[i].parse().with_context(|| {
                format!(
                    "`{}`, line {}: column `{}` is not a number: `{}`",
                    search_path.display(),
                    line + 2,
                    &header[i],
                    &record[i]
                )
            })
        };
        candidates.push(KCandidate {
            k: number(k)? as usize,
            init: record[init].to_owned(),
            inertia: number(inertia)?,
            silhouette: number(silhouette)?,
            davies_bouldin: number(db)?,
            calinski_harabasz: number(ch)?,
            composite: record[composite].parse().ok(),
            chosen: &record[chosen] == "true",
        });
    }
    Ok(ModelInputs {
        model,
        candidates,
        assignments,
        profiles: segment_profiles,
        rfm_segments,
    })
}

fn clv_inputs(path: &dyn Fn(&str) -> PathBuf) -> Result<ClvInputs> {
    let model_path = path(CLV_MODEL);
    let model = ClvModelFile::from_json_bytes(&fs_err::read(&model_path)?)
        .with_context(|| format!("`{}`", model_path.display()))?;
    let fitted = model.fitted_models();
    let chosen = model.chosen_model();
    let unit_days = model.unit.days();
    let predictions_path = path(CLV_PREDICTIONS);
    let predictions = read_predictions(&predictions_path)?;
    let holdout_length = model.holdout.as_ref().map(|h| h.holdout_length);
    let holdout: Option<Vec<f64>> = match holdout_length {
        Some(_) => {
            let summary_path = path(CLV_SUMMARY);
            let summary = ParquetColumns::read(&summary_path)?;
            let summary_ids = summary.i64s("CustomerID")?;
            if !summary_ids
                .iter()
                .eq(predictions.iter().map(|(customer, _)| customer))
            {
                bail!(
                    "`{}` and `{}` list different customers",
                    summary_path.display(),
                    predictions_path.display()
                );
            }
            Some(summary.f64s("holdout_purchases")?)
        }
        None => None,
    };
    Ok(ClvInputs {
        model: chosen,
        fitted,
        choice: model.model_choice.reason.clone(),
        unit_days,
        horizon_months: model.clv.horizon_months,
        holdout_length,
        customers: predictions
            .iter()
            .enumerate()
            .map(|(i, (customer, row))| ClvCustomer {
                customer_id: *customer,
                frequency: row.frequency,
                recency: row.recency,
                t: row.t,
                p_alive: row.p_alive,
                expected_purchases: row.expected_purchases,
                clv: row.clv,
                holdout_purchases: holdout.as_ref().map(|h| h[i]),
                intervals: row.intervals,
            })
            .collect(),
        new_customer: model.new_customer,
        scorecard: model.scorecard.clone(),
        covariates: model.covariates.clone(),
        parameters: model
            .parameter_estimates(model.uncertainty.as_ref().map_or(0.9, |draws| draws.level)),
        uncertainty: model.uncertainty.as_ref().zip(model.total_intervals).map(
            |(draws, totals)| ClvUncertainty {
                level: draws.level,
                source: match draws.method {
                    UncertaintyMethod::Bootstrap => {
                        format!("{} bootstrap resamples", draws.purchase.len())
                    }
                    _ => format!("{} parameter draws", draws.purchase.len()),
                },
                totals,
            },
        ),
        warnings: model.warnings,
    })
}
