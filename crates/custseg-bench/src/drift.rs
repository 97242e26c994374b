//! `custseg bench drift`: how often drift detection fires when nothing changed (windows drawn
//! from the reference itself) and how often it sees known changes, by window size.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;
use custseg_serve::drift::scenario::{Scenario, ScenarioSource};
use custseg_serve::drift::{Status, Thresholds};
use rand::SeedableRng;
use rand::rngs::SmallRng;
use serde_json::json;

use custseg_pipeline::model_stage::read_model;
use custseg_pipeline::monitoring::prepared_reference;

/// `custseg bench drift`.
#[derive(Debug, Args)]
pub struct DriftArgs {
    /// The model file whose drift reference is the reference (e.g. trained on the UCI data).
    #[arg(long)]
    pub model: PathBuf,
    /// Trials per window size and scenario for the false alarms.
    #[arg(long, default_value_t = 200)]
    pub trials: usize,
    /// Trials per window size and scenario for the power table.
    #[arg(long, default_value_t = 100)]
    pub power_trials: usize,
    /// Window sizes of the false-alarm table.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "300,1000,10000,100000,1000000"
    )]
    pub sizes: Vec<usize>,
    /// Window sizes of the power table.
    #[arg(long, value_delimiter = ',', default_value = "300,1000,5000,10000")]
    pub power_sizes: Vec<usize>,
    /// Money features whose rises are tried.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "Total_Spend,Average_Transaction_Value,Monthly_Spending_Mean"
    )]
    pub features: Vec<String>,
    /// Multipliers of the rises.
    #[arg(long, value_delimiter = ',', default_value = "1.1,1.2,1.3,1.5")]
    pub factors: Vec<f64>,
    /// Shares of the customers the rises apply to.
    #[arg(long, value_delimiter = ',', default_value = "0.25,0.5,1.0")]
    pub shares: Vec<f64>,
    /// Seed of the draws.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Writes every rate as JSON here.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Runs `custseg bench drift`.
pub fn run(args: &DriftArgs) -> Result<()> {
    let model = read_model(&args.model)?;
    let prepared = prepared_reference(&model, &args.model)?;
    let source = ScenarioSource::new(&prepared, &model)?;
    let thresholds = Thresholds::default();
    let feature_index = |name: &str| {
        model
            .features
            .iter()
            .position(|f| f == name)
            .with_context(|| format!("the model has no feature `{name}`"))
    };
    if args.trials == 0 || args.power_trials == 0 {
        bail!("`--trials` and `--power-trials` must be at least 1");
    }
    let mut rng = SmallRng::seed_from_u64(args.seed);
    let mut results = Vec::new();

    println!(
        "reference  {} customers, {} features; {} trials per size",
        prepared.reference.customers,
        model.features.len(),
        args.trials
    );
    println!("false alarms (windows drawn from the reference itself)");
    println!(
        "{:>9} {:>10} {:>14}  feature most often flagged",
        "n", "verdict", "any feature"
    );
    for &n in &args.sizes {
        let mut verdicts = 0usize;
        let mut any_feature = 0usize;
        let mut per_test = vec![0usize; model.features.len() + 2];
        for _ in 0..args.trials {
            let window = source.trial(&Scenario::Null, n, &thresholds, &mut rng)?;
            verdicts += usize::from(window.drift);
            let flagged: Vec<bool> = window
                .features
                .iter()
                .chain(&window.multivariate)
                .map(|f| f.status == Status::Drift)
                .chain(window.segments.iter().map(|s| s.status == Status::Drift))
                .collect();
            any_feature += usize::from(flagged.iter().any(|f| *f));
            for (count, f) in per_test.iter_mut().zip(&flagged) {
                *count += usize::from(*f);
            }
        }
        let (worst, worst_count) = per_test
            .iter()
            .enumerate()
            .max_by_key(|(_, c)| **c)
            .map_or((0, 0), |(i, c)| (i, *c));
        let worst_name =
            model.features.get(worst).cloned().unwrap_or_else(|| {
                ["multivariate", "segments"][worst - model.features.len()].into()
            });
        let rate = |c: usize| c as f64 / args.trials as f64;
        println!(
            "{n:>9} {:>9.1}% {:>13.1}%  {worst_name} {:.1}%",
            100.0 * rate(verdicts),
            100.0 * rate(any_feature),
            100.0 * rate(worst_count)
        );
        results.push(
            json!({"table": "false_alarms", "n": n, "trials": args.trials,
            "verdict_rate": rate(verdicts), "any_test_rate": rate(any_feature),
            "worst_test": worst_name, "worst_test_rate": rate(worst_count)}),
        );
    }

    let mut scenarios: Vec<(String, Scenario, Option<usize>)> = Vec::new();
    for name in &args.features {
        let feature = feature_index(name)?;
        for &share in &args.shares {
            for &factor in &args.factors {
                scenarios.push((
                    format!("{name} x{factor} on {:.0} %", 100.0 * share),
                    Scenario::Rise {
                        feature,
                        factor,
                        share,
                    },
                    Some(feature),
                ));
            }
        }
    }
    let segment = (0..model.k())
        .min_by(|a, b| {
            let d = |s: usize| (source.segment_share(s) - 0.15).abs();
            d(*a).total_cmp(&d(*b))
        })
        .unwrap_or(0);
    scenarios.push((
        format!(
            "segment `{}` doubled ({:.1} % -> {:.1} %)",
            model.segments[segment].name,
            100.0 * source.segment_share(segment),
            200.0 * source.segment_share(segment)
        ),
        Scenario::SegmentDoubled { segment },
        None,
    ));
    let spend = feature_index("Total_Spend").unwrap_or(0);
    scenarios.push((
        format!("correlation of {} broken", model.features[spend]),
        Scenario::CorrelationBroken { feature: spend },
        None,
    ));

    println!(
        "power: share of {} trials where the verdict fires (and where the test of what changed drifts: the feature, the segment mix, the multivariate check)",
        args.power_trials
    );
    print!("{:<52}", "change");
    for n in &args.power_sizes {
        print!(" {:>14}", format!("n={n}"));
    }
    println!();
    for (label, scenario, feature) in &scenarios {
        print!("{label:<52}");
        for &n in &args.power_sizes {
            let (mut verdicts, mut own, mut effect) = (0usize, 0usize, 0.0);
            for _ in 0..args.power_trials {
                let window = source.trial(scenario, n, &thresholds, &mut rng)?;
                verdicts += usize::from(window.drift);
                own += match (feature, scenario) {
                    (Some(j), _) => usize::from(window.features[*j].status == Status::Drift),
                    (None, Scenario::SegmentDoubled { .. }) => usize::from(
                        window
                            .segments
                            .as_ref()
                            .is_some_and(|s| s.status == Status::Drift),
                    ),
                    (None, _) => usize::from(
                        window
                            .multivariate
                            .as_ref()
                            .is_some_and(|m| m.status == Status::Drift),
                    ),
                };
                effect += window.multivariate.as_ref().map_or(0.0, |m| m.effect);
            }
            tracing::debug!(
                label,
                n,
                mean_multivariate_effect = effect / args.power_trials as f64
            );
            let rate = |c: usize| c as f64 / args.power_trials as f64;
            print!(
                " {:>14}",
                format!("{:.0}% ({:.0}%)", 100.0 * rate(verdicts), 100.0 * rate(own))
            );
            results.push(json!({"table": "power", "change": label, "n": n,
                "trials": args.power_trials, "verdict_rate": rate(verdicts),
                "own_test_rate": rate(own)}));
        }
        println!();
    }
    if let Some(out) = &args.out {
        let mut bytes = serde_json::to_vec_pretty(&json!({
            "model": args.model.display().to_string(),
            "seed": args.seed,
            "thresholds": thresholds,
            "results": results,
        }))?;
        bytes.push(b'\n');
        custseg_io::write_atomic(out, &bytes)?;
        println!("wrote      {}", out.display());
    }
    Ok(())
}
