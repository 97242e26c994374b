//! The router without a socket: every route and every bad request.
#![expect(
    clippy::unwrap_used,
    reason = "test helpers fail loudly on broken fixtures"
)]

mod drift;
mod never_fails;
mod routes;

use std::sync::Arc;

use custseg_clv::bgnbd::BgNbd;
use custseg_clv::clv::ClvOptions;
use custseg_clv::gamma_gamma::GammaGamma;
use custseg_clv::model_file::NewCustomer;
use custseg_clv::purchase_model::PurchaseModel;
use custseg_clv::summary::TimeUnit;
use custseg_clv::uncertainty::{UncertaintyOptions, parameter_draws};
use custseg_model::ModelFile;
use custseg_model::config::{DEFAULT_FEATURES, ModelConfig};
use custseg_model::table::CustomerTable;
use custseg_model::train::train;
use custseg_serve::{AppState, ClvService, ServeOptions, ServedModel, StoredClv};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, LogNormal};

/// A model trained on 400 seeded synthetic customers (quick search).
pub fn model() -> ModelFile {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let spread = LogNormal::new(0.0, 0.8).unwrap();
    let n = 400;
    let columns: Vec<(String, Vec<f64>)> = DEFAULT_FEATURES
        .iter()
        .enumerate()
        .map(|(j, name)| {
            let values = (0..n)
                .map(|i| {
                    let group = (i % 4) as f64;
                    ((1.0 + group) * (j as f64 + 1.0) * spread.sample(&mut rng)).round()
                })
                .collect();
            ((*name).to_owned(), values)
        })
        .collect();
    let table = CustomerTable {
        customer_ids: (10_000..10_000 + n as i64).collect(),
        columns,
    };
    let mut config = ModelConfig::default();
    config.search.n_init = 1;
    config.search.stability_bootstraps = 0;
    train(&table, &config, None, None).unwrap().model
}

/// A state serving [`model`] with a small lifetime-value model and one stored customer.
pub fn state(options: ServeOptions) -> Arc<AppState> {
    let stored = StoredClv {
        frequency: 2.0,
        recency: 30.43,
        t: 38.86,
        monetary_value: 40.0,
        p_alive: 0.5,
        expected_purchases: 1.2,
        expected_value: 38.0,
        clv: 45.0,
        intervals: None,
    };
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
    // Standard errors of 5 % of each parameter, uncorrelated.
    let diagonal = |theta: &[f64]| -> Vec<Vec<f64>> {
        (0..theta.len())
            .map(|i| {
                (0..theta.len())
                    .map(|j| {
                        if i == j {
                            (0.05 * theta[i]).powi(2)
                        } else {
                            0.0
                        }
                    })
                    .collect()
            })
            .collect()
    };
    let draws = parameter_draws(
        &purchase,
        &diagonal(&purchase.params()),
        &spend,
        &diagonal(&[spend.p, spend.q, spend.gamma]),
        &UncertaintyOptions::default(),
    )
    .unwrap();
    Arc::new(AppState::new(
        ServedModel {
            name: "segments".into(),
            version: "abc123".into(),
            model: model(),
            clv: Some(ClvService {
                purchase,
                spend,
                unit: TimeUnit::Weeks,
                options: ClvOptions::default(),
                customers: [(1, stored)].into_iter().collect(),
                standard_errors: [("r".to_owned(), 0.0122)].into_iter().collect(),
                new_customer: Some(NewCustomer {
                    prediction: custseg_clv::clv::predict_new_customer(
                        &purchase,
                        &spend,
                        TimeUnit::Weeks,
                        &ClvOptions::default(),
                    )
                    .unwrap(),
                    intervals: Some(
                        draws
                            .new_customer_intervals(TimeUnit::Weeks, &ClvOptions::default())
                            .unwrap(),
                    ),
                }),
                draws: Some(draws),
            }),
        },
        options,
    ))
}
