//! `custseg clv`: ingest -> clean -> features -> lifetime value, committed together.

use anyhow::{Context, Result};
use custseg_data::ingest::InputSource;
use custseg_data::pipeline::{self, FeaturesRequest};
use custseg_io::StagedOutput;
use custseg_pipeline::clv_stage::{self, ClvRequest};

use super::demo_data::demo_input;
use crate::cli::ClvArgs;
use crate::progress::{TerminalProgress, say};
use crate::settings::{ApplyArgs, Settings};

/// Runs `custseg clv`.
pub fn run(args: &ClvArgs, mut settings: Settings, quiet: bool) -> Result<()> {
    settings.apply_ingest_args(&args.ingest)?;
    let spill_dir = settings.apply_engine_args(&args.engine, &args.out)?;
    settings.apply_clv_args(args)?;
    let request = ClvRequest::from_settings(&settings.clv, args.calibration_end)?;
    let input = InputSource::classify(&match &args.input {
        Some(input) => input.clone(),
        None => demo_input(&settings.demo, &settings.ingest.data_dir, quiet)?,
    });
    let features_request = FeaturesRequest {
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
    let outcome = runtime
        .block_on(pipeline::stage_features(
            &input,
            &mut staged,
            &features_request,
            &progress,
        ))
        .map_err(anyhow::Error::from)
        .and_then(|features| {
            clv_stage::stage_clv(
                &mut staged,
                &runtime,
                &settings.engine,
                features.as_of,
                &request,
            )
        });
    // The spill files go whether the stages succeeded or not.
    custseg_data::engine::remove_spill_dir(&spill_dir);
    let outcome = outcome.with_context(failed)?;
    let files = staged.commit()?;
    for line in clv_stage::summary_lines(&outcome) {
        say!("{line}");
    }
    for file in files {
        say!("wrote      {}", file.display());
    }
    Ok(())
}
