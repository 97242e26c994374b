//! Writing model outputs: customer segments, predictions, the search table, profiles and
//! segment transitions. Callers write into a staged directory; nothing here renames.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use arrow::array::{
    ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray, UInt8Array,
};
use custseg_ml::search::Candidate;
use custseg_model::ModelFile;
use custseg_model::matching::Transitions;
use custseg_model::predict::Prediction;
use custseg_model::profile::SegmentProfile;
use custseg_model::train::CustomerSegment;
use parquet::arrow::ArrowWriter;

use super::TableFormat;

fn write_batch(path: &Path, batch: &RecordBatch) -> Result<()> {
    let file = fs_err::File::create(path)?;
    let mut writer = ArrowWriter::try_new(file, batch.schema(), None)?;
    writer.write(batch)?;
    writer.close()?;
    Ok(())
}

/// `segments/customer_segments.parquet`: one row per customer.
pub fn write_segments_parquet(path: &Path, customers: &[CustomerSegment]) -> Result<()> {
    let columns: Vec<(&str, ArrayRef)> = vec![
        (
            "CustomerID",
            Arc::new(Int64Array::from_iter_values(
                customers.iter().map(|c| c.customer_id),
            )),
        ),
        (
            "cluster",
            Arc::new(Int64Array::from_iter_values(
                customers.iter().map(|c| c.cluster as i64),
            )),
        ),
        (
            "segment",
            Arc::new(StringArray::from_iter_values(
                customers.iter().map(|c| c.segment.as_str()),
            )),
        ),
        (
            "distance",
            Arc::new(Float64Array::from_iter_values(
                customers.iter().map(|c| c.distance),
            )),
        ),
        (
            "outlier",
            Arc::new(BooleanArray::from(
                customers.iter().map(|c| c.outlier).collect::<Vec<_>>(),
            )),
        ),
        (
            "anomaly_score",
            Arc::new(Float64Array::from(
                customers
                    .iter()
                    .map(|c| c.anomaly_score)
                    .collect::<Vec<_>>(),
            )),
        ),
        (
            "R",
            Arc::new(UInt8Array::from_iter_values(
                customers.iter().map(|c| c.rfm.r),
            )),
        ),
        (
            "F",
            Arc::new(UInt8Array::from_iter_values(
                customers.iter().map(|c| c.rfm.f),
            )),
        ),
        (
            "M",
            Arc::new(UInt8Array::from_iter_values(
                customers.iter().map(|c| c.rfm.m),
            )),
        ),
        (
            "rfm_cell",
            Arc::new(StringArray::from_iter_values(
                customers.iter().map(|c| c.rfm.code()),
            )),
        ),
        (
            "rfm_segment",
            Arc::new(StringArray::from_iter_values(
                customers.iter().map(|c| c.rfm_segment.as_str()),
            )),
        ),
    ];
    let batch = RecordBatch::try_from_iter(columns)?;
    write_batch(path, &batch)
}

/// Predictions as CSV, Parquet or JSON (by `path`'s extension), or CSV on stdout without a path.
pub fn write_predictions(
    path: Option<&Path>,
    ids: &[i64],
    predictions: &[Prediction],
) -> Result<()> {
    let format = match path {
        Some(path) => TableFormat::from_path(path)?,
        None => TableFormat::Csv,
    };
    match format {
        TableFormat::Parquet => {
            let columns: Vec<(&str, ArrayRef)> = vec![
                (
                    "CustomerID",
                    Arc::new(Int64Array::from_iter_values(ids.iter().copied())),
                ),
                (
                    "cluster",
                    Arc::new(Int64Array::from_iter_values(
                        predictions.iter().map(|p| p.cluster as i64),
                    )),
                ),
                (
                    "segment",
                    Arc::new(StringArray::from_iter_values(
                        predictions.iter().map(|p| p.segment.as_str()),
                    )),
                ),
                (
                    "distance",
                    Arc::new(Float64Array::from_iter_values(
                        predictions.iter().map(|p| p.distance),
                    )),
                ),
                (
                    "outlier",
                    Arc::new(BooleanArray::from(
                        predictions.iter().map(|p| p.outlier).collect::<Vec<_>>(),
                    )),
                ),
            ];
            let batch = RecordBatch::try_from_iter(columns)?;
            let path = path.context("Parquet needs a file")?;
            write_batch(path, &batch)
        }
        TableFormat::Json => {
            let rows: Vec<serde_json::Value> = ids
                .iter()
                .zip(predictions)
                .map(|(id, p)| {
                    serde_json::json!({
                        "CustomerID": id, "cluster": p.cluster, "segment": p.segment,
                        "distance": p.distance, "outlier": p.outlier,
                    })
                })
                .collect();
            let path = path.context("JSON needs a file")?;
            let mut bytes = serde_json::to_vec_pretty(&rows)?;
            bytes.push(b'\n');
            fs_err::write(path, bytes)?;
            Ok(())
        }
        TableFormat::Csv => {
            let sink: Box<dyn std::io::Write> = match path {
                Some(path) => Box::new(std::io::BufWriter::new(fs_err::File::create(path)?)),
                None => Box::new(std::io::stdout().lock()),
            };
            let mut writer = csv::Writer::from_writer(sink);
            writer.write_record(["CustomerID", "cluster", "segment", "distance", "outlier"])?;
            for (id, p) in ids.iter().zip(predictions) {
                writer.write_record([
                    id.to_string(),
                    p.cluster.to_string(),
                    p.segment.clone(),
                    p.distance.to_string(),
                    p.outlier.to_string(),
                ])?;
            }
            writer.flush()?;
            Ok(())
        }
    }
}

/// `model/search.csv`: every candidate of the search with its scores.
pub fn write_search_csv(
    path: &Path,
    model: &ModelFile,
    candidates: &[Candidate],
    chosen: usize,
) -> Result<()> {
    let mut writer = csv::Writer::from_path(path)?;
    writer.write_record([
        "k",
        "init",
        "n_init",
        "max_iter",
        "n_iter",
        "inertia",
        "silhouette",
        "silhouette_ci95_low",
        "silhouette_ci95_high",
        "silhouette_rows",
        "davies_bouldin",
        "calinski_harabasz",
        "eligible",
        "composite",
        "chosen",
        "stability_mean_ari",
        "stability_min_ari",
    ])?;
    for (index, c) in candidates.iter().enumerate() {
        let is_chosen = index == chosen;
        let stability = model.metrics.stability.as_ref().filter(|_| is_chosen);
        let (low, high) = c
            .silhouette
            .ci95
            .map_or((String::new(), String::new()), |(l, h)| {
                (l.to_string(), h.to_string())
            });
        writer.write_record([
            c.k.to_string(),
            c.init.to_string(),
            c.n_init.to_string(),
            c.max_iter.to_string(),
            c.n_iter.to_string(),
            c.inertia.to_string(),
            c.silhouette.mean.to_string(),
            low,
            high,
            c.silhouette.rows_scored.to_string(),
            c.davies_bouldin.to_string(),
            c.calinski_harabasz.to_string(),
            c.eligible.to_string(),
            c.composite.map_or(String::new(), |v| v.to_string()),
            is_chosen.to_string(),
            stability.map_or(String::new(), |s| s.mean_ari.to_string()),
            stability.map_or(String::new(), |s| s.min_ari.to_string()),
        ])?;
    }
    writer.flush()?;
    Ok(())
}

/// `segments/profiles.md`: the profiles as a page a marketer reads.
pub fn write_profiles_markdown(
    path: &Path,
    model: &ModelFile,
    profiles: &[SegmentProfile],
    rfm: &[(String, usize, f64)],
) -> Result<()> {
    let mut text = String::new();
    writeln!(text, "# Customer segments\n")?;
    writeln!(text, "{}\n", model.selection.reason)?;
    writeln!(
        text,
        "{} customers, {} flagged as outliers (kept, assigned to their nearest segment). PCA keeps {} components ({:.1} % of the variance).\n",
        model.training.customers,
        model.training.outliers,
        model.pca.n_components(),
        100.0 * model.pca.explained_variance_ratio.iter().sum::<f64>()
    )?;
    writeln!(
        text,
        "| id | segment | customers | % customers | % revenue | median spend | median recency (days) | median purchases | outliers |"
    )?;
    writeln!(text, "|---:|---|---:|---:|---:|---:|---:|---:|---:|")?;
    let median = |p: &SegmentProfile, f: &str| p.features.get(f).map_or(f64::NAN, |s| s.median);
    for p in profiles {
        writeln!(
            text,
            "| {} | {} | {} | {:.1} | {:.1} | {:.0} | {:.0} | {:.0} | {} |",
            p.cluster,
            p.name,
            p.size,
            100.0 * p.share_of_customers,
            100.0 * p.share_of_revenue,
            median(p, "Total_Spend"),
            median(p, "Days_Since_Last_Purchase"),
            median(p, "Total_Transactions"),
            p.outliers
        )?;
    }
    writeln!(text)?;
    if profiles.iter().any(|p| p.value.is_some()) {
        writeln!(
            text,
            "| id | segment | mean CLV | total CLV | % of CLV | mean P(alive) |\n|---:|---|---:|---:|---:|---:|"
        )?;
        for p in profiles {
            if let Some(v) = p.value {
                writeln!(
                    text,
                    "| {} | {} | {:.2} | {:.0} | {:.1} | {:.3} |",
                    p.cluster,
                    p.name,
                    v.mean_clv,
                    v.total_clv,
                    100.0 * v.share_of_clv,
                    v.mean_p_alive
                )?;
            }
        }
        writeln!(text)?;
    }
    for p in profiles {
        writeln!(
            text,
            "## {} (segment {})\n\n{}\n",
            p.name, p.cluster, p.description
        )?;
        writeln!(text, "| feature | mean | median |\n|---|---:|---:|")?;
        for (name, s) in &p.features {
            writeln!(text, "| {name} | {:.3} | {:.3} |", s.mean, s.median)?;
        }
        writeln!(text)?;
    }
    writeln!(
        text,
        "## RFM segments\n\n| RFM segment | customers | % revenue |\n|---|---:|---:|"
    )?;
    for (name, customers, share) in rfm {
        writeln!(text, "| {name} | {customers} | {:.1} |", 100.0 * share)?;
    }
    let mut file = fs_err::File::create(path)?;
    file.write_all(text.as_bytes())?;
    Ok(())
}

/// `segments/transitions.csv`: customers per (previous segment, new segment).
pub fn write_transitions_csv(path: &Path, transitions: &Transitions) -> Result<()> {
    let mut writer = csv::Writer::from_path(path)?;
    writer.write_record(["from_segment", "to_segment", "customers"])?;
    for (from, to, count) in &transitions.cells {
        writer.write_record([from.as_str(), to.as_str(), &count.to_string()])?;
    }
    writer.flush()?;
    Ok(())
}
