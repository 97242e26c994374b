//! The trees of a fitted forest laid out for scoring many rows: every row takes the same
//! number of steps down a tree, and a step is arithmetic, not a branch.
//!
//! A row's walk in the stored trees branches on every split, and whether it goes left or
//! right is a coin toss to the CPU: about half the steps are mispredicted branches, which
//! cost more than the rest of the walk. Here the nodes are renumbered breadth-first so each
//! node's children sit side by side (`left`, `left + 1`) and the next node is
//! `left + (value >= threshold)`, with no branch. A leaf points to itself with an infinite
//! threshold, so every walk can take the tree's full depth of steps: rows that reached a leaf
//! early stay there. Several rows walk a tree in step; their steps are independent, so the
//! CPU overlaps their memory loads.
//!
//! The path lengths are those of the stored trees, added per row in tree order, so the
//! scores are the same to the bit.

use super::IsolationTree;
use super::complete::{self, CompleteTree, PaddedRow};
use crate::error::{Error, Result};

/// Rows that walk a tree in step.
pub(super) const LANES: usize = 8;

/// One node: the split, and the first of its two adjacent children (itself for a leaf).
#[derive(Debug, Clone, Copy)]
struct Node {
    threshold: f64,
    feature: u32,
    left: u32,
}

/// One tree, renumbered breadth-first.
#[derive(Debug, Clone)]
pub(super) struct WalkTree {
    nodes: Vec<Node>,
    /// Per node: for a leaf, its depth plus the expected remaining path length.
    leaf_path: Vec<f64>,
    /// Steps that take every row from the root to a leaf: the depth of the deepest leaf.
    depth: usize,
}

/// A forest's trees laid out for scoring (see the module documentation): one layout or the
/// other, never both.
#[derive(Debug, Clone)]
pub(super) enum WalkForest {
    /// Trees of at most [`complete::DEPTH`] levels over rows of at most [`complete::WIDTH`]
    /// values, as complete binary trees (see [`complete`]).
    Complete(Vec<CompleteTree>),
    /// Any other forest, renumbered breadth-first.
    General(Vec<WalkTree>),
}

impl WalkForest {
    /// Lays out `trees`, whose rows have `width` values; a tree whose splits name a column
    /// beyond them, or whose nodes do not form a tree, is refused (a damaged model file).
    pub(super) fn new(trees: &[IsolationTree], width: usize) -> Result<Self> {
        let trees = trees
            .iter()
            .enumerate()
            .map(|(index, tree)| {
                WalkTree::new(tree, width).ok_or_else(|| {
                    Error::Data(format!(
                        "isolation tree {index} is damaged: its nodes do not form a tree of \
                         splits over {width} columns"
                    ))
                })
            })
            .collect::<Result<Vec<WalkTree>>>()?;
        let fits_complete =
            width <= complete::WIDTH && trees.iter().all(|tree| tree.depth <= complete::DEPTH);
        Ok(if fits_complete {
            Self::Complete(trees.iter().map(WalkTree::complete).collect())
        } else {
            Self::General(trees)
        })
    }

    /// Whether scoring walks the complete-tree layout.
    #[cfg(test)]
    pub(super) fn uses_complete_trees(&self) -> bool {
        matches!(self, Self::Complete(_))
    }

    /// Adds, for each row of `rows` (`width` values each, all finite), the path lengths of
    /// every tree to its entry of `totals`, tree after tree.
    pub(super) fn add_path_lengths(&self, rows: &[f64], width: usize, totals: &mut [f64]) {
        let width = width.max(1);
        match self {
            Self::Complete(trees) => {
                let padded: Vec<PaddedRow> = rows
                    .chunks_exact(width)
                    .map(|row| {
                        let mut padded = [0.0; complete::WIDTH];
                        padded[..width].copy_from_slice(row);
                        padded
                    })
                    .collect();
                for tree in trees {
                    tree.add_path_lengths(&padded, totals);
                }
            }
            Self::General(trees) => {
                for tree in trees {
                    tree.add_path_lengths(rows, width, totals);
                }
            }
        }
    }
}

impl WalkTree {
    /// `None` when `tree` is not a tree over `width` columns.
    fn new(tree: &IsolationTree, width: usize) -> Option<Self> {
        let stored = tree.feature.len();
        let consistent = [tree.threshold.len(), tree.left.len(), tree.right.len()]
            .iter()
            .chain([&tree.leaf_path.len()])
            .all(|&len| len == stored);
        if stored == 0 || !consistent {
            return None;
        }
        // Breadth-first: `order[new] = old`, and each split's children get the next two ids.
        let mut order = vec![0usize];
        let mut depth_of = vec![0usize];
        let mut nodes = Vec::with_capacity(tree.feature.len());
        let mut leaf_path = Vec::with_capacity(tree.feature.len());
        let mut next = 0;
        while next < order.len() {
            let old = order[next];
            let id = next as u32;
            // More nodes reached than stored: a node is reached twice (a cycle, or shared).
            if next >= stored {
                return None;
            }
            if tree.feature[old] < 0 {
                nodes.push(Node {
                    threshold: f64::INFINITY,
                    feature: 0,
                    left: id,
                });
                leaf_path.push(tree.leaf_path[old]);
            } else {
                let (left, right) = (tree.left[old] as usize, tree.right[old] as usize);
                if tree.feature[old] as usize >= width || left >= stored || right >= stored {
                    return None;
                }
                nodes.push(Node {
                    threshold: tree.threshold[old],
                    feature: tree.feature[old] as u32,
                    left: order.len() as u32,
                });
                leaf_path.push(0.0);
                order.push(left);
                order.push(right);
                depth_of.push(depth_of[next] + 1);
                depth_of.push(depth_of[next] + 1);
            }
            next += 1;
        }
        Some(Self {
            nodes,
            leaf_path,
            depth: depth_of.into_iter().max().unwrap_or(0),
        })
    }

    /// Adds this tree's path length for each row of `rows` (`width` values each) to its
    /// entry of `totals`, [`LANES`] rows in step.
    fn add_path_lengths(&self, rows: &[f64], width: usize, totals: &mut [f64]) {
        let mut row_blocks = rows.chunks_exact(LANES * width);
        let mut total_blocks = totals.chunks_exact_mut(LANES);
        for (block, sums) in (&mut row_blocks).zip(&mut total_blocks) {
            let mut at = [0u32; LANES];
            for _ in 0..self.depth {
                for (lane, node) in at.iter_mut().enumerate() {
                    *node = self.step(*node, block, lane * width);
                }
            }
            for (sum, node) in sums.iter_mut().zip(at) {
                *sum += self.leaf_path[node as usize];
            }
        }
        let rest = row_blocks.remainder().chunks_exact(width);
        for (row, sum) in rest.zip(total_blocks.into_remainder()) {
            let mut node = 0;
            for _ in 0..self.depth {
                node = self.step(node, row, 0);
            }
            *sum += self.leaf_path[node as usize];
        }
    }

    /// This tree as a complete binary tree; its depth is at most [`complete::DEPTH`] and its
    /// split columns lie below [`complete::WIDTH`].
    fn complete(&self) -> CompleteTree {
        let mut tree = CompleteTree::new();
        // (this layout's node, the complete tree's node, its depth)
        let mut pending = vec![(0usize, 0usize, 0usize)];
        while let Some((id, index, depth)) = pending.pop() {
            let node = self.nodes[id];
            let first_child = node.left as usize;
            // A leaf points to itself; a split's children come after it.
            if first_child == id {
                tree.leaf(index, depth, self.leaf_path[id]);
            } else {
                let feature = u8::try_from(node.feature).unwrap_or(u8::MAX);
                let (left, right) = tree.split(index, feature, node.threshold);
                pending.push((first_child, left, depth + 1));
                pending.push((first_child + 1, right, depth + 1));
            }
        }
        tree
    }

    /// The node after `node` for the row starting at `rows[start]`: no branch, and a leaf
    /// stays where it is (a finite value is always below its infinite threshold). Split
    /// columns were checked to lie within a row.
    #[inline(always)]
    fn step(&self, node: u32, rows: &[f64], start: usize) -> u32 {
        let node = self.nodes[node as usize];
        let value = rows[start + node.feature as usize];
        node.left + u32::from(value >= node.threshold)
    }
}
