//! Training end to end on a seeded synthetic customer table with four behaviour groups.
#![expect(
    clippy::unwrap_used,
    reason = "test helpers fail loudly on broken fixtures"
)]

use custseg_model::config::{DEFAULT_FEATURES, ModelConfig};
use custseg_model::model_file::ModelFile;
use custseg_model::table::CustomerTable;
use custseg_model::train::train;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, LogNormal, Normal};

/// Four groups: loyal big spenders, regular mid spenders, lapsed one-off buyers, and new
/// customers; 800 customers in all, plus a handful of extreme wholesalers.
fn synthetic_customers(seed: u64) -> CustomerTable {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let groups: [(usize, f64, f64, f64, f64); 4] = [
        // (count, recency, transactions, spend, tenure)
        (150, 10.0, 18.0, 6000.0, 330.0),
        (250, 40.0, 5.0, 1500.0, 250.0),
        (250, 250.0, 1.5, 300.0, 300.0),
        (150, 15.0, 1.5, 400.0, 20.0),
    ];
    let mut ids = Vec::new();
    let mut columns: Vec<Vec<f64>> = vec![Vec::new(); DEFAULT_FEATURES.len() + 1];
    let mut id = 12000;
    let noise: Normal<f64> = Normal::new(0.0, 1.0).unwrap();
    for (index, &(count, recency, transactions, spend, tenure)) in groups.iter().enumerate() {
        for _ in 0..count {
            let scale: f64 = LogNormal::new(0.0, 0.25).unwrap().sample(&mut rng);
            let tx: f64 = (transactions * scale).round().max(1.0);
            let total: f64 = spend * scale;
            let products = total / 3.0;
            let values = [
                (recency * LogNormal::<f64>::new(0.0, 0.3).unwrap().sample(&mut rng)).round(),
                tx,
                products.round(),
                total,
                total / tx,
                (products / 8.0).round().max(1.0),
                if tx > 1.0 { tenure / tx } else { 0.0 },
                f64::from(rng.random_range(0..6u8)),
                f64::from(rng.random_range(8..18u8)),
                if rng.random_bool(0.9) { 1.0 } else { 0.0 },
                if rng.random_bool(0.1) { 1.0 } else { 0.0 },
                if index == 0 { 0.05 } else { 0.01 },
                total / 12.0,
                total / 30.0 + noise.sample(&mut rng).abs(),
                noise.sample(&mut rng),
                (tenure * scale).round(),
            ];
            for (column, value) in columns.iter_mut().zip(values) {
                column.push(value);
            }
            ids.push(id);
            id += 1;
        }
    }
    let mut names: Vec<String> = DEFAULT_FEATURES.iter().map(|f| (*f).to_owned()).collect();
    names.push("Tenure_Days".to_owned());
    CustomerTable {
        customer_ids: ids,
        columns: names.into_iter().zip(columns).collect(),
    }
}

fn quick_config() -> ModelConfig {
    let mut config = ModelConfig::default();
    config.search.n_init = 3;
    config.search.stability_bootstraps = 3;
    config
}

#[test]
fn every_customer_gets_a_segment_and_sizes_add_up() {
    let table = synthetic_customers(1);
    let outcome = train(&table, &quick_config(), None, None).unwrap();
    let model = &outcome.model;
    assert_eq!(outcome.customers.len(), table.len());
    assert!((4..=8).contains(&model.k()), "k = {}", model.k());
    let sizes: usize = outcome.profiles.iter().map(|p| p.size).sum();
    assert_eq!(sizes, table.len());
    let shares: f64 = outcome.profiles.iter().map(|p| p.share_of_revenue).sum();
    assert!((shares - 1.0).abs() < 1e-9);
    // Outliers: about 5 %, kept in the output and assigned.
    let outliers = outcome.customers.iter().filter(|c| c.outlier).count();
    assert_eq!(outliers, model.training.outliers);
    assert!((30..=50).contains(&outliers), "{outliers}");
    // Segments are ordered by the mean spend of their inliers, highest first.
    let spend = table.column("Total_Spend").unwrap();
    let inlier_mean = |id: usize| {
        let picked: Vec<f64> = outcome
            .customers
            .iter()
            .zip(spend)
            .filter(|(c, _)| c.cluster == id && !c.outlier)
            .map(|(_, s)| *s)
            .collect();
        picked.iter().sum::<f64>() / picked.len() as f64
    };
    let means: Vec<f64> = model.segments.iter().map(|s| inlier_mean(s.id)).collect();
    assert!(means.windows(2).all(|w| w[0] >= w[1]), "{means:?}");
    // Names are unique and non-empty.
    let mut names: Vec<&str> = model.segments.iter().map(|s| s.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), model.k());
    assert!(names.iter().all(|n| !n.is_empty()));
    // Metrics in their ranges; the search table holds every (k, init).
    assert!((-1.0..=1.0).contains(&model.metrics.silhouette.mean));
    assert!(model.metrics.davies_bouldin > 0.0 && model.metrics.calinski_harabasz > 0.0);
    assert_eq!(outcome.candidates.len(), 9 * 2);
    assert!(
        model
            .selection
            .reason
            .contains(&format!("k = {}", model.k()))
    );
    // RFM scores are 1..5 and every customer has a named RFM segment.
    assert!(
        outcome
            .customers
            .iter()
            .all(|c| (1..=5).contains(&c.rfm.r) && !c.rfm_segment.is_empty())
    );
}

#[test]
fn predict_on_the_training_table_returns_the_training_assignment() {
    let table = synthetic_customers(2);
    let outcome = train(&table, &quick_config(), None, None).unwrap();
    let reloaded = ModelFile::from_bytes(&outcome.model.to_bytes().unwrap()).unwrap();
    let predictions = reloaded.predict(&table).unwrap();
    for (prediction, trained) in predictions.iter().zip(&outcome.customers) {
        assert_eq!(
            prediction.cluster, trained.cluster,
            "customer {}",
            trained.customer_id
        );
        assert_eq!(prediction.segment, trained.segment);
        assert_eq!(prediction.outlier, trained.outlier);
        assert_eq!(prediction.distance, trained.distance);
    }
}

#[test]
fn same_data_and_seed_give_a_byte_identical_model() {
    let table = synthetic_customers(3);
    let a = train(&table, &quick_config(), Some("abc".into()), None).unwrap();
    let b = train(&table, &quick_config(), Some("abc".into()), None).unwrap();
    assert_eq!(a.model.to_bytes().unwrap(), b.model.to_bytes().unwrap());
    let mut other = quick_config();
    other.search.seed = 99;
    other.outliers.seed = 7;
    let c = train(&table, &other, Some("abc".into()), None).unwrap();
    assert_ne!(a.model.to_bytes().unwrap(), c.model.to_bytes().unwrap());
}

#[test]
fn retraining_with_previous_keeps_ids_and_names() {
    let first = train(&synthetic_customers(4), &quick_config(), None, None).unwrap();
    // New data from the same population, a different seed of the search.
    let mut config = quick_config();
    config.search.seed = 5;
    config.search.selection.k_min = first.model.k();
    config.search.selection.k_max = first.model.k();
    let second = train(&synthetic_customers(5), &config, None, Some(&first.model)).unwrap();
    let old: Vec<(usize, &str)> = first
        .model
        .segments
        .iter()
        .map(|s| (s.id, s.name.as_str()))
        .collect();
    for segment in &second.model.segments {
        assert!(
            old.contains(&(segment.id, segment.name.as_str())),
            "{} / {} not among {old:?}",
            segment.id,
            segment.name
        );
    }
}

#[test]
fn schema_version_and_format_are_checked_on_load() {
    let table = synthetic_customers(6);
    let outcome = train(&table, &quick_config(), None, None).unwrap();
    let text = String::from_utf8(outcome.model.to_bytes().unwrap()).unwrap();
    let future = text.replacen("\"schema_version\":1", "\"schema_version\":2", 1);
    let error = ModelFile::from_bytes(future.as_bytes())
        .unwrap_err()
        .to_string();
    assert!(error.contains("schema version 2"), "{error}");
    let other = text.replacen("custseg-segmentation-model", "something-else", 1);
    assert!(ModelFile::from_bytes(other.as_bytes()).is_err());
    // A feature list that does not match the scaler is refused.
    let mut broken = outcome.model.clone();
    broken.features.pop();
    assert!(ModelFile::from_bytes(&broken.to_bytes().unwrap()).is_err());
    // An outlier tree whose split points back at its root is refused on load, not walked
    // forever at the first prediction.
    let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
    value["outliers"]["trees"][0]["left"][0] = 0.into();
    let error = ModelFile::from_bytes(value.to_string().as_bytes())
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("the outlier detector: isolation tree 0 is damaged"),
        "{error}"
    );
}

#[test]
fn predict_names_missing_unknown_and_non_finite_inputs() {
    let table = synthetic_customers(7);
    let model = train(&table, &quick_config(), None, None).unwrap().model;
    let mut columns: Vec<String> = model.features.clone();
    columns.retain(|c| c != "Hour");
    let missing = model.check_columns(&columns).unwrap_err().to_string();
    assert!(
        missing.contains("missing feature column `Hour`"),
        "{missing}"
    );
    columns.push("Hour".into());
    columns.push("Total_spend".into());
    let unknown = model.check_columns(&columns).unwrap_err().to_string();
    assert!(
        unknown.contains("unknown column `Total_spend`"),
        "{unknown}"
    );
    let mut bad = table.select(&[0, 1, 2]);
    bad.columns[3].1[1] = f64::NAN;
    let error = model.predict(&bad).unwrap_err().to_string();
    assert!(
        error.contains(&format!("customer `{}` (row 2)", bad.customer_ids[1])),
        "{error}"
    );
    assert!(error.contains("Total_Spend"), "{error}");
}

#[test]
fn a_search_on_a_stratified_sample_assigns_everyone_as_the_full_search_does() {
    let table = synthetic_customers(2);
    let full = train(&table, &quick_config(), None, None).unwrap();
    assert_eq!(full.model.training.search_customers, None);
    let mut config = quick_config();
    config.max_search_customers = 300;
    let sampled = train(&table, &config, None, None).unwrap();
    let training = &sampled.model.training;
    let searched = training.search_customers.unwrap();
    // about 300 of some 760 inliers (each RFM cell rounds its share, and keeps at least one)
    assert!(
        (280..=340).contains(&searched),
        "{searched} of {}",
        training.inliers
    );
    assert_eq!(training.inliers, full.model.training.inliers);
    // every customer is still assigned, and the segments agree with the full search's
    assert_eq!(sampled.customers.len(), table.len());
    assert_eq!(sampled.model.k(), full.model.k());
    let labels = |outcome: &custseg_model::train::TrainOutcome| -> Vec<usize> {
        outcome.customers.iter().map(|c| c.cluster).collect()
    };
    let agreement =
        custseg_ml::metrics::adjusted_rand_index(&labels(&full), &labels(&sampled)).unwrap();
    assert!(agreement > 0.9, "ARI {agreement}");
    let sizes: usize = sampled.profiles.iter().map(|p| p.size).sum();
    assert_eq!(sizes, table.len());
    // the sample is part of the model file, so a reader knows what the scores describe
    let json = serde_json::to_value(&sampled.model).unwrap();
    assert_eq!(json["training"]["search_customers"], searched);
    // and a limit at or below k_max is refused
    config.max_search_customers = config.search.k_max;
    assert!(train(&table, &config, None, None).is_err());
}
