//! The trees of the usual forest (at most [`DEPTH`] levels, rows of at most [`WIDTH`] values)
//! laid out as complete binary trees in fixed-size arrays, for the fastest walk.
//!
//! Node `i`'s children are `2i + 1` and `2i + 2`, so a node needs no child index, and a walk
//! always takes [`DEPTH`] steps: a leaf above the bottom level is continued by splits that
//! send every finite value left (an infinite threshold) down to its leftmost descendant on the
//! bottom level, where its path length is stored. Every index is masked to the length of a
//! fixed-size array, and a row is copied into a fixed-size array too, so the compiler drops
//! every bounds check from the walk without `unsafe` (which this crate forbids). The default
//! forest (`max_samples` 256) has trees of at most 8 levels, and the customer features are 15
//! columns; other forests use [`super::walk`]'s general layout.
//!
//! Measured with `custseg bench predict --repeat 300` on 1,000 real customers and the model
//! trained on the UCI data (100 trees), four alternating runs: the forest's scores took
//! 0.75-0.82 ms in the general layout and 0.56-0.59 ms in this one.

use super::walk::LANES;

/// Levels of splits a complete tree holds.
pub(super) const DEPTH: usize = 8;
/// Nodes above the bottom level (`2^DEPTH - 1`, rounded up to a power of two for masking).
const SPLITS: usize = 1 << DEPTH;
/// Values a row may have.
pub(super) const WIDTH: usize = 16;

/// One tree as a complete binary tree of [`DEPTH`] levels.
#[derive(Debug, Clone)]
pub(super) struct CompleteTree {
    thresholds: Box<[f64; SPLITS]>,
    features: Box<[u8; SPLITS]>,
    /// Path length of each bottom-level position (`i - (2^DEPTH - 1)`).
    leaf_path: Box<[f64; SPLITS]>,
}

/// A row padded to [`WIDTH`] values.
pub(super) type PaddedRow = [f64; WIDTH];

impl CompleteTree {
    /// An empty tree, filled by [`Self::split`] and [`Self::leaf`].
    pub(super) fn new() -> Self {
        Self {
            thresholds: Box::new([f64::INFINITY; SPLITS]),
            features: Box::new([0; SPLITS]),
            leaf_path: Box::new([0.0; SPLITS]),
        }
    }

    /// Sets node `index` (heap numbering: the root is 0, the children of `i` are `2i + 1`
    /// and `2i + 2`) to split on `feature` at `threshold`; returns its children's indices.
    pub(super) fn split(&mut self, index: usize, feature: u8, threshold: f64) -> (usize, usize) {
        self.thresholds[index & (SPLITS - 1)] = threshold;
        self.features[index & (SPLITS - 1)] = feature;
        (2 * index + 1, 2 * index + 2)
    }

    /// Makes node `index`, `depth` levels below the root, a leaf of path length `path`: its
    /// leftmost descendant on the bottom level holds it (the thresholds on the way there are
    /// infinite already).
    pub(super) fn leaf(&mut self, mut index: usize, depth: usize, path: f64) {
        for _ in depth..DEPTH {
            index = 2 * index + 1;
        }
        self.leaf_path[(index - (SPLITS - 1)) & (SPLITS - 1)] = path;
    }

    /// Adds this tree's path length of each row of `rows` to its entry of `totals`.
    #[inline]
    pub(super) fn add_path_lengths(&self, rows: &[PaddedRow], totals: &mut [f64]) {
        let mut row_blocks = rows.chunks_exact(LANES);
        let mut total_blocks = totals.chunks_exact_mut(LANES);
        for (block, sums) in (&mut row_blocks).zip(&mut total_blocks) {
            let mut at = [0usize; LANES];
            for _ in 0..DEPTH {
                for (node, row) in at.iter_mut().zip(block) {
                    *node = self.step(*node, row);
                }
            }
            for (sum, node) in sums.iter_mut().zip(at) {
                *sum += self.path(node);
            }
        }
        for (row, sum) in row_blocks
            .remainder()
            .iter()
            .zip(total_blocks.into_remainder())
        {
            let mut node = 0;
            for _ in 0..DEPTH {
                node = self.step(node, row);
            }
            *sum += self.path(node);
        }
    }

    /// The child of `node` that `row` goes to: right when its value is at least the threshold.
    #[inline(always)]
    fn step(&self, node: usize, row: &PaddedRow) -> usize {
        let split = node & (SPLITS - 1);
        let value = row[usize::from(self.features[split]) & (WIDTH - 1)];
        2 * node + 1 + usize::from(value >= self.thresholds[split])
    }

    /// The path length stored at bottom-level node `node`.
    #[inline(always)]
    fn path(&self, node: usize) -> f64 {
        self.leaf_path[node.wrapping_sub(SPLITS - 1) & (SPLITS - 1)]
    }
}
