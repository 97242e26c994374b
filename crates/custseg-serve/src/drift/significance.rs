//! Whether a difference between the reference and a window is statistically clear, with
//! p-values that hold at every window size.
//!
//! A feature is tested for a change of location (Mann-Whitney) and of shape
//! (Kolmogorov-Smirnov) at once. Below [`PERMUTATION_BELOW`] rows the p-value is a permutation
//! test of the smaller of the two asymptotic p-values (exact in distribution whatever the ties
//! or the sizes); above, the two asymptotic p-values are combined by Bonferroni. The segment
//! shares are tested the same way with the chi-square statistic of homogeneity.
//!
//! Written by hand: no Rust crate offers permutation two-sample tests over a shared pooled
//! ordering, and this is what lets one permutation cost O(N) instead of a sort.

use rand::Rng;
use rand::SeedableRng;
use rand::rngs::SmallRng;

use super::statistics::{
    chi_square_homogeneity, chi_square_statistic, kolmogorov_sf, normal_two_sided_p,
};

/// Windows with fewer rows than this get permutation p-values.
pub const PERMUTATION_BELOW: usize = 2000;

/// Permutations of a permutation test (its smallest p-value is 1 / (PERMUTATIONS + 1)).
pub const PERMUTATIONS: usize = 999;

/// The reference and the current sample merged in order, with their ties grouped.
pub(crate) struct Pooled {
    /// For each position of the pooled order, its average rank (1-based, ties averaged).
    ranks: Vec<f64>,
    /// End (exclusive) of each group of equal values.
    group_ends: Vec<usize>,
    /// Σ (t³ - t) over the tie groups (the Mann-Whitney variance's tie correction).
    tie_term: f64,
    /// Which positions the current sample holds.
    current: Vec<bool>,
    m: usize,
    n: usize,
}

impl Pooled {
    /// Merges two sorted samples.
    pub(crate) fn new(reference: &[f64], current: &[f64]) -> Self {
        let (m, n) = (reference.len(), current.len());
        let mut values = Vec::with_capacity(m + n);
        let mut is_current = Vec::with_capacity(m + n);
        let (mut i, mut j) = (0, 0);
        while i < m || j < n {
            if j == n || (i < m && reference[i] <= current[j]) {
                values.push(reference[i]);
                is_current.push(false);
                i += 1;
            } else {
                values.push(current[j]);
                is_current.push(true);
                j += 1;
            }
        }
        let mut ranks = vec![0.0; values.len()];
        let mut group_ends = Vec::new();
        let mut tie_term = 0.0;
        let mut start = 0;
        while start < values.len() {
            let mut end = start + 1;
            while end < values.len() && values[end] == values[start] {
                end += 1;
            }
            let rank = (start + end + 1) as f64 / 2.0;
            ranks[start..end].fill(rank);
            let t = (end - start) as f64;
            tie_term += t * t * t - t;
            group_ends.push(end);
            start = end;
        }
        Self {
            ranks,
            group_ends,
            tie_term,
            current: is_current,
            m,
            n,
        }
    }

    /// The KS statistic and the Mann-Whitney score of the labelling in `self.current`.
    fn scores(&self) -> (f64, f64) {
        let (m, n) = (self.m as f64, self.n as f64);
        let (mut start, mut r, mut c, mut d) = (0, 0usize, 0usize, 0.0f64);
        let mut rank_sum = 0.0;
        for &end in &self.group_ends {
            for position in start..end {
                if self.current[position] {
                    c += 1;
                    rank_sum += self.ranks[position];
                } else {
                    r += 1;
                }
            }
            d = d.max((r as f64 / m - c as f64 / n).abs());
            start = end;
        }
        let u = rank_sum - n * (n + 1.0) / 2.0;
        let total = m + n;
        let variance =
            n * m / 12.0 * ((total + 1.0) - self.tie_term / (total * (total - 1.0)).max(1.0));
        let deviation = u - n * m / 2.0;
        // Continuity correction, as scipy's default.
        let corrected = deviation - 0.5 * deviation.signum();
        let z = if variance > 0.0 {
            corrected / variance.sqrt()
        } else {
            0.0
        };
        (d, z)
    }

    /// Σ of the ranks the current sample holds.
    pub(crate) fn current_rank_sum(&self) -> f64 {
        self.ranks
            .iter()
            .zip(&self.current)
            .filter(|(_, c)| **c)
            .map(|(r, _)| r)
            .sum()
    }

    /// KS statistic and Mann-Whitney score of the samples as given.
    pub(crate) fn observed_scores(&self) -> (f64, f64) {
        self.scores()
    }

    fn p_values(&self, d: f64, z: f64) -> (f64, f64) {
        let en = (self.m as f64 * self.n as f64) / (self.m + self.n) as f64;
        (kolmogorov_sf(en.sqrt() * d), normal_two_sided_p(z))
    }
}

/// One feature's test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TwoSampleTest {
    /// Kolmogorov-Smirnov statistic.
    pub ks_statistic: f64,
    /// Mann-Whitney normal score (positive: the window's values tend to be larger).
    pub mann_whitney_z: f64,
    /// The test's p-value.
    pub p_value: f64,
    /// Whether the p-value comes from permutations.
    pub permutation: bool,
}

/// Tests `current` against `reference`, both sorted; `seed` makes the permutations repeatable.
pub fn two_sample_test(reference: &[f64], current: &[f64], seed: u64) -> TwoSampleTest {
    let mut pooled = Pooled::new(reference, current);
    let (d, z) = pooled.scores();
    let (p_ks, p_mw) = pooled.p_values(d, z);
    let observed = p_ks.min(p_mw);
    if current.len() >= PERMUTATION_BELOW || reference.is_empty() || current.is_empty() {
        return TwoSampleTest {
            ks_statistic: d,
            mann_whitney_z: z,
            p_value: (2.0 * observed).min(1.0),
            permutation: false,
        };
    }
    let total = pooled.current.len();
    let mut order: Vec<usize> = (0..total).collect();
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut as_extreme = 0usize;
    for _ in 0..PERMUTATIONS {
        pooled.current.fill(false);
        // A partial Fisher-Yates shuffle: the first n places are a uniform random subset.
        for i in 0..pooled.n {
            let k = rng.random_range(i..total);
            order.swap(i, k);
            pooled.current[order[i]] = true;
        }
        let (d, z) = pooled.scores();
        let (p_ks, p_mw) = pooled.p_values(d, z);
        if p_ks.min(p_mw) <= observed {
            as_extreme += 1;
        }
    }
    TwoSampleTest {
        ks_statistic: d,
        mann_whitney_z: z,
        p_value: (1 + as_extreme) as f64 / (PERMUTATIONS + 1) as f64,
        permutation: true,
    }
}

/// Tests the segment counts of a window against the training counts (chi-square of
/// homogeneity; by permutation below [`PERMUTATION_BELOW`] predictions). Returns the
/// statistic, the p-value and whether it came from permutations.
pub fn segment_test(reference: &[usize], current: &[usize], seed: u64) -> (f64, f64, bool) {
    let as_f64 = |v: &[usize]| v.iter().map(|c| *c as f64).collect::<Vec<f64>>();
    let (r, c) = (as_f64(reference), as_f64(current));
    let (statistic, p) = chi_square_homogeneity(&r, &c);
    let n: usize = current.iter().sum();
    if n >= PERMUTATION_BELOW || n == 0 {
        return (statistic, p, false);
    }
    // Every customer of both samples as its segment's index, then random splits.
    let mut labels: Vec<usize> = reference
        .iter()
        .zip(current)
        .enumerate()
        .flat_map(|(k, (a, b))| std::iter::repeat_n(k, a + b))
        .collect();
    let total = labels.len();
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut as_extreme = 0usize;
    let mut picked = vec![0.0; reference.len()];
    for _ in 0..PERMUTATIONS {
        picked.fill(0.0);
        for i in 0..n {
            let k = rng.random_range(i..total);
            labels.swap(i, k);
            picked[labels[i]] += 1.0;
        }
        let rest: Vec<f64> = r
            .iter()
            .zip(&c)
            .zip(&picked)
            .map(|((a, b), p)| a + b - p)
            .collect();
        if chi_square_statistic(&rest, &picked) >= statistic - 1e-9 * statistic.abs() {
            as_extreme += 1;
        }
    }
    (
        statistic,
        (1 + as_extreme) as f64 / (PERMUTATIONS + 1) as f64,
        true,
    )
}

/// Holm's step-down adjustment: adjusted p-values, in the input order. Rejecting where the
/// adjusted p-value is at most α keeps the chance of any false alarm among them at most α.
pub fn holm(p_values: &[f64]) -> Vec<f64> {
    let k = p_values.len();
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|a, b| p_values[*a].total_cmp(&p_values[*b]));
    let mut adjusted = vec![1.0; k];
    let mut running = 0.0f64;
    for (rank, &index) in order.iter().enumerate() {
        running = running.max(((k - rank) as f64 * p_values[index]).min(1.0));
        adjusted[index] = running;
    }
    adjusted
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(mut v: Vec<f64>) -> Vec<f64> {
        v.sort_by(f64::total_cmp);
        v
    }

    #[test]
    fn holm_matches_the_textbook_example() {
        // p = 0.01, 0.04, 0.03, 0.005 -> sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1,
        // made monotone: 0.02, 0.03, 0.06, 0.06.
        let adjusted = holm(&[0.01, 0.04, 0.03, 0.005]);
        let expected = [0.03, 0.06, 0.06, 0.02];
        for (a, e) in adjusted.iter().zip(expected) {
            assert!((a - e).abs() < 1e-12, "{adjusted:?}");
        }
    }

    #[test]
    fn permutation_p_values_are_uniform_under_the_null_and_small_under_a_shift() {
        // 400 windows of 50 heavily tied values drawn like the reference: about 5 % of the
        // p-values fall at or below 0.05 (a calibrated test), and few below 0.01.
        let mut rng = SmallRng::seed_from_u64(11);
        let reference = sorted(
            (0..800)
                .map(|_| f64::from(rng.random_range(0..6u8)))
                .collect(),
        );
        let mut at_5 = 0;
        let trials = 400;
        for t in 0..trials {
            let current = sorted(
                (0..50)
                    .map(|_| f64::from(rng.random_range(0..6u8)))
                    .collect(),
            );
            let test = two_sample_test(&reference, &current, t);
            assert!(test.permutation);
            if test.p_value <= 0.05 {
                at_5 += 1;
            }
        }
        let rate = f64::from(at_5) / f64::from(trials as u32);
        assert!((0.02..=0.085).contains(&rate), "false alarm rate {rate}");
        let shifted = sorted(
            (0..50)
                .map(|_| f64::from(rng.random_range(1..7u8)))
                .collect(),
        );
        let test = two_sample_test(&reference, &shifted, 1);
        assert!(
            test.p_value <= 0.002 && test.mann_whitney_z > 3.0,
            "{test:?}"
        );
    }

    #[test]
    fn large_windows_use_the_asymptotic_tests() {
        let reference: Vec<f64> = (0..3000).map(f64::from).collect();
        let current: Vec<f64> = (0..2500).map(|i| f64::from(i) * 1.2 + 300.0).collect();
        let test = two_sample_test(&reference, &current, 0);
        assert!(!test.permutation);
        assert!(test.p_value < 1e-10 && test.ks_statistic > 0.1);
    }

    #[test]
    fn segment_counts_are_tested_exactly_when_small() {
        let reference = [500, 300, 200];
        let (_, p_same, permutation) = segment_test(&reference, &[50, 30, 20], 4);
        assert!(permutation && p_same > 0.5);
        let (_, p_moved, _) = segment_test(&reference, &[20, 30, 50], 4);
        assert!(p_moved <= 0.002);
        let (statistic, p_big, permutation) = segment_test(&reference, &[1000, 600, 400], 4);
        assert!(!permutation && statistic.abs() < 1e-9 && (p_big - 1.0).abs() < 1e-12);
    }
}
