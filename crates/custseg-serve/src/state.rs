//! What the server serves: the segmentation model and, when loaded, the lifetime-value model
//! and its stored per-customer predictions. Swapped whole on reload, so a request in flight
//! keeps the model it started with.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

use custseg_clv::clv::ClvOptions;
use custseg_clv::gamma_gamma::GammaGamma;
use custseg_clv::model_file::NewCustomer;
use custseg_clv::purchase_model::PurchaseModel;
use custseg_clv::summary::TimeUnit;
use custseg_clv::uncertainty::{ClvIntervals, DrawSet};
use custseg_model::ModelFile;
use serde::Serialize;

use crate::metrics::Metrics;
use crate::prediction_log::{LoggedRequest, PredictionLog};

/// One customer's stored lifetime-value prediction (from `clv/predictions.parquet`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct StoredClv {
    /// Repeat purchases.
    pub frequency: f64,
    /// t_x.
    pub recency: f64,
    /// T.
    #[serde(rename = "T")]
    pub t: f64,
    /// Mean repeat-purchase spend.
    pub monetary_value: f64,
    /// P(alive).
    pub p_alive: f64,
    /// Expected purchases over the horizon.
    pub expected_purchases: f64,
    /// Expected spend per purchase.
    pub expected_value: f64,
    /// Discounted CLV over the horizon.
    pub clv: f64,
    /// The intervals of the four predictions, when the stage made them (at the level of
    /// [`ClvService::draws`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub intervals: Option<ClvIntervals>,
}

/// The lifetime-value model.
#[derive(Debug, Clone)]
pub struct ClvService {
    /// The purchase model CLV uses.
    pub purchase: PurchaseModel,
    /// The spend model.
    pub spend: GammaGamma,
    /// Time unit of recency and T.
    pub unit: TimeUnit,
    /// Horizon, discount rate, margin.
    pub options: ClvOptions,
    /// Stored predictions by customer.
    pub customers: HashMap<i64, StoredClv>,
    /// Standard errors of the served models' parameters by name (`r`, `alpha`, `a`, `b` or
    /// `s`, `beta`; `p`, `q`, `gamma`), those the fits could give.
    pub standard_errors: BTreeMap<String, f64>,
    /// What a customer with no history yet is expected to bring, when the stage gave it.
    pub new_customer: Option<NewCustomer>,
    /// The parameter draws the stored intervals came from, so that a history sent to
    /// `POST /v1/clv` gets its intervals the same way; `None` when the stage made none.
    pub draws: Option<DrawSet>,
}

/// A model being served.
#[derive(Debug, Clone)]
pub struct ServedModel {
    /// Its name.
    pub name: String,
    /// Its version (the model file's content hash unless a registry gives one).
    pub version: String,
    /// The segmentation model.
    pub model: ModelFile,
    /// The lifetime-value model, when loaded.
    pub clv: Option<ClvService>,
}

/// Limits and options of the server.
#[derive(Debug, Clone, PartialEq)]
pub struct ServeOptions {
    /// Largest request body, in bytes (Vertex AI's own limit is 1.5 MB).
    pub max_body_bytes: usize,
    /// Most instances in one request.
    pub max_instances: usize,
    /// Bearer token required on prediction and admin routes, when set.
    pub token: Option<String>,
    /// Path of the health route (`AIP_HEALTH_ROUTE`).
    pub health_route: String,
    /// Path of the prediction route (`AIP_PREDICT_ROUTE`).
    pub predict_route: String,
    /// The latest report (`report/index.html` of the run), served at `/report` and linked from
    /// the dashboard when there is one.
    pub report_file: Option<std::path::PathBuf>,
    /// The prediction log's directory, read for the dashboard's and `/metrics`' drift.
    pub log_dir: Option<std::path::PathBuf>,
    /// How far back the live drift reads the log (hourly windows over it).
    pub drift_history: std::time::Duration,
    /// How often the live drift is recomputed at most.
    pub drift_refresh: std::time::Duration,
    /// The live drift's thresholds.
    pub drift_thresholds: crate::drift::Thresholds,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            max_body_bytes: 1_500_000,
            max_instances: 10_000,
            token: None,
            health_route: "/health".into(),
            predict_route: "/predict".into(),
            report_file: None,
            log_dir: None,
            drift_history: std::time::Duration::from_secs(24 * 3600),
            drift_refresh: std::time::Duration::from_secs(30),
            drift_thresholds: crate::drift::Thresholds::default(),
        }
    }
}

/// Shared by every request.
#[derive(Debug)]
pub struct AppState {
    current: RwLock<Arc<ServedModel>>,
    /// Limits and options.
    pub options: ServeOptions,
    /// The server's metrics.
    pub metrics: Arc<Metrics>,
    log: RwLock<Option<PredictionLog>>,
    /// Drift of the logged predictions of the last hours.
    pub live: crate::live::LiveDrift,
}

impl AppState {
    /// A state serving `model`.
    pub fn new(model: ServedModel, options: ServeOptions) -> Self {
        let metrics = Arc::new(Metrics::new());
        metrics.model(&model.name, &model.version);
        Self {
            current: RwLock::new(Arc::new(model)),
            options,
            metrics,
            log: RwLock::new(None),
            live: crate::live::LiveDrift::default(),
        }
    }

    /// Logs every prediction from now on.
    pub fn set_log(&self, log: PredictionLog) {
        match self.log.write() {
            Ok(mut guard) => *guard = Some(log),
            Err(poisoned) => *poisoned.into_inner() = Some(log),
        }
    }

    /// Stops logging; the writer task then writes what it holds and ends.
    pub fn close_log(&self) {
        match self.log.write() {
            Ok(mut guard) => *guard = None,
            Err(poisoned) => *poisoned.into_inner() = None,
        }
    }

    /// Hands records to the prediction log, if there is one; returns records dropped and
    /// records whose write failed, so far.
    pub fn log(&self, request: impl FnOnce() -> LoggedRequest) -> (u64, u64) {
        let guard = match self.log.read() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        match guard.as_ref() {
            Some(log) => {
                log.record(request());
                (log.dropped(), log.failed())
            }
            None => (0, 0),
        }
    }

    /// The live drift view of the model now served.
    pub fn live_view(&self) -> Arc<crate::live::LiveView> {
        let served = self.current();
        self.live.view(
            crate::live::Served {
                version: &served.version,
                model: &served.model,
            },
            self.options.log_dir.as_deref(),
            self.options.drift_history,
            self.options.drift_refresh,
            &self.options.drift_thresholds,
        )
    }

    /// The model now served; a request keeps this one even if a reload swaps it meanwhile.
    pub fn current(&self) -> Arc<ServedModel> {
        match self.current.read() {
            Ok(guard) => Arc::clone(&guard),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Serves `model` from the next request on.
    pub fn replace(&self, model: ServedModel) {
        self.metrics.model(&model.name, &model.version);
        let model = Arc::new(model);
        match self.current.write() {
            Ok(mut guard) => *guard = model,
            Err(poisoned) => *poisoned.into_inner() = model,
        }
    }
}
