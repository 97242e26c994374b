//! `custseg monitor drift`: the logged inputs against the training features.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use custseg_model::ModelFile;
use custseg_serve::drift::{PsiBins, Thresholds, report};
use custseg_serve::prediction_log;

use crate::cli::{DriftArgs, MonitorCommand};
use crate::tables::read_customer_table;

/// Runs `custseg monitor ...`.
pub fn run(command: &MonitorCommand) -> Result<()> {
    match command {
        MonitorCommand::Drift(args) => drift(args),
    }
}

fn drift(args: &DriftArgs) -> Result<()> {
    let bins = match args.psi_bins.as_str() {
        "deciles" => PsiBins::Deciles,
        "sturges" => PsiBins::Sturges,
        other => bail!("`--psi-bins {other}`: expected deciles or sturges"),
    };
    let thresholds = Thresholds {
        psi_moderate: args.psi_moderate,
        psi_major: args.psi_major,
        wasserstein: args.wasserstein,
        ks_p: args.ks_p,
        drift_share: args.drift_share,
    };
    if !(thresholds.psi_moderate <= thresholds.psi_major
        && (0.0..=1.0).contains(&thresholds.drift_share)
        && (0.0..=1.0).contains(&thresholds.ks_p))
    {
        bail!(
            "thresholds out of range: need psi_moderate <= psi_major and drift_share, ks_p in [0, 1]"
        );
    }
    let bytes = fs_err::read(&args.model)?;
    let model =
        ModelFile::from_bytes(&bytes).with_context(|| format!("`{}`", args.model.display()))?;
    let reference_path = match &args.reference {
        Some(path) => path.clone(),
        None => args
            .model
            .parent()
            .and_then(|p| p.parent())
            .map(|p| p.join("features/customer_features.parquet"))
            .context("cannot tell where the training features are; give `--reference`")?,
    };
    let (table, _) = read_customer_table(&reference_path, &model.features).with_context(|| {
        format!(
            "reading the reference features `{}`",
            reference_path.display()
        )
    })?;
    let reference: Vec<Vec<f64>> = model
        .features
        .iter()
        .map(|f| {
            table
                .column(f)
                .map(<[f64]>::to_vec)
                .with_context(|| format!("`{}` has no feature `{f}`", reference_path.display()))
        })
        .collect::<Result<_>>()?;
    let since = args.since.as_ref().map(|s| {
        if s.len() == 10 {
            format!("{s}T00:00:00")
        } else {
            s.clone()
        }
    });
    let (logged, broken) = prediction_log::read(&args.log_dir, since.as_deref())
        .with_context(|| format!("reading the prediction log `{}`", args.log_dir.display()))?;
    if broken > 0 {
        tracing::warn!(
            broken,
            "prediction log lines that do not parse (cut by a crash) were skipped"
        );
    }
    let width = model.features.len();
    let usable: Vec<_> = logged
        .iter()
        .filter(|r| r.features.len() == width)
        .collect();
    if usable.is_empty() {
        bail!(
            "no logged predictions with this model's {width} features under `{}`{}",
            args.log_dir.display(),
            since.map(|s| format!(" since {s}")).unwrap_or_default()
        );
    }
    let current: Vec<Vec<f64>> = (0..width)
        .map(|j| usable.iter().map(|r| r.features[j]).collect())
        .collect();
    let clusters: Vec<usize> = usable.iter().map(|r| r.cluster).collect();
    let sizes: Vec<(usize, usize)> = model.segments.iter().map(|s| (s.id, s.size)).collect();
    let drift = report(
        &model.features,
        &reference,
        &current,
        &sizes,
        &clusters,
        bins,
        thresholds,
    );

    let out: PathBuf = args
        .out
        .clone()
        .unwrap_or_else(|| args.log_dir.join("drift.json"));
    let mut json = serde_json::to_vec_pretty(&drift)?;
    json.push(b'\n');
    custseg_io::write_atomic(&out, &json)?;
    println!(
        "reference  {} customers; recent {} predictions",
        drift.reference_rows, drift.current_rows
    );
    println!(
        "{:<32} {:>8} {:>8} {:>10} {:>11} {:>8}  status",
        "feature", "PSI", "KS", "KS p", "W/std", "JS"
    );
    for f in &drift.features {
        println!(
            "{:<32} {:>8.4} {:>8.4} {:>10.3e} {:>11.4} {:>8.4}  {}",
            f.feature,
            f.psi,
            f.ks_statistic,
            f.ks_p_value,
            f.wasserstein_normed,
            f.jensen_shannon,
            f.status
        );
    }
    println!(
        "segments   PSI {:.4}, Jensen-Shannon {:.4}",
        drift.segments.psi, drift.segments.jensen_shannon
    );
    println!(
        "verdict    {}: {}",
        if drift.drift { "DRIFT" } else { "no drift" },
        drift.reason
    );
    println!("wrote      {}", out.display());
    Ok(())
}
