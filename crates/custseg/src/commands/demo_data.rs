use std::path::Path;

use anyhow::{Context, Result};
use custseg_datagen::DemoSpec;

use crate::cli::DemoDataArgs;
use crate::progress::TerminalProgress;
use crate::settings::{DemoSettings, Settings};

/// `custseg demo-data`.
pub fn run(args: &DemoDataArgs, settings: &Settings, quiet: bool) -> Result<()> {
    let spec = DemoSpec {
        rows: args.rows.unwrap_or(settings.demo.rows),
        customers: args.customers.or(settings.demo.customers),
        seed: args.seed.unwrap_or(settings.demo.seed),
        ..DemoSpec::default()
    };
    let rows = generate(&spec, &args.out, quiet)?;
    println!("wrote {rows} rows to {}", args.out.display());
    Ok(())
}

/// Writes the demo log for `spec` to `path`, with a progress bar.
pub fn generate(spec: &DemoSpec, path: &Path, quiet: bool) -> Result<u64> {
    let progress = TerminalProgress::new(quiet);
    let bar = progress.bar("generate", Some(spec.rows), "rows");
    let _span = tracing::info_span!("demo_data", rows = spec.rows, seed = spec.seed).entered();
    let rows = custseg_datagen::write_demo(spec, path, &mut |rows| bar.set_position(rows))
        .with_context(|| format!("writing demo data to `{}`", path.display()))?;
    bar.finish_and_clear();
    Ok(rows)
}

/// The built-in demo dataset under `data_dir`, generated on first use.
pub fn demo_input(settings: &DemoSettings, data_dir: &Path, quiet: bool) -> Result<String> {
    let customers = settings
        .customers
        .map_or_else(|| "auto".to_owned(), |count| count.to_string());
    let path = data_dir.join("demo").join(format!(
        "demo-{}rows-seed{}-{customers}.parquet",
        settings.rows, settings.seed
    ));
    if !path.exists() {
        tracing::info!(path = %path.display(), rows = settings.rows, "generating the demo dataset");
        let spec = DemoSpec {
            rows: settings.rows,
            customers: settings.customers,
            seed: settings.seed,
            ..DemoSpec::default()
        };
        generate(&spec, &path, quiet)?;
    }
    Ok(path.to_string_lossy().into_owned())
}
