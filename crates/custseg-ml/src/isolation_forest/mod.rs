//! Isolation Forest anomaly detection (Liu, Ting and Zhou, 2008), as scikit-learn implements it.
//!
//! Written here because no well-kept Rust crate offers it with what we need: seeded,
//! serialisable trees (the model file stores them so `predict` flags outliers exactly as
//! training did) and scikit-learn's semantics, which users compare with: `max_samples`
//! defaults to `min(256, n)` rows drawn without replacement per tree, trees stop at depth
//! `ceil(log2(max_samples))`, each split takes a random non-constant feature and a uniform
//! threshold between its minimum and maximum, and the score of a row is
//! `-2^(-mean path length / c(max_samples))`. With a contamination fraction, the threshold is
//! that percentile of the training scores; otherwise it is -0.5.

use ndarray::ArrayView2;
use rand::seq::index;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, check_matrix};
use crate::scaling::quantile_sorted;

mod complete;
mod walk;

use walk::WalkForest;

/// Isolation Forest hyperparameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IsolationForestParams {
    /// Number of trees.
    pub n_estimators: usize,
    /// Rows per tree; `None` means `min(256, n)`.
    pub max_samples: Option<usize>,
    /// Expected share of outliers, in `(0, 0.5]`; `None` uses the paper's fixed threshold.
    pub contamination: Option<f64>,
    /// Random seed.
    pub seed: u64,
}

impl Default for IsolationForestParams {
    fn default() -> Self {
        Self {
            n_estimators: 100,
            max_samples: None,
            contamination: Some(0.05),
            seed: 42,
        }
    }
}

/// One isolation tree as flat arrays (node 0 is the root).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IsolationTree {
    /// Split feature per node; `-1` marks a leaf.
    pub feature: Vec<i32>,
    /// Split threshold per node (rows with `value < threshold` go left).
    pub threshold: Vec<f64>,
    /// Left child per node (0 for leaves).
    pub left: Vec<u32>,
    /// Right child per node (0 for leaves).
    pub right: Vec<u32>,
    /// Depth plus the expected remaining path length `c(size)`, for leaves.
    pub leaf_path: Vec<f64>,
}

/// A fitted Isolation Forest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IsolationForest {
    /// Columns the forest was fitted on.
    pub n_features: usize,
    /// Rows each tree was grown on.
    pub max_samples: usize,
    /// Score threshold: rows scoring below it are outliers.
    pub offset: f64,
    /// The trees (read with [`IsolationForest::trees`]; private so the scoring layout
    /// below always matches them).
    trees: Vec<IsolationTree>,
    /// The trees laid out for scoring, built on first use; not part of the model file.
    #[serde(skip)]
    walk: WalkCache,
}

/// A forest's scoring layout, built once from its trees (see [`walk`]). It is derived data:
/// forests compare equal whether or not theirs is built yet.
#[derive(Debug, Clone, Default)]
struct WalkCache(std::sync::OnceLock<WalkForest>);

impl PartialEq for WalkCache {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl IsolationForestParams {
    /// Checks the values.
    pub fn check(&self) -> Result<()> {
        if self.n_estimators == 0 {
            return Err(Error::parameter("n_estimators", "must be at least 1"));
        }
        if self.max_samples == Some(0) {
            return Err(Error::parameter("max_samples", "must be at least 1"));
        }
        if let Some(c) = self.contamination
            && !(c > 0.0 && c <= 0.5)
        {
            return Err(Error::parameter(
                "contamination",
                format!("must be in (0, 0.5], got {c}"),
            ));
        }
        Ok(())
    }

    /// Grows the forest on the rows of `x` and sets the outlier threshold.
    pub fn fit(&self, x: ArrayView2<'_, f64>) -> Result<IsolationForest> {
        self.check()?;
        check_matrix(x, None)?;
        let n = x.nrows();
        let max_samples = self.max_samples.unwrap_or(256).min(n);
        let depth_limit = (max_samples.max(2) as f64).log2().ceil() as usize;
        let data = x.as_standard_layout();
        let width = x.ncols();
        let data: Vec<f64> = data.iter().copied().collect();
        let trees: Vec<IsolationTree> = (0..self.n_estimators)
            .into_par_iter()
            .map(|t| {
                let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
                rng.set_stream(t as u64);
                let rows = index::sample(&mut rng, n, max_samples).into_vec();
                grow(&data, width, rows, depth_limit, &mut rng)
            })
            .collect();
        let mut forest = IsolationForest {
            n_features: width,
            max_samples,
            offset: -0.5,
            trees,
            walk: WalkCache::default(),
        };
        if let Some(contamination) = self.contamination {
            let mut scores = forest.score_samples(x)?;
            scores.sort_by(f64::total_cmp);
            forest.offset = quantile_sorted(&scores, contamination);
        }
        Ok(forest)
    }
}

impl IsolationForest {
    /// The trees.
    pub fn trees(&self) -> &[IsolationTree] {
        &self.trees
    }

    /// Checks the trees and lays them out for scoring now, not at the first score: a forest
    /// read from a file is checked when it is loaded, and a server's first request does not
    /// wait for the layout.
    pub fn prepare(&self) -> Result<()> {
        self.walk().map(|_| ())
    }

    /// The scoring layout, built on first use.
    fn walk(&self) -> Result<&WalkForest> {
        if let Some(walk) = self.walk.0.get() {
            return Ok(walk);
        }
        // Two threads may both build it; the first to finish is kept.
        let _ = self
            .walk
            .0
            .set(WalkForest::new(&self.trees, self.n_features)?);
        self.walk
            .0
            .get()
            .ok_or_else(|| Error::Data("the isolation forest's scoring layout is missing".into()))
    }

    /// Anomaly score per row, in `[-1, 0)`: the lower, the more abnormal (scikit-learn's
    /// `score_samples`).
    pub fn score_samples(&self, x: ArrayView2<'_, f64>) -> Result<Vec<f64>> {
        check_matrix(x, Some(self.n_features))?;
        let normaliser = average_path_length(self.max_samples);
        let width = x.ncols();
        let x = x.as_standard_layout();
        let data = x.as_slice().unwrap_or_default();
        // Blocks of rows walk the trees one tree after another: one tree's nodes stay in the
        // cache while the block's rows walk it.
        let walk = self.walk()?;
        let mut totals = vec![0.0; x.nrows()];
        totals
            .par_chunks_mut(SCORE_BLOCK)
            .zip(data.par_chunks(SCORE_BLOCK * width.max(1)))
            .for_each(|(totals, rows)| walk.add_path_lengths(rows, width, totals));
        let trees = self.trees.len() as f64;
        Ok(totals
            .into_iter()
            .map(|total| -(2f64.powf(-(total / trees) / normaliser)))
            .collect())
    }

    /// Whether each row is an outlier (its score is below the threshold).
    pub fn predict(&self, x: ArrayView2<'_, f64>) -> Result<Vec<bool>> {
        Ok(self
            .score_samples(x)?
            .into_iter()
            .map(|score| score < self.offset)
            .collect())
    }
}

/// Rows scored together, tree by tree (see [`IsolationForest::score_samples`]).
const SCORE_BLOCK: usize = 256;

/// Expected path length of an unsuccessful search in a binary search tree of `n` nodes,
/// `c(n) = 2 H(n - 1) - 2 (n - 1) / n`, with `c(1) = 0` and `c(2) = 1`.
pub fn average_path_length(n: usize) -> f64 {
    match n {
        0 | 1 => 0.0,
        2 => 1.0,
        _ => {
            let m = (n - 1) as f64;
            2.0 * (m.ln() + 0.577_215_664_901_532_9) - 2.0 * m / n as f64
        }
    }
}

fn grow(
    data: &[f64],
    width: usize,
    rows: Vec<usize>,
    depth_limit: usize,
    rng: &mut impl Rng,
) -> IsolationTree {
    let mut tree = IsolationTree {
        feature: Vec::new(),
        threshold: Vec::new(),
        left: Vec::new(),
        right: Vec::new(),
        leaf_path: Vec::new(),
    };
    // Depth-first with an explicit stack: (node index, rows, depth).
    let mut stack = vec![(push_node(&mut tree), rows, 0usize)];
    while let Some((node, rows, depth)) = stack.pop() {
        let split = if depth >= depth_limit || rows.len() < 2 {
            None
        } else {
            choose_split(data, width, &rows, rng)
        };
        match split {
            None => {
                tree.leaf_path[node] = depth as f64 + average_path_length(rows.len());
            }
            Some((feature, threshold)) => {
                let (left_rows, right_rows): (Vec<usize>, Vec<usize>) = rows
                    .iter()
                    .partition(|&&r| data[r * width + feature] < threshold);
                let left = push_node(&mut tree);
                let right = push_node(&mut tree);
                tree.feature[node] = feature as i32;
                tree.threshold[node] = threshold;
                tree.left[node] = left as u32;
                tree.right[node] = right as u32;
                stack.push((right, right_rows, depth + 1));
                stack.push((left, left_rows, depth + 1));
            }
        }
    }
    tree
}

fn push_node(tree: &mut IsolationTree) -> usize {
    tree.feature.push(-1);
    tree.threshold.push(0.0);
    tree.left.push(0);
    tree.right.push(0);
    tree.leaf_path.push(0.0);
    tree.feature.len() - 1
}

/// A random feature that is not constant over `rows`, and a threshold drawn uniformly in
/// `(min, max)`; `None` when every feature is constant (the node cannot be split).
fn choose_split(
    data: &[f64],
    width: usize,
    rows: &[usize],
    rng: &mut impl Rng,
) -> Option<(usize, f64)> {
    let mut candidates: Vec<usize> = (0..width).collect();
    while !candidates.is_empty() {
        let pick = rng.random_range(0..candidates.len());
        let feature = candidates.swap_remove(pick);
        let (low, high) = rows
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &r| {
                let v = data[r * width + feature];
                (lo.min(v), hi.max(v))
            });
        if high > low {
            let mut threshold = rng.random_range(low..high);
            if threshold <= low {
                // Keep at least one row on the left.
                threshold = f64::midpoint(low, high);
            }
            return Some((feature, threshold));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    fn cloud_with_outliers() -> Array2<f64> {
        let mut rows = Vec::new();
        for i in 0..300 {
            rows.extend([(i as f64 * 0.61).sin(), (i as f64 * 0.37).cos()]);
        }
        rows.extend([40.0, -35.0, -50.0, 45.0, 60.0, 60.0]);
        Array2::from_shape_vec((303, 2), rows).unwrap()
    }

    #[test]
    fn far_points_are_flagged_and_scores_are_in_range() {
        let x = cloud_with_outliers();
        let forest = IsolationForestParams {
            contamination: Some(0.01),
            ..IsolationForestParams::default()
        }
        .fit(x.view())
        .unwrap();
        let scores = forest.score_samples(x.view()).unwrap();
        assert!(scores.iter().all(|s| (-1.0..0.0).contains(s)));
        let flags = forest.predict(x.view()).unwrap();
        assert!(
            flags[300] && flags[301] && flags[302],
            "{:?}",
            &scores[298..]
        );
        let flagged = flags.iter().filter(|f| **f).count();
        assert!((3..=4).contains(&flagged), "{flagged}");
    }

    #[test]
    fn same_seed_same_forest() {
        let x = cloud_with_outliers();
        let params = IsolationForestParams::default();
        assert_eq!(params.fit(x.view()).unwrap(), params.fit(x.view()).unwrap());
        let other = IsolationForestParams {
            seed: 1,
            ..params.clone()
        };
        assert_ne!(params.fit(x.view()).unwrap(), other.fit(x.view()).unwrap());
    }

    /// A row's path length in a stored tree, walked node by node as the tree says.
    fn reference_path_length(tree: &IsolationTree, row: &[f64]) -> f64 {
        let mut node = 0;
        while tree.feature[node] >= 0 {
            node = if row[tree.feature[node] as usize] < tree.threshold[node] {
                tree.left[node] as usize
            } else {
                tree.right[node] as usize
            };
        }
        tree.leaf_path[node]
    }

    /// Seeded rows of five features on different scales, some far outside the training range.
    fn mixed_rows(n: usize, seed: u64) -> Array2<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let values = (0..n * 5)
            .map(|i| {
                let scale = [1.0, 10.0, 1_000.0, 0.01, 5.0][i % 5];
                let spread = if rng.random_bool(0.02) { 50.0 } else { 1.0 };
                rng.random_range(-1.0..1.0) * scale * spread
            })
            .collect();
        Array2::from_shape_vec((n, 5), values).unwrap()
    }

    #[test]
    fn scores_are_the_stored_trees_path_lengths_to_the_bit() {
        // The default forest is walked as complete trees; one of deeper trees (1,500 samples:
        // 11 levels) in the general layout.
        for (max_samples, complete) in [(None, true), (Some(1_500), false)] {
            let params = IsolationForestParams {
                max_samples,
                ..IsolationForestParams::default()
            };
            let forest = params.fit(mixed_rows(2_000, 3).view()).unwrap();
            assert_eq!(forest.walk().unwrap().uses_complete_trees(), complete);
            scores_match_the_stored_trees(&forest);
        }
    }

    fn scores_match_the_stored_trees(forest: &IsolationForest) {
        // Not a multiple of the rows walked in step nor of the scoring block; the rows also
        // hit split values exactly, which go right.
        let mut x = mixed_rows(1_003, 4);
        let tree = &forest.trees()[0];
        x[[0, tree.feature[0] as usize]] = tree.threshold[0];
        let normaliser = average_path_length(forest.max_samples);
        let expected: Vec<f64> = x
            .outer_iter()
            .map(|row| {
                let row = row.to_vec();
                let total: f64 = forest
                    .trees()
                    .iter()
                    .map(|tree| reference_path_length(tree, &row))
                    .fold(0.0, |sum, length| sum + length);
                -(2f64.powf(-(total / forest.trees().len() as f64) / normaliser))
            })
            .collect();
        let scores = forest.score_samples(x.view()).unwrap();
        assert_eq!(scores.len(), expected.len());
        for (row, (got, want)) in scores.iter().zip(&expected).enumerate() {
            assert_eq!(got.to_bits(), want.to_bits(), "row {row}: {got} vs {want}");
        }
    }

    #[test]
    fn a_forest_of_single_leaves_scores_every_row_alike() {
        // Constant columns cannot be split: every tree is its root, a leaf.
        let x = Array2::from_elem((50, 3), 7.0);
        let forest = IsolationForestParams::default().fit(x.view()).unwrap();
        assert!(forest.trees().iter().all(|tree| tree.feature == vec![-1]));
        let rows = mixed_rows(20, 1);
        let scores = forest
            .score_samples(rows.view().split_at(ndarray::Axis(1), 3).0)
            .unwrap();
        // Each root holds all 50 rows: path length c(50), the normaliser, so the score is
        // -2^-1 up to the rounding of the mean over the trees.
        assert!(scores.iter().all(|s| *s == scores[0]), "{scores:?}");
        assert!((scores[0] + 0.5).abs() < 1e-12, "{}", scores[0]);
    }

    #[test]
    fn the_scoring_layout_is_not_part_of_the_model_file() {
        let x = cloud_with_outliers();
        let forest = IsolationForestParams::default().fit(x.view()).unwrap();
        let before = serde_json::to_string(&forest).unwrap();
        let scores = forest.score_samples(x.view()).unwrap();
        assert_eq!(serde_json::to_string(&forest).unwrap(), before);
        let read_back: IsolationForest = serde_json::from_str(&before).unwrap();
        assert_eq!(read_back, forest);
        assert_eq!(read_back.score_samples(x.view()).unwrap(), scores);
    }

    #[test]
    fn a_damaged_tree_is_an_error_not_a_wrong_score() {
        let x = cloud_with_outliers();
        let forest = IsolationForestParams::default().fit(x.view()).unwrap();
        let damage = |edit: &dyn Fn(&mut serde_json::Value)| {
            let mut value = serde_json::to_value(&forest).unwrap();
            edit(&mut value["trees"][3]);
            let damaged: IsolationForest = serde_json::from_value(value).unwrap();
            damaged.score_samples(x.view()).unwrap_err().to_string()
        };
        // A split on a column the rows do not have; `prepare` finds it before any scoring.
        let mut value = serde_json::to_value(&forest).unwrap();
        value["trees"][3]["feature"][0] = 2.into();
        let damaged: IsolationForest = serde_json::from_value(value).unwrap();
        assert!(damaged.prepare().is_err());
        assert!(forest.prepare().is_ok());
        let error = damage(&|tree| tree["feature"][0] = 2.into());
        assert!(error.contains("isolation tree 3"), "{error}");
        // A child pointing back at the root: the walk would never end.
        let error = damage(&|tree| tree["left"][0] = 0.into());
        assert!(error.contains("isolation tree 3"), "{error}");
        // A child beyond the stored nodes.
        let error = damage(&|tree| tree["right"][0] = 100_000.into());
        assert!(error.contains("isolation tree 3"), "{error}");
    }

    #[test]
    fn average_path_length_matches_the_formula() {
        assert_eq!(average_path_length(1), 0.0);
        assert_eq!(average_path_length(2), 1.0);
        // scikit-learn: _average_path_length([256]) == 10.244770920119917
        assert!((average_path_length(256) - 10.244_770_920_119_917).abs() < 1e-12);
    }

    #[test]
    fn contamination_out_of_range_is_refused() {
        let params = IsolationForestParams {
            contamination: Some(0.7),
            ..IsolationForestParams::default()
        };
        assert!(params.check().is_err());
    }
}
