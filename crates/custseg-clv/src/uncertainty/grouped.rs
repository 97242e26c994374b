//! BG/NBD intervals for many customers at once. Under BG/NBD a customer's expected purchases
//! over any horizon are `purchases_if_alive(x, T, horizon) / inverse_p_alive(x, t_x, T)`, and
//! the first factor, the costly one (a Gauss hypergeometric function per month of the
//! horizon), depends on the history only through x and T. Summaries made from dates have T
//! on a day grid, so a million customers share a few thousand (x, T) pairs: the costly factor
//! is computed once per pair and draw, and each customer's predictions under a draw take a
//! power and a division.
//!
//! The numbers are those of [`crate::clv::predict`] up to rounding (the discounting is summed
//! before the division by `inverse_p_alive` instead of after).

use std::collections::HashMap;

use rayon::prelude::*;

use super::{CHUNK, ClvIntervals, DrawSet, Partial, TotalIntervals, interval_of_finite};
use crate::bgnbd::BgNbd;
use crate::clv::ClvOptions;
use crate::error::{Error, Result};
use crate::purchase_model::PurchaseModel;
use crate::summary::{CustomerSummary, TimeUnit};

/// Most (x, T) pairs times draws held at once (16 bytes each: 256 MiB).
const MOST_ENTRIES: usize = 16_000_000;

/// The draws' BG/NBD parameters, when every draw is BG/NBD.
fn bgnbd_draws(set: &DrawSet) -> Option<Vec<BgNbd>> {
    set.purchase
        .iter()
        .map(|model| match model {
            PurchaseModel::BgNbd(params) => Some(*params),
            PurchaseModel::ParetoNbd(_) | PurchaseModel::MbgNbd(_) => None,
        })
        .collect()
}

/// Every customer's intervals and the totals' by (x, T) pairs, or `None` when this path does
/// not apply: a purchase model other than BG/NBD, or too few customers per pair for it to pay
/// (continuous T), or more pairs than [`MOST_ENTRIES`] allows.
pub(super) fn intervals_of_all(
    set: &DrawSet,
    summaries: &[CustomerSummary],
    kept: &[f64],
    unit: TimeUnit,
    options: &ClvOptions,
) -> Option<Result<(Vec<ClvIntervals>, TotalIntervals)>> {
    let params = bgnbd_draws(set)?;
    let mut pair_of_customer = Vec::with_capacity(summaries.len());
    let mut pairs: HashMap<(u64, u64), usize> = HashMap::new();
    let mut pair_values: Vec<(f64, f64)> = Vec::new();
    for s in summaries {
        let key = (s.frequency.to_bits(), s.t.to_bits());
        let next = pairs.len();
        let index = *pairs.entry(key).or_insert(next);
        if index == next {
            pair_values.push((s.frequency, s.t));
        }
        pair_of_customer.push(index);
    }
    let draws = params.len();
    if pairs.len() * 4 > summaries.len() || pairs.len() * draws > MOST_ENTRIES {
        return None;
    }
    let month = 30.0 / unit.days();
    // Per pair and draw: the discounted sum of monthly increments of purchases_if_alive (times
    // the margin), and purchases_if_alive at the horizon. NaN where the function fails.
    let table: Vec<(f64, f64)> = pair_values
        .par_iter()
        .flat_map_iter(|&(x, t)| {
            params.iter().map(move |model| {
                let mut discounted = 0.0;
                let mut previous = 0.0;
                for m in 1..=options.horizon_months {
                    let Ok(cumulative) = model.purchases_if_alive(x, t, month * f64::from(m))
                    else {
                        return (f64::NAN, f64::NAN);
                    };
                    discounted += (cumulative - previous) * options.margin
                        / (1.0 + options.discount_rate).powi(m as i32);
                    previous = cumulative;
                }
                (discounted, previous)
            })
        })
        .collect();

    let chunks: Result<Vec<Partial>> = summaries
        .par_chunks(CHUNK)
        .zip(pair_of_customer.par_chunks(CHUNK))
        .zip(kept.par_chunks(CHUNK))
        .map(|((chunk, chunk_pairs), chunk_kept)| {
            let mut partial = Partial::new(draws, chunk.len());
            let mut columns: [Vec<f64>; 4] = Default::default();
            for ((s, &pair), &share) in chunk.iter().zip(chunk_pairs).zip(chunk_kept) {
                columns.iter_mut().for_each(Vec::clear);
                let row = &table[pair * draws..(pair + 1) * draws];
                for (d, (model, spend)) in params.iter().zip(&set.spend).enumerate() {
                    let inverse = model.inverse_p_alive(s);
                    let value = spend.expected_spend(s) * share;
                    let (discounted, at_horizon) = row[d];
                    let values = [
                        1.0 / inverse,
                        at_horizon / inverse,
                        value,
                        value * discounted / inverse,
                    ];
                    let finite = values.iter().all(|v| v.is_finite());
                    if finite {
                        for (column, v) in columns.iter_mut().zip(values) {
                            column.push(v);
                        }
                    }
                    partial.add(d, finite.then_some(values));
                }
                if columns[0].len() * 2 < draws {
                    return Err(Error::Data(format!(
                        "customer {}: the prediction is not finite under {} of {draws} parameter draws",
                        s.customer,
                        draws - columns[0].len()
                    )));
                }
                let [p_alive, expected_purchases, expected_value, clv] =
                    columns.each_mut().map(|c| interval_of_finite(c, set.level));
                partial.intervals.push(ClvIntervals {
                    p_alive,
                    expected_purchases,
                    expected_value,
                    clv,
                });
            }
            Ok(partial)
        })
        .collect();
    Some(chunks.map(|chunks| Partial::combine(chunks, draws, set.level)))
}
