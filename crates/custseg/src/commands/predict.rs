//! `custseg predict`: score customers with a model file.

use anyhow::{Context, Result, bail};
use custseg_pipeline::model_stage::read_model;

use crate::cli::PredictArgs;
use custseg_pipeline::tables::{read_customer_table, write_predictions};

/// Runs `custseg predict`.
pub fn run(args: &PredictArgs) -> Result<()> {
    let model = read_model(&args.model)?;
    let shown = args.input.display();
    let (table, columns) = read_customer_table(&args.input, &model.features)?;
    model
        .check_columns(&columns)
        .with_context(|| format!("`{shown}`"))?;
    if table.is_empty() {
        bail!("`{shown}` has no customers to score");
    }
    let predictions = model
        .predict(&table)
        .with_context(|| format!("`{shown}`"))?;
    match &args.out {
        Some(out) => {
            // Written beside the target and renamed in, so a failure leaves no partial file.
            let directory = out
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(std::path::Path::new("."));
            let extension = out.extension().and_then(|e| e.to_str()).unwrap_or("csv");
            let temporary = tempfile::Builder::new()
                .prefix(".custseg-predict-")
                .suffix(&format!(".{extension}"))
                .tempfile_in(directory)?;
            write_predictions(Some(temporary.path()), &table.customer_ids, &predictions)?;
            temporary
                .persist(out)
                .with_context(|| format!("writing `{}`", out.display()))?;
            tracing::info!(customers = predictions.len(), out = %out.display(), "scored");
        }
        None => write_predictions(None, &table.customer_ids, &predictions)?,
    }
    Ok(())
}
