//! Why a customer landed in its segment: the distance to every segment, and the features that
//! most favour the assigned segment over the runner-up, in the features' own units.

use custseg_model::ModelFile;
use serde::Serialize;

/// Distance to one segment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SegmentDistance {
    /// Segment id.
    pub cluster: usize,
    /// Segment name.
    pub segment: String,
    /// Distance to its centroid (PCA space, as `distance`).
    pub distance: f64,
}

/// One feature's pull toward the assigned segment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Driver {
    /// Feature.
    pub feature: String,
    /// The instance's value.
    pub value: f64,
    /// The assigned segment's mean of the feature.
    pub segment_mean: f64,
    /// The runner-up segment's mean.
    pub runner_up_mean: f64,
    /// ((x - runner-up mean)^2 - (x - segment mean)^2) / scale^2: how much nearer the instance
    /// is to its segment than to the runner-up on this feature, in squared scaler units.
    pub pull: f64,
}

/// The explanation of one prediction.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    /// Every segment, nearest first.
    pub distances: Vec<SegmentDistance>,
    /// The runner-up segment's id.
    pub runner_up: Option<usize>,
    /// The three features that most favour the assigned segment.
    pub drivers: Vec<Driver>,
}

/// Features listed as drivers.
pub const DRIVERS: usize = 3;

/// Explains `row` (feature units), given its distances to the model's segments (model order).
pub fn explain(model: &ModelFile, row: &[f64], distances: &[f64]) -> Explanation {
    let mut order: Vec<usize> = (0..distances.len()).collect();
    order.sort_by(|&a, &b| distances[a].total_cmp(&distances[b]).then(a.cmp(&b)));
    let listed = order
        .iter()
        .map(|&i| SegmentDistance {
            cluster: model.segments[i].id,
            segment: model.segments[i].name.clone(),
            distance: distances[i],
        })
        .collect();
    let (assigned, runner_up) = (order.first().copied(), order.get(1).copied());
    let mut drivers = Vec::new();
    if let (Some(first), Some(second)) = (assigned, runner_up) {
        let (near, next) = (
            &model.segments[first].feature_means,
            &model.segments[second].feature_means,
        );
        for (j, feature) in model.features.iter().enumerate() {
            let scale = model.scaler.scale.get(j).copied().unwrap_or(1.0);
            let (m1, m2) = (
                near.get(j).copied().unwrap_or(f64::NAN),
                next.get(j).copied().unwrap_or(f64::NAN),
            );
            let pull = ((row[j] - m2).powi(2) - (row[j] - m1).powi(2)) / (scale * scale);
            drivers.push(Driver {
                feature: feature.clone(),
                value: row[j],
                segment_mean: m1,
                runner_up_mean: m2,
                pull,
            });
        }
        drivers.sort_by(|a, b| b.pull.total_cmp(&a.pull).then(a.feature.cmp(&b.feature)));
        drivers.truncate(DRIVERS);
    }
    Explanation {
        distances: listed,
        runner_up: runner_up.map(|i| model.segments[i].id),
        drivers,
    }
}
