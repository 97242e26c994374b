//! `custseg report`: the report of an output directory's results, drawn again.

use std::path::Path;

use anyhow::{Context, Result, bail};
use custseg_data::pipeline::paths as data_paths;
use custseg_io::StagedOutput;
use custseg_pipeline::report_stage;

use crate::cli::{ReportArgs, ReportFormat};
use crate::progress::say;
use crate::settings::Settings;

/// Runs `custseg report`.
pub fn run(args: &ReportArgs, settings: &Settings) -> Result<()> {
    let failed = || {
        format!(
            "`custseg report` on `{}` failed; `{}` was left as it was",
            args.out.display(),
            Path::new(report_stage::paths::INDEX).display()
        )
    };
    if !args.out.join(data_paths::QUALITY).exists() {
        bail!(
            "{}: `{}` has no `{}`; run `custseg run` (or `custseg features`) with `--out {}` first",
            failed(),
            args.out.display(),
            data_paths::QUALITY,
            args.out.display()
        );
    }
    let mut staged = StagedOutput::new(&args.out)?;
    let outcome = report_stage::stage_report(
        &mut staged,
        &settings.engine,
        &settings.model,
        args.format == ReportFormat::Png,
    )
    .with_context(failed)?;
    let files = staged.commit()?;
    for line in report_stage::summary_lines(&outcome) {
        say!("{line}");
    }
    for file in files {
        say!("wrote      {}", file.display());
    }
    Ok(())
}
