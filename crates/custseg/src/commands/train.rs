//! `custseg train`: the segmentation model from a customer feature table.

use anyhow::{Context, Result};
use custseg_io::{StagedOutput, sha256_file};

use super::model_stage::{self, load_previous, training_columns};
use crate::cli::TrainArgs;
use crate::progress::TerminalProgress;
use crate::settings::Settings;
use crate::tables::read_customer_table;

/// Runs `custseg train`.
pub fn run(args: &TrainArgs, mut settings: Settings, quiet: bool) -> Result<()> {
    settings.apply_model_args(&args.model)?;
    let config = &settings.model;
    let (table, _) = read_customer_table(&args.features, &training_columns(config))?;
    let sha = sha256_file(&args.features)?;
    let previous = args
        .previous
        .as_deref()
        .map(|path| load_previous(path, &table))
        .transpose()?;
    let mut staged = StagedOutput::new(&args.out)?;
    let progress = TerminalProgress::new(quiet);
    let outcome = model_stage::stage_model(
        &mut staged,
        &table,
        config,
        Some(sha),
        previous.as_ref(),
        &progress,
    )
    .with_context(|| {
        format!(
            "training on `{}` failed; `{}` was left as it was",
            args.features.display(),
            args.out.display()
        )
    })?;
    let files = staged.commit()?;
    model_stage::print_summary(&outcome);
    for file in files {
        println!("wrote      {}", file.display());
    }
    Ok(())
}
