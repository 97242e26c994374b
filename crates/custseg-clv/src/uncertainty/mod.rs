//! How sure the fitted models are, and every customer's prediction with an interval.
//!
//! Both methods turn the uncertainty of the population parameters into a set of parameter
//! draws, a [`DrawSet`]; a customer's interval is the spread of their prediction over the
//! draws (the draws' quantiles at the chosen level):
//!
//! - [`UncertaintyMethod::Parameters`] (the default): the maximum-likelihood estimates are
//!   taken as normal on the log scale, with the covariance from the observed information
//!   (`J Σ J`, `J = diag(1/θ)`), so every draw is positive. The purchase and the spend model
//!   are drawn independently, as the models assume spend independent of purchasing.
//! - [`UncertaintyMethod::Bootstrap`]: customers are resampled with replacement and both models
//!   refitted on each resample; no normality is assumed, at the price of one fit per draw.
//!
//! What the intervals cover, and what not: the uncertainty of the population parameters
//! (how much the fitted models could differ with another sample of customers of the same
//! population). They do not cover the randomness of a customer's own future: a customer with
//! an expected 2.0 purchases may well make 0 or 5. Nor do they cover a wrong model.
//!
//! The parameter intervals of the fits ([`parameter_intervals`]) are Wald intervals on the log
//! scale, `θ · exp(±z · se/θ)`, which stay positive as the parameters must.

use rand::SeedableRng;
use rand::rngs::SmallRng;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal};

use crate::bgnbd::{self, FitOptions};
use crate::clv::{ClvOptions, predict};
use crate::error::{Error, Result};
use crate::gamma_gamma::{self, GammaGamma};
use crate::matrix::cholesky;

mod grouped;
pub mod predictive;
use crate::purchase_model::PurchaseModel;
use crate::summary::{CustomerSummary, TimeUnit};
use crate::{mbgnbd, pareto_nbd};

/// Where parameter draws come from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UncertaintyMethod {
    /// Draws from the estimates' normal approximation on the log scale.
    #[default]
    Parameters,
    /// Refits on customers resampled with replacement.
    Bootstrap,
    /// No intervals.
    None,
}

impl std::str::FromStr for UncertaintyMethod {
    type Err = String;

    fn from_str(text: &str) -> std::result::Result<Self, String> {
        match text {
            "parameters" => Ok(Self::Parameters),
            "bootstrap" => Ok(Self::Bootstrap),
            "none" => Ok(Self::None),
            other => Err(format!("`{other}`: expected parameters, bootstrap or none")),
        }
    }
}

/// How intervals are made.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UncertaintyOptions {
    /// Where the draws come from.
    pub method: UncertaintyMethod,
    /// Coverage of each interval, in (0, 1).
    pub level: f64,
    /// Parameter draws, or bootstrap resamples.
    pub draws: usize,
    /// Seed of the draws: the same seed gives the same intervals.
    pub seed: u64,
}

impl Default for UncertaintyOptions {
    fn default() -> Self {
        Self {
            method: UncertaintyMethod::Parameters,
            level: 0.9,
            draws: 200,
            seed: 42,
        }
    }
}

impl UncertaintyOptions {
    /// Checks the ranges: a level in (0, 1), and enough draws that both tails at that level
    /// hold at least five of them.
    pub fn check(&self) -> Result<()> {
        if !(self.level > 0.0 && self.level < 1.0) {
            return Err(Error::InvalidParameter {
                name: "interval_level",
                reason: format!("must be in (0, 1), got {}", self.level),
            });
        }
        let needed = (10.0 / (1.0 - self.level) - 1e-9).ceil() as usize;
        if self.method != UncertaintyMethod::None && !(needed..=100_000).contains(&self.draws) {
            return Err(Error::InvalidParameter {
                name: "draws",
                reason: format!(
                    "must be {needed} to 100000 at level {} (five draws in each tail), got {}",
                    self.level, self.draws
                ),
            });
        }
        Ok(())
    }
}

/// A range at the level of its [`DrawSet`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    /// Lower end.
    pub low: f64,
    /// Upper end.
    pub high: f64,
}

/// One customer's intervals.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClvIntervals {
    /// Of P(alive).
    pub p_alive: Interval,
    /// Of expected purchases over the horizon.
    pub expected_purchases: Interval,
    /// Of expected spend per purchase.
    pub expected_value: Interval,
    /// Of discounted CLV over the horizon.
    pub clv: Interval,
}

/// Parameter draws of the purchase and the spend model, paired by position.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DrawSet {
    /// Where the draws came from.
    pub method: UncertaintyMethod,
    /// Coverage of the intervals made from them.
    pub level: f64,
    /// Seed they were drawn with.
    pub seed: u64,
    /// Bootstrap resamples whose fit failed and were left out (0 for parameter draws).
    pub failed: usize,
    /// Purchase-model parameters, one per draw.
    pub purchase: Vec<PurchaseModel>,
    /// Spend-model parameters, one per draw.
    pub spend: Vec<GammaGamma>,
}

/// The standard normal quantile of a two-sided interval at `level`.
pub fn z_of(level: f64) -> f64 {
    Normal::standard().inverse_cdf(0.5 + level / 2.0)
}

/// Wald intervals at `level` on the log scale for positive parameters `theta` with covariance
/// `covariance`: `θ · exp(±z · se/θ)`.
pub fn parameter_intervals(theta: &[f64], covariance: &[Vec<f64>], level: f64) -> Vec<Interval> {
    let z = z_of(level);
    theta
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let log_se = covariance[i][i].sqrt() / t;
            Interval {
                low: t * (-z * log_se).exp(),
                high: t * (z * log_se).exp(),
            }
        })
        .collect()
}

/// `draws` parameter vectors from the log-normal approximation of estimates `theta` with
/// covariance `covariance` (natural scale), from `rng`.
fn draw_log_normal(
    theta: &[f64],
    covariance: &[Vec<f64>],
    draws: usize,
    rng: &mut SmallRng,
) -> Result<Vec<Vec<f64>>> {
    let n = theta.len();
    let log_covariance: Vec<Vec<f64>> = (0..n)
        .map(|i| {
            (0..n)
                .map(|j| covariance[i][j] / (theta[i] * theta[j]))
                .collect()
        })
        .collect();
    let l = cholesky(&log_covariance)
        .ok_or_else(|| Error::Data("the covariance is not positive definite".into()))?;
    Ok((0..draws)
        .map(|_| {
            let normal: Vec<f64> = (0..n).map(|_| StandardNormal.sample(rng)).collect();
            (0..n)
                .map(|i| {
                    let shift: f64 = (0..=i).map(|k| l[i][k] * normal[k]).sum();
                    theta[i] * shift.exp()
                })
                .collect()
        })
        .collect())
}

/// Draws from the fits' estimated distribution: `purchase` with covariance `purchase_covariance`
/// and `spend` with `spend_covariance`, drawn independently.
pub fn parameter_draws(
    purchase: &PurchaseModel,
    purchase_covariance: &[Vec<f64>],
    spend: &GammaGamma,
    spend_covariance: &[Vec<f64>],
    options: &UncertaintyOptions,
) -> Result<DrawSet> {
    options.check()?;
    let mut rng = SmallRng::seed_from_u64(options.seed);
    let purchase_draws = draw_log_normal(
        &purchase.params(),
        purchase_covariance,
        options.draws,
        &mut rng,
    )?;
    let spend_draws = draw_log_normal(
        &[spend.p, spend.q, spend.gamma],
        spend_covariance,
        options.draws,
        &mut rng,
    )?;
    Ok(DrawSet {
        method: UncertaintyMethod::Parameters,
        level: options.level,
        seed: options.seed,
        failed: 0,
        purchase: purchase_draws
            .iter()
            .map(|theta| purchase.with_params(theta))
            .collect(),
        spend: spend_draws
            .iter()
            .map(|t| GammaGamma {
                p: t[0],
                q: t[1],
                gamma: t[2],
            })
            .collect(),
    })
}

/// `draws` purchase-model draws from the fit's log-normal approximation (estimates
/// `purchase`, covariance `covariance`), seeded with `seed`.
pub fn purchase_draws(
    purchase: &PurchaseModel,
    covariance: &[Vec<f64>],
    draws: usize,
    seed: u64,
) -> Result<Vec<PurchaseModel>> {
    let mut rng = SmallRng::seed_from_u64(seed);
    Ok(
        draw_log_normal(&purchase.params(), covariance, draws, &mut rng)?
            .iter()
            .map(|theta| purchase.with_params(theta))
            .collect(),
    )
}

/// Bootstrap draws: `options.draws` resamples of `summaries` with replacement, each refitted
/// with the purchase model of `purchase`'s kind and Gamma-Gamma. Resample `i` is drawn from
/// its own seed, so the set does not depend on the thread count. Resamples whose fit fails
/// are counted in [`DrawSet::failed`]; more than a tenth failing is an error.
pub fn bootstrap_draws(
    summaries: &[CustomerSummary],
    purchase: &PurchaseModel,
    fit_options: &FitOptions,
    options: &UncertaintyOptions,
) -> Result<DrawSet> {
    options.check()?;
    let n = summaries.len();
    let fits: Vec<Option<(PurchaseModel, GammaGamma)>> = (0..options.draws)
        .into_par_iter()
        .map(|draw| {
            let mut rng = SmallRng::seed_from_u64(options.seed.wrapping_add(draw as u64));
            let resample: Vec<CustomerSummary> = (0..n)
                .map(|_| summaries[rand::Rng::random_range(&mut rng, 0..n)])
                .collect();
            let refitted = match purchase {
                PurchaseModel::BgNbd(_) => bgnbd::fit(&resample, fit_options)
                    .ok()
                    .map(|f| PurchaseModel::BgNbd(f.params)),
                PurchaseModel::ParetoNbd(_) => pareto_nbd::fit(&resample, fit_options)
                    .ok()
                    .map(|f| PurchaseModel::ParetoNbd(f.params)),
                PurchaseModel::MbgNbd(_) => mbgnbd::fit(&resample, fit_options)
                    .ok()
                    .map(|f| PurchaseModel::MbgNbd(f.params)),
            }?;
            let spend = gamma_gamma::fit(&resample, fit_options).ok()?.params;
            Some((refitted, spend))
        })
        .collect();
    let failed = fits.iter().filter(|f| f.is_none()).count();
    if failed * 10 > options.draws {
        return Err(Error::Optimisation(format!(
            "the bootstrap's fit failed on {failed} of {} resamples",
            options.draws
        )));
    }
    let (purchase, spend) = fits.into_iter().flatten().unzip();
    Ok(DrawSet {
        method: UncertaintyMethod::Bootstrap,
        level: options.level,
        seed: options.seed,
        failed,
        purchase,
        spend,
    })
}

/// The intervals of totals over every customer: each draw's sum, and the sums' quantiles.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TotalIntervals {
    /// Of the total expected purchases over the horizon.
    pub expected_purchases: Interval,
    /// Of the total discounted CLV over the horizon.
    pub clv: Interval,
}

/// The value at quantile `q` of `values` (linear between order statistics, as numpy's
/// default), found by selection rather than a sort; `values` is reordered.
fn quantile(values: &mut [f64], q: f64) -> f64 {
    let position = q * (values.len() - 1) as f64;
    let below = position.floor() as usize;
    let (_, at_below, above) = values.select_nth_unstable_by(below, f64::total_cmp);
    let at_below = *at_below;
    let fraction = position - below as f64;
    if fraction == 0.0 || above.is_empty() {
        return at_below;
    }
    let next = above.iter().copied().fold(f64::INFINITY, f64::min);
    at_below + (next - at_below) * fraction
}

/// The quantile interval at `level` of the finite ones among `values` (reordered); NaN ends
/// when none is finite.
fn interval_of_finite(values: &mut [f64], level: f64) -> Interval {
    let mut finite = 0;
    for i in 0..values.len() {
        if values[i].is_finite() {
            values.swap(finite, i);
            finite += 1;
        }
    }
    let values = &mut values[..finite];
    if values.is_empty() {
        return Interval {
            low: f64::NAN,
            high: f64::NAN,
        };
    }
    let tail = (1.0 - level) / 2.0;
    Interval {
        low: quantile(values, tail),
        high: quantile(values, 1.0 - tail),
    }
}

impl DrawSet {
    /// One customer's four predictions under every draw, in draw order: `None` where the
    /// models give no finite value under that draw.
    fn predictions_by_draw(
        &self,
        s: &CustomerSummary,
        kept: f64,
        unit: TimeUnit,
        options: &ClvOptions,
    ) -> Vec<Option<[f64; 4]>> {
        self.purchase
            .iter()
            .zip(&self.spend)
            .map(|(purchase, spend)| {
                let p = predict(purchase, spend, s, unit, options).ok()?.kept(kept);
                let values = [p.p_alive, p.expected_purchases, p.expected_value, p.clv];
                values.iter().all(|v| v.is_finite()).then_some(values)
            })
            .collect()
    }

    /// The intervals of one customer from their predictions under every draw; an error when
    /// half the draws give no finite value.
    fn intervals_from(
        &self,
        s: &CustomerSummary,
        by_draw: &[Option<[f64; 4]>],
    ) -> Result<ClvIntervals> {
        let finite = by_draw.iter().flatten().count();
        if finite * 2 < by_draw.len() {
            return Err(Error::Data(format!(
                "customer {}: the prediction is not finite under {} of {} parameter draws",
                s.customer,
                by_draw.len() - finite,
                by_draw.len()
            )));
        }
        let column = |k: usize| by_draw.iter().flatten().map(|v| v[k]).collect::<Vec<_>>();
        Ok(ClvIntervals {
            p_alive: interval_of_finite(&mut column(0), self.level),
            expected_purchases: interval_of_finite(&mut column(1), self.level),
            expected_value: interval_of_finite(&mut column(2), self.level),
            clv: interval_of_finite(&mut column(3), self.level),
        })
    }

    /// The intervals of a new customer's expected purchases, spend and CLV
    /// ([`crate::clv::predict_new_customer`] under every draw); P(alive) is 1 by definition.
    pub fn new_customer_intervals(
        &self,
        unit: TimeUnit,
        options: &ClvOptions,
    ) -> Result<ClvIntervals> {
        let by_draw: Vec<Option<[f64; 4]>> = self
            .purchase
            .iter()
            .zip(&self.spend)
            .map(|(purchase, spend)| {
                let p = crate::clv::predict_new_customer(purchase, spend, unit, options).ok()?;
                let values = [1.0, p.expected_purchases, p.expected_value, p.clv];
                values.iter().all(|v| v.is_finite()).then_some(values)
            })
            .collect();
        self.intervals_from(&CustomerSummary::history(0, 0.0, 0.0, 0.0), &by_draw)
    }

    /// The intervals of one customer: their prediction under every draw, and the draws'
    /// quantiles at the set's level. Draws under which a prediction is not finite are left out;
    /// an error when half of them are.
    pub fn intervals(
        &self,
        s: &CustomerSummary,
        unit: TimeUnit,
        options: &ClvOptions,
    ) -> Result<ClvIntervals> {
        self.intervals_from(s, &self.predictions_by_draw(s, 1.0, unit, options))
    }

    /// [`DrawSet::intervals`] of every customer, in order, and the intervals of the totals
    /// over all of them (a draw under which some customer's prediction is not finite has no
    /// total and is left out of those). With `kept`, each customer's value under every draw is
    /// net of returns at their kept share (see [`crate::returns`]). Customers are taken in
    /// parallel, in fixed chunks summed in order, so the result does not depend on the thread
    /// count.
    pub fn intervals_of_all(
        &self,
        summaries: &[CustomerSummary],
        kept: Option<&[f64]>,
        unit: TimeUnit,
        options: &ClvOptions,
    ) -> Result<(Vec<ClvIntervals>, TotalIntervals)> {
        let ones;
        let kept = match kept {
            Some(kept) => kept,
            None => {
                ones = vec![1.0; summaries.len()];
                &ones
            }
        };
        if let Some(grouped) = grouped::intervals_of_all(self, summaries, kept, unit, options) {
            return grouped;
        }
        self.intervals_one_by_one(summaries, kept, unit, options)
    }

    /// [`DrawSet::intervals_of_all`] customer by customer, each through
    /// [`crate::clv::predict`] under every draw.
    fn intervals_one_by_one(
        &self,
        summaries: &[CustomerSummary],
        kept: &[f64],
        unit: TimeUnit,
        options: &ClvOptions,
    ) -> Result<(Vec<ClvIntervals>, TotalIntervals)> {
        let draws = self.purchase.len();
        let chunks: Vec<Partial> = summaries
            .par_chunks(CHUNK)
            .zip(kept.par_chunks(CHUNK))
            .map(|(chunk, chunk_kept)| {
                let mut partial = Partial::new(draws, chunk.len());
                for (s, &share) in chunk.iter().zip(chunk_kept) {
                    let by_draw = self.predictions_by_draw(s, share, unit, options);
                    for (d, values) in by_draw.iter().enumerate() {
                        partial.add(d, *values);
                    }
                    partial.intervals.push(self.intervals_from(s, &by_draw)?);
                }
                Ok(partial)
            })
            .collect::<Result<_>>()?;
        Ok(Partial::combine(chunks, draws, self.level))
    }
}

/// Customers per parallel task.
const CHUNK: usize = 256;

/// A run of customers' intervals and, per draw, the sums of their expected purchases and CLV
/// (NaN for a draw under which one of them has no finite prediction).
struct Partial {
    intervals: Vec<ClvIntervals>,
    purchases: Vec<f64>,
    clv: Vec<f64>,
}

impl Partial {
    fn new(draws: usize, customers: usize) -> Self {
        Self {
            intervals: Vec::with_capacity(customers),
            purchases: vec![0.0; draws],
            clv: vec![0.0; draws],
        }
    }

    /// Adds one customer's predictions under draw `d` to the draw's sums.
    fn add(&mut self, d: usize, values: Option<[f64; 4]>) {
        let [_, purchases, _, clv] = values.unwrap_or([f64::NAN; 4]);
        self.purchases[d] += purchases;
        self.clv[d] += clv;
    }

    /// The runs in order: every customer's intervals, and the totals' intervals at `level`.
    fn combine(
        partials: Vec<Partial>,
        draws: usize,
        level: f64,
    ) -> (Vec<ClvIntervals>, TotalIntervals) {
        let mut all = Partial::new(draws, 0);
        for partial in partials {
            all.intervals.extend(partial.intervals);
            for d in 0..draws {
                all.purchases[d] += partial.purchases[d];
                all.clv[d] += partial.clv[d];
            }
        }
        (
            all.intervals,
            TotalIntervals {
                expected_purchases: interval_of_finite(&mut all.purchases, level),
                clv: interval_of_finite(&mut all.clv, level),
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bgnbd::BgNbd;

    /// A covariance with standard errors `relative` times each of `values`, uncorrelated.
    fn diagonal(values: &[f64], relative: f64) -> Vec<Vec<f64>> {
        (0..values.len())
            .map(|i| {
                (0..values.len())
                    .map(|j| {
                        if i == j {
                            (relative * values[i]).powi(2)
                        } else {
                            0.0
                        }
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn the_normal_quantile_of_a_ninety_percent_interval_is_1_645() {
        assert!((z_of(0.9) - 1.644_853_6).abs() < 1e-6);
        assert!((z_of(0.95) - 1.959_964).abs() < 1e-6);
    }

    #[test]
    fn log_scale_draws_have_the_asked_for_spread_and_stay_positive() {
        // se 10 % of the value on the log scale: log draws have sd ~0.1.
        let theta = [2.0, 0.5];
        let covariance = vec![vec![0.04, 0.0], vec![0.0, 0.0025]];
        let mut rng = SmallRng::seed_from_u64(1);
        let draws = draw_log_normal(&theta, &covariance, 20_000, &mut rng).unwrap();
        assert!(draws.iter().flatten().all(|v| *v > 0.0));
        for (i, t) in theta.iter().enumerate() {
            let logs: Vec<f64> = draws.iter().map(|d| (d[i] / t).ln()).collect();
            let mean = logs.iter().sum::<f64>() / logs.len() as f64;
            let sd =
                (logs.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / logs.len() as f64).sqrt();
            assert!(
                mean.abs() < 0.005 && (sd - 0.1).abs() < 0.003,
                "{mean} {sd}"
            );
        }
    }

    #[test]
    fn a_customers_interval_holds_the_point_prediction_and_narrows_with_smaller_errors() {
        let purchase = PurchaseModel::BgNbd(BgNbd {
            r: 0.243,
            alpha: 4.414,
            a: 0.793,
            b: 2.426,
        });
        let spend = GammaGamma {
            p: 6.25,
            q: 3.74,
            gamma: 15.44,
        };
        let s = CustomerSummary {
            monetary_value: 35.0,
            ..CustomerSummary::history(1, 2.0, 30.43, 38.86)
        };
        let options = ClvOptions::default();
        let point = predict(&purchase, &spend, &s, TimeUnit::Weeks, &options).unwrap();
        let width = |scale: f64| {
            let set = parameter_draws(
                &purchase,
                &diagonal(&purchase.params(), scale),
                &spend,
                &diagonal(&[spend.p, spend.q, spend.gamma], scale),
                &UncertaintyOptions::default(),
            )
            .unwrap();
            let intervals = set.intervals(&s, TimeUnit::Weeks, &options).unwrap();
            for (interval, value) in [
                (intervals.p_alive, point.p_alive),
                (intervals.expected_purchases, point.expected_purchases),
                (intervals.expected_value, point.expected_value),
                (intervals.clv, point.clv),
            ] {
                assert!(
                    interval.low < value && value < interval.high,
                    "{interval:?} {value}"
                );
            }
            intervals.clv.high - intervals.clv.low
        };
        assert!(width(0.02) < width(0.1));
    }

    #[test]
    fn customers_sharing_x_and_t_get_the_same_intervals_grouped_as_one_by_one() {
        let purchase = PurchaseModel::BgNbd(BgNbd {
            r: 0.243,
            alpha: 4.414,
            a: 0.793,
            b: 2.426,
        });
        let spend = GammaGamma {
            p: 6.25,
            q: 3.74,
            gamma: 15.44,
        };
        let set = parameter_draws(
            &purchase,
            &diagonal(&purchase.params(), 0.1),
            &spend,
            &diagonal(&[6.25, 3.74, 15.44], 0.1),
            &UncertaintyOptions::default(),
        )
        .unwrap();
        // 2,000 customers on a day grid: 5 frequencies x 20 ages, various t_x and spend.
        let summaries: Vec<CustomerSummary> = (0..2000)
            .map(|i| {
                let x = (i % 5) as f64;
                let t = 7.0 + ((i / 5) % 20) as f64 * 3.0;
                let t_x = if x == 0.0 {
                    0.0
                } else {
                    t * ((i % 7) as f64 / 7.0)
                };
                CustomerSummary {
                    monetary_value: if x == 0.0 {
                        0.0
                    } else {
                        10.0 + (i % 13) as f64
                    },
                    ..CustomerSummary::history(i as i64, x, t_x, t)
                }
            })
            .collect();
        let options = ClvOptions::default();
        let (grouped, grouped_totals) = grouped::intervals_of_all(
            &set,
            &summaries,
            &vec![1.0; summaries.len()],
            TimeUnit::Weeks,
            &options,
        )
        .expect("the grouped path applies")
        .unwrap();
        let (each, totals) = set
            .intervals_one_by_one(
                &summaries,
                &vec![1.0; summaries.len()],
                TimeUnit::Weeks,
                &options,
            )
            .unwrap();
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(1e-9);
        for (g, e) in grouped.iter().zip(&each) {
            for (g, e) in [
                (g.p_alive, e.p_alive),
                (g.expected_purchases, e.expected_purchases),
                (g.expected_value, e.expected_value),
                (g.clv, e.clv),
            ] {
                assert!(close(g.low, e.low) && close(g.high, e.high), "{g:?} {e:?}");
            }
        }
        assert!(close(grouped_totals.clv.low, totals.clv.low));
        assert!(close(
            grouped_totals.expected_purchases.high,
            totals.expected_purchases.high
        ));
        // Continuous T: no pair is shared, and the grouped path steps aside.
        let continuous: Vec<CustomerSummary> = (0..100)
            .map(|i| CustomerSummary::history(i, 1.0, 1.0, 2.0 + i as f64 * 0.013))
            .collect();
        assert!(
            grouped::intervals_of_all(&set, &continuous, &[1.0; 100], TimeUnit::Weeks, &options)
                .is_none()
        );
    }

    #[test]
    fn quantiles_by_selection_match_numpys_linear_rule() {
        // numpy.quantile([1..=10], [0.05, 0.95]) = 1.45, 9.55.
        let mut values: Vec<f64> = (1..=10).rev().map(f64::from).collect();
        values.push(f64::NAN);
        let interval = interval_of_finite(&mut values, 0.9);
        assert!((interval.low - 1.45).abs() < 1e-12 && (interval.high - 9.55).abs() < 1e-12);
        assert!(interval_of_finite(&mut [f64::NAN], 0.9).low.is_nan());
    }

    #[test]
    fn options_refuse_a_level_outside_the_unit_interval_and_too_few_draws() {
        let options = |level, draws| UncertaintyOptions {
            level,
            draws,
            ..UncertaintyOptions::default()
        };
        assert!(options(0.9, 200).check().is_ok());
        assert!(options(1.0, 200).check().is_err());
        assert!(options(0.99, 200).check().is_err());
        assert!(options(0.9, 50).check().is_err());
        assert!(options(0.9, 100).check().is_ok());
    }
}
