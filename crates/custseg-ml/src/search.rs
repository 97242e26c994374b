//! Hyperparameter search for K-Means: fit every (k, init) of a grid, score each candidate by
//! silhouette, Davies-Bouldin and Calinski-Harabasz (plus inertia for an elbow view), pick one
//! by a configurable rule, and measure the pick's stability on bootstrap resamples.

use ndarray::{Array2, ArrayView2};
use rand::Rng;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, check_matrix};
use crate::kmeans::{Init, KMeans, KMeansParams};
use crate::metrics::{
    SilhouetteOptions, SilhouetteScore, adjusted_rand_index, calinski_harabasz, davies_bouldin,
    silhouette_scores,
};

/// How the winning candidate is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SelectionRule {
    /// Highest silhouette.
    Silhouette,
    /// Lowest Davies-Bouldin index.
    DaviesBouldin,
    /// Highest Calinski-Harabasz index.
    CalinskiHarabasz,
    /// Highest mean of the three scores, each rescaled to `[0, 1]` over the eligible
    /// candidates (1 = best of them): no single score decides alone.
    #[default]
    Composite,
}

impl SelectionRule {
    /// Name as in configuration.
    pub fn name(self) -> &'static str {
        match self {
            Self::Silhouette => "silhouette",
            Self::DaviesBouldin => "davies_bouldin",
            Self::CalinskiHarabasz => "calinski_harabasz",
            Self::Composite => "composite",
        }
    }
}

/// Which candidates may win and by which rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Selection {
    /// The rule.
    pub rule: SelectionRule,
    /// Smallest k that may be chosen. Fewer than 4 segments rarely gives a marketer anything
    /// to act on, even when the scores prefer it.
    pub k_min: usize,
    /// Largest k that may be chosen: beyond 8 segments are too many to run campaigns for.
    pub k_max: usize,
}

impl Default for Selection {
    fn default() -> Self {
        Self {
            rule: SelectionRule::Composite,
            k_min: 4,
            k_max: 8,
        }
    }
}

/// The search grid and scoring settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SearchConfig {
    /// Smallest k tried.
    pub k_min: usize,
    /// Largest k tried.
    pub k_max: usize,
    /// Initialisations tried.
    pub inits: Vec<Init>,
    /// Restarts per candidate.
    pub n_init: usize,
    /// Lloyd iterations per restart at most.
    pub max_iter: usize,
    /// Convergence tolerance (relative, as in [`KMeansParams::tol`]).
    pub tol: f64,
    /// Seed of every fit.
    pub seed: u64,
    /// How the winner is chosen.
    pub selection: Selection,
    /// Exact or sampled silhouette.
    pub silhouette: SilhouetteOptions,
    /// Bootstrap refits of the winner for its stability (0 to skip).
    pub stability_bootstraps: usize,
}

impl Default for SearchConfig {
    fn default() -> Self {
        Self {
            k_min: 2,
            k_max: 10,
            inits: vec![Init::KMeansPlusPlus, Init::Random],
            n_init: 10,
            max_iter: 300,
            tol: 1e-4,
            seed: 0,
            selection: Selection::default(),
            silhouette: SilhouetteOptions::default(),
            stability_bootstraps: 10,
        }
    }
}

impl SearchConfig {
    /// Checks the grid and the selection range against each other and the number of rows.
    pub fn check(&self, n_rows: usize) -> Result<()> {
        self.check_grid()?;
        if self.k_max >= n_rows {
            return Err(Error::parameter(
                "k_max",
                format!(
                    "must be below the number of rows ({n_rows}), got {}",
                    self.k_max
                ),
            ));
        }
        KMeansParams {
            k: self.k_min,
            init: self.inits[0],
            n_init: self.n_init,
            max_iter: self.max_iter,
            tol: self.tol,
            seed: self.seed,
        }
        .check(n_rows)
    }

    /// Checks what does not depend on the data: the grid, the selection range, the restarts.
    pub fn check_grid(&self) -> Result<()> {
        if self.k_min < 2 || self.k_min > self.k_max {
            return Err(Error::parameter(
                "k_min",
                format!(
                    "need 2 <= k_min <= k_max, got {}..{}",
                    self.k_min, self.k_max
                ),
            ));
        }
        if self.inits.is_empty() {
            return Err(Error::parameter(
                "inits",
                "name at least one initialisation",
            ));
        }
        let Selection { k_min, k_max, .. } = self.selection;
        if k_min > k_max || k_max < self.k_min || k_min > self.k_max {
            return Err(Error::parameter(
                "selection",
                format!(
                    "the eligible range {k_min}..={k_max} does not overlap the grid {}..={}",
                    self.k_min, self.k_max
                ),
            ));
        }
        if self.n_init == 0 || self.max_iter == 0 {
            return Err(Error::parameter(
                "n_init",
                "n_init and max_iter must be at least 1",
            ));
        }
        if !(self.tol >= 0.0 && self.tol.is_finite()) {
            return Err(Error::parameter(
                "tol",
                format!("must be >= 0, got {}", self.tol),
            ));
        }
        Ok(())
    }

    fn params(&self, k: usize, init: Init) -> KMeansParams {
        KMeansParams {
            k,
            init,
            n_init: self.n_init,
            max_iter: self.max_iter,
            tol: self.tol,
            seed: self.seed,
        }
    }
}

/// One scored candidate of the grid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// Number of clusters.
    pub k: usize,
    /// Initialisation.
    pub init: Init,
    /// Restarts.
    pub n_init: usize,
    /// Iteration cap.
    pub max_iter: usize,
    /// Sum of squared distances to the centroids.
    pub inertia: f64,
    /// Lloyd iterations of the kept restart.
    pub n_iter: usize,
    /// Silhouette (higher is better).
    pub silhouette: SilhouetteScore,
    /// Davies-Bouldin index (lower is better).
    pub davies_bouldin: f64,
    /// Calinski-Harabasz index (higher is better).
    pub calinski_harabasz: f64,
    /// Whether k is within the selection range.
    pub eligible: bool,
    /// The composite score, for eligible candidates.
    pub composite: Option<f64>,
}

/// Agreement of the chosen model with refits on bootstrap resamples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stability {
    /// Refits made.
    pub bootstraps: usize,
    /// Mean adjusted Rand index between the chosen labels and each refit's labels of all rows.
    pub mean_ari: f64,
    /// The lowest of them.
    pub min_ari: f64,
}

/// What a search found.
#[derive(Debug, Clone)]
pub struct SearchOutcome {
    /// Every candidate, in grid order (k, then init).
    pub candidates: Vec<Candidate>,
    /// Index of the chosen candidate.
    pub chosen: usize,
    /// The chosen candidate's fitted model.
    pub model: KMeans,
    /// Why it was chosen, in words.
    pub reason: String,
    /// Stability of the choice, when bootstraps were asked for.
    pub stability: Option<Stability>,
}

/// Runs the search on the rows of `x`.
pub fn search(x: ArrayView2<'_, f64>, config: &SearchConfig) -> Result<SearchOutcome> {
    search_with_progress(x, config, &|| {})
}

/// Number of `tick` calls [`search_with_progress`] makes: one per fitted candidate and one per
/// bootstrap refit.
pub fn progress_steps(config: &SearchConfig) -> usize {
    (config.k_min..=config.k_max).count() * config.inits.len() + config.stability_bootstraps
}

/// [`search`], calling `tick` after every candidate fit and bootstrap refit (from any thread),
/// so a caller can show progress.
pub fn search_with_progress(
    x: ArrayView2<'_, f64>,
    config: &SearchConfig,
    tick: &(dyn Fn() + Sync),
) -> Result<SearchOutcome> {
    check_matrix(x, None)?;
    config.check(x.nrows())?;
    let grid: Vec<(usize, Init)> = (config.k_min..=config.k_max)
        .flat_map(|k| config.inits.iter().map(move |&init| (k, init)))
        .collect();
    let clock = std::time::Instant::now();
    let models: Vec<KMeans> = grid
        .par_iter()
        .map(|&(k, init)| {
            let fitted = config.params(k, init).fit(x);
            tick();
            fitted
        })
        .collect::<Result<_>>()?;

    tracing::debug!(
        seconds = clock.elapsed().as_secs_f64(),
        candidates = grid.len(),
        "K-Means fits"
    );
    let clock = std::time::Instant::now();
    // Candidates that found the same partition (often both inits at small k) are scored once.
    let mut unique: Vec<Vec<usize>> = Vec::new();
    let mut which: Vec<usize> = Vec::with_capacity(models.len());
    for model in &models {
        let canonical = canonical_labels(&model.labels);
        match unique.iter().position(|u| *u == canonical) {
            Some(index) => which.push(index),
            None => {
                which.push(unique.len());
                unique.push(canonical);
            }
        }
    }
    let labelings: Vec<&[usize]> = unique.iter().map(Vec::as_slice).collect();
    let scored = silhouette_scores(x, &labelings, &config.silhouette)?;
    let silhouettes: Vec<SilhouetteScore> = which.iter().map(|&i| scored[i]).collect();
    tracing::debug!(seconds = clock.elapsed().as_secs_f64(), "silhouette scores");
    let clock = std::time::Instant::now();
    let mut candidates = Vec::with_capacity(grid.len());
    for ((&(k, init), model), silhouette) in grid.iter().zip(&models).zip(silhouettes) {
        candidates.push(Candidate {
            k,
            init,
            n_init: config.n_init,
            max_iter: config.max_iter,
            inertia: model.inertia,
            n_iter: model.n_iter,
            silhouette,
            davies_bouldin: davies_bouldin(x, &model.labels)?,
            calinski_harabasz: calinski_harabasz(x, &model.labels)?,
            eligible: (config.selection.k_min..=config.selection.k_max).contains(&k),
            composite: None,
        });
    }
    tracing::debug!(
        seconds = clock.elapsed().as_secs_f64(),
        "Davies-Bouldin and Calinski-Harabasz"
    );
    let (chosen, reason) = choose(&mut candidates, &config.selection);
    let clock = std::time::Instant::now();
    let model = models[chosen].clone();
    let stability = (config.stability_bootstraps > 0)
        .then(|| {
            stability(
                tick,
                x,
                &config.params(candidates[chosen].k, candidates[chosen].init),
                &model,
                config.stability_bootstraps,
            )
        })
        .transpose()?;
    tracing::debug!(seconds = clock.elapsed().as_secs_f64(), "stability");
    Ok(SearchOutcome {
        candidates,
        chosen,
        model,
        reason,
        stability,
    })
}

/// Labels renumbered in order of first appearance, so equal partitions compare equal.
fn canonical_labels(labels: &[usize]) -> Vec<usize> {
    let mut map = std::collections::HashMap::new();
    labels
        .iter()
        .map(|label| {
            let next = map.len();
            *map.entry(*label).or_insert(next)
        })
        .collect()
}

/// Scores the eligible candidates and returns the winner's index and the reason.
fn choose(candidates: &mut [Candidate], selection: &Selection) -> (usize, String) {
    let eligible: Vec<usize> = (0..candidates.len())
        .filter(|&i| candidates[i].eligible)
        .collect();
    let range = |values: &dyn Fn(&Candidate) -> f64| {
        eligible
            .iter()
            .map(|&i| values(&candidates[i]))
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                (lo.min(v), hi.max(v))
            })
    };
    let rescale = |v: f64, (lo, hi): (f64, f64), higher_is_better: bool| {
        if hi > lo {
            let t = (v - lo) / (hi - lo);
            if higher_is_better { t } else { 1.0 - t }
        } else {
            1.0
        }
    };
    let s_range = range(&|c| c.silhouette.mean);
    let db_range = range(&|c| c.davies_bouldin);
    let ch_range = range(&|c| c.calinski_harabasz);
    for &i in &eligible {
        let c = &candidates[i];
        let composite = (rescale(c.silhouette.mean, s_range, true)
            + rescale(c.davies_bouldin, db_range, false)
            + rescale(c.calinski_harabasz, ch_range, true))
            / 3.0;
        candidates[i].composite = Some(composite);
    }
    let key = |c: &Candidate| match selection.rule {
        SelectionRule::Silhouette => c.silhouette.mean,
        SelectionRule::DaviesBouldin => -c.davies_bouldin,
        SelectionRule::CalinskiHarabasz => c.calinski_harabasz,
        SelectionRule::Composite => c.composite.unwrap_or(f64::NEG_INFINITY),
    };
    // Ties: higher silhouette, then fewer clusters, then grid order.
    let better = |a: &Candidate, b: &Candidate| {
        key(a) > key(b) || (key(a) == key(b) && a.silhouette.mean > b.silhouette.mean)
    };
    let mut chosen = eligible[0];
    for &i in &eligible[1..] {
        if better(&candidates[i], &candidates[chosen]) {
            chosen = i;
        }
    }
    let winner = &candidates[chosen];
    let mut reason = format!(
        "k = {} ({}) has the best {} among the {} candidates with {} <= k <= {}: silhouette {:.3}, Davies-Bouldin {:.3}, Calinski-Harabasz {:.1}",
        winner.k,
        winner.init,
        match selection.rule {
            SelectionRule::Composite =>
                "composite score (mean of silhouette, Davies-Bouldin and Calinski-Harabasz, each rescaled so 1 is the best eligible value)",
            SelectionRule::Silhouette => "silhouette",
            SelectionRule::DaviesBouldin => "Davies-Bouldin index",
            SelectionRule::CalinskiHarabasz => "Calinski-Harabasz index",
        },
        eligible.len(),
        selection.k_min,
        selection.k_max,
        winner.silhouette.mean,
        winner.davies_bouldin,
        winner.calinski_harabasz,
    );
    if let Some(composite) = winner.composite {
        reason.push_str(&format!(", composite {composite:.3}"));
    }
    reason.push('.');
    let best_silhouette = candidates.iter().enumerate().fold(0, |best, (i, c)| {
        if c.silhouette.mean > candidates[best].silhouette.mean {
            i
        } else {
            best
        }
    });
    if candidates[best_silhouette].k != winner.k {
        let other = &candidates[best_silhouette];
        reason.push_str(&format!(
            " Silhouette alone would pick k = {} ({:.3}){}.",
            other.k,
            other.silhouette.mean,
            if other.eligible {
                ""
            } else {
                ", outside the eligible range"
            }
        ));
    }
    (chosen, reason)
}

fn stability(
    tick: &(dyn Fn() + Sync),
    x: ArrayView2<'_, f64>,
    params: &KMeansParams,
    chosen: &KMeans,
    bootstraps: usize,
) -> Result<Stability> {
    let n = x.nrows();
    let scores: Vec<f64> = (0..bootstraps)
        .into_par_iter()
        .map(|b| {
            let mut rng = ChaCha8Rng::seed_from_u64(params.seed ^ 0x5EED_B007);
            rng.set_stream(b as u64);
            // The resample as its distinct rows (about 63 % of them) and how often each was
            // drawn: the same K-Means objective at about two thirds of the cost.
            let mut drawn = vec![0u32; n];
            for _ in 0..n {
                drawn[rng.random_range(0..n)] += 1;
            }
            let distinct: Vec<usize> = (0..n).filter(|&i| drawn[i] > 0).collect();
            let counts: Vec<u32> = distinct.iter().map(|&i| drawn[i]).collect();
            let sample =
                Array2::from_shape_fn((distinct.len(), x.ncols()), |(i, j)| x[[distinct[i], j]]);
            let refit = KMeansParams {
                seed: params.seed.wrapping_add(b as u64 + 1),
                ..params.clone()
            }
            .fit_weighted(sample.view(), &counts)?;
            let (labels, _) = refit.predict(x)?;
            tick();
            adjusted_rand_index(&chosen.labels, &labels)
        })
        .collect::<Result<_>>()?;
    Ok(Stability {
        bootstraps,
        mean_ari: scores.iter().sum::<f64>() / bootstraps as f64,
        min_ari: scores.iter().copied().fold(f64::INFINITY, f64::min),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Five well-separated blobs in 2-D.
    fn five_blobs() -> Array2<f64> {
        let centres = [
            (0.0, 0.0),
            (20.0, 0.0),
            (0.0, 20.0),
            (20.0, 20.0),
            (40.0, 10.0),
        ];
        let mut rows = Vec::new();
        for (b, (cx, cy)) in centres.iter().enumerate() {
            for i in 0..40 {
                let angle = i as f64 * 0.7 + b as f64;
                let radius = 1.0 + (i % 7) as f64 * 0.3;
                rows.extend([cx + radius * angle.cos(), cy + radius * angle.sin()]);
            }
        }
        Array2::from_shape_vec((200, 2), rows).unwrap()
    }

    #[test]
    fn search_recovers_five_blobs_and_explains_itself() {
        let config = SearchConfig {
            n_init: 4,
            stability_bootstraps: 3,
            ..SearchConfig::default()
        };
        let outcome = search(five_blobs().view(), &config).unwrap();
        assert_eq!(outcome.candidates.len(), 9 * 2);
        let chosen = &outcome.candidates[outcome.chosen];
        assert_eq!(chosen.k, 5, "{}", outcome.reason);
        assert!(outcome.reason.contains("k = 5"));
        for c in &outcome.candidates {
            assert!((-1.0..=1.0).contains(&c.silhouette.mean));
            assert!(c.davies_bouldin >= 0.0 && c.calinski_harabasz > 0.0);
            assert_eq!(c.eligible, (4..=8).contains(&c.k));
            assert_eq!(c.composite.is_some(), c.eligible);
        }
        let stability = outcome.stability.unwrap();
        assert!(stability.mean_ari > 0.95, "{stability:?}");
    }

    #[test]
    fn pure_silhouette_rule_can_pick_outside_the_default_range() {
        let config = SearchConfig {
            k_min: 2,
            k_max: 6,
            n_init: 3,
            stability_bootstraps: 0,
            selection: Selection {
                rule: SelectionRule::Silhouette,
                k_min: 2,
                k_max: 6,
            },
            ..SearchConfig::default()
        };
        let outcome = search(five_blobs().view(), &config).unwrap();
        let best = outcome
            .candidates
            .iter()
            .map(|c| c.silhouette.mean)
            .fold(f64::NEG_INFINITY, f64::max);
        assert_eq!(outcome.candidates[outcome.chosen].silhouette.mean, best);
        assert!(outcome.stability.is_none());
    }

    #[test]
    fn selection_range_outside_the_grid_is_refused() {
        let config = SearchConfig {
            k_min: 2,
            k_max: 3,
            ..SearchConfig::default()
        };
        let error = search(five_blobs().view(), &config).unwrap_err();
        assert!(error.to_string().contains("does not overlap"), "{error}");
    }
}
