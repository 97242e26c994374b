//! Drift of served inputs against the training data, as `custseg monitor drift`, `/metrics`
//! and the dashboard all compute it (one implementation, the same reference from the model
//! file).
//!
//! For one window of logged predictions, each feature gets
//! - an effect size that a few huge customers cannot dominate: the 1-Wasserstein distance on
//!   the feature's scale (`ln(1 + x)` for heavy-tailed features, where it reads as a typical
//!   relative change; the feature's own units otherwise), with a sampling-error band from
//!   resampling the reference at the window's size;
//! - a test whose p-value holds at every size ([`significance`]);
//! - PSI over the reference's deciles, for the record.
//!
//! The multivariate check (PCA reconstruction error) and the segment shares of the model's own
//! predictions are tested beside the features. A test drifts when Holm's adjusted p-value is
//! at most α (false alarms controlled across all of them) and its effect reaches the
//! threshold; the window drifts when any test does.

use std::collections::HashMap;

pub mod scenario;
pub mod significance;
pub mod statistics;
mod window;

use custseg_model::drift_reference::{DriftReference, FeatureReference, MULTIVARIATE_NAME, Scale};
use rand::Rng;
use rand::SeedableRng;
use rand::rngs::SmallRng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

pub use statistics::*;
pub use window::{WindowSpec, split_windows};

use significance::{holm, segment_test, two_sample_test};

/// Resamples of the reference behind each sampling-error band.
pub const BAND_RESAMPLES: usize = 40;

/// Rows a band's resamples are drawn at most; beyond, the band is scaled by √(cap / n), the
/// rate at which the distance between a sample and its source shrinks.
pub const BAND_CAP: usize = 5000;

/// Thresholds of the verdict.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    /// Chance of any false alarm among one window's tests (Holm). Default 0.05.
    pub alpha: f64,
    /// Typical relative change from which a feature on the log scale has drifted. Default
    /// 0.10 (values about 10 % higher or lower).
    pub min_change: f64,
    /// Shift, in the reference's interquartile ranges, from which a feature on its own scale
    /// has drifted. Default 0.1.
    pub min_shift: f64,
    /// Share of predictions that would have to change segment, from which the segment mix
    /// has drifted. Default 0.05.
    pub min_segment_change: f64,
    /// Windows with fewer rows are not decided. Default 100.
    pub min_rows: usize,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            alpha: 0.05,
            min_change: 0.10,
            min_shift: 0.1,
            min_segment_change: 0.05,
            min_rows: 100,
        }
    }
}

impl Thresholds {
    /// Checks every threshold is in its range, naming the first that is not.
    pub fn check(&self) -> Result<(), String> {
        let ranges = [
            ("alpha", self.alpha, 0.0, 1.0),
            ("min_change", self.min_change, 0.0, f64::INFINITY),
            ("min_shift", self.min_shift, 0.0, f64::INFINITY),
            ("min_segment_change", self.min_segment_change, 0.0, 1.0),
        ];
        for (name, value, low, high) in ranges {
            if !(value > low && value < high) {
                return Err(format!(
                    "`{name}` is {value}; it must lie strictly between {low} and {high}"
                ));
            }
        }
        if self.min_rows < 2 {
            return Err(format!(
                "`min_rows` is {}; a window needs at least 2 rows",
                self.min_rows
            ));
        }
        Ok(())
    }

    /// The effect threshold of a feature on `scale` with `spread`, on that scale.
    fn effect_threshold(&self, scale: Scale, spread: f64) -> f64 {
        match scale {
            Scale::Log1p | Scale::Log => self.min_change.ln_1p(),
            Scale::Linear => self.min_shift * spread,
        }
    }
}

/// What became of one test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Statistically clear and at least the threshold.
    Drift,
    /// Statistically clear but smaller than the threshold: detectable, not worth acting on.
    Small,
    /// Not statistically clear.
    Stable,
}

/// One feature's drift in one window (also used for the multivariate check).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureDrift {
    /// Feature.
    pub feature: String,
    /// Scale of the effect.
    pub scale: Scale,
    /// 1-Wasserstein distance on that scale.
    pub effect: f64,
    /// The effect from which it drifts, on that scale.
    pub effect_threshold: f64,
    /// The effect and threshold in the feature's own terms.
    pub change: String,
    /// 5th and 95th percentiles of the effect between the reference and resamples of it at
    /// this window's size: where sampling noise alone puts it.
    pub band: [f64; 2],
    /// Whether the effect lies inside the band (normal noise).
    pub within_noise: bool,
    /// Kolmogorov-Smirnov statistic.
    pub ks_statistic: f64,
    /// Mann-Whitney normal score (positive: larger values than the reference).
    pub mann_whitney_z: f64,
    /// The test's p-value.
    pub p_value: f64,
    /// Whether the p-value comes from permutations (small windows).
    pub permutation: bool,
    /// Holm-adjusted p-value over the window's tests.
    pub p_adjusted: f64,
    /// PSI over the reference's deciles.
    pub psi: f64,
    /// The outcome.
    pub status: Status,
}

/// The segment mix of one window against training.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentDrift {
    /// Segment ids, in model order.
    pub clusters: Vec<usize>,
    /// Training shares.
    pub reference: Vec<f64>,
    /// The window's shares.
    pub current: Vec<f64>,
    /// Total variation distance: the share of predictions that changed segment.
    pub total_variation: f64,
    /// The threshold on it.
    pub threshold: f64,
    /// Where sampling noise alone puts the total variation at this size (5th, 95th).
    pub band: [f64; 2],
    /// PSI over the segments.
    pub psi: f64,
    /// Chi-square statistic of homogeneity.
    pub chi_square: f64,
    /// Its p-value.
    pub p_value: f64,
    /// Whether the p-value comes from permutations.
    pub permutation: bool,
    /// Holm-adjusted p-value.
    pub p_adjusted: f64,
    /// The outcome.
    pub status: Status,
}

/// Drift of one window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WindowDrift {
    /// The window (its first time, or row range).
    pub window: String,
    /// Predictions in it.
    pub rows: usize,
    /// Whether it had rows enough to decide.
    pub decided: bool,
    /// Per feature (empty when undecided).
    pub features: Vec<FeatureDrift>,
    /// The multivariate check.
    pub multivariate: Option<FeatureDrift>,
    /// The segment mix.
    pub segments: Option<SegmentDrift>,
    /// Whether the window drifted.
    pub drift: bool,
    /// The verdict in words.
    pub reason: String,
}

/// The reference prepared once for many windows: each feature's sample sorted on its scale,
/// the reference's reconstruction errors, and the training segment sizes.
#[derive(Debug, Clone)]
pub struct PreparedReference {
    /// The stored reference.
    pub reference: DriftReference,
    sorted: Vec<Vec<f64>>,
    errors: FeatureReference,
    errors_sorted: Vec<f64>,
    /// `(segment id, training customers)` in model order.
    pub segments: Vec<(usize, usize)>,
}

fn sorted_on(feature: &FeatureReference, values: &[f64]) -> Vec<f64> {
    let mut v: Vec<f64> = values
        .iter()
        .filter(|v| v.is_finite())
        .map(|v| feature.on_scale(*v))
        .collect();
    v.sort_by(f64::total_cmp);
    v
}

impl PreparedReference {
    /// Prepares `reference` and the training segment sizes.
    pub fn new(reference: DriftReference, segments: Vec<(usize, usize)>) -> Self {
        let sorted = reference
            .features
            .iter()
            .zip(&reference.columns)
            .map(|(f, c)| sorted_on(f, c))
            .collect();
        let raw_errors = reference.reference_reconstruction_errors();
        // The error is a positive length: its changes read as relative ones.
        let errors = FeatureReference::with_scale(MULTIVARIATE_NAME, &raw_errors, Scale::Log);
        let errors_sorted = sorted_on(&errors, &raw_errors);
        Self {
            reference,
            sorted,
            errors,
            errors_sorted,
            segments,
        }
    }

    /// Feature names, in model order.
    pub fn feature_names(&self) -> Vec<String> {
        self.reference
            .features
            .iter()
            .map(|f| f.name.clone())
            .collect()
    }
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

/// The 5th and 95th percentiles of the Wasserstein distance between `reference` (sorted) and
/// resamples of it at size `n`.
fn effect_band(reference: &[f64], n: usize, seed: u64) -> [f64; 2] {
    if reference.is_empty() || n == 0 {
        return [0.0, 0.0];
    }
    let size = n.min(BAND_CAP);
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut distances: Vec<f64> = (0..BAND_RESAMPLES)
        .map(|_| {
            let mut sample: Vec<f64> = (0..size)
                .map(|_| reference[rng.random_range(0..reference.len())])
                .collect();
            sample.sort_by(f64::total_cmp);
            wasserstein_sorted(reference, &sample)
        })
        .collect();
    distances.sort_by(f64::total_cmp);
    let factor = (size as f64 / n as f64).sqrt();
    [
        percentile(&distances, 0.05) * factor,
        percentile(&distances, 0.95) * factor,
    ]
}

fn describe_change(scale: Scale, effect: f64, threshold: f64, spread: f64) -> String {
    match scale {
        Scale::Log1p | Scale::Log => format!(
            "values changed by about {:.1} % (drift from {:.1} %)",
            100.0 * effect.exp_m1(),
            100.0 * threshold.exp_m1()
        ),
        Scale::Linear => format!(
            "shifted by {} (drift from {}, {:.2} interquartile ranges)",
            short(effect),
            short(threshold),
            threshold / spread
        ),
    }
}

/// A number with four significant digits, as people read them.
fn short(value: f64) -> String {
    if value == 0.0 || !value.is_finite() {
        return format!("{value}");
    }
    let digits = (3 - value.abs().log10().floor() as i32).max(0) as usize;
    format!("{value:.digits$}")
}

/// One feature's statistics before the Holm adjustment.
fn feature_drift(
    feature: &FeatureReference,
    reference: &[f64],
    values: &[f64],
    t: &Thresholds,
    seed: u64,
) -> FeatureDrift {
    let current = sorted_on(feature, values);
    let test = two_sample_test(reference, &current, seed);
    let effect = wasserstein_sorted(reference, &current);
    let threshold = t.effect_threshold(feature.scale, feature.spread);
    let band = effect_band(reference, current.len(), seed ^ 0x5eed);
    let reference_shares = shares(reference, &feature.psi_edges);
    let psi = psi_of_shares(&reference_shares, &shares(&current, &feature.psi_edges));
    FeatureDrift {
        feature: feature.name.clone(),
        scale: feature.scale,
        effect,
        effect_threshold: threshold,
        change: describe_change(feature.scale, effect, threshold, feature.spread),
        band,
        within_noise: effect <= band[1],
        ks_statistic: test.ks_statistic,
        mann_whitney_z: test.mann_whitney_z,
        p_value: test.p_value,
        permutation: test.permutation,
        p_adjusted: test.p_value,
        psi,
        status: Status::Stable,
    }
}

fn segment_drift(
    sizes: &[(usize, usize)],
    clusters: &[usize],
    t: &Thresholds,
    seed: u64,
) -> SegmentDrift {
    let reference_counts: Vec<usize> = sizes.iter().map(|s| s.1).collect();
    let current_counts: Vec<usize> = sizes
        .iter()
        .map(|(id, _)| clusters.iter().filter(|c| *c == id).count())
        .collect();
    let to_shares = |counts: &[usize]| {
        let total = counts.iter().sum::<usize>().max(1) as f64;
        counts
            .iter()
            .map(|c| *c as f64 / total)
            .collect::<Vec<f64>>()
    };
    let (reference, current) = (to_shares(&reference_counts), to_shares(&current_counts));
    let (chi_square, p_value, permutation) = segment_test(&reference_counts, &current_counts, seed);
    // The band: multinomial draws of the window's size from the training shares.
    let n = clusters.len();
    let size = n.clamp(1, BAND_CAP);
    let mut rng = SmallRng::seed_from_u64(seed ^ 0xba2d);
    let cumulative: Vec<f64> = reference
        .iter()
        .scan(0.0, |acc, s| {
            *acc += s;
            Some(*acc)
        })
        .collect();
    let mut distances: Vec<f64> = (0..BAND_RESAMPLES)
        .map(|_| {
            let mut counts = vec![0usize; reference.len()];
            for _ in 0..size {
                let u: f64 = rng.random();
                let k = cumulative
                    .partition_point(|c| *c < u)
                    .min(reference.len() - 1);
                counts[k] += 1;
            }
            total_variation(&reference, &to_shares(&counts))
        })
        .collect();
    distances.sort_by(f64::total_cmp);
    let factor = (size as f64 / n.max(1) as f64).sqrt();
    SegmentDrift {
        clusters: sizes.iter().map(|s| s.0).collect(),
        total_variation: total_variation(&reference, &current),
        threshold: t.min_segment_change,
        band: [
            percentile(&distances, 0.05) * factor,
            percentile(&distances, 0.95) * factor,
        ],
        psi: psi_of_shares(&reference, &current),
        chi_square,
        p_value,
        permutation,
        p_adjusted: p_value,
        status: Status::Stable,
        reference,
        current,
    }
}

fn status(p_adjusted: f64, effect: f64, threshold: f64, alpha: f64) -> Status {
    if p_adjusted > alpha {
        Status::Stable
    } else if effect >= threshold {
        Status::Drift
    } else {
        Status::Small
    }
}

/// The drift of one window: `columns` holds each model feature's logged values (model order,
/// the features' own units), `clusters` the segments the model predicted for the same rows.
pub fn analyse(
    prepared: &PreparedReference,
    window: &str,
    columns: &[Vec<f64>],
    clusters: &[usize],
    t: &Thresholds,
) -> WindowDrift {
    let rows = columns.first().map_or(0, Vec::len);
    if rows < t.min_rows {
        return WindowDrift {
            window: window.to_owned(),
            rows,
            decided: false,
            features: Vec::new(),
            multivariate: None,
            segments: None,
            drift: false,
            reason: format!(
                "{rows} predictions: too few to decide (at least {} needed)",
                t.min_rows
            ),
        };
    }
    let seed = rows as u64;
    let features = &prepared.reference.features;
    let mut per_feature: Vec<FeatureDrift> = features
        .par_iter()
        .enumerate()
        .map(|(j, f)| {
            feature_drift(
                f,
                &prepared.sorted[j],
                &columns[j],
                t,
                seed.wrapping_add(j as u64),
            )
        })
        .collect();
    let errors: Vec<f64> = (0..rows)
        .into_par_iter()
        .map(|i| {
            let row: Vec<f64> = columns.iter().map(|c| c[i]).collect();
            prepared.reference.reconstruction_error(&row)
        })
        .collect();
    let mut multivariate = feature_drift(
        &prepared.errors,
        &prepared.errors_sorted,
        &errors,
        t,
        seed.wrapping_add(1000),
    );
    let mut segments = segment_drift(&prepared.segments, clusters, t, seed.wrapping_add(2000));

    let mut p_values: Vec<f64> = per_feature.iter().map(|f| f.p_value).collect();
    p_values.push(multivariate.p_value);
    p_values.push(segments.p_value);
    let adjusted = holm(&p_values);
    for (f, p) in per_feature.iter_mut().zip(&adjusted) {
        f.p_adjusted = *p;
        f.status = status(*p, f.effect, f.effect_threshold, t.alpha);
    }
    multivariate.p_adjusted = adjusted[features.len()];
    multivariate.status = status(
        multivariate.p_adjusted,
        multivariate.effect,
        multivariate.effect_threshold,
        t.alpha,
    );
    segments.p_adjusted = adjusted[features.len() + 1];
    segments.status = status(
        segments.p_adjusted,
        segments.total_variation,
        segments.threshold,
        t.alpha,
    );

    let mut drifted: Vec<String> = per_feature
        .iter()
        .filter(|f| f.status == Status::Drift)
        .map(|f| format!("{} ({})", f.feature, f.change))
        .collect();
    if multivariate.status == Status::Drift {
        drifted.push(format!(
            "the relations between features ({})",
            multivariate.change
        ));
    }
    if segments.status == Status::Drift {
        drifted.push(format!(
            "the segment mix ({:.1} % of predictions changed segment, drift from {:.1} %)",
            100.0 * segments.total_variation,
            100.0 * segments.threshold
        ));
    }
    let small = per_feature
        .iter()
        .chain(std::iter::once(&multivariate))
        .filter(|f| f.status == Status::Small)
        .count()
        + usize::from(segments.status == Status::Small);
    let drift = !drifted.is_empty();
    let reason = if drift {
        format!("changed: {}", drifted.join("; "))
    } else if small > 0 {
        format!(
            "{small} statistically clear change(s), each below its threshold (α = {})",
            t.alpha
        )
    } else {
        format!(
            "no test is statistically clear over {rows} predictions (α = {})",
            t.alpha
        )
    };
    WindowDrift {
        window: window.to_owned(),
        rows,
        decided: true,
        features: per_feature,
        multivariate: Some(multivariate),
        segments: Some(segments),
        drift,
        reason,
    }
}

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
    let all_columns = columns_of(logged.iter().map(|r| r.1), width);
    let all_clusters: Vec<usize> = logged.iter().map(|r| r.2).collect();
    let overall = analyse(prepared, "all", &all_columns, &all_clusters, t);
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
