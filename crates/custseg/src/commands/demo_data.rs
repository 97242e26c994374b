use std::path::Path;

use anyhow::{Context, Result};
use custseg_data::ingest::InputSource;
use custseg_datagen::{DemoSpec, OutputFormat};

use crate::cli::DemoDataArgs;
use crate::progress::TerminalProgress;
use crate::settings::Settings;
use custseg_pipeline::settings::DemoSettings;

/// `custseg demo-data`.
pub fn run(args: &DemoDataArgs, settings: &Settings, quiet: bool) -> Result<()> {
    let spec = DemoSpec {
        rows: args.rows.unwrap_or(settings.demo.rows),
        customers: args.customers.or(settings.demo.customers),
        seed: args.seed.unwrap_or(settings.demo.seed),
        ..DemoSpec::default()
    };
    let rows = match args.partitions {
        None => generate(&spec, &args.out, quiet)?,
        Some(partitions) => generate_partitioned(&spec, args, partitions, quiet)?,
    };
    match args.partitions {
        None => crate::progress::say!("wrote {rows} rows to {}", args.out.display()),
        Some(partitions) => crate::progress::say!(
            "wrote {rows} rows to {} ({partitions} files)",
            args.out.display()
        ),
    }
    Ok(())
}

fn generate_partitioned(
    spec: &DemoSpec,
    args: &DemoDataArgs,
    partitions: u64,
    quiet: bool,
) -> Result<u64> {
    let format = OutputFormat::for_path(Path::new(&format!("part.{}", args.format)))
        .with_context(|| format!("`--format {}`", args.format))?;
    let progress = TerminalProgress::new(quiet);
    let bar = progress.bar("generate", Some(spec.rows), "rows");
    let _span =
        tracing::info_span!("demo_data", rows = spec.rows, seed = spec.seed, partitions).entered();
    let rows =
        custseg_datagen::write_demo_partitioned(spec, &args.out, partitions, format, &mut |rows| {
            bar.set_position(rows)
        })
        .with_context(|| format!("writing demo data to `{}`", args.out.display()))?;
    bar.finish_and_clear();
    Ok(rows)
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

/// The input named on the command line, or else the demo dataset (generated on first use),
/// classified.
pub fn input_or_demo(input: Option<&str>, settings: &Settings, quiet: bool) -> Result<InputSource> {
    Ok(InputSource::classify(&match input {
        Some(input) => input.to_owned(),
        None => demo_input(&settings.demo, &settings.ingest.data_dir, quiet)?,
    }))
}

/// The built-in demo dataset under `data_dir`, generated on first use.
fn demo_input(settings: &DemoSettings, data_dir: &Path, quiet: bool) -> Result<String> {
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
