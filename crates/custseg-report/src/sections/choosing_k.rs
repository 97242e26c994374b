//! Section 4, choosing k: inertia (the elbow), silhouette, Davies-Bouldin and
//! Calinski-Harabasz against k for each initialisation, with the chosen k marked.

use crate::charts::HALF_WIDTH;
use crate::charts::line::{CategoryChart, Mark, Series};
use crate::inputs::{KCandidate, ModelInputs};
use crate::page::{Section, Table};
use crate::svg::scale::grouped;

/// The metric curves: the k values, then per initialisation the metric's value at each k.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricCurves {
    /// k values, increasing.
    pub ks: Vec<usize>,
    /// `(init, values by k)`, in the order the inits first appear.
    pub series: Vec<(String, Vec<Option<f64>>)>,
    /// Index into `ks` of the chosen candidate's k.
    pub chosen: Option<usize>,
}

/// The curve of one metric over the candidates.
pub fn curves(candidates: &[KCandidate], metric: fn(&KCandidate) -> f64) -> MetricCurves {
    let mut ks: Vec<usize> = candidates.iter().map(|c| c.k).collect();
    ks.sort_unstable();
    ks.dedup();
    let mut inits: Vec<String> = Vec::new();
    for c in candidates {
        if !inits.contains(&c.init) {
            inits.push(c.init.clone());
        }
    }
    let series = inits
        .into_iter()
        .map(|init| {
            let values = ks
                .iter()
                .map(|k| {
                    candidates
                        .iter()
                        .find(|c| c.k == *k && c.init == init)
                        .map(metric)
                })
                .collect();
            (init, values)
        })
        .collect();
    let chosen = candidates
        .iter()
        .find(|c| c.chosen)
        .and_then(|c| ks.iter().position(|k| *k == c.k));
    MetricCurves { ks, series, chosen }
}

/// One metric's chart: file stem, title, value axis label and the metric.
type MetricChart = (
    &'static str,
    &'static str,
    &'static str,
    fn(&KCandidate) -> f64,
);

/// The section.
pub fn section(model: &ModelInputs) -> Section {
    let metrics: [MetricChart; 4] = [
        (
            "k_inertia",
            "Inertia (elbow)",
            "within-cluster sum of squares",
            |c| c.inertia,
        ),
        (
            "k_silhouette",
            "Silhouette (higher is better)",
            "mean silhouette",
            |c| c.silhouette,
        ),
        (
            "k_davies_bouldin",
            "Davies-Bouldin (lower is better)",
            "Davies-Bouldin index",
            |c| c.davies_bouldin,
        ),
        (
            "k_calinski_harabasz",
            "Calinski-Harabasz (higher is better)",
            "Calinski-Harabasz index",
            |c| c.calinski_harabasz,
        ),
    ];
    let chosen_k = model.model.selection.k;
    let note = format!("chosen k = {chosen_k}");
    let charts = metrics
        .iter()
        .map(|(id, title, y_label, metric)| {
            let data = curves(&model.candidates, *metric);
            let categories: Vec<String> = data.ks.iter().map(ToString::to_string).collect();
            let series: Vec<Series> = data
                .series
                .iter()
                .map(|(init, values)| Series {
                    name: init.clone(),
                    values: values.clone(),
                    mark: Mark::Line,
                })
                .collect();
            CategoryChart {
                id,
                title,
                x_label: "k (number of segments)",
                y_label,
                categories: &categories,
                series: &series,
                marked: data.chosen.map(|i| (i, note.as_str())),
                width: HALF_WIDTH,
                height: 300.0,
            }
            .draw()
        })
        .collect();
    let rows = model
        .candidates
        .iter()
        .map(|c| {
            vec![
                c.k.to_string(),
                c.init.clone(),
                grouped(c.inertia, 1),
                format!("{:.4}", c.silhouette),
                format!("{:.4}", c.davies_bouldin),
                grouped(c.calinski_harabasz, 1),
                c.composite.map_or("–".into(), |v| format!("{v:.4}")),
                if c.chosen {
                    "chosen".into()
                } else {
                    String::new()
                },
            ]
        })
        .collect();
    Section {
        id: "choosing-k",
        title: "Choosing k".to_owned(),
        lead: model.model.selection.reason.clone(),
        charts,
        tables: vec![Table {
            caption: "Every candidate of the search".into(),
            header: [
                "k",
                "init",
                "inertia",
                "silhouette",
                "Davies-Bouldin",
                "Calinski-Harabasz",
                "composite",
                "",
            ]
            .map(String::from)
            .to_vec(),
            rows,
        }],
        warnings: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(k: usize, init: &str, silhouette: f64, chosen: bool) -> KCandidate {
        KCandidate {
            k,
            init: init.into(),
            inertia: 100.0 / k as f64,
            silhouette,
            davies_bouldin: 1.0,
            calinski_harabasz: 10.0,
            composite: None,
            chosen,
        }
    }

    #[test]
    fn curves_have_one_value_per_k_and_init_and_mark_the_chosen_k() {
        let candidates = [
            candidate(3, "k-means++", 0.3, false),
            candidate(2, "k-means++", 0.5, false),
            candidate(2, "random", 0.4, false),
            candidate(3, "random", 0.35, true),
        ];
        let data = curves(&candidates, |c| c.silhouette);
        assert_eq!(data.ks, vec![2, 3]);
        assert_eq!(
            data.series[0],
            ("k-means++".into(), vec![Some(0.5), Some(0.3)])
        );
        assert_eq!(
            data.series[1],
            ("random".into(), vec![Some(0.4), Some(0.35)])
        );
        assert_eq!(data.chosen, Some(1));
    }
}
