//! Adjusted Rand index: agreement of two labelings of the same rows, corrected for chance.
//! 1 means identical partitions (whatever the label numbers), about 0 means chance agreement.

use std::collections::HashMap;

use super::labels::dense;
use crate::error::{Error, Result};

/// Adjusted Rand index between two labelings.
pub fn adjusted_rand_index(a: &[usize], b: &[usize]) -> Result<f64> {
    if a.len() != b.len() {
        return Err(Error::Data(format!(
            "labelings differ in length: {} and {}",
            a.len(),
            b.len()
        )));
    }
    let n = a.len() as f64;
    let (a, ka) = dense(a);
    let (b, kb) = dense(b);
    let mut table: HashMap<(usize, usize), f64> = HashMap::new();
    let mut rows = vec![0.0; ka];
    let mut columns = vec![0.0; kb];
    for (&x, &y) in a.iter().zip(&b) {
        *table.entry((x, y)).or_default() += 1.0;
        rows[x] += 1.0;
        columns[y] += 1.0;
    }
    let pairs = |m: f64| m * (m - 1.0) / 2.0;
    let index: f64 = table.values().map(|&m| pairs(m)).sum();
    let row_pairs: f64 = rows.iter().map(|&m| pairs(m)).sum();
    let column_pairs: f64 = columns.iter().map(|&m| pairs(m)).sum();
    let expected = row_pairs * column_pairs / pairs(n);
    let maximum = (row_pairs + column_pairs) / 2.0;
    // scikit-learn's special case: both labelings trivial (one cluster, or all singletons).
    if maximum == expected {
        return Ok(1.0);
    }
    Ok((index - expected) / (maximum - expected))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_partitions_score_one_whatever_the_numbers() {
        let score = adjusted_rand_index(&[0, 0, 1, 1, 2], &[5, 5, 3, 3, 9]).unwrap();
        assert!((score - 1.0).abs() < 1e-15);
    }

    #[test]
    fn hand_computed_value() {
        // scikit-learn: adjusted_rand_score([0, 0, 1, 1], [0, 0, 1, 2]) == 0.5714285714285715
        let score = adjusted_rand_index(&[0, 0, 1, 1], &[0, 0, 1, 2]).unwrap();
        assert!((score - 4.0 / 7.0).abs() < 1e-15, "{score}");
    }
}
