//! Seeded simulation of the BG/NBD purchase process, for checking that a fit recovers the
//! parameters it was simulated with.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Beta, Distribution, Exp, Gamma};

/// One simulated customer: repeat purchases `x`, time of the last purchase `t_x` and the
/// observation length `t` (time since the first purchase), in the rate's time unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SimulatedCustomer {
    /// Repeat purchases.
    pub x: f64,
    /// Time of the last purchase since the first.
    pub t_x: f64,
    /// Observation length since the first purchase.
    pub t: f64,
}

/// Simulates `customers` customers of the BG/NBD process with parameters (r, alpha, a, b):
/// each has a purchase rate lambda ~ Gamma(r, rate alpha) and a dropout probability
/// p ~ Beta(a, b); after every repeat purchase the customer drops out with probability p.
/// Observation lengths are uniform in `(0, max_t]`. The same seed gives the same customers.
pub fn simulate_bgnbd(
    customers: usize,
    params: (f64, f64, f64, f64),
    max_t: f64,
    seed: u64,
) -> Result<Vec<SimulatedCustomer>, String> {
    Ok(
        simulate_bgnbd_with_holdout(customers, params, max_t, 0.0, seed)?
            .into_iter()
            .map(|(customer, _)| customer)
            .collect(),
    )
}

/// As [`simulate_bgnbd`], each customer followed on for `holdout` after T: their history up to
/// T, and how many purchases they made in (T, T + holdout]. With `holdout` 0 the histories are
/// those of [`simulate_bgnbd`] with the same seed.
pub fn simulate_bgnbd_with_holdout(
    customers: usize,
    (r, alpha, a, b): (f64, f64, f64, f64),
    max_t: f64,
    holdout: f64,
    seed: u64,
) -> Result<Vec<(SimulatedCustomer, f64)>, String> {
    let rate = Gamma::new(r, 1.0 / alpha).map_err(|e| e.to_string())?;
    let dropout = Beta::new(a, b).map_err(|e| e.to_string())?;
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut out = Vec::with_capacity(customers);
    for _ in 0..customers {
        let t = rng.random_range(f64::EPSILON..=max_t);
        let lambda: f64 = rate.sample(&mut rng);
        let p: f64 = dropout.sample(&mut rng);
        let (mut x, mut t_x, mut now, mut later) = (0.0, 0.0, 0.0, 0.0);
        if lambda > 0.0 {
            let wait = Exp::new(lambda).map_err(|e| e.to_string())?;
            loop {
                now += wait.sample(&mut rng);
                if now > t + holdout {
                    break;
                }
                if now > t {
                    later += 1.0;
                } else {
                    x += 1.0;
                    t_x = now;
                }
                if rng.random_bool(p.clamp(0.0, 1.0)) {
                    break;
                }
            }
        }
        out.push((SimulatedCustomer { x, t_x, t }, later));
    }
    Ok(out)
}

/// Mean spend per repeat purchase of customers with `repeat_purchases[i]` repeat purchases,
/// from the Gamma-Gamma process with parameters (p, q, gamma): each customer's scale
/// nu ~ Gamma(q, rate gamma), each purchase's spend ~ Gamma(p, rate nu). 0 for a customer
/// without repeat purchases. The same seed gives the same spends.
pub fn simulate_gamma_gamma_spend(
    repeat_purchases: &[f64],
    (p, q, gamma): (f64, f64, f64),
    seed: u64,
) -> Result<Vec<f64>, String> {
    let scale = Gamma::new(q, 1.0 / gamma).map_err(|e| e.to_string())?;
    let mut rng = SmallRng::seed_from_u64(seed);
    repeat_purchases
        .iter()
        .map(|&x| {
            if x < 1.0 {
                return Ok(0.0);
            }
            let nu: f64 = scale.sample(&mut rng);
            // The mean of x Gamma(p, nu) spends is Gamma(p x, rate nu x).
            let mean = Gamma::new(p * x, 1.0 / (nu * x)).map_err(|e| e.to_string())?;
            Ok(mean.sample(&mut rng))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simulation_is_seeded_and_consistent() {
        let a = simulate_bgnbd(1000, (0.5, 10.0, 0.8, 2.5), 52.0, 3).unwrap();
        assert_eq!(
            a,
            simulate_bgnbd(1000, (0.5, 10.0, 0.8, 2.5), 52.0, 3).unwrap()
        );
        assert!(
            a.iter()
                .all(|c| c.t_x <= c.t && c.x >= 0.0 && (c.x == 0.0) == (c.t_x == 0.0))
        );
        assert!(a.iter().any(|c| c.x > 0.0));
    }

    #[test]
    fn simulated_spend_has_the_gamma_gamma_mean() {
        // E[mean spend] = p gamma / (q - 1) for every x.
        let (p, q, gamma) = (6.25, 3.74, 15.44);
        let spends = simulate_gamma_gamma_spend(&vec![3.0; 200_000], (p, q, gamma), 9).unwrap();
        let mean = spends.iter().sum::<f64>() / spends.len() as f64;
        let expected = p * gamma / (q - 1.0);
        assert!((mean / expected - 1.0).abs() < 0.01, "{mean} vs {expected}");
        assert_eq!(
            simulate_gamma_gamma_spend(&[0.0, 2.0], (p, q, gamma), 1).unwrap()[0],
            0.0
        );
    }
}
