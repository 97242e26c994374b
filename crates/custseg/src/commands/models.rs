//! `custseg models ...`: the model registry.

use anyhow::{Context, Result, bail};
use custseg_model::ModelFile;
use custseg_track::{current_user, live_at};

use crate::cli::ModelsCommand;
use crate::settings::Settings;
use custseg_pipeline::tracking::{Tracking, model_scores, promote, rollback};

/// Parses `--at`: RFC 3339, or a date meaning its midnight UTC.
fn parse_time(text: &str) -> Result<chrono::DateTime<chrono::Utc>> {
    if let Ok(date) = text.parse::<chrono::NaiveDate>() {
        return Ok(date.and_time(chrono::NaiveTime::MIN).and_utc());
    }
    text.parse::<chrono::DateTime<chrono::Utc>>()
        .with_context(|| format!("`--at {text}`: expected a date (2026-11-30) or an RFC 3339 time"))
}

/// Runs `custseg models ...`.
pub fn run(command: &ModelsCommand, settings: &Settings) -> Result<()> {
    let tracking = Tracking::resolve(&settings.tracking, &settings.registry);
    let registry = tracking.registry()?;
    match command {
        ModelsCommand::Register(args) => {
            let tracker = tracking.tracker()?;
            let bytes = tracker
                .read_artifact(&args.run, "model/model.json")
                .with_context(|| {
                    format!("run `{}` has no `model/model.json` artifact", args.run)
                })?;
            let model = ModelFile::from_bytes(&bytes)
                .with_context(|| format!("the model of run `{}`", args.run))?;
            let version = registry.create_version(
                &args.name,
                &args.run,
                &format!("runs:/{}/model", args.run),
                &model_scores(&model),
                &format!("k = {}; registered by hand", model.selection.k),
            )?;
            println!(
                "registered {} version {} from run {}",
                version.name, version.version, version.run_id
            );
        }
        ModelsCommand::List => {
            let models = registry.models()?;
            if models.is_empty() {
                println!("no registered models in {}", registry.location());
            }
            for name in models {
                let versions = registry.versions(&name)?;
                let aliases = registry.aliases(&name)?;
                let shown: Vec<String> = aliases.iter().map(|(a, v)| format!("{a}={v}")).collect();
                println!(
                    "{name:<30} {} versions, latest {}  {}",
                    versions.len(),
                    versions.last().map_or(0, |v| v.version),
                    shown.join(" ")
                );
            }
        }
        ModelsCommand::Show(args) => {
            let versions = registry.versions(&args.name)?;
            if versions.is_empty() {
                bail!(
                    "no registered model `{}` in {}",
                    args.name,
                    registry.location()
                );
            }
            let aliases = registry.aliases(&args.name)?;
            let history = registry.alias_history(&args.name)?;
            if let Some(at) = &args.at {
                let time = parse_time(at)?;
                let mut names: Vec<&String> = history.iter().map(|e| &e.alias).collect();
                names.sort();
                names.dedup();
                if names.is_empty() {
                    println!("no alias of `{}` has ever been set", args.name);
                }
                for alias in names {
                    match live_at(&history, alias, time) {
                        Some(v) => println!("{alias:<12} version {v} at {time}"),
                        None => println!("{alias:<12} no version at {time}"),
                    }
                }
                return Ok(());
            }
            println!("model      {} in {}", args.name, registry.location());
            println!(
                "{:>7}  {:<20}  {:<32}  {:>10}  {:>8}  {:>9}  aliases",
                "version", "registered (UTC)", "run", "silhouette", "DB", "stability"
            );
            for version in &versions {
                let here: Vec<&str> = aliases
                    .iter()
                    .filter(|(_, v)| **v == version.version)
                    .map(|(a, _)| a.as_str())
                    .collect();
                let metric = |k: &str| {
                    version
                        .metrics
                        .get(k)
                        .map_or("-".to_owned(), |v| format!("{v:.4}"))
                };
                println!(
                    "{:>7}  {:<20}  {:<32}  {:>10}  {:>8}  {:>9}  {}",
                    version.version,
                    version.created_at.format("%Y-%m-%d %H:%M:%S"),
                    version.run_id,
                    metric("silhouette"),
                    metric("davies_bouldin"),
                    metric("stability_ari"),
                    here.join(", ")
                );
            }
            println!("\nalias history");
            for event in &history {
                let shown = |v: Option<u32>| v.map_or("none".to_owned(), |v| v.to_string());
                println!(
                    "  {}  {:<12} {} -> {}  by {}: {}",
                    event.at.format("%Y-%m-%d %H:%M:%S"),
                    event.alias,
                    shown(event.from),
                    shown(event.to),
                    event.by,
                    event.reason
                );
            }
        }
        ModelsCommand::Alias(args) => {
            let version = if args.delete { None } else { args.version };
            let event = registry.set_alias(
                &args.name,
                &args.alias,
                version,
                &current_user(),
                &args.reason,
            )?;
            match event.to {
                Some(v) => println!("{}@{} -> version {v}", args.name, args.alias),
                None => println!("{}@{} removed", args.name, args.alias),
            }
        }
        ModelsCommand::Promote(args) => {
            let promotion = promote(
                registry.as_ref(),
                &args.name,
                args.version,
                &args.alias,
                args.force,
                &args.reason,
            )?;
            for check in &promotion.verdict.checks {
                let shown = |v: Option<f64>| v.map_or("missing".to_owned(), |v| format!("{v:.4}"));
                println!(
                    "  {:<16} candidate {:>10}  current {:>10}  {}",
                    check.metric,
                    shown(check.candidate),
                    shown(check.champion),
                    if check.passed { "ok" } else { "WORSE" }
                );
            }
            match promotion.event {
                Some(event) => println!(
                    "{}@{} -> version {} (was {}): {}",
                    args.name,
                    args.alias,
                    args.version,
                    event.from.map_or("none".to_owned(), |v| v.to_string()),
                    event.reason
                ),
                None if promotion.verdict.passed => {
                    println!(
                        "{}@{} already points to version {}",
                        args.name, args.alias, args.version
                    );
                }
                None => bail!(
                    "version {} of `{}` was not promoted to `{}`: {}; pass `--force` to promote it anyway",
                    args.version,
                    args.name,
                    args.alias,
                    promotion.verdict.summary
                ),
            }
        }
        ModelsCommand::Rollback(args) => {
            let event = rollback(registry.as_ref(), &args.name, &args.alias, &args.reason)?;
            println!(
                "{}@{} -> version {} (was {})",
                args.name,
                args.alias,
                event.to.map_or("none".to_owned(), |v| v.to_string()),
                event.from.map_or("none".to_owned(), |v| v.to_string())
            );
        }
    }
    Ok(())
}
