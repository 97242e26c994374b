//! `custseg report`: the pipeline's `report` stage alone, drawn again from the outputs an
//! earlier run left in the output directory.

use std::collections::BTreeSet;

use anyhow::{Context, Result, bail};
use custseg_dag::RunPlan;
use custseg_data::ingest::InputSource;
use custseg_data::pipeline::paths as data_paths;
use custseg_pipeline::request::Scope;

use super::run::{execute, request};
use crate::cli::{ReportArgs, ReportFormat};
use crate::settings::Settings;

/// Runs `custseg report`.
pub fn run(args: &ReportArgs, settings: Settings, quiet: bool) -> Result<()> {
    let failed = || format!("`custseg report` on `{}` failed", args.out.display());
    if !args.out.join(data_paths::QUALITY).exists() {
        bail!(
            "{}: `{}` has no `{}`; run `custseg run` (or `custseg features`) with `--out {}` first",
            failed(),
            args.out.display(),
            data_paths::QUALITY,
            args.out.display()
        );
    }
    let mut request = request(InputSource::Local(args.out.clone()), settings, None, quiet);
    request.scope = Scope::Report;
    request.png = args.format == ReportFormat::Png;
    request.tracking.enabled = false;
    // Asked for, so drawn again even where the same report is already committed.
    let plan = RunPlan {
        force: BTreeSet::from(["report".to_owned()]),
        ..RunPlan::default()
    };
    execute(&request, &args.out, &plan, "report", quiet).with_context(failed)
}
