//! `custseg monitor drift`: the logged inputs against the training reference in the model file.

use std::path::PathBuf;

use anyhow::Result;
use custseg_pipeline::monitoring;
use custseg_serve::drift::{DriftReport, FeatureDrift, Status, Thresholds, WindowSpec};
use custseg_serve::prediction_log;

use crate::cli::{DriftArgs, MonitorCommand};

/// Runs `custseg monitor ...`.
pub fn run(command: &MonitorCommand) -> Result<()> {
    match command {
        MonitorCommand::Drift(args) => drift(args),
    }
}

fn thresholds(args: &DriftArgs) -> Result<Thresholds> {
    let thresholds = Thresholds {
        alpha: args.alpha,
        min_change: args.min_change,
        min_shift: args.min_shift,
        min_segment_change: args.min_segment_change,
        min_rows: args.min_rows,
    };
    thresholds
        .check()
        .map_err(|e| anyhow::anyhow!("threshold out of range: {}", e.replace('_', "-")))?;
    Ok(thresholds)
}

fn drift(args: &DriftArgs) -> Result<()> {
    let thresholds = thresholds(args)?;
    let spec: WindowSpec = args
        .window
        .parse()
        .map_err(|e: String| anyhow::anyhow!("`--window`: {e}"))?;
    let since = args
        .since
        .as_deref()
        .map(prediction_log::parse_since)
        .transpose()
        .map_err(|e| anyhow::anyhow!("`--since`: {e}"))?;
    let drift = monitoring::drift_of_log(
        &args.model,
        &args.log_dir,
        since.as_deref(),
        spec,
        &thresholds,
    )?;
    let out: PathBuf = args
        .out
        .clone()
        .unwrap_or_else(|| args.log_dir.join("drift.json"));
    monitoring::write_drift_report(&out, &drift)?;
    print_summary(&drift);
    println!("wrote      {}", out.display());
    Ok(())
}

fn status_word(status: Status) -> &'static str {
    match status {
        Status::Drift => "DRIFT",
        Status::Small => "small",
        Status::Stable => "stable",
    }
}

fn feature_line(f: &FeatureDrift) {
    println!(
        "{:<40} {:<62} {:>9.2e} {:>6}{}",
        f.feature,
        f.change,
        f.p_adjusted,
        status_word(f.status),
        if f.within_noise {
            ""
        } else {
            "  (outside noise)"
        }
    );
}

fn print_summary(drift: &DriftReport) {
    let decided = drift.windows.iter().filter(|w| w.decided).count();
    println!(
        "reference  {} training customers ({} in the sample); {} predictions in {} {} window(s), {} decided",
        drift.reference_customers,
        drift.reference_rows,
        drift.current_rows,
        drift.windows.len(),
        drift.window,
        decided
    );
    let overall = &drift.overall;
    if overall.decided {
        println!(
            "{:<40} {:<62} {:>9} {:>6}",
            "feature", "change (all predictions)", "p (Holm)", "status"
        );
        for f in overall.features.iter().chain(&overall.multivariate) {
            feature_line(f);
        }
        if let Some(s) = &overall.segments {
            println!(
                "{:<40} {:<62} {:>9.2e} {:>6}",
                "segment mix",
                format!(
                    "{:.1} % of predictions changed segment (drift from {:.1} %)",
                    100.0 * s.total_variation,
                    100.0 * s.threshold
                ),
                s.p_adjusted,
                status_word(s.status)
            );
        }
    }
    if drift.windows.len() > 1 {
        println!("{:<24} {:>9}  verdict", "window", "rows");
        for w in &drift.windows {
            let verdict = if !w.decided {
                "too few rows to decide"
            } else if w.drift {
                "DRIFT"
            } else {
                "no drift"
            };
            println!("{:<24} {:>9}  {verdict}", w.window, w.rows);
        }
    }
    println!(
        "verdict    {}: {}",
        if drift.drift { "DRIFT" } else { "no drift" },
        drift.reason
    );
    if let Some(began) = &drift.drift_began {
        println!("began      {began}");
    }
}
