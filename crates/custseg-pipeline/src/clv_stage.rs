//! The lifetime-value stage's body: daily purchases from the cleaned transactions -> BG/NBD
//! (or Pareto/NBD) + Gamma-Gamma -> P(alive) and CLV per customer, and its summary lines.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::{Result, bail};
use arrow::array::{ArrayRef, Float64Array, Int64Array, RecordBatch};
use custseg_clv::bgnbd::{self, FitOptions};
use custseg_clv::clv::{ClvOptions, ClvPrediction, predict, predict_new_customer};
use custseg_clv::covariates::analyse;
use custseg_clv::model_file::{ClvModelFile, Holdout, ModelChoiceRecord, NewCustomer};
use custseg_clv::purchase_model::{ModelChoice, PurchaseModel, choose};
use custseg_clv::returns::{Returns, SpendBasis, population_kept_share, returns_by_customer};
use custseg_clv::scorecard::{Scorecard, Split, score_model, score_naive};
use custseg_clv::summary::{CustomerSummary, Purchase, TimeUnit, check, summarize};
use custseg_clv::uncertainty::predictive;
use custseg_clv::uncertainty::{
    ClvIntervals, DrawSet, Interval, UncertaintyMethod, UncertaintyOptions, bootstrap_draws,
    parameter_draws,
};
use custseg_clv::{gamma_gamma, mbgnbd, pareto_nbd};
use custseg_data::pipeline::paths;
use custseg_data::purchases::{customer_countries, daily_purchases, daily_returns};
use custseg_io::StagedOutput;
use custseg_model::profile::{CLV_COLUMN, P_ALIVE_COLUMN};
use custseg_model::table::CustomerTable;
use custseg_serve::StoredClv;
use parquet::arrow::ArrowWriter;

use crate::settings::ClvSettings;
use crate::tables::ParquetColumns;

/// Output file: one lifetime-value summary per customer.
pub const SUMMARY: &str = "clv/summary.parquet";
/// Output file: P(alive), expected purchases and CLV per customer.
pub const PREDICTIONS: &str = "clv/predictions.parquet";
/// Output file: the fitted models.
pub const MODEL: &str = custseg_clv::model_file::CLV_MODEL_FILE;

/// Day number (days since 1970-01-01) of a date.
fn day_number(date: chrono::NaiveDate) -> i64 {
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    (date - epoch).num_days()
}

/// What the lifetime-value stage is asked to do.
#[derive(Debug, Clone, PartialEq)]
pub struct ClvRequest {
    /// Time unit of recency and T.
    pub unit: TimeUnit,
    /// Horizon, discount rate and margin.
    pub options: ClvOptions,
    /// Penalizer and iteration cap of the fits.
    pub fit: FitOptions,
    /// Fit on purchases up to and including this date; the rest is the holdout.
    pub calibration_end: Option<chrono::NaiveDate>,
    /// Which purchase model CLV uses.
    pub purchase_model: ModelChoice,
    /// How every customer's intervals are made.
    pub uncertainty: UncertaintyOptions,
    /// Gross spend, or net of returns.
    pub spend: SpendBasis,
    /// Covariates to fit the models with, beside the models without them.
    pub covariates: Vec<String>,
}

impl Default for ClvRequest {
    fn default() -> Self {
        Self {
            unit: TimeUnit::Days,
            options: ClvOptions::default(),
            fit: FitOptions::default(),
            calibration_end: None,
            purchase_model: ModelChoice::Auto,
            uncertainty: UncertaintyOptions::default(),
            spend: SpendBasis::Gross,
            covariates: Vec::new(),
        }
    }
}

impl ClvRequest {
    /// From the `[clv]` settings (with the command line applied), checked.
    pub fn from_settings(
        settings: &ClvSettings,
        calibration_end: Option<chrono::NaiveDate>,
    ) -> Result<Self> {
        Ok(Self {
            unit: settings.unit,
            options: settings.options()?,
            fit: FitOptions {
                penalizer: settings.penalizer,
                ..FitOptions::default()
            },
            calibration_end,
            purchase_model: settings.purchase_model,
            uncertainty: settings.uncertainty()?,
            spend: settings.spend,
            covariates: settings.checked_covariates()?,
        })
    }
}

/// What the lifetime-value stage computed.
#[derive(Debug, Clone)]
pub struct ClvOutcome {
    /// One per customer with a completed purchase, in customer order.
    pub summaries: Vec<CustomerSummary>,
    /// One per summary.
    pub predictions: Vec<ClvPrediction>,
    /// One per summary, when intervals were made.
    pub intervals: Option<Vec<ClvIntervals>>,
    /// `clv/model.json` as written.
    pub model: ClvModelFile,
    /// The request it ran.
    pub request: ClvRequest,
}

/// Daily purchases from the staged cleaned transactions -> summaries -> BG/NBD and
/// Gamma-Gamma fits -> CLV per customer; stages `clv/summary.parquet`,
/// `clv/predictions.parquet` and `clv/model.json`. `as_of` is the observation end.
pub fn stage_clv(
    staged: &mut StagedOutput,
    engine: &custseg_data::engine::EngineOptions,
    as_of: chrono::NaiveDate,
    request: &ClvRequest,
) -> Result<ClvOutcome> {
    let ClvRequest {
        unit,
        options,
        fit: fit_options,
        calibration_end,
        ..
    } = *request;
    let clean = staged.current_path(paths::CLEAN);
    let daily = crate::engine_stage::block_on(daily_purchases(&clean, engine))??;
    let Some(first_day) = daily.iter().map(|p| p.day).min() else {
        bail!("no completed purchase by a known customer");
    };
    let last_day = day_number(as_of);
    let end = match calibration_end {
        Some(date) => {
            let day = day_number(date);
            if day < i64::from(first_day) || day >= last_day {
                bail!(
                    "`--calibration-end {date}` must fall on or after the first purchase date and before the last ({as_of}); nothing was written"
                );
            }
            day
        }
        None => last_day,
    };
    let purchases: Vec<Purchase> = daily
        .iter()
        .map(|p| Purchase {
            customer: p.customer,
            day: i64::from(p.day),
            amount: p.spend,
        })
        .collect();
    let summaries = summarize(&purchases, end, unit)?;
    check(&summaries)?;
    // Net of returns: each customer's kept share and the population's (docs/clv.md).
    let kept = match request.spend {
        SpendBasis::Gross => None,
        SpendBasis::Net => {
            let returned: Vec<Purchase> =
                crate::engine_stage::block_on(daily_returns(&clean, engine))??
                    .iter()
                    .map(|p| Purchase {
                        customer: p.customer,
                        day: i64::from(p.day),
                        amount: p.spend,
                    })
                    .collect();
            let by_customer = returns_by_customer(&purchases, &returned, end);
            let shares: Vec<f64> = summaries
                .iter()
                .map(|s| {
                    by_customer
                        .get(&s.customer)
                        .map_or(1.0, Returns::kept_share)
                })
                .collect();
            Some((shares, population_kept_share(&by_customer)))
        }
    };
    let purchase_fit = bgnbd::fit(&summaries, &fit_options)?;
    // Pareto/NBD is fitted when it can be compared on a holdout or is asked for: on data with
    // almost no dropout its likelihood runs along a ridge to s -> 0 and costs seconds.
    let pareto_fit = (calibration_end.is_some()
        || request.purchase_model == ModelChoice::ParetoNbd)
        .then(|| pareto_nbd::fit(&summaries, &fit_options))
        .transpose()?;
    // MBG/NBD likewise: on a holdout, or when asked for.
    let mbg_fit = (calibration_end.is_some() || request.purchase_model == ModelChoice::MbgNbd)
        .then(|| mbgnbd::fit(&summaries, &fit_options))
        .transpose()?;
    let spend_fit = gamma_gamma::fit(&summaries, &fit_options)?;

    // Both purchase models on the holdout, then the choice between them.
    let holdout_length = calibration_end.map(|_| (last_day - end) as f64 / unit.days());
    let mut fitted = vec![(
        PurchaseModel::BgNbd(purchase_fit.params),
        purchase_fit.log_likelihood,
    )];
    if let Some(pareto) = &pareto_fit {
        fitted.push((
            PurchaseModel::ParetoNbd(pareto.params),
            pareto.log_likelihood,
        ));
    }
    if let Some(mbg) = &mbg_fit {
        fitted.push((PurchaseModel::MbgNbd(mbg.params), mbg.log_likelihood));
    }
    // Every fitted model scored on the holdout once: the scorecard's rows are also the errors
    // the choice reads.
    let scorecard = match (calibration_end, holdout_length) {
        (Some(calibration_end), Some(holdout_length)) => {
            let split = Split {
                calibration_end,
                holdout_length,
                customers: summaries.len(),
                holdout_purchases: summaries.iter().map(|s| s.holdout_purchases).sum(),
            };
            let mut card = Scorecard::new(split.clone());
            for (model, log_likelihood) in &fitted {
                card.push(score_model(
                    model,
                    *log_likelihood,
                    &spend_fit.params,
                    &split,
                    &summaries,
                )?)?;
            }
            card.push(score_naive(&split, &summaries))?;
            Some(card)
        }
        _ => None,
    };
    let candidates: Vec<_> = fitted
        .iter()
        .enumerate()
        .map(|(i, (model, log_likelihood))| {
            let errors = scorecard.as_ref().map(|card| card.rows[i].holdout_errors());
            (*model, *log_likelihood, errors)
        })
        .collect();
    let (chosen, reason) = choose(request.purchase_model, &candidates);
    let purchase_model = candidates[chosen].0;
    let shares = kept.as_ref().map(|(shares, _)| shares.as_slice());
    let predictions = summaries
        .iter()
        .enumerate()
        .map(|(i, s)| {
            predict(&purchase_model, &spend_fit.params, s, unit, &options)
                .map(|p| p.kept(shares.map_or(1.0, |k| k[i])))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut warnings: Vec<String> = purchase_fit
        .warnings
        .iter()
        .chain(pareto_fit.iter().flat_map(|f| &f.warnings))
        .chain(mbg_fit.iter().flat_map(|f| &f.warnings))
        .chain(&spend_fit.warnings)
        .cloned()
        .collect();
    let purchase_covariance = match purchase_model {
        PurchaseModel::BgNbd(_) => purchase_fit.covariance.as_deref(),
        PurchaseModel::ParetoNbd(_) => pareto_fit.as_ref().and_then(|f| f.covariance.as_deref()),
        PurchaseModel::MbgNbd(_) => mbg_fit.as_ref().and_then(|f| f.covariance.as_deref()),
    };
    let draws = draw_set(
        &request.uncertainty,
        &summaries,
        &purchase_model,
        purchase_covariance,
        &spend_fit,
        &fit_options,
        &mut warnings,
    )?;
    let (intervals, total_intervals) = match &draws {
        Some(set) => {
            let _span = tracing::info_span!("intervals", draws = set.purchase.len()).entered();
            let (each, totals) = set.intervals_of_all(&summaries, shares, unit, &options)?;
            (Some(each), Some(totals))
        }
        None => (None, None),
    };
    // Totals of purchases to come with every source of uncertainty, over the CLV horizon and
    // over the holdout (seeded from the interval seed, after the parameter draws').
    let predictive = |horizon: f64| {
        draws.as_ref().and_then(|set| {
            predictive::total_purchases(
                &set.purchase,
                set.level,
                &summaries,
                horizon,
                set.seed.wrapping_add(1_000_003),
            )
        })
    };
    let predictive_purchases =
        predictive(f64::from(options.horizon_months) * 30.0 / unit.days()).transpose()?;
    let holdout_predictive_purchases = holdout_length.and_then(&predictive).transpose()?;
    let covariates = if request.covariates.is_empty() {
        None
    } else {
        let z = covariate_rows(&request.covariates, &summaries, &clean, engine, unit)?;
        let _span = tracing::info_span!("covariates").entered();
        let analysis = analyse(
            &summaries,
            &z,
            &request.covariates,
            &purchase_fit,
            &spend_fit,
            &fit_options,
        )?;
        warnings.extend(analysis.bg_nbd.warnings.iter().cloned());
        warnings.extend(analysis.gamma_gamma.warnings.iter().cloned());
        Some(analysis)
    };
    let population_share = kept.as_ref().map(|(_, share)| *share);
    let new_share = population_share.unwrap_or(1.0);
    let new_customer =
        match predict_new_customer(&purchase_model, &spend_fit.params, unit, &options) {
            Ok(prediction) => Some(NewCustomer {
                prediction: prediction.kept(new_share),
                intervals: draws
                    .as_ref()
                    .and_then(|set| set.new_customer_intervals(unit, &options).ok())
                    .map(|i| i.kept(new_share)),
            }),
            Err(error) => {
                warnings.push(format!("no new-customer expectation: {error}"));
                None
            }
        };
    let holdout = holdout_length.map(|length| Holdout {
        holdout_length: length,
        customers: summaries.len(),
        models: candidates
            .iter()
            .filter_map(|(model, _, errors)| Some((model.name().to_owned(), (*errors)?)))
            .collect(),
    });

    write_summary(
        &staged.path(SUMMARY)?,
        &summaries,
        calibration_end.is_some(),
    )?;
    write_predictions(
        &staged.path(PREDICTIONS)?,
        &summaries,
        &predictions,
        intervals.as_deref(),
        shares,
    )?;
    let model = ClvModelFile {
        bg_nbd: purchase_fit,
        calibration_end,
        clv: options,
        customers: summaries.len(),
        gamma_gamma: spend_fit,
        holdout,
        model_choice: ModelChoiceRecord {
            rule: request.purchase_model,
            reason,
        },
        observation_end: chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()
            + chrono::TimeDelta::days(end),
        pareto_nbd: pareto_fit,
        mbg_nbd: mbg_fit,
        purchase_model: Some(purchase_model),
        repeat_customers: summaries.iter().filter(|s| s.frequency > 0.0).count(),
        uncertainty: draws,
        new_customer,
        scorecard,
        spend: request.spend,
        population_kept_share: population_share,
        predictive_purchases,
        holdout_predictive_purchases,
        covariates,
        total_intervals,
        unit,
        warnings,
    };
    staged.write(MODEL, &model.to_json_bytes()?)?;
    for warning in &model.warnings {
        tracing::warn!("{warning}");
    }
    Ok(ClvOutcome {
        summaries,
        predictions,
        intervals,
        model,
        request: request.clone(),
    })
}

/// One row of covariate values per summary, in the order of `names` (see
/// [`crate::settings::ClvSettings::covariates`]).
fn covariate_rows(
    names: &[String],
    summaries: &[CustomerSummary],
    clean: &std::path::Path,
    engine: &custseg_data::engine::EngineOptions,
    unit: TimeUnit,
) -> Result<Vec<Vec<f64>>> {
    let mut columns: Vec<Vec<f64>> = Vec::new();
    for name in names {
        columns.push(match name.as_str() {
            "country" => {
                let countries: HashMap<i64, String> =
                    crate::engine_stage::block_on(customer_countries(clean, engine))??
                        .into_iter()
                        .collect();
                let mut counts: HashMap<&str, usize> = HashMap::new();
                for s in summaries {
                    if let Some(country) = countries.get(&s.customer) {
                        *counts.entry(country).or_default() += 1;
                    }
                }
                let Some((top, _)) = counts.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
                else {
                    bail!("covariate `country`: no customer has a country");
                };
                let top = (*top).to_owned();
                tracing::info!(country = %top, "covariate `country` is 1 outside it");
                summaries
                    .iter()
                    .map(|s| f64::from(u8::from(countries.get(&s.customer) != Some(&top))))
                    .collect()
            }
            "cohort" => {
                let oldest = summaries.iter().map(|s| s.t).fold(0.0, f64::max);
                summaries
                    .iter()
                    .map(|s| (oldest - s.t) * unit.days() / 365.25)
                    .collect()
            }
            other => bail!("covariate `{other}` is not one custseg builds"),
        });
    }
    Ok((0..summaries.len())
        .map(|i| columns.iter().map(|c| c[i]).collect())
        .collect())
}

/// The parameter draws behind the intervals, as `options` asks: from the chosen purchase
/// model's and the spend model's covariance, or from bootstrap refits. `None` when no intervals
/// are asked for, or (with a warning) when a covariance is missing.
fn draw_set(
    options: &UncertaintyOptions,
    summaries: &[CustomerSummary],
    purchase: &PurchaseModel,
    purchase_covariance: Option<&[Vec<f64>]>,
    spend: &gamma_gamma::GammaGammaFit,
    fit_options: &FitOptions,
    warnings: &mut Vec<String>,
) -> Result<Option<DrawSet>> {
    match options.method {
        UncertaintyMethod::None => Ok(None),
        UncertaintyMethod::Bootstrap => {
            let _span = tracing::info_span!("bootstrap", resamples = options.draws).entered();
            let set = bootstrap_draws(summaries, purchase, fit_options, options)?;
            if set.failed > 0 {
                warnings.push(format!(
                    "the bootstrap's fit failed on {} of {} resamples; the intervals use the rest",
                    set.failed, options.draws
                ));
            }
            Ok(Some(set))
        }
        UncertaintyMethod::Parameters => match (purchase_covariance, spend.covariance.as_deref()) {
            (Some(purchase_covariance), Some(spend_covariance)) => Ok(Some(parameter_draws(
                purchase,
                purchase_covariance,
                &spend.params,
                spend_covariance,
                options,
            )?)),
            _ => {
                warnings.push(
                        "no intervals: a fit has no standard errors (see the warnings above); try `--intervals bootstrap`".into(),
                    );
                Ok(None)
            }
        },
    }
}

/// Reads [`PREDICTIONS`] as (customer, its stored row): the one reader of the file (the train
/// stage's join, the report and the server all use it; the row is the server's
/// [`StoredClv`]). A missing column or a null is an error naming the file.
pub fn read_predictions(path: &std::path::Path) -> Result<Vec<(i64, StoredClv)>> {
    let table = ParquetColumns::read(path)?;
    let ids = table.i64s("CustomerID")?;
    let column = |name: &str| table.f64s(name);
    let (frequency, recency, t, monetary_value) = (
        column("frequency")?,
        column("recency")?,
        column("T")?,
        column("monetary_value")?,
    );
    let (p_alive, expected_purchases, expected_value, clv) = (
        column("p_alive")?,
        column("expected_purchases")?,
        column("expected_value")?,
        column("clv")?,
    );
    let intervals = if table.has_column(INTERVAL_COLUMNS[0]) {
        Some(
            INTERVAL_COLUMNS
                .iter()
                .map(|name| column(name))
                .collect::<Result<Vec<_>>>()?,
        )
    } else {
        None
    };
    Ok((0..ids.len())
        .map(|i| {
            let interval = |low: usize| {
                intervals.as_ref().map(|columns| Interval {
                    low: columns[low][i],
                    high: columns[low + 1][i],
                })
            };
            let intervals = interval(0).and_then(|p_alive| {
                Some(ClvIntervals {
                    p_alive,
                    expected_purchases: interval(2)?,
                    expected_value: interval(4)?,
                    clv: interval(6)?,
                })
            });
            let row = StoredClv {
                frequency: frequency[i],
                recency: recency[i],
                t: t[i],
                monetary_value: monetary_value[i],
                p_alive: p_alive[i],
                expected_purchases: expected_purchases[i],
                expected_value: expected_value[i],
                clv: clv[i],
                intervals,
            };
            (ids[i], row)
        })
        .collect())
}

/// Adds `P_Alive`, `Expected_Purchases` and `CLV` to a customer table from a
/// `clv/predictions.parquet` the lifetime-value stage wrote (0 for customers it has no row for).
pub fn join_predictions_file(table: &mut CustomerTable, path: &std::path::Path) -> Result<()> {
    let by_customer: HashMap<i64, [f64; 3]> = read_predictions(path)?
        .into_iter()
        .map(|(customer, row)| (customer, [row.p_alive, row.expected_purchases, row.clv]))
        .collect();
    for (slot, name) in [P_ALIVE_COLUMN, "Expected_Purchases", CLV_COLUMN]
        .into_iter()
        .enumerate()
    {
        let values: Vec<f64> = table
            .customer_ids
            .iter()
            .map(|id| by_customer.get(id).map_or(0.0, |v| v[slot]))
            .collect();
        table.columns.retain(|(existing, _)| existing != name);
        table.columns.push((name.to_owned(), values));
    }
    Ok(())
}

/// What the stage found, as lines for people.
pub fn summary_lines(outcome: &ClvOutcome) -> Vec<String> {
    let mut lines = Vec::new();
    let model = &outcome.model;
    let p = model.bg_nbd.params;
    let g = &model.gamma_gamma;
    lines.push(format!(
        "customers  {} ({} with a repeat purchase)",
        outcome.summaries.len(),
        model.repeat_customers
    ));
    lines.push(purchase_line(PurchaseModel::BgNbd(p), &model.bg_nbd));
    lines.push(format!(
        "Gamma-Gamma {} on {} customers ({} excluded: no repeat purchase or no spend); corr(frequency, monetary) {:.3}",
        with_errors(
            &["p", "q", "gamma"],
            &[g.params.p, g.params.q, g.params.gamma],
            g.standard_errors.as_ref().map(|e| &e[..])
        ),
        g.customers,
        g.excluded,
        g.frequency_monetary_correlation
    ));
    let total: f64 = outcome.predictions.iter().map(|p| p.clv).sum();
    let options = outcome.request.options;
    let net = model.population_kept_share.map_or(String::new(), |share| {
        format!(
            ", net of returns (customers kept {:.1} % of what they bought)",
            100.0 * share
        )
    });
    lines.push(format!(
        "CLV        {} months, {:.1} % per month{net}: total {:.0}, mean {:.2}",
        options.horizon_months,
        100.0 * options.discount_rate,
        total,
        total / outcome.predictions.len().max(1) as f64
    ));
    if let (Some(draws), Some(totals)) = (&model.uncertainty, &model.total_intervals) {
        let source = match draws.method {
            UncertaintyMethod::Bootstrap => "bootstrap resamples",
            _ => "parameter draws",
        };
        lines.push(format!(
            "intervals  {:.0} % from {} {source}: total CLV {:.0} to {:.0}; total expected purchases {:.0} to {:.0}",
            100.0 * draws.level,
            draws.purchase.len(),
            totals.clv.low,
            totals.clv.high,
            totals.expected_purchases.low,
            totals.expected_purchases.high
        ));
    }
    if let (Some(total), Some(draws)) = (&model.predictive_purchases, &model.uncertainty) {
        lines.push(format!(
            "purchases  next {} months: {:.0} expected ({:.0} % predictive interval {:.0} to {:.0}, customers' own randomness included)",
            options.horizon_months,
            total.mean,
            100.0 * draws.level,
            total.interval.low,
            total.interval.high
        ));
    }
    if let Some(new) = &model.new_customer {
        let range = new.intervals.map_or(String::new(), |i| {
            format!(" ({:.0} to {:.0})", i.clv.low, i.clv.high)
        });
        lines.push(format!(
            "new        a new customer: {:.2} repeat purchases, CLV {:.2}{range} over {} months",
            new.prediction.expected_purchases, new.prediction.clv, options.horizon_months
        ));
    }
    if let Some(pareto) = &model.pareto_nbd {
        lines.push(purchase_line(
            PurchaseModel::ParetoNbd(pareto.params),
            pareto,
        ));
    }
    if let Some(mbg) = &model.mbg_nbd {
        lines.push(purchase_line(PurchaseModel::MbgNbd(mbg.params), mbg));
    }
    if let Some(analysis) = &model.covariates {
        for fit in [&analysis.bg_nbd, &analysis.gamma_gamma] {
            let coefficients: Vec<String> = fit
                .names
                .iter()
                .enumerate()
                .filter(|(_, name)| name.contains(':'))
                .map(|(i, name)| {
                    let error = fit
                        .standard_errors
                        .as_ref()
                        .map_or(String::new(), |e| format!(" (se {:.4})", e[i]));
                    format!("{name} {:+.4}{error}", fit.estimates[i])
                })
                .collect();
            lines.push(format!(
                "covariates {}: {}; against no covariates: LR {:.2} on {} df, p {:.4}",
                fit.model,
                coefficients.join(", "),
                fit.test.statistic,
                fit.test.degrees_of_freedom,
                fit.test.p_value
            ));
        }
    }
    if let Some(card) = &model.scorecard {
        let predicted = model
            .holdout_predictive_purchases
            .map_or(String::new(), |total| {
                format!(
                    " (the chosen model's predictive interval: {:.0} to {:.0})",
                    total.interval.low, total.interval.high
                )
            });
        lines.push(format!(
            "scorecard  holdout of {:.1} {} after {}: {} customers, {:.0} purchases{predicted}",
            card.split.holdout_length,
            unit_name(outcome.request.unit),
            card.split.calibration_end,
            card.split.customers,
            card.split.holdout_purchases
        ));
        lines.push(format!(
            "           {:<11} {:>7} {:>7} {:>10} {:>7} {:>9} {:>6} {:>8}",
            "model", "MAE", "RMSE", "total err", "Brier", "Spearman", "Gini", "top 10%"
        ));
        for row in &card.rows {
            lines.push(format!(
                "           {:<11} {:>7.3} {:>7.3} {:>+9.1}% {:>7} {:>9.3} {:>6.3} {:>7.1}%",
                row.model,
                row.mae,
                row.rmse,
                100.0 * row.total_error_share,
                row.brier.map_or("-".to_owned(), |b| format!("{b:.3}")),
                row.spearman,
                row.normalised_gini,
                100.0 * row.top_decile_capture
            ));
        }
    }
    lines.push(format!("purchases  {}", model.model_choice.reason));
    lines
}

/// The time unit's name in a sentence.
fn unit_name(unit: TimeUnit) -> &'static str {
    match unit {
        TimeUnit::Days => "days",
        TimeUnit::Weeks => "weeks",
    }
}

/// One purchase model's fit as a line: its parameters with standard errors, log-likelihood and
/// convergence.
fn purchase_line<P>(model: PurchaseModel, fit: &custseg_clv::fit::PurchaseFit<P>) -> String {
    format!(
        "{:<10} {}; log-likelihood {:.2}; {}",
        model.label(),
        with_errors(
            &model.param_names(),
            &model.params(),
            fit.standard_errors.as_ref().map(|e| &e[..])
        ),
        fit.log_likelihood,
        if fit.converged {
            "converged"
        } else {
            "NOT converged"
        }
    )
}

/// `name value (se error)` for each parameter, comma-separated; without the errors when the
/// fit has none.
fn with_errors(names: &[&str], values: &[f64], errors: Option<&[f64]>) -> String {
    names
        .iter()
        .enumerate()
        .map(|(i, name)| match errors {
            Some(errors) => format!("{name} {:.4} (se {:.4})", values[i], errors[i]),
            None => format!("{name} {:.4}", values[i]),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn write_batch(path: &std::path::Path, columns: Vec<(&str, ArrayRef)>) -> Result<()> {
    let batch = RecordBatch::try_from_iter(columns)?;
    let mut writer = ArrowWriter::try_new(fs_err::File::create(path)?, batch.schema(), None)?;
    writer.write(&batch)?;
    writer.close()?;
    Ok(())
}

fn write_summary(
    path: &std::path::Path,
    summaries: &[CustomerSummary],
    holdout: bool,
) -> Result<()> {
    let column = |f: fn(&CustomerSummary) -> f64| -> ArrayRef {
        Arc::new(Float64Array::from_iter_values(summaries.iter().map(f)))
    };
    let mut columns: Vec<(&str, ArrayRef)> = vec![
        (
            "CustomerID",
            Arc::new(Int64Array::from_iter_values(
                summaries.iter().map(|s| s.customer),
            )),
        ),
        ("frequency", column(|s| s.frequency)),
        ("recency", column(|s| s.recency)),
        ("T", column(|s| s.t)),
        ("monetary_value", column(|s| s.monetary_value)),
    ];
    if holdout {
        columns.push(("holdout_purchases", column(|s| s.holdout_purchases)));
        columns.push(("holdout_spend", column(|s| s.holdout_spend)));
    }
    write_batch(path, columns)
}

fn write_predictions(
    path: &std::path::Path,
    summaries: &[CustomerSummary],
    predictions: &[custseg_clv::clv::ClvPrediction],
    intervals: Option<&[ClvIntervals]>,
    kept: Option<&[f64]>,
) -> Result<()> {
    let floats = |values: Vec<f64>| -> ArrayRef { Arc::new(Float64Array::from(values)) };
    let mut columns: Vec<(&str, ArrayRef)> = vec![
        (
            "CustomerID",
            Arc::new(Int64Array::from_iter_values(
                summaries.iter().map(|s| s.customer),
            )),
        ),
        (
            "frequency",
            floats(summaries.iter().map(|s| s.frequency).collect()),
        ),
        (
            "recency",
            floats(summaries.iter().map(|s| s.recency).collect()),
        ),
        ("T", floats(summaries.iter().map(|s| s.t).collect())),
        (
            "monetary_value",
            floats(summaries.iter().map(|s| s.monetary_value).collect()),
        ),
        (
            "p_alive",
            floats(predictions.iter().map(|p| p.p_alive).collect()),
        ),
        (
            "expected_purchases",
            floats(predictions.iter().map(|p| p.expected_purchases).collect()),
        ),
        (
            "expected_value",
            floats(predictions.iter().map(|p| p.expected_value).collect()),
        ),
        ("clv", floats(predictions.iter().map(|p| p.clv).collect())),
    ];
    if let Some(kept) = kept {
        columns.push(("kept_share", floats(kept.to_vec())));
    }
    if let Some(intervals) = intervals {
        for (index, name) in INTERVAL_COLUMNS.iter().enumerate() {
            let values = intervals
                .iter()
                .map(|i| interval_values(i)[index])
                .collect();
            columns.push((name, floats(values)));
        }
    }
    write_batch(path, columns)
}

/// The interval columns of [`PREDICTIONS`], in the order of [`interval_values`].
pub const INTERVAL_COLUMNS: [&str; 8] = [
    "p_alive_low",
    "p_alive_high",
    "expected_purchases_low",
    "expected_purchases_high",
    "expected_value_low",
    "expected_value_high",
    "clv_low",
    "clv_high",
];

/// One customer's intervals as the eight values of [`INTERVAL_COLUMNS`].
fn interval_values(i: &ClvIntervals) -> [f64; 8] {
    [
        i.p_alive.low,
        i.p_alive.high,
        i.expected_purchases.low,
        i.expected_purchases.high,
        i.expected_value.low,
        i.expected_value.high,
        i.clv.low,
        i.clv.high,
    ]
}
