use anyhow::{Context, Result};
use custseg_data::pipeline::{self, FeaturesRequest};

use super::demo_data::demo_input;
use crate::cli::FeaturesArgs;
use crate::progress::TerminalProgress;
use crate::settings::{Settings, parse_bytes};

/// `custseg features`: ingest -> clean -> features.
pub fn run(args: &FeaturesArgs, mut settings: Settings, quiet: bool) -> Result<()> {
    settings.apply_ingest_args(&args.ingest)?;
    if let Some(limit) = &args.memory_limit {
        settings.engine.memory_limit = Some(parse_bytes(limit)?);
    }
    if let Some(url) = &args.engine {
        settings.engine.cluster = Some(url.clone());
    }
    if let Some(url) = &settings.engine.cluster
        && !url.starts_with("df://")
    {
        anyhow::bail!("`--engine {url}`: expected the Ballista scheduler as `df://host:port`");
    }
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
    let progress = TerminalProgress::new(quiet);
    let outcome = super::runtime()?
        .block_on(pipeline::run_features(
            &input, &args.out, &request, &progress,
        ))
        .with_context(|| {
            format!(
                "`custseg features` on `{input}` failed; `{}` was left as it was",
                args.out.display()
            )
        })?;

    let report = &outcome.report;
    println!(
        "input      {} ({}{}, sha256 {}…){}",
        report.input.source,
        report.input.format,
        report
            .input
            .member
            .as_ref()
            .map(|member| format!(": {member}"))
            .unwrap_or_default(),
        &report.input.sha256[..12],
        if report.input.parsed_from_cache {
            ", parse cached"
        } else {
            ""
        }
    );
    println!(
        "rows       {} raw = {} clean + {} quarantined",
        report.raw_rows, report.clean_rows, report.quarantined_rows
    );
    for step in &report.steps {
        match step.flagged {
            Some(flagged) => println!(
                "  {:<24} {:>9} flagged as cancellations (in the cleaned table)",
                step.rule, flagged
            ),
            None => println!("  {:<24} {:>9} dropped", step.rule, step.dropped),
        }
    }
    println!("customers  {} (as of {})", outcome.customers, outcome.as_of);
    let timings: Vec<String> = outcome
        .timings
        .iter()
        .map(|timing| format!("{} {:.3}s", timing.stage, timing.seconds))
        .collect();
    println!("time       {}", timings.join(", "));
    for file in &outcome.files {
        println!("wrote      {}", file.display());
    }
    Ok(())
}
