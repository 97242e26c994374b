//! `custseg runs list|show|compare`: the tracked runs.

use std::collections::BTreeSet;

use anyhow::Result;
use custseg_track::RunInfo;

use crate::cli::RunsCommand;
use crate::settings::Settings;
use custseg_pipeline::tracking::Tracking;

/// Runs `custseg runs ...`.
pub fn run(command: &RunsCommand, settings: &Settings) -> Result<()> {
    let tracking = Tracking::resolve(&settings.tracking, &settings.registry);
    let tracker = tracking.tracker()?;
    match command {
        RunsCommand::List(args) => {
            let experiment = args.experiment.as_deref().unwrap_or(&tracking.experiment);
            let runs = tracker.list_runs(experiment)?;
            if runs.is_empty() {
                println!(
                    "no runs in experiment `{experiment}` of {}",
                    tracker.location()
                );
                return Ok(());
            }
            println!(
                "{:<32}  {:<20}  {:<8}  {:>8}  {:>3}  {:>10}  name",
                "run", "started (UTC)", "status", "seconds", "k", "silhouette"
            );
            for run in runs.iter().take(args.limit) {
                println!(
                    "{:<32}  {:<20}  {:<8}  {:>8}  {:>3}  {:>10}  {}",
                    run.run_id,
                    time(run.start_time),
                    run.status.as_str(),
                    run.end_time
                        .map(|end| format!("{:.1}", (end - run.start_time) as f64 / 1000.0))
                        .unwrap_or_default(),
                    run.last_metric("k")
                        .map(|k| format!("{k:.0}"))
                        .unwrap_or_default(),
                    run.last_metric("silhouette")
                        .map(|s| format!("{s:.4}"))
                        .unwrap_or_default(),
                    run.run_name
                );
            }
            Ok(())
        }
        RunsCommand::Show(args) => {
            let run = tracker.get_run(&args.run)?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&run)?);
            } else {
                print!("{}", show(&run));
            }
            Ok(())
        }
        RunsCommand::Compare(args) => {
            let runs = args
                .runs
                .iter()
                .map(|id| tracker.get_run(id))
                .collect::<Result<Vec<_>, _>>()?;
            print!("{}", compare(&runs, args.only_different));
            Ok(())
        }
    }
}

fn time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

/// One run, as text.
fn show(run: &RunInfo) -> String {
    let mut text = format!(
        "run        {}\nname       {}\nexperiment {}\nstatus     {}\nstarted    {}\nended      {}\n",
        run.run_id,
        run.run_name,
        run.experiment,
        run.status.as_str(),
        time(run.start_time),
        run.end_time
            .map(time)
            .unwrap_or_else(|| "(running)".to_owned()),
    );
    if let Some(error) = &run.error {
        text.push_str(&format!("error      {error}\n"));
    }
    text.push_str("\ntags\n");
    for (key, value) in &run.tags {
        text.push_str(&format!("  {key:<40} {value}\n"));
    }
    text.push_str("\nmetrics (last value; steps logged)\n");
    for (key, points) in &run.metrics {
        let last = points.last().map_or(f64::NAN, |p| p.value);
        text.push_str(&format!("  {key:<40} {last:<14.6} {}\n", points.len()));
    }
    text.push_str("\nparameters\n");
    for (key, value) in &run.params {
        text.push_str(&format!("  {key:<40} {value}\n"));
    }
    text.push_str("\nartifacts\n");
    for artifact in &run.artifacts {
        text.push_str(&format!("  {artifact}\n"));
    }
    text
}

/// Runs side by side: one row per parameter and metric, `*` where they differ.
fn compare(runs: &[RunInfo], only_different: bool) -> String {
    let width = 18;
    let mut text = format!("  {:<40}", "");
    for run in runs {
        text.push_str(&format!(
            " {:<width$}",
            &run.run_id[..run.run_id.len().min(width)]
        ));
    }
    text.push('\n');
    let mut section =
        |title: &str, keys: BTreeSet<&String>, value: &dyn Fn(&RunInfo, &str) -> String| {
            let mut rows = String::new();
            for key in keys {
                let values: Vec<String> = runs.iter().map(|r| value(r, key)).collect();
                let differs = values.iter().any(|v| v != &values[0]);
                if only_different && !differs {
                    continue;
                }
                rows.push_str(&format!("{} {key:<40}", if differs { '*' } else { ' ' }));
                for v in &values {
                    let shown: String = v.chars().take(width).collect();
                    rows.push_str(&format!(" {shown:<width$}"));
                }
                rows.push('\n');
            }
            text.push_str(&format!("{title}\n{rows}"));
        };
    let metric_keys: BTreeSet<&String> = runs.iter().flat_map(|r| r.metrics.keys()).collect();
    section("metrics", metric_keys, &|run, key| {
        run.last_metric(key)
            .map_or("-".to_owned(), |v| format!("{v:.6}"))
    });
    let param_keys: BTreeSet<&String> = runs.iter().flat_map(|r| r.params.keys()).collect();
    section("parameters", param_keys, &|run, key| {
        run.params
            .get(key)
            .cloned()
            .unwrap_or_else(|| "-".to_owned())
    });
    text.push_str("(* marks a row whose values differ)\n");
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use custseg_track::{Metric, RunStatus};

    fn run(id: &str, k: &str, silhouette: f64) -> RunInfo {
        RunInfo {
            run_id: id.into(),
            experiment: "e".into(),
            run_name: "n".into(),
            status: RunStatus::Finished,
            start_time: 0,
            end_time: Some(1000),
            params: [
                ("model.search.k_max".to_owned(), k.to_owned()),
                ("seed".to_owned(), "1".to_owned()),
            ]
            .into(),
            metrics: [(
                "silhouette".to_owned(),
                vec![Metric {
                    key: "silhouette".into(),
                    value: silhouette,
                    step: 0,
                    timestamp: 0,
                }],
            )]
            .into(),
            tags: Default::default(),
            artifacts: vec![],
            error: None,
        }
    }

    #[test]
    fn compare_marks_the_rows_that_differ() {
        let text = compare(&[run("a", "8", 0.4), run("b", "10", 0.4)], false);
        assert!(text.contains("* model.search.k_max"), "{text}");
        assert!(text.contains("  seed"), "{text}");
        assert!(text.contains("  silhouette"), "{text}");
        let only = compare(&[run("a", "8", 0.4), run("b", "10", 0.4)], true);
        assert!(!only.contains("seed"), "{only}");
        assert!(only.contains("* model.search.k_max"), "{only}");
    }
}
