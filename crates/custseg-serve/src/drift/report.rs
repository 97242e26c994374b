//! The whole comparison `custseg monitor drift` writes: all the predictions, then window by window.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::analysis::{WindowDrift, analyse};
use super::window::{WindowSpec, split_windows};
use super::{PreparedReference, Thresholds};

/// The whole comparison, as `custseg monitor drift` writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftReport {
    /// Training customers the reference describes.
    pub reference_customers: usize,
    /// Rows of the reference sample the tests use.
    pub reference_rows: usize,
    /// Predictions compared.
    pub current_rows: usize,
    /// Thresholds used.
    pub thresholds: Thresholds,
    /// How the predictions were cut into windows.
    pub window: String,
    /// All the predictions together: the verdict.
    pub overall: WindowDrift,
    /// Window by window, oldest first.
    pub windows: Vec<WindowDrift>,
    /// The first window of the drifted windows that end the series, if the last decided
    /// window drifted: when the drift began.
    pub drift_began: Option<String>,
    /// The verdict (the overall window's).
    pub drift: bool,
    /// The verdict in words.
    pub reason: String,
}

/// Columns of a set of rows (each row in model feature order).
pub fn columns_of<'a>(rows: impl Iterator<Item = &'a [f64]>, width: usize) -> Vec<Vec<f64>> {
    let mut columns = vec![Vec::new(); width];
    for row in rows {
        for (column, value) in columns.iter_mut().zip(row) {
            column.push(*value);
        }
    }
    columns
}

/// Compares logged predictions `(time, features, cluster)` with the reference, overall and
/// window by window.
pub fn report(
    prepared: &PreparedReference,
    logged: &[(&str, &[f64], usize)],
    spec: WindowSpec,
    t: &Thresholds,
) -> DriftReport {
    report_with_cache(prepared, logged, spec, t, &mut HashMap::new())
}

/// [`report`], reusing the windows of `cache` (by label) whose row count is unchanged and
/// leaving this call's windows in it: a server that recomputes the last hours every few
/// seconds analyses only the hour that is still filling.
pub fn report_with_cache(
    prepared: &PreparedReference,
    logged: &[(&str, &[f64], usize)],
    spec: WindowSpec,
    t: &Thresholds,
    cache: &mut HashMap<String, (usize, WindowDrift)>,
) -> DriftReport {
    let width = prepared.reference.features.len();
    let windows: Vec<WindowDrift> = split_windows(logged.iter().map(|r| r.0), spec)
        .into_iter()
        .map(|(label, range)| {
            if let Some((rows, window)) = cache.get(&label)
                && *rows == range.len()
            {
                return window.clone();
            }
            let part = &logged[range];
            let columns = columns_of(part.iter().map(|r| r.1), width);
            let clusters: Vec<usize> = part.iter().map(|r| r.2).collect();
            let window = analyse(prepared, &label, &columns, &clusters, t);
            cache.insert(label, (part.len(), window.clone()));
            window
        })
        .collect();
    // One window holding every row is the overall analysis already.
    let overall = match windows.as_slice() {
        [only] if only.rows == logged.len() => WindowDrift {
            window: "all".to_owned(),
            ..only.clone()
        },
        _ => {
            let all_columns = columns_of(logged.iter().map(|r| r.1), width);
            let all_clusters: Vec<usize> = logged.iter().map(|r| r.2).collect();
            analyse(prepared, "all", &all_columns, &all_clusters, t)
        }
    };
    let decided: Vec<&WindowDrift> = windows.iter().filter(|w| w.decided).collect();
    let drift_began = decided
        .iter()
        .rev()
        .take_while(|w| w.drift)
        .last()
        .map(|w| w.window.clone());
    DriftReport {
        reference_customers: prepared.reference.customers,
        reference_rows: prepared.reference.rows(),
        current_rows: logged.len(),
        thresholds: *t,
        window: spec.to_string(),
        drift: overall.drift,
        reason: overall.reason.clone(),
        overall,
        windows,
        drift_began,
    }
}
