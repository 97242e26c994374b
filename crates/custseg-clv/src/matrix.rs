//! The two operations on the small (3x3, 4x4) symmetric matrices of the fits: inverse and
//! Cholesky factor. Written here: a linear-algebra crate for matrices this size would outweigh
//! the forty lines.

/// Inverse of a small square matrix by Gauss-Jordan elimination with partial pivoting.
pub fn invert(matrix: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let n = matrix.len();
    let mut a: Vec<Vec<f64>> = matrix
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let mut extended = row.clone();
            extended.extend((0..n).map(|j| if i == j { 1.0 } else { 0.0 }));
            extended
        })
        .collect();
    for column in 0..n {
        let pivot =
            (column..n).max_by(|&x, &y| a[x][column].abs().total_cmp(&a[y][column].abs()))?;
        if a[pivot][column].abs() < 1e-300 {
            return None;
        }
        a.swap(column, pivot);
        let p = a[column][column];
        a[column].iter_mut().for_each(|v| *v /= p);
        for row in 0..n {
            if row != column {
                let factor = a[row][column];
                if factor != 0.0 {
                    let source = a[column].clone();
                    a[row]
                        .iter_mut()
                        .zip(&source)
                        .for_each(|(v, s)| *v -= factor * s);
                }
            }
        }
    }
    Some(a.into_iter().map(|row| row[n..].to_vec()).collect())
}

/// The lower Cholesky factor `L` of a symmetric matrix (`L Lᵀ = m`), or `None` when it is not
/// positive definite.
pub fn cholesky(m: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let n = m.len();
    let mut l = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in 0..=i {
            let sum: f64 = (0..j).map(|k| l[i][k] * l[j][k]).sum();
            if i == j {
                let pivot = m[i][i] - sum;
                if !(pivot > 0.0 && pivot.is_finite()) {
                    return None;
                }
                l[i][j] = pivot.sqrt();
            } else {
                l[i][j] = (m[i][j] - sum) / l[j][j];
            }
        }
    }
    Some(l)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cholesky_factors_a_known_matrix_and_refuses_an_indefinite_one() {
        let m = vec![vec![4.0, 2.0], vec![2.0, 3.0]];
        let l = cholesky(&m).unwrap();
        assert_eq!(l[0], vec![2.0, 0.0]);
        assert!((l[1][0] - 1.0).abs() < 1e-12 && (l[1][1] - 2f64.sqrt()).abs() < 1e-12);
        assert!(cholesky(&[vec![1.0, 2.0], vec![2.0, 1.0]]).is_none());
    }

    #[test]
    fn invert_gives_the_inverse_and_refuses_a_singular_matrix() {
        let inverse = invert(&[vec![4.0, 2.0], vec![2.0, 3.0]]).unwrap();
        let expected = [[0.375, -0.25], [-0.25, 0.5]];
        for i in 0..2 {
            for j in 0..2 {
                assert!((inverse[i][j] - expected[i][j]).abs() < 1e-12);
            }
        }
        assert!(invert(&[vec![1.0, 2.0], vec![2.0, 4.0]]).is_none());
    }
}
