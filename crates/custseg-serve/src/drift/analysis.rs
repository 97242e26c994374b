//! One window against the reference: every feature, the multivariate check and the segment mix,
//! each with its effect, noise band and test, then Holm's adjustment and the verdict.

use custseg_model::drift_reference::{FeatureReference, Scale};
use rand::Rng;
use rand::SeedableRng;
use rand::rngs::SmallRng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::prepared::sorted_on;
use super::significance::{holm, segment_test, two_sample_test};
use super::statistics::{psi_of_shares, shares, total_variation, wasserstein_sorted};
use super::{BAND_CAP, BAND_RESAMPLES, PreparedReference, Status, Thresholds};

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
            sample.sort_unstable_by(f64::total_cmp);
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

#[cfg(test)]
mod tests {
    use custseg_model::drift_reference::DriftReference;
    use ndarray::Array2;

    use super::*;

    /// A reference of 3,000 customers: heavy-tailed spend, visits that follow it, an hour.
    fn prepared() -> (PreparedReference, Vec<Vec<f64>>) {
        let mut rng = SmallRng::seed_from_u64(5);
        let n = 3000;
        let spend: Vec<f64> = (0..n)
            .map(|_| 20.0 / rng.random::<f64>().max(1e-3).powf(0.7))
            .collect();
        let visits: Vec<f64> = spend
            .iter()
            .map(|s| (s / 40.0).floor() + f64::from(rng.random_range(1..4u8)))
            .collect();
        let hour: Vec<f64> = (0..n)
            .map(|_| f64::from(rng.random_range(8..20u8)))
            .collect();
        let columns = vec![spend, visits, hour];
        let x = Array2::from_shape_fn((n, 3), |(i, j)| columns[j][i]);
        let names = vec!["Total_Spend".into(), "Visits".into(), "Hour".into()];
        let reference = DriftReference::new(&names, x.view(), 1).unwrap();
        (
            PreparedReference::new(reference, vec![(0, 1500), (1, 1500)]),
            columns,
        )
    }

    fn draw(columns: &[Vec<f64>], n: usize, seed: u64) -> (Vec<Vec<f64>>, Vec<usize>) {
        let mut rng = SmallRng::seed_from_u64(seed);
        let rows: Vec<usize> = (0..n)
            .map(|_| rng.random_range(0..columns[0].len()))
            .collect();
        let drawn = columns
            .iter()
            .map(|c| rows.iter().map(|&i| c[i]).collect())
            .collect();
        (drawn, rows.iter().map(|i| i % 2).collect())
    }

    #[test]
    fn a_sample_of_the_reference_is_stable_and_a_spend_rise_drifts_naming_the_feature() {
        let (prepared, columns) = prepared();
        let t = Thresholds::default();
        let (same, clusters) = draw(&columns, 800, 2);
        let window = analyse(&prepared, "w", &same, &clusters, &t);
        assert!(!window.drift, "{}", window.reason);
        assert!(window.features.iter().all(|f| f.status == Status::Stable));
        // Spend 40 % higher for everyone: spend drifts, its change reads as about 40 %.
        let (mut risen, clusters) = draw(&columns, 800, 3);
        for v in &mut risen[0] {
            *v *= 1.4;
        }
        let window = analyse(&prepared, "w", &risen, &clusters, &t);
        assert!(
            window.drift && window.reason.starts_with("changed: Total_Spend"),
            "{}",
            window.reason
        );
        let spend = &window.features[0];
        assert_eq!((spend.status, spend.scale), (Status::Drift, Scale::Log1p));
        assert!(!spend.within_noise && spend.effect > spend.band[1]);
        assert!(
            (spend.effect.exp_m1() - 0.4).abs() < 0.08,
            "{}",
            spend.change
        );
        // Hours are untouched.
        assert_eq!(window.features[2].status, Status::Stable);
    }

    #[test]
    fn a_tiny_change_on_a_huge_window_is_detectable_but_small() {
        let (prepared, columns) = prepared();
        let t = Thresholds::default();
        // Every hour a quarter of an hour later: statistically clear over 200,000 rows, yet
        // under the threshold of 0.1 interquartile range (the hours' IQR is about 6, so 0.6).
        let (mut moved, clusters) = draw(&columns, 200_000, 4);
        for v in &mut moved[2] {
            *v += 0.25;
        }
        let window = analyse(&prepared, "w", &moved, &clusters, &t);
        let hour = &window.features[2];
        assert_eq!(hour.status, Status::Small, "{hour:?}");
        assert!(hour.p_adjusted < 1e-6);
        assert!(!window.drift, "{}", window.reason);
        assert!(
            window.reason.contains("below its threshold"),
            "{}",
            window.reason
        );
    }

    #[test]
    fn too_few_rows_are_not_decided() {
        let (prepared, columns) = prepared();
        let (few, clusters) = draw(&columns, 99, 6);
        let window = analyse(&prepared, "w", &few, &clusters, &Thresholds::default());
        assert!(!window.decided && !window.drift && window.features.is_empty());
        assert!(window.reason.contains("too few"), "{}", window.reason);
    }
}
