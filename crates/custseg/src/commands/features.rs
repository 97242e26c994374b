use anyhow::{Context, Result};
use custseg_data::pipeline::{self, FeaturesRequest};

use custseg_data::ingest::InputSource;

use super::demo_data::demo_input;
use crate::cli::FeaturesArgs;
use crate::progress::TerminalProgress;
use crate::settings::{ApplyArgs, Settings};

/// `custseg features`: ingest -> clean -> features.
pub fn run(args: &FeaturesArgs, mut settings: Settings, quiet: bool) -> Result<()> {
    settings.apply_ingest_args(&args.ingest)?;
    let spill_dir = settings.apply_engine_args(&args.engine, &args.out)?;
    let input = InputSource::classify(&match &args.input {
        Some(input) => input.clone(),
        None => demo_input(&settings.demo, &settings.ingest.data_dir, quiet)?,
    });
    let request = FeaturesRequest {
        ingest: settings.ingest.clone(),
        clean: settings.clean.clone(),
        engine: settings.engine.clone(),
        as_of: args.as_of.or(settings.features.as_of),
    };
    let out_existed = args.out.exists();
    let progress = TerminalProgress::new(quiet);
    let outcome = super::runtime()?.block_on(pipeline::run_features(
        &input, &args.out, &request, &progress,
    ));
    custseg_data::engine::remove_spill_dir(&spill_dir);
    if outcome.is_err() && !out_existed {
        // The output directory this run created for its spill files and staging, if the
        // failure left it empty.
        let _ = std::fs::remove_dir(&args.out);
    }
    let outcome = outcome.with_context(|| {
        format!(
            "`custseg features` on `{input}` failed; `{}` was left as it was",
            args.out.display()
        )
    })?;

    let report = &outcome.report;
    crate::progress::say!(
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
    if report.input.sheets.len() > 1 {
        let sheets: Vec<String> = report
            .input
            .sheets
            .iter()
            .map(|sheet| format!("{} ({} rows)", sheet.name, sheet.rows))
            .collect();
        crate::progress::say!("sheets     {}", sheets.join(", "));
    }
    crate::progress::say!(
        "rows       {} raw = {} clean + {} quarantined",
        report.raw_rows,
        report.clean_rows,
        report.quarantined_rows
    );
    for step in &report.steps {
        match step.flagged {
            Some(flagged) => crate::progress::say!(
                "  {:<24} {:>9} flagged as cancellations (in the cleaned table)",
                step.rule,
                flagged
            ),
            None => crate::progress::say!("  {:<24} {:>9} dropped", step.rule, step.dropped),
        }
    }
    crate::progress::say!("customers  {} (as of {})", outcome.customers, outcome.as_of);
    let timings: Vec<String> = outcome
        .timings
        .iter()
        .map(|timing| format!("{} {:.3}s", timing.stage, timing.seconds))
        .collect();
    crate::progress::say!("time       {}", timings.join(", "));
    for timing in &outcome.timings {
        crate::progress::say!("  {}", stage_line(timing));
    }
    for file in &outcome.files {
        crate::progress::say!("wrote      {}", file.display());
    }
    Ok(())
}

/// `clean        16.433 s     608,530 rows/s   peak RSS   3,912 MiB`.
fn stage_line(timing: &pipeline::StageTiming) -> String {
    let rate = timing
        .rows_per_second()
        .map(|rate| format!("{:>11} rows/s", thousands(rate.round() as u64)))
        .unwrap_or_default();
    let memory = timing
        .peak_rss_bytes
        .map(|bytes| format!("   peak RSS {:>7} MiB", thousands(bytes >> 20)))
        .unwrap_or_default();
    format!(
        "{:<10} {:>8.3} s {rate:>19}{memory}",
        timing.stage, timing.seconds
    )
}

fn thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_lines_show_rate_and_memory() {
        let timing = pipeline::StageTiming {
            stage: "clean",
            seconds: 2.0,
            rows: Some(1_234_568),
            peak_rss_bytes: Some(3_912 << 20),
        };
        assert_eq!(
            stage_line(&timing),
            "clean         2.000 s      617,284 rows/s   peak RSS   3,912 MiB"
        );
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
    }
}
