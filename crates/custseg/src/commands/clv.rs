//! `custseg clv`: ingest -> clean -> daily purchases -> BG/NBD + Gamma-Gamma -> CLV per
//! customer, committed together with the foundation's outputs.

use std::sync::Arc;

use anyhow::{Context, Result, bail};
use arrow::array::{ArrayRef, Float64Array, Int64Array, RecordBatch};
use custseg_clv::bgnbd::{self, FitOptions};
use custseg_clv::clv::{ClvOptions, predict};
use custseg_clv::gamma_gamma;
use custseg_clv::summary::{CustomerSummary, Purchase, TimeUnit, check, summarize};
use custseg_data::pipeline::{self, FeaturesRequest, paths};
use custseg_data::purchases::daily_purchases;
use custseg_io::StagedOutput;
use parquet::arrow::ArrowWriter;

use super::demo_data::demo_input;
use crate::cli::ClvArgs;
use crate::progress::TerminalProgress;
use crate::settings::Settings;

/// Output files, relative to the output directory.
const SUMMARY: &str = "clv/summary.parquet";
const PREDICTIONS: &str = "clv/predictions.parquet";
const MODEL: &str = "clv/model.json";

/// Day number (days since 1970-01-01) of a date.
fn day_number(date: chrono::NaiveDate) -> i64 {
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    (date - epoch).num_days()
}

/// Runs `custseg clv`.
pub fn run(args: &ClvArgs, mut settings: Settings, quiet: bool) -> Result<()> {
    settings.apply_ingest_args(&args.ingest)?;
    let unit = match args.unit.as_str() {
        "days" => TimeUnit::Days,
        "weeks" => TimeUnit::Weeks,
        other => bail!("`--unit {other}`: expected days or weeks"),
    };
    let options = ClvOptions {
        horizon_months: args.horizon_months,
        discount_rate: args.discount_rate,
        margin: args.margin,
    };
    options.check()?;
    let fit_options = FitOptions {
        penalizer: args.penalizer,
        ..FitOptions::default()
    };
    let input = match &args.input {
        Some(input) => input.clone(),
        None => demo_input(&settings.demo, &settings.ingest.data_dir, quiet)?,
    };
    let request = FeaturesRequest {
        ingest: settings.ingest.clone(),
        clean: settings.clean.clone(),
        engine: settings.engine.clone(),
        as_of: args.as_of.or(settings.features.as_of),
    };
    let failed = || {
        format!(
            "`custseg clv` on `{input}` failed; `{}` was left as it was",
            args.out.display()
        )
    };
    let progress = TerminalProgress::new(quiet);
    let runtime = super::runtime()?;
    let mut staged = StagedOutput::new(&args.out)?;
    let features = runtime
        .block_on(pipeline::stage_features(
            &input,
            &mut staged,
            &request,
            &progress,
        ))
        .with_context(failed)?;
    let clean = staged.path(paths::CLEAN)?;
    let daily = runtime
        .block_on(daily_purchases(&clean, &settings.engine))
        .with_context(failed)?;
    let Some(first_day) = daily.iter().map(|p| p.day).min() else {
        bail!("{}: no completed purchase by a known customer", failed());
    };
    let last_day = day_number(features.as_of);
    let end = match args.calibration_end {
        Some(date) => {
            let day = day_number(date);
            if day < i64::from(first_day) || day >= last_day {
                bail!(
                    "`--calibration-end {date}` must fall on or after the first purchase date and before the last ({}); nothing was written",
                    features.as_of
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
    check(&summaries).with_context(failed)?;
    let purchase_fit = bgnbd::fit(&summaries, &fit_options).with_context(failed)?;
    let spend_fit = gamma_gamma::fit(&summaries, &fit_options).with_context(failed)?;
    let predictions = summaries
        .iter()
        .map(|s| predict(&purchase_fit.params, &spend_fit.params, s, unit, &options))
        .collect::<Result<Vec<_>, _>>()?;

    // Holdout check: predicted purchases over the holdout span against what happened.
    let holdout = args.calibration_end.map(|_| {
        let span = (last_day - end) as f64 / unit.days();
        let mut errors = Vec::with_capacity(summaries.len());
        let mut predicted_total = 0.0;
        let mut actual_total = 0.0;
        for s in &summaries {
            let predicted = purchase_fit
                .params
                .expected_purchases(s, span)
                .unwrap_or(f64::NAN);
            predicted_total += predicted;
            actual_total += s.holdout_purchases;
            errors.push(predicted - s.holdout_purchases);
        }
        let n = errors.len() as f64;
        serde_json::json!({
            "model": "bg_nbd",
            "holdout_length": span,
            "customers": summaries.len(),
            "mae": errors.iter().map(|e| e.abs()).sum::<f64>() / n,
            "rmse": (errors.iter().map(|e| e * e).sum::<f64>() / n).sqrt(),
            "predicted_total": predicted_total,
            "actual_total": actual_total,
            "total_error": predicted_total - actual_total,
        })
    });

    write_summary(
        &staged.path(SUMMARY)?,
        &summaries,
        args.calibration_end.is_some(),
    )?;
    write_predictions(&staged.path(PREDICTIONS)?, &summaries, &predictions)?;
    let warnings: Vec<&String> = purchase_fit
        .warnings
        .iter()
        .chain(&spend_fit.warnings)
        .collect();
    let model = serde_json::json!({
        "unit": unit,
        "observation_end": chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default() + chrono::TimeDelta::days(end),
        "calibration_end": args.calibration_end,
        "customers": summaries.len(),
        "repeat_customers": summaries.iter().filter(|s| s.frequency > 0.0).count(),
        "bg_nbd": purchase_fit,
        "gamma_gamma": spend_fit,
        "clv": options,
        "holdout": holdout,
        "warnings": warnings,
    });
    let mut bytes = serde_json::to_vec_pretty(&model)?;
    bytes.push(b'\n');
    staged.write(MODEL, &bytes)?;
    let files = staged.commit()?;

    let p = purchase_fit.params;
    let g = spend_fit.params;
    println!(
        "customers  {} ({} with a repeat purchase)",
        summaries.len(),
        model["repeat_customers"]
    );
    println!(
        "BG/NBD     r {:.4}, alpha {:.4}, a {:.4}, b {:.4}; log-likelihood {:.2}; {}",
        p.r,
        p.alpha,
        p.a,
        p.b,
        purchase_fit.log_likelihood,
        if purchase_fit.converged {
            "converged"
        } else {
            "NOT converged"
        }
    );
    println!(
        "Gamma-Gamma p {:.4}, q {:.4}, gamma {:.4} on {} customers ({} excluded: no repeat purchase or no spend); corr(frequency, monetary) {:.3}",
        g.p,
        g.q,
        g.gamma,
        spend_fit.customers,
        spend_fit.excluded,
        spend_fit.frequency_monetary_correlation
    );
    let total: f64 = predictions.iter().map(|p| p.clv).sum();
    println!(
        "CLV        {} months, {:.1} % per month: total {:.0}, mean {:.2}",
        options.horizon_months,
        100.0 * options.discount_rate,
        total,
        total / predictions.len() as f64
    );
    if let Some(holdout) = &model["holdout"].as_object() {
        println!(
            "holdout    MAE {:.3}, RMSE {:.3}, predicted {:.0} vs actual {:.0} purchases",
            holdout["mae"].as_f64().unwrap_or(f64::NAN),
            holdout["rmse"].as_f64().unwrap_or(f64::NAN),
            holdout["predicted_total"].as_f64().unwrap_or(f64::NAN),
            holdout["actual_total"].as_f64().unwrap_or(f64::NAN)
        );
    }
    for warning in &warnings {
        tracing::warn!("{warning}");
        println!("warning    {warning}");
    }
    for file in files {
        println!("wrote      {}", file.display());
    }
    Ok(())
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
) -> Result<()> {
    let floats = |values: Vec<f64>| -> ArrayRef { Arc::new(Float64Array::from(values)) };
    write_batch(
        path,
        vec![
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
        ],
    )
}
