//! Stable segment identity across retrains: match a new model's segments to a previous
//! model's by minimum total centroid distance, and count who moved where.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

/// Minimum-cost assignment of `rows` to distinct columns of `cost` (`rows x columns`); a row
/// is left unassigned (`None`) only when there are more rows than columns.
///
/// Exact dynamic programming over subsets of columns, `O(rows x columns x 2^columns)`: with at
/// most 16 segments that is a few million steps, and it needs no numeric tolerance, unlike the
/// Hungarian algorithm on floating-point costs. More than 16 columns falls back to greedy.
pub fn assign(cost: &[Vec<f64>]) -> Vec<Option<usize>> {
    let rows = cost.len();
    let columns = cost.first().map_or(0, Vec::len);
    if columns > 16 {
        return greedy(cost);
    }
    // best[mask] after processing i rows: minimal cost with exactly the columns in mask used.
    let states = 1usize << columns;
    let mut best = vec![f64::INFINITY; states];
    best[0] = 0.0;
    // For each row and reached mask: the mask before it and the column it took (if any).
    type Step = Option<(usize, Option<usize>)>;
    let mut choice: Vec<Vec<Step>> = vec![vec![None; states]; rows];
    let skips_allowed = rows.saturating_sub(columns);
    for (row, row_costs) in cost.iter().enumerate() {
        let mut next = vec![f64::INFINITY; states];
        for mask in 0..states {
            if !best[mask].is_finite() {
                continue;
            }
            let used = mask.count_ones() as usize;
            // Leaving this row unassigned is allowed while skips remain.
            if row - used < skips_allowed && best[mask] < next[mask] {
                next[mask] = best[mask];
                choice[row][mask] = Some((mask, None));
            }
            for (column, c) in row_costs.iter().enumerate() {
                if mask & (1 << column) == 0 {
                    let to = mask | (1 << column);
                    let total = best[mask] + c;
                    if total < next[to] {
                        next[to] = total;
                        choice[row][to] = Some((mask, Some(column)));
                    }
                }
            }
        }
        best = next;
    }
    let mut mask = (0..states)
        .filter(|m| best[*m].is_finite())
        .min_by(|a, b| best[*a].total_cmp(&best[*b]))
        .unwrap_or(0);
    let mut result = vec![None; rows];
    for row in (0..rows).rev() {
        if let Some((previous, column)) = choice[row][mask] {
            result[row] = column;
            mask = previous;
        }
    }
    result
}

fn greedy(cost: &[Vec<f64>]) -> Vec<Option<usize>> {
    let mut pairs: Vec<(f64, usize, usize)> = cost
        .iter()
        .enumerate()
        .flat_map(|(r, row)| row.iter().enumerate().map(move |(c, v)| (*v, r, c)))
        .collect();
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut result = vec![None; cost.len()];
    let mut taken = std::collections::HashSet::new();
    for (_, r, c) in pairs {
        if result[r].is_none() && taken.insert(c) {
            result[r] = Some(c);
        }
    }
    result
}

/// Label for customers present on only one side of a transition matrix.
pub const ABSENT: &str = "(absent)";

/// Customer counts from each previous segment to each new one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transitions {
    /// `(from, to, customers)`, sorted by from then to.
    pub cells: Vec<(String, String, usize)>,
    /// Customers whose segment changed (including arrivals and departures).
    pub moved: usize,
    /// Customers in the same segment.
    pub stayed: usize,
}

/// Counts moves between two assignments keyed by customer.
pub fn transitions(previous: &HashMap<i64, String>, current: &HashMap<i64, String>) -> Transitions {
    let mut counts: BTreeMap<(String, String), usize> = BTreeMap::new();
    let (mut moved, mut stayed) = (0, 0);
    for (customer, to) in current {
        let from = previous.get(customer).map_or(ABSENT, String::as_str);
        *counts.entry((from.to_owned(), to.clone())).or_default() += 1;
        if from == to { stayed += 1 } else { moved += 1 }
    }
    for (customer, from) in previous {
        if !current.contains_key(customer) {
            *counts.entry((from.clone(), ABSENT.to_owned())).or_default() += 1;
            moved += 1;
        }
    }
    Transitions {
        cells: counts.into_iter().map(|((f, t), n)| (f, t, n)).collect(),
        moved,
        stayed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignment_finds_the_global_minimum_not_the_greedy_one() {
        // Greedy takes (0, 0) at cost 1 and must then pay 100; the optimum pays 2 + 2.
        let cost = vec![vec![1.0, 2.0], vec![2.0, 100.0]];
        assert_eq!(assign(&cost), vec![Some(1), Some(0)]);
        assert_eq!(greedy(&cost), vec![Some(0), Some(1)]);
    }

    #[test]
    fn extra_rows_stay_unassigned_and_extra_columns_unused() {
        let cost = vec![vec![5.0], vec![1.0], vec![3.0]];
        assert_eq!(assign(&cost), vec![None, Some(0), None]);
        let wide = vec![vec![3.0, 1.0, 2.0]];
        assert_eq!(assign(&wide), vec![Some(1)]);
    }

    #[test]
    fn transitions_count_moves_arrivals_and_departures() {
        let previous: HashMap<i64, String> =
            [(1, "A".into()), (2, "A".into()), (3, "B".into())].into();
        let current: HashMap<i64, String> =
            [(1, "A".into()), (2, "B".into()), (4, "B".into())].into();
        let t = transitions(&previous, &current);
        assert_eq!(t.stayed, 1);
        assert_eq!(t.moved, 3);
        assert!(t.cells.contains(&("A".into(), "B".into(), 1)));
        assert!(t.cells.contains(&(ABSENT.into(), "B".into(), 1)));
        assert!(t.cells.contains(&("B".into(), ABSENT.into(), 1)));
    }
}
