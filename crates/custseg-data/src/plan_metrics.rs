//! The engine's own account of each plan the data stages run: when a directory is given
//! (`--explain-analyze DIR`, `[engine] explain_analyze`), every executed plan is written
//! there with its operators' metrics, as `EXPLAIN ANALYZE` shows them (rows, elapsed
//! compute, spills, bytes scanned), and a line is added to `plans.tsv` (index, label,
//! seconds, output rows) so that the slowest plans can be found without reading them all.
//!
//! The metrics are the executed plan's own: reading them costs nothing while plans run,
//! and nothing at all when no directory is given.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use arrow::record_batch::RecordBatch;
use datafusion::physical_plan::display::DisplayableExecutionPlan;
use datafusion::physical_plan::{ExecutionPlan, collect as collect_plan};
use datafusion::prelude::DataFrame;

use crate::error::{Error, Result};

/// The file of one line per plan.
pub const INDEX_FILE: &str = "plans.tsv";
/// The first line of [`INDEX_FILE`].
const INDEX_HEADER: &str = "index\tlabel\tseconds\trows\n";

static DIRECTORY: Mutex<Option<PathBuf>> = Mutex::new(None);
static NEXT: AtomicUsize = AtomicUsize::new(1);

/// Writes the metrics of every plan run from now on in this process to `directory`
/// (created if missing).
pub fn record_into(directory: &Path) -> Result<()> {
    std::fs::create_dir_all(directory).map_err(|source| Error::io(directory, source))?;
    let index = directory.join(INDEX_FILE);
    if !index.exists() {
        std::fs::write(&index, INDEX_HEADER).map_err(|source| Error::io(&index, source))?;
    }
    *DIRECTORY.lock().unwrap_or_else(|e| e.into_inner()) = Some(directory.to_path_buf());
    Ok(())
}

fn directory() -> Option<PathBuf> {
    DIRECTORY.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// Runs `frame` and returns its batches, recording its plan's metrics under `label`.
pub async fn collect(frame: DataFrame, label: &str) -> Result<Vec<RecordBatch>> {
    collect_into(frame, label, directory().as_deref()).await
}

async fn collect_into(
    frame: DataFrame,
    label: &str,
    directory: Option<&Path>,
) -> Result<Vec<RecordBatch>> {
    let Some(directory) = directory else {
        return Ok(frame.collect().await?);
    };
    let task = Arc::new(frame.task_ctx());
    let plan = frame.create_physical_plan().await?;
    let clock = std::time::Instant::now();
    let batches = collect_plan(Arc::clone(&plan), task).await?;
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    write_plan(
        directory,
        label,
        plan.as_ref(),
        clock.elapsed().as_secs_f64(),
        rows as u64,
    )?;
    Ok(batches)
}

/// Records an executed `plan` that took `seconds` and gave `rows` rows, when a directory
/// is set.
pub fn record(label: &str, plan: &dyn ExecutionPlan, seconds: f64, rows: u64) -> Result<()> {
    match directory() {
        Some(directory) => write_plan(&directory, label, plan, seconds, rows),
        None => Ok(()),
    }
}

fn write_plan(
    directory: &Path,
    label: &str,
    plan: &dyn ExecutionPlan,
    seconds: f64,
    rows: u64,
) -> Result<()> {
    let index = NEXT.fetch_add(1, Ordering::Relaxed);
    let safe: String = label
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let path = directory.join(format!("{index:03}-{safe}.txt"));
    let text = format!(
        "{label}: {seconds:.3} s, {rows} rows\n\n{}",
        DisplayableExecutionPlan::with_metrics(plan).indent(true)
    );
    std::fs::write(&path, text).map_err(|source| Error::io(&path, source))?;
    let index_path = directory.join(INDEX_FILE);
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&index_path)
        .map_err(|source| Error::io(&index_path, source))?;
    writeln!(file, "{index}\t{label}\t{seconds:.6}\t{rows}")
        .map_err(|source| Error::io(&index_path, source))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_plan_is_written_with_its_operators_metrics() {
        let dir = tempfile::tempdir().unwrap();
        // The directory is passed, not set for the process: other tests run beside this one.
        std::fs::write(dir.path().join(INDEX_FILE), INDEX_HEADER).unwrap();
        let context = datafusion::prelude::SessionContext::new();
        let frame = context
            .sql("SELECT v % 3 AS k, count(*) AS n FROM (SELECT unnest(range(1000)) AS v) GROUP BY 1")
            .await
            .unwrap();
        let batches = collect_into(frame, "groups of three", Some(dir.path()))
            .await
            .unwrap();
        assert_eq!(batches.iter().map(RecordBatch::num_rows).sum::<usize>(), 3);
        let index = std::fs::read_to_string(dir.path().join(INDEX_FILE)).unwrap();
        let line = index.lines().nth(1).unwrap();
        let fields: Vec<&str> = line.split('\t').collect();
        assert_eq!(fields[1], "groups of three");
        assert_eq!(fields[3], "3");
        let plan = std::fs::read_to_string(dir.path().join(format!(
            "{:03}-groups-of-three.txt",
            fields[0].parse::<usize>().unwrap()
        )))
        .unwrap();
        assert!(plan.starts_with("groups of three: "), "{plan}");
        assert!(plan.contains("AggregateExec"), "{plan}");
        assert!(plan.contains("output_rows=3"), "metrics are shown: {plan}");
    }
}
