//! Training: outliers -> scaling -> PCA -> K-Means search -> ordered, named segments -> RFM.

use std::time::Instant;

use custseg_ml::pca::Pca;
use custseg_ml::scaling::Scaler;
use custseg_ml::search::{Candidate, SearchOutcome, progress_steps, search_with_progress};
use ndarray::{Array2, Axis};
use serde::Serialize;

use crate::config::ModelConfig;
use crate::drift_reference::DriftReference;
use crate::error::{Error, Result};
use crate::matching::assign;
use crate::model_file::{
    FORMAT, ModelFile, ModelMetrics, SCHEMA_VERSION, SegmentInfo, SelectionInfo, TrainingInfo,
};
use crate::naming::name_segments;
use crate::profile::{REVENUE_COLUMN, SegmentProfile, profiles};
use crate::rfm::{self, RfmScore};
use crate::search_sample;
use crate::stats::FeatureStats;
use crate::table::CustomerTable;

/// Columns RFM scores are computed from.
pub const RFM_COLUMNS: [&str; 3] = [
    "Days_Since_Last_Purchase",
    "Total_Transactions",
    "Total_Spend",
];

/// One customer's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomerSegment {
    /// Customer key.
    pub customer_id: i64,
    /// Stable segment id.
    pub cluster: usize,
    /// Segment name.
    pub segment: String,
    /// Distance to the segment centroid (PCA space).
    pub distance: f64,
    /// Flagged by Isolation Forest.
    pub outlier: bool,
    /// Isolation Forest score (lower is more anomalous).
    pub anomaly_score: Option<f64>,
    /// RFM scores.
    pub rfm: RfmScore,
    /// RFM segment name.
    pub rfm_segment: String,
}

/// Wall time of one training step.
#[derive(Debug, Clone, Serialize)]
pub struct StepTiming {
    /// Step.
    pub step: &'static str,
    /// Seconds.
    pub seconds: f64,
}

/// Everything training produced.
#[derive(Debug, Clone)]
pub struct TrainOutcome {
    /// The model file.
    pub model: ModelFile,
    /// Every candidate of the search.
    pub candidates: Vec<Candidate>,
    /// Index of the chosen candidate in `candidates`.
    pub chosen: usize,
    /// One entry per customer, in table order.
    pub customers: Vec<CustomerSegment>,
    /// One profile per segment, in model order.
    pub profiles: Vec<SegmentProfile>,
    /// Time per step.
    pub timings: Vec<StepTiming>,
}

/// Trains the segmentation model on `table`. With `previous`, segments that match the
/// previous model's keep their ids and names.
pub fn train(
    table: &CustomerTable,
    config: &ModelConfig,
    data_sha256: Option<String>,
    previous: Option<&ModelFile>,
) -> Result<TrainOutcome> {
    train_with_progress(table, config, data_sha256, previous, &|| {})
}

/// Steps [`train_with_progress`] reports: the search's fits and refits.
pub fn training_steps(config: &ModelConfig) -> usize {
    progress_steps(&config.search)
}

/// [`train`], calling `tick` as the search fits candidates (see [`training_steps`]).
pub fn train_with_progress(
    table: &CustomerTable,
    config: &ModelConfig,
    data_sha256: Option<String>,
    previous: Option<&ModelFile>,
    tick: &(dyn Fn() + Sync),
) -> Result<TrainOutcome> {
    config.check()?;
    let mut timings = Vec::new();
    let mut clock = Instant::now();
    let mut lap = |step: &'static str, timings: &mut Vec<StepTiming>| {
        let seconds = clock.elapsed().as_secs_f64();
        tracing::debug!(step, seconds, "training step finished");
        timings.push(StepTiming { step, seconds });
        clock = Instant::now();
    };
    let x = table.matrix(&config.features)?;
    let n = x.nrows();
    let minimum = config.search.k_max + 1;
    if n < minimum.max(3) {
        return Err(Error::Table(format!(
            "{n} customers are too few to search up to k = {} (need at least {})",
            config.search.k_max,
            minimum.max(3)
        )));
    }

    // 1. Outliers, on the unscaled features.
    let (forest, scores) = if config.outliers.enabled {
        let forest = config.outliers.params().fit(x.view())?;
        let scores = forest.score_samples(x.view())?;
        (Some(forest), Some(scores))
    } else {
        (None, None)
    };
    let outlier: Vec<bool> = match (&forest, &scores) {
        (Some(forest), Some(scores)) => scores.iter().map(|s| *s < forest.offset).collect(),
        _ => vec![false; n],
    };
    let inlier_rows: Vec<usize> = (0..n).filter(|&i| !outlier[i]).collect();
    let inliers = x.select(Axis(0), &inlier_rows);
    lap("outliers", &mut timings);
    tracing::info!(
        customers = n,
        outliers = n - inlier_rows.len(),
        "outliers flagged"
    );

    // 2-3. Scaling and PCA, fitted on the inliers.
    let scaler = Scaler::fit(config.scaling, inliers.view())?;
    let scaled = scaler.transform(inliers.view())?;
    let pca = Pca::fit(scaled.view(), config.pca.components())?;
    let reduced = pca.transform(scaled.view())?;
    lap("scale_pca", &mut timings);
    tracing::info!(
        components = pca.n_components(),
        explained = pca.explained_variance_ratio.iter().sum::<f64>(),
        "PCA fitted"
    );

    // 4. The search, on a stratified sample of the inliers when there are too many.
    let sample = search_sample(table, &inlier_rows, config);
    let searched = sample.as_ref().map(|rows| reduced.select(Axis(0), rows));
    let SearchOutcome {
        candidates,
        chosen,
        model: kmeans,
        reason,
        stability,
    } = search_with_progress(
        searched.as_ref().map_or(reduced.view(), |rows| rows.view()),
        &config.search,
        tick,
    )?;
    lap("search", &mut timings);
    tracing::info!(k = kmeans.k(), %reason, "segments chosen");
    // The table rows the search's labels belong to.
    let searched_rows: Vec<usize> = match &sample {
        Some(rows) => rows.iter().map(|&i| inlier_rows[i]).collect(),
        None => inlier_rows.clone(),
    };

    // Order segments by mean spend of their inliers, highest first (by size when spend is not
    // a column), so that segment 0 is the most valuable whatever order K-Means found them in.
    let k = kmeans.k();
    let order = segment_order(table, &searched_rows, &kmeans.labels, k);
    let centroids: Vec<Vec<f64>> = order.iter().map(|&c| kmeans.centroids[c].clone()).collect();

    // 5. Assign every customer (outliers too) to its nearest centroid.
    let mut model = ModelFile {
        format: FORMAT.to_owned(),
        schema_version: SCHEMA_VERSION,
        created_by: format!("custseg {}", env!("CARGO_PKG_VERSION")),
        features: config.features.clone(),
        training: TrainingInfo {
            data_sha256,
            customers: n,
            inliers: inlier_rows.len(),
            outliers: n - inlier_rows.len(),
            search_customers: sample.as_ref().map(Vec::len),
        },
        outliers: forest,
        scaler,
        pca,
        centroids,
        segments: (0..k)
            .map(|id| SegmentInfo {
                id,
                name: String::new(),
                description: String::new(),
                size: 0,
                feature_means: Vec::new(),
            })
            .collect(),
        selection: SelectionInfo {
            k,
            init: candidates[chosen].init,
            rule: config.search.selection.rule,
            reason,
        },
        metrics: ModelMetrics {
            silhouette: candidates[chosen].silhouette,
            davies_bouldin: candidates[chosen].davies_bouldin,
            calinski_harabasz: candidates[chosen].calinski_harabasz,
            inertia: candidates[chosen].inertia,
            stability,
        },
        feature_stats: config
            .features
            .iter()
            .enumerate()
            .map(|(j, name)| FeatureStats::new(name, &x.column(j).to_vec()))
            .collect(),
        drift_reference: Some(DriftReference::new(
            &config.features,
            x.view(),
            config.search.seed,
        )?),
        config: config.clone(),
    };
    let predictions = model.predict_matrix(x.view())?;
    let positions: Vec<usize> = predictions.iter().map(|p| p.index).collect();

    // Profiles, means and names.
    let mut segment_profiles = profiles(table, &positions, &outlier, k);
    for (position, segment) in model.segments.iter_mut().enumerate() {
        segment.size = segment_profiles[position].size;
        segment.feature_means = feature_means(&x, &positions, &outlier, position);
    }
    name_segments(&mut segment_profiles, table);
    for (segment, profile) in model.segments.iter_mut().zip(&segment_profiles) {
        segment.name = profile.name.clone();
        segment.description = profile.description.clone();
    }
    if let Some(previous) = previous {
        keep_previous_identities(&mut model, previous)?;
    }
    for (profile, segment) in segment_profiles.iter_mut().zip(&model.segments) {
        profile.cluster = segment.id;
        profile.name = segment.name.clone();
    }
    lap("profiles", &mut timings);

    // 6. RFM.
    let rfm_table = &config.rfm;
    let lookup = rfm_table.lookup()?;
    let columns: Vec<&[f64]> = RFM_COLUMNS
        .iter()
        .map(|c| {
            table
                .column(c)
                .ok_or_else(|| Error::Table(format!("RFM scores need the column `{c}`")))
        })
        .collect::<Result<_>>()?;
    let rfm_scores = rfm::score(columns[0], columns[1], columns[2]);
    let customers = (0..n)
        .map(|i| CustomerSegment {
            customer_id: table.customer_ids[i],
            cluster: model.segments[positions[i]].id,
            segment: model.segments[positions[i]].name.clone(),
            distance: predictions[i].distance,
            outlier: outlier[i],
            anomaly_score: scores.as_ref().map(|s| s[i]),
            rfm: rfm_scores[i],
            rfm_segment: rfm_table.segment_of(&lookup, rfm_scores[i]).to_owned(),
        })
        .collect();
    lap("rfm", &mut timings);

    Ok(TrainOutcome {
        model,
        candidates,
        chosen,
        customers,
        profiles: segment_profiles,
        timings,
    })
}

fn segment_order(
    table: &CustomerTable,
    inlier_rows: &[usize],
    labels: &[usize],
    k: usize,
) -> Vec<usize> {
    let mut totals = vec![(0.0, 0usize); k];
    let spend = table.column(REVENUE_COLUMN);
    for (&row, &label) in inlier_rows.iter().zip(labels) {
        totals[label].0 += spend.map_or(0.0, |s| s[row]);
        totals[label].1 += 1;
    }
    let mut order: Vec<usize> = (0..k).collect();
    let key = |c: usize| {
        let (sum, count) = totals[c];
        if spend.is_some() {
            sum / count.max(1) as f64
        } else {
            count as f64
        }
    };
    order.sort_by(|&a, &b| key(b).total_cmp(&key(a)).then(a.cmp(&b)));
    order
}

fn feature_means(
    x: &Array2<f64>,
    positions: &[usize],
    outlier: &[bool],
    position: usize,
) -> Vec<f64> {
    let rows: Vec<usize> = (0..x.nrows())
        .filter(|&i| positions[i] == position && !outlier[i])
        .collect();
    let rows = if rows.is_empty() {
        (0..x.nrows())
            .filter(|&i| positions[i] == position)
            .collect()
    } else {
        rows
    };
    (0..x.ncols())
        .map(|j| rows.iter().map(|&i| x[[i, j]]).sum::<f64>() / rows.len().max(1) as f64)
        .collect()
}

/// Gives matched segments the previous model's ids and names. The cost of pairing a new
/// segment with an old one is the distance between their feature means, in units of the new
/// model's scaler (so every feature counts on the same scale).
fn keep_previous_identities(model: &mut ModelFile, previous: &ModelFile) -> Result<()> {
    if previous.features != model.features {
        return Err(Error::ModelFile(
            "the previous model was trained on different features; its segment identities cannot be carried over".into(),
        ));
    }
    let scale = &model.scaler.scale;
    let cost: Vec<Vec<f64>> = model
        .segments
        .iter()
        .map(|new| {
            previous
                .segments
                .iter()
                .map(|old| {
                    new.feature_means
                        .iter()
                        .zip(&old.feature_means)
                        .zip(scale)
                        .map(|((a, b), s)| ((a - b) / s).powi(2))
                        .sum::<f64>()
                        .sqrt()
                })
                .collect()
        })
        .collect();
    let matches = assign(&cost);
    let mut next_id = previous
        .segments
        .iter()
        .map(|s| s.id + 1)
        .max()
        .unwrap_or(0);
    for (segment, matched) in model.segments.iter_mut().zip(matches) {
        match matched {
            Some(old) => {
                segment.id = previous.segments[old].id;
                segment.name = previous.segments[old].name.clone();
            }
            None => {
                segment.id = next_id;
                next_id += 1;
            }
        }
    }
    Ok(())
}

/// Positions (into `inlier_rows`) of the stratified sample the search fits on, or `None`
/// when every inlier fits. Strata are RFM cells when the table has the RFM columns, else one.
fn search_sample(
    table: &CustomerTable,
    inlier_rows: &[usize],
    config: &ModelConfig,
) -> Option<Vec<usize>> {
    if inlier_rows.len() <= config.max_search_customers {
        return None;
    }
    let columns: Option<Vec<&[f64]>> = RFM_COLUMNS.iter().map(|c| table.column(c)).collect();
    let strata: Vec<u16> = match columns {
        Some(columns) => {
            let scores = rfm::score(columns[0], columns[1], columns[2]);
            inlier_rows
                .iter()
                .map(|&row| {
                    let score = scores[row];
                    search_sample::rfm_stratum(score.r, score.f, score.m)
                })
                .collect()
        }
        None => vec![0; inlier_rows.len()],
    };
    let sample =
        search_sample::stratified_sample(&strata, config.max_search_customers, config.search.seed);
    tracing::info!(
        inliers = inlier_rows.len(),
        searched = sample.len(),
        "the search fits on a sample stratified by RFM cell; every customer is assigned after"
    );
    Some(sample)
}
