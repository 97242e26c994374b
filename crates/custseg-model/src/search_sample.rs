//! The customers the K-Means search fits on when there are too many for one pass of the
//! grid: a stratified, seeded sample.
//!
//! Strata are the 125 (R, F, M) quintile cells, so small but valuable groups (recent,
//! frequent, high-spend customers) are represented in their share, not left to chance.
//! Every customer is still assigned to a segment afterwards, in one pass over all rows.

use rand::SeedableRng;
use rand::rngs::SmallRng;
use rand::seq::SliceRandom;

/// Positions (sorted) of a sample of about `size` of the rows whose strata are `strata`.
/// Each stratum keeps its share of rows, rounded, and at least one; rows are drawn
/// without replacement with a generator seeded by `seed`. All rows when `size` is at
/// least their number.
pub fn stratified_sample(strata: &[u16], size: usize, seed: u64) -> Vec<usize> {
    let total = strata.len();
    if size >= total {
        return (0..total).collect();
    }
    let mut members: std::collections::BTreeMap<u16, Vec<usize>> = Default::default();
    for (position, &stratum) in strata.iter().enumerate() {
        members.entry(stratum).or_default().push(position);
    }
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut sample = Vec::with_capacity(size + members.len());
    for rows in members.values_mut() {
        let share = (rows.len() as f64 * size as f64 / total as f64).round() as usize;
        let take = share.clamp(1, rows.len());
        rows.shuffle(&mut rng);
        sample.extend_from_slice(&rows[..take]);
    }
    sample.sort_unstable();
    sample
}

/// The stratum of an (R, F, M) score, each 1 to 5.
pub fn rfm_stratum(r: u8, f: u8, m: u8) -> u16 {
    (u16::from(r.saturating_sub(1)) * 5 + u16::from(f.saturating_sub(1))) * 5
        + u16::from(m.saturating_sub(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stratum_keeps_its_share() {
        // 90 % in stratum 0, 9 % in 1, 1 % in 2
        let strata: Vec<u16> = (0..100_000)
            .map(|i| match i % 100 {
                0 => 2,
                1..=9 => 1,
                _ => 0,
            })
            .collect();
        let sample = stratified_sample(&strata, 10_000, 7);
        let count = |s: u16| sample.iter().filter(|&&i| strata[i] == s).count();
        assert_eq!((count(0), count(1), count(2)), (9_000, 900, 100));
        assert!(sample.windows(2).all(|w| w[0] < w[1]), "sorted, no repeats");
        assert_eq!(sample, stratified_sample(&strata, 10_000, 7), "seeded");
        assert_ne!(sample, stratified_sample(&strata, 10_000, 8));
    }

    #[test]
    fn a_tiny_stratum_is_never_dropped_and_small_tables_are_kept_whole() {
        let mut strata = vec![0u16; 50_000];
        strata[123] = 9;
        let sample = stratified_sample(&strata, 1_000, 1);
        assert!(sample.contains(&123));
        assert_eq!(stratified_sample(&strata[..500], 1_000, 1).len(), 500);
    }

    #[test]
    fn strata_cover_the_125_cells() {
        assert_eq!(rfm_stratum(1, 1, 1), 0);
        assert_eq!(rfm_stratum(5, 5, 5), 124);
        assert_eq!(rfm_stratum(2, 1, 1), 25);
    }
}
