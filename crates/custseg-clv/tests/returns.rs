//! Net value never goes wrong: on generated logs with cancellations (returns larger than the
//! purchases, one-purchase customers, spends from a tenth of a cent to ten million), every
//! prediction is finite, not negative, and net never above gross, or the input is refused with
//! an error; never a NaN.

use custseg_clv::bgnbd::{self, FitOptions};
use custseg_clv::clv::{ClvOptions, predict};
use custseg_clv::gamma_gamma;
use custseg_clv::purchase_model::PurchaseModel;
use custseg_clv::returns::returns_by_customer;
use custseg_clv::summary::{Purchase, TimeUnit, check, summarize};
use proptest::prelude::*;

/// A customer's purchases: (day offset, spend exponent); and returns: (day, value exponent).
type Customer = (Vec<(i64, f64)>, Vec<(i64, f64)>);

fn customer() -> impl Strategy<Value = Customer> {
    (
        prop::collection::vec((0i64..300, -3.0f64..7.0), 1..6),
        prop::collection::vec((0i64..330, -3.0f64..7.5), 0..4),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn net_value_is_finite_not_negative_and_never_above_gross(
        customers in prop::collection::vec(customer(), 8..40),
    ) {
        let mut purchases = Vec::new();
        let mut returns = Vec::new();
        for (id, (bought, returned)) in customers.iter().enumerate() {
            for (day, exponent) in bought {
                purchases.push(Purchase { customer: id as i64, day: *day, amount: 10f64.powf(*exponent) });
            }
            for (day, exponent) in returned {
                returns.push(Purchase { customer: id as i64, day: *day, amount: 10f64.powf(*exponent) });
            }
        }
        let end = 300;
        let summaries = summarize(&purchases, end, TimeUnit::Days).unwrap();
        // Without a repeat customer the models are not identified: a clear error, not a number.
        if check(&summaries).is_err() {
            return Ok(());
        }
        let options = FitOptions::default();
        let (Ok(purchase), Ok(spend)) = (bgnbd::fit(&summaries, &options), gamma_gamma::fit(&summaries, &options)) else {
            return Ok(());
        };
        let model = PurchaseModel::BgNbd(purchase.params);
        let by_customer = returns_by_customer(&purchases, &returns, end);
        for s in &summaries {
            let Ok(gross) = predict(&model, &spend.params, s, TimeUnit::Days, &ClvOptions::default()) else {
                continue;
            };
            let share = by_customer[&s.customer].kept_share();
            prop_assert!((0.0..=1.0).contains(&share), "kept share {share}");
            let net = gross.kept(share);
            for value in [net.p_alive, net.expected_purchases, net.expected_value, net.clv] {
                prop_assert!(value.is_finite() && value >= 0.0, "customer {}: {net:?}", s.customer);
            }
            prop_assert!(net.clv <= gross.clv && net.expected_value <= gross.expected_value);
            if by_customer[&s.customer].returned >= by_customer[&s.customer].bought {
                prop_assert_eq!(net.clv, 0.0);
            }
        }
    }
}
