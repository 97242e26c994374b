//! Euclidean distances, written so the compiler can use SIMD.
//!
//! A plain `zip().map().sum()` adds the squared differences one after another; every addition
//! waits for the previous one, so a distance over 8 features takes 8 dependent additions.
//! Here a single distance uses four independent accumulators. For many centroids, a row's
//! distances to all of them are computed feature by feature over a transposed centroid matrix,
//! so the inner loop runs over centroids and vectorises; for up to 16 centroids (measured: the
//! segmentation search, k <= 10) one distance per centroid is faster. The order of additions is
//! fixed, so results are the same on every run.

/// Squared Euclidean distance between two equally long slices.
#[inline]
pub fn squared_distance(a: &[f64], b: &[f64]) -> f64 {
    let mut lanes = [0.0; 4];
    let whole = a.len().min(b.len()) / 4 * 4;
    for (x, y) in a[..whole].chunks_exact(4).zip(b[..whole].chunks_exact(4)) {
        for lane in 0..4 {
            let d = x[lane] - y[lane];
            lanes[lane] += d * d;
        }
    }
    let mut rest = 0.0;
    for (x, y) in a[whole..].iter().zip(&b[whole..]) {
        rest += (x - y) * (x - y);
    }
    (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]) + rest
}

/// Centroids stored feature-major (`width x k`), for a row's distances to all of them at once.
/// `k` is padded to a multiple of four with far-away phantom centroids (coordinates 1e150: a
/// squared distance near 1e300, finite, never the nearest), so the inner loop works on whole
/// SIMD lanes.
#[derive(Debug, Clone)]
pub struct TransposedCenters {
    k: usize,
    padded: usize,
    width: usize,
    by_feature: Vec<f64>,
    by_center: Vec<f64>,
}

/// Coordinate of the phantom centroids that pad `k` to a multiple of four.
const PHANTOM: f64 = 1e150;

impl TransposedCenters {
    /// From row-major centroids (`k x width`).
    pub fn new(centers: &[f64], width: usize) -> Self {
        let k = centers.len() / width.max(1);
        let padded = k.div_ceil(4) * 4;
        let mut by_feature = vec![PHANTOM; padded * width];
        for c in 0..k {
            for j in 0..width {
                by_feature[j * padded + c] = centers[c * width + j];
            }
        }
        Self {
            k,
            padded,
            width,
            by_feature,
            by_center: centers.to_vec(),
        }
    }

    /// Number of centroids.
    pub fn k(&self) -> usize {
        self.k
    }

    /// Length a scratch buffer for [`Self::squared_distances`] needs (`k` rounded up to 4).
    pub fn scratch_len(&self) -> usize {
        self.padded
    }

    /// Squared distances from `row` to every centroid, into `out[..k]`; `out` must hold
    /// [`Self::scratch_len`] values (the tail receives the phantoms' distances).
    #[inline]
    pub fn squared_distances(&self, row: &[f64], out: &mut [f64]) {
        if self.k <= 16 {
            for (c, o) in out[..self.k].iter_mut().enumerate() {
                *o = squared_distance(row, &self.by_center[c * self.width..(c + 1) * self.width]);
            }
            return;
        }
        let out = &mut out[..self.padded];
        out.fill(0.0);
        for (j, value) in row.iter().enumerate().take(self.width) {
            let column = &self.by_feature[j * self.padded..(j + 1) * self.padded];
            for (o, c) in out.chunks_exact_mut(4).zip(column.chunks_exact(4)) {
                for lane in 0..4 {
                    let d = value - c[lane];
                    o[lane] += d * d;
                }
            }
        }
    }

    /// Index of the nearest centroid (the first of equals) and the squared distance to it.
    #[inline]
    pub fn nearest(&self, row: &[f64], scratch: &mut [f64]) -> (usize, f64) {
        self.squared_distances(row, scratch);
        let mut best = (0, f64::INFINITY);
        for (index, &d) in scratch[..self.k].iter().enumerate() {
            if d < best.1 {
                best = (index, d);
            }
        }
        best
    }

    /// Nearest centroid, and the squared distances to the nearest and the second nearest.
    #[inline]
    pub fn two_nearest(&self, row: &[f64], scratch: &mut [f64]) -> (usize, f64, f64) {
        self.squared_distances(row, scratch);
        let (mut best, mut first, mut second) = (0, f64::INFINITY, f64::INFINITY);
        for (index, &d) in scratch[..self.k].iter().enumerate() {
            if d < first {
                second = first;
                first = d;
                best = index;
            } else if d < second {
                second = d;
            }
        }
        (best, first, second)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lanes_add_up_to_the_plain_sum() {
        let a: Vec<f64> = (0..11).map(|i| f64::from(i) * 0.5).collect();
        let b: Vec<f64> = (0..11).map(|i| f64::from(i * i) * 0.1).collect();
        let plain: f64 = a.iter().zip(&b).map(|(x, y)| (x - y) * (x - y)).sum();
        assert!((squared_distance(&a, &b) - plain).abs() < 1e-12 * plain);
    }

    #[test]
    fn transposed_centers_agree_with_pairwise_distances() {
        let centers = [0.0, 0.0, 3.0, 4.0, -1.0, 1.0];
        let t = TransposedCenters::new(&centers, 2);
        let mut scratch = vec![0.0; t.scratch_len()];
        t.squared_distances(&[3.0, 0.0], &mut scratch);
        assert_eq!(&scratch[..3], &[9.0, 16.0, 17.0]);
        assert_eq!(t.nearest(&[2.9, 3.9], &mut scratch).0, 1);
        let (best, first, second) = t.two_nearest(&[0.1, 0.1], &mut scratch);
        assert_eq!(best, 0);
        assert!(first < second);
    }
}
