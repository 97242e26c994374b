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
    Ok(1.0 + hyp2f1_tail(a, b, c, z)?)
}

/// 2F1(a, b; c; z) - 1: the series without its leading 1, summed on its own so that a caller
/// subtracting 1 loses no digits when the terms are tiny.
pub fn hyp2f1_tail(a: f64, b: f64, c: f64, z: f64) -> Result<f64> {
    if !(0.0..1.0).contains(&z) {
        return Err(Error::Data(format!("2F1 needs 0 <= z < 1, got {z}")));
    }
    if c <= 0.0 && c.fract() == 0.0 {
        return Err(Error::Data(format!("2F1 is undefined for c = {c}")));
    }
    let mut term = 1.0;
    let mut sum = 0.0;
    for n in 0..1_000_000u32 {
        let n = f64::from(n);
        term *= (a + n) * (b + n) / ((c + n) * (n + 1.0)) * z;
        let next = sum + term;
        // Converged when a term no longer changes the tail itself.
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

/// 1 - (1 - z)^p 2F1(a, b; c; z), the bracket of the BG/NBD and MBG/NBD expectations, without
/// the cancellation of subtracting two numbers near 1: as -expm1(L) - e^L (2F1 - 1) with
/// L = p ln(1 - z). Where a fit runs away to the Poisson limit (r, alpha and b near 1e17, so
/// z near 1e-17), the plain form kept no correct digit and gave expected purchases of -65; this
/// keeps about 14.
pub fn one_minus_power_times_hyp2f1(p: f64, a: f64, b: f64, c: f64, z: f64) -> Result<f64> {
    let log_power = p * (-z).ln_1p();
    Ok(-log_power.exp_m1() - log_power.exp() * hyp2f1_tail(a, b, c, z)?)
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
    fn the_bracket_agrees_with_the_plain_form_and_stays_exact_where_it_cancels() {
        // Ordinary parameters: the same number as 1 - (1 - z)^p 2F1 written out.
        for (p, a, b, c, z) in [
            (-0.2_f64, 2.4, -0.2, 3.1, 0.3_f64),
            (1.5, 0.7, 1.5, 4.0, 0.8),
        ] {
            let plain = 1.0 - (1.0 - z).powf(p) * hyp2f1(a, b, c, z).unwrap();
            let bracket = one_minus_power_times_hyp2f1(p, a, b, c, z).unwrap();
            assert!((bracket - plain).abs() < 1e-13, "{bracket} vs {plain}");
        }
        // A fit run away to the Poisson limit (a near 0, so p = b = a - 1 = -1; c near 6e17;
        // a = c - k; z near 1e-17): 2F1 = 1 - a z / c and the bracket is -z k / c to first
        // order, which the plain form, subtracting two numbers equal to 1 in doubles, loses.
        let (c, k, z) = (5.9e17, 2.5e16, 1.0e-17);
        let bracket = one_minus_power_times_hyp2f1(-1.0, c - k, -1.0, c, z).unwrap();
        let first_order = -z * k / c;
        assert!(
            ((bracket - first_order) / first_order).abs() < 1e-6,
            "{bracket} vs {first_order}"
        );
        let plain = 1.0 - (1.0 - z).powf(-1.0) * hyp2f1(c - k, -1.0, c, z).unwrap();
        assert!(
            ((plain - first_order) / first_order).abs() > 0.5,
            "the plain form loses it"
        );
    }

    #[test]
    fn hyp2f1_refuses_z_outside_the_disc() {
        assert!(hyp2f1(1.0, 1.0, 2.0, 1.0).is_err());
        assert!(hyp2f1(1.0, 1.0, 2.0, -0.1).is_err());
    }
}
