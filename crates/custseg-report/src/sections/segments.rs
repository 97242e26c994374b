//! Section 5, the segments: customers on the first two principal components coloured by
//! segment, segment sizes and revenue shares, and each segment's standardised feature means.

use std::collections::HashMap;

use custseg_ml::scaling::quantile_sorted;
use custseg_model::ModelFile;
use custseg_model::table::CustomerTable;

use crate::charts::FULL_WIDTH;
use crate::charts::bars::Bars;
use crate::charts::heatmap::{Colours, Heatmap};
use crate::charts::scatter::{Scatter, View};
use crate::inputs::{Assignment, ModelInputs};
use crate::page::{Section, Table};
use crate::svg::scale::{grouped, percent};

use super::features::label;
use super::fmt_percent;

/// Points drawn in the scatter at most; beyond it every n-th customer is drawn.
pub const MAX_POINTS: usize = 6000;
/// Standardised means beyond this many scaler units get the full colour.
pub const PROFILE_COLOUR_LIMIT: f64 = 2.0;

/// Each customer's first two principal components (0 for a missing second) and the position
/// of its segment in the model's segment list; customers without an assignment are left out.
pub fn pca_points(
    model: &ModelFile,
    table: &CustomerTable,
    assignments: &[Assignment],
) -> Result<Vec<(f64, f64, usize)>, String> {
    let x = table.matrix(&model.features).map_err(|e| e.to_string())?;
    let scaled = model
        .scaler
        .transform(x.view())
        .map_err(|e| e.to_string())?;
    let reduced = model
        .pca
        .transform(scaled.view())
        .map_err(|e| e.to_string())?;
    let position: HashMap<usize, usize> = model
        .segments
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id, i))
        .collect();
    let cluster: HashMap<i64, usize> = assignments
        .iter()
        .filter_map(|a| position.get(&a.cluster).map(|p| (a.customer_id, *p)))
        .collect();
    let stride = table.len().div_ceil(MAX_POINTS).max(1);
    Ok((0..table.len())
        .step_by(stride)
        .filter_map(|i| {
            let group = *cluster.get(&table.customer_ids[i])?;
            let second = if reduced.ncols() > 1 {
                reduced[[i, 1]]
            } else {
                0.0
            };
            Some((reduced[[i, 0]], second, group))
        })
        .collect())
}

/// The scatter's view: per axis the 0.5th to 99.5th percentile of the points, widened by 5 %
/// on each side, so that a few extreme customers do not squeeze the rest into a corner.
/// Returns the view and how many points fall outside it.
pub fn scatter_view(points: &[(f64, f64, usize)]) -> (View, usize) {
    let range = |pick: fn(&(f64, f64, usize)) -> f64| {
        let mut v: Vec<f64> = points.iter().map(pick).collect();
        v.sort_by(f64::total_cmp);
        let (low, high) = (quantile_sorted(&v, 0.005), quantile_sorted(&v, 0.995));
        let pad = ((high - low) * 0.05).max(1e-9);
        (low - pad, high + pad)
    };
    let view = (range(|p| p.0), range(|p| p.1));
    let outside = points
        .iter()
        .filter(|p| !(view.0.0..=view.0.1).contains(&p.0) || !(view.1.0..=view.1.1).contains(&p.1))
        .count();
    (view, outside)
}

/// Feature means in units of a scaler: `(mean - center) / scale`.
pub fn standardise(means: &[f64], center: &[f64], scale: &[f64]) -> Vec<f64> {
    means
        .iter()
        .zip(center)
        .zip(scale)
        .map(|((mean, center), scale)| (mean - center) / scale)
        .collect()
}

/// Each segment's feature means in units of the model's scaler.
pub fn standardised_means(model: &ModelFile) -> Vec<Vec<f64>> {
    model
        .segments
        .iter()
        .map(|segment| {
            standardise(
                &segment.feature_means,
                &model.scaler.center,
                &model.scaler.scale,
            )
        })
        .collect()
}

/// A value with one decimal, never `-0.0`.
pub fn one_decimal(value: f64) -> String {
    let text = format!("{value:.1}");
    if text == "-0.0" {
        "0.0".to_owned()
    } else {
        text
    }
}

/// The section.
pub fn section(inputs: &ModelInputs, table: &CustomerTable) -> Section {
    let model = &inputs.model;
    let names: Vec<String> = model
        .segments
        .iter()
        .map(|s| format!("{} · {}", s.id, s.name))
        .collect();
    let mut charts = Vec::new();
    let mut warnings = Vec::new();
    let mut hidden = 0;
    match pca_points(model, table, &inputs.assignments) {
        Ok(points) => {
            let (view, outside) = scatter_view(&points);
            hidden = outside;
            let ratio = &model.pca.explained_variance_ratio;
            let axis = |i: usize| {
                ratio.get(i).map_or(format!("PC{}", i + 1), |r| {
                    format!("PC{} ({:.1} % of variance)", i + 1, 100.0 * r)
                })
            };
            charts.push(
                Scatter {
                    id: "segments_pca",
                    title: "Customers on the first two principal components",
                    x_label: &axis(0),
                    y_label: &axis(1),
                    points: &points,
                    groups: &names,
                    view,
                    width: FULL_WIDTH,
                    height: 520.0,
                }
                .draw(),
            );
        }
        Err(error) => warnings.push(format!("the PCA scatter could not be drawn: {error}")),
    }
    let shares: Vec<(String, Vec<f64>)> = inputs
        .profiles
        .iter()
        .map(|p| {
            (
                format!("{} · {}", p.cluster, p.name),
                vec![100.0 * p.share_of_customers, 100.0 * p.share_of_revenue],
            )
        })
        .collect();
    charts.push(
        Bars {
            id: "segments_shares",
            title: "Share of customers and of revenue per segment",
            x_label: "share (%)",
            series: &["customers", "revenue"],
            rows: &shares,
            width: FULL_WIDTH,
            label_width: 210.0,
            format: fmt_percent,
        }
        .draw(),
    );
    let means = standardised_means(model);
    let values: Vec<Vec<Option<f64>>> = means
        .iter()
        .map(|r| r.iter().map(|v| Some(*v)).collect())
        .collect();
    let labels: Vec<Vec<String>> = means
        .iter()
        .map(|r| r.iter().map(|v| one_decimal(*v)).collect())
        .collect();
    let features: Vec<String> = model.features.iter().map(|f| label(f)).collect();
    charts.push(
        Heatmap {
            id: "segments_profiles",
            title: "Segment profiles: feature means in standard units",
            x_label: "",
            y_label: "",
            columns: &features,
            rows: &names,
            values: &values,
            labels: &labels,
            colours: Colours::Diverging {
                limit: PROFILE_COLOUR_LIMIT,
            },
            legend: "(mean − centre) / scale",
            row_label_width: 230.0,
            slanted_columns: true,
            width: FULL_WIDTH,
            cell_height: 34.0,
        }
        .draw(),
    );
    let rows = inputs
        .profiles
        .iter()
        .map(|p| {
            vec![
                p.cluster.to_string(),
                p.name.clone(),
                grouped(p.size as f64, 0),
                percent(p.share_of_customers),
                grouped(p.revenue, 0),
                percent(p.share_of_revenue),
                grouped(p.outliers as f64, 0),
                p.description.clone(),
            ]
        })
        .collect();
    let silhouette = model.metrics.silhouette.mean;
    Section {
        id: "segments",
        title: "The segments".to_owned(),
        lead: format!(
            "{} segments of {} customers ({} flagged as outliers and assigned to their nearest segment); silhouette {:.3}, Davies-Bouldin {:.3}. The scatter shows the 0.5th to 99.5th percentile of each component{}.",
            model.segments.len(),
            grouped(model.training.customers as f64, 0),
            grouped(model.training.outliers as f64, 0),
            silhouette,
            model.metrics.davies_bouldin,
            if hidden > 0 {
                format!("; {hidden} customers beyond it are not drawn")
            } else {
                String::new()
            }
        ),
        charts,
        tables: vec![Table {
            caption: "Segments".into(),
            header: [
                "id",
                "name",
                "customers",
                "share",
                "revenue",
                "share of revenue",
                "outliers",
                "why this name",
            ]
            .map(String::from)
            .to_vec(),
            rows,
        }],
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn means_are_standardised_by_the_scaler() {
        let z = standardise(&[12.0, 0.5, 3.0], &[10.0, 1.0, 3.0], &[4.0, 0.25, 2.0]);
        assert_eq!(z, vec![0.5, -2.0, 0.0]);
        assert_eq!(one_decimal(-0.04), "0.0");
        assert_eq!(one_decimal(-0.06), "-0.1");
    }

    #[test]
    fn the_view_leaves_out_only_the_extreme_points() {
        let mut points: Vec<(f64, f64, usize)> = (0..1000)
            .map(|i| (f64::from(i % 100), f64::from(i % 37), 0))
            .collect();
        points.push((10_000.0, 5.0, 1));
        points.push((5.0, -9_000.0, 1));
        let (((x0, x1), (y0, y1)), outside) = scatter_view(&points);
        assert_eq!(outside, 2);
        assert!(x0 < 0.0 && x1 > 99.0 && x1 < 200.0, "{x0} {x1}");
        assert!(y0 < 0.0 && y1 > 36.0 && y1 < 100.0, "{y0} {y1}");
    }
}
