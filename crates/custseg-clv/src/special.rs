//! Special functions: log-gamma and digamma from `statrs`, and the Gauss hypergeometric
//! function 2F1, which `statrs` does not offer.

pub use statrs::function::gamma::{digamma, ln_gamma};

use crate::error::{Error, Result};

/// Gauss hypergeometric function 2F1(a, b; c; z) for 0 <= z < 1 by its power series, summed
/// until a term no longer changes the sum at double precision.
///
/// The series converges for |z| < 1, slowly as z nears 1 (the term ratio tends to z); up to a
/// million terms are summed and anything else is an error, never a silently wrong number.
/// Callers near z = 1 should first apply Euler's transformation
/// 2F1(a, b; c; z) = (1 - z)^(c - a - b) 2F1(c - a, c - b; c; z), as the BG/NBD
/// expectation in `bgnbd.rs` does, which makes the series short when c is large.
pub fn hyp2f1(a: f64, b: f64, c: f64, z: f64) -> Result<f64> {
    if !(0.0..1.0).contains(&z) {
        return Err(Error::Data(format!("2F1 needs 0 <= z < 1, got {z}")));
    }
    if c <= 0.0 && c.fract() == 0.0 {
        return Err(Error::Data(format!("2F1 is undefined for c = {c}")));
    }
    let mut term = 1.0;
    let mut sum = 1.0;
    for n in 0..1_000_000u32 {
        let n = f64::from(n);
        term *= (a + n) * (b + n) / ((c + n) * (n + 1.0)) * z;
        let next = sum + term;
        if term == 0.0 || (next == sum && n > 2.0) {
            return Ok(next);
        }
        sum = next;
        if !sum.is_finite() {
            break;
        }
    }
    Err(Error::Data(format!(
        "2F1({a}, {b}; {c}; {z}) did not converge"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-13 * b.abs().max(1.0)
    }

    #[test]
    fn hyp2f1_matches_closed_forms() {
        // 2F1(1, 1; 2; z) = -ln(1 - z) / z (Abramowitz & Stegun 15.1.3)
        for z in [0.01_f64, 0.3, 0.5, 0.9, 0.99] {
            let expected = -(1.0 - z).ln() / z;
            let value = hyp2f1(1.0, 1.0, 2.0, z).unwrap();
            assert!(
                (value - expected).abs() < 1e-12 * expected,
                "z = {z}: {value} vs {expected}"
            );
        }
        // 2F1(a, b; b; z) = (1 - z)^(-a) (15.1.8)
        assert!(close(
            hyp2f1(2.5, 3.0, 3.0, 0.4).unwrap(),
            0.6f64.powf(-2.5)
        ));
        // 2F1(1/2, 1/2; 3/2; z^2) = arcsin(z) / z (15.1.6)
        let z: f64 = 0.7;
        assert!(close(hyp2f1(0.5, 0.5, 1.5, z * z).unwrap(), z.asin() / z));
        // A terminating series: 2F1(-2, b; c; z) = 1 - 2bz/c + b(b+1)z^2/(c(c+1)).
        let (b, c, z) = (3.0, 5.0, 0.6);
        let expected = 1.0 - 2.0 * b * z / c + b * (b + 1.0) * z * z / (c * (c + 1.0));
        assert!(close(hyp2f1(-2.0, b, c, z).unwrap(), expected));
    }

    #[test]
    fn hyp2f1_refuses_z_outside_the_disc() {
        assert!(hyp2f1(1.0, 1.0, 2.0, 1.0).is_err());
        assert!(hyp2f1(1.0, 1.0, 2.0, -0.1).is_err());
    }
}
