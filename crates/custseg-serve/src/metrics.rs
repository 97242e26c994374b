//! Prometheus metrics (`GET /metrics`): requests by route and status, latency, instances
//! scored, predictions per segment, and the recent inputs of every feature.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::AtomicU64;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Instances kept for the recent-input statistics.
pub const RECENT_INSTANCES: usize = 1000;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SegmentLabels {
    cluster: u64,
    segment: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FeatureLabels {
    feature: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ModelLabels {
    name: String,
    version: String,
}

type FloatGauge = Gauge<f64, AtomicU64>;

/// The server's metrics.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    instances: Counter,
    predictions: Family<SegmentLabels, Counter>,
    recent_min: Family<FeatureLabels, FloatGauge>,
    recent_max: Family<FeatureLabels, FloatGauge>,
    recent_mean: Family<FeatureLabels, FloatGauge>,
    model: Family<ModelLabels, Gauge>,
    log_dropped: Gauge,
    drift_psi: Family<FeatureLabels, FloatGauge>,
    recent: Mutex<(Vec<String>, VecDeque<Vec<f64>>)>,
    requests_window: Mutex<VecDeque<(Instant, f64, u16)>>,
    clusters_window: Mutex<VecDeque<usize>>,
}

/// Requests remembered for the dashboard's rates and percentiles.
pub const RECENT_REQUESTS: usize = 20_000;

/// What the dashboard shows of recent traffic.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Traffic {
    /// Requests per second over the last 10 seconds.
    pub requests_per_second: f64,
    /// Share of those answered with a 4xx or 5xx.
    pub error_rate: f64,
    /// Latency percentiles of the recent requests, in milliseconds.
    pub latency_ms: [f64; 3],
    /// Requests remembered.
    pub requests: usize,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match mutex.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Empty metrics, registered under `custseg_`.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("custseg");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests by route and status",
            requests.clone(),
        );
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.000_05, 2.0, 18))
        });
        registry.register(
            "http_request_duration_seconds",
            "Time to answer a request, by route",
            latency.clone(),
        );
        let instances = Counter::default();
        registry.register(
            "instances_scored",
            "Instances scored by /predict",
            instances.clone(),
        );
        let predictions = Family::<SegmentLabels, Counter>::default();
        registry.register("predictions", "Predictions by segment", predictions.clone());
        let recent_min = Family::<FeatureLabels, FloatGauge>::default();
        let recent_max = Family::<FeatureLabels, FloatGauge>::default();
        let recent_mean = Family::<FeatureLabels, FloatGauge>::default();
        registry.register(
            "feature_recent_min",
            "Smallest value of each feature over the recent instances",
            recent_min.clone(),
        );
        registry.register(
            "feature_recent_max",
            "Largest value of each feature over the recent instances",
            recent_max.clone(),
        );
        registry.register(
            "feature_recent_mean",
            "Mean of each feature over the recent instances",
            recent_mean.clone(),
        );
        let model = Family::<ModelLabels, Gauge>::default();
        registry.register(
            "model_info",
            "The model served (1 for the current one)",
            model.clone(),
        );
        let log_dropped = Gauge::default();
        registry.register(
            "prediction_log_dropped",
            "Predictions not logged because the log writer could not keep up",
            log_dropped.clone(),
        );
        let drift_psi = Family::<FeatureLabels, FloatGauge>::default();
        registry.register(
            "feature_drift_psi",
            "PSI of each feature's recent inputs against its training histogram",
            drift_psi.clone(),
        );
        Self {
            registry,
            requests,
            latency,
            instances,
            predictions,
            recent_min,
            recent_max,
            recent_mean,
            model,
            log_dropped,
            drift_psi,
            recent: Mutex::new((Vec::new(), VecDeque::with_capacity(RECENT_INSTANCES))),
            requests_window: Mutex::new(VecDeque::with_capacity(RECENT_REQUESTS)),
            clusters_window: Mutex::new(VecDeque::with_capacity(RECENT_INSTANCES)),
        }
    }

    /// Records one answered request.
    pub fn request(&self, route: &str, status: u16, seconds: f64) {
        // The dashboard's own polling and scrapes are not traffic.
        if !matches!(route, "/" | "/v1/dashboard" | "/metrics") {
            let mut window = lock(&self.requests_window);
            if window.len() == RECENT_REQUESTS {
                window.pop_front();
            }
            window.push_back((Instant::now(), seconds, status));
        }
        self.requests
            .get_or_create(&RequestLabels {
                route: route.to_owned(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                route: route.to_owned(),
            })
            .observe(seconds);
    }

    /// Records scored instances: their segments and their feature values.
    pub fn scored(&self, features: &[String], rows: &[Vec<f64>], segments: &[(usize, &str)]) {
        self.instances.inc_by(rows.len() as u64);
        for (cluster, segment) in segments {
            self.predictions
                .get_or_create(&SegmentLabels {
                    cluster: *cluster as u64,
                    segment: (*segment).to_owned(),
                })
                .inc();
        }
        {
            let mut window = lock(&self.clusters_window);
            for (cluster, _) in segments.iter().rev().take(RECENT_INSTANCES).rev() {
                if window.len() == RECENT_INSTANCES {
                    window.pop_front();
                }
                window.push_back(*cluster);
            }
        }
        let mut recent = lock(&self.recent);
        if recent.0 != features {
            recent.0 = features.to_vec();
            recent.1.clear();
        }
        for row in rows.iter().rev().take(RECENT_INSTANCES).rev() {
            if recent.1.len() == RECENT_INSTANCES {
                recent.1.pop_front();
            }
            recent.1.push_back(row.clone());
        }
    }

    /// Recent traffic (the dashboard's polling and metric scrapes left out).
    pub fn traffic(&self) -> Traffic {
        let window = lock(&self.requests_window);
        let now = Instant::now();
        let last: Vec<&(Instant, f64, u16)> = window
            .iter()
            .filter(|(at, _, _)| now.duration_since(*at).as_secs_f64() <= 10.0)
            .collect();
        let errors = last.iter().filter(|r| r.2 >= 400).count();
        let mut latencies: Vec<f64> = window.iter().map(|r| r.1 * 1000.0).collect();
        latencies.sort_by(f64::total_cmp);
        let pick = |q: f64| {
            if latencies.is_empty() {
                0.0
            } else {
                latencies[((latencies.len() - 1) as f64 * q).round() as usize]
            }
        };
        Traffic {
            requests_per_second: last.len() as f64 / 10.0,
            error_rate: if last.is_empty() {
                0.0
            } else {
                errors as f64 / last.len() as f64
            },
            latency_ms: [pick(0.5), pick(0.95), pick(0.99)],
            requests: latencies.len(),
        }
    }

    /// The segments of the recent predictions.
    pub fn recent_clusters(&self) -> Vec<usize> {
        lock(&self.clusters_window).iter().copied().collect()
    }

    /// Sets the count of predictions the log dropped.
    pub fn log_dropped(&self, dropped: u64) {
        self.log_dropped
            .set(i64::try_from(dropped).unwrap_or(i64::MAX));
    }

    /// Marks the model now served.
    pub fn model(&self, name: &str, version: &str) {
        self.model.clear();
        self.model
            .get_or_create(&ModelLabels {
                name: name.to_owned(),
                version: version.to_owned(),
            })
            .set(1);
    }

    /// The recent instances' rows (oldest first) and their feature names.
    pub fn recent(&self) -> (Vec<String>, Vec<Vec<f64>>) {
        let recent = match self.recent.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        (recent.0.clone(), recent.1.iter().cloned().collect())
    }

    /// The text exposition format, with the drift scores `psi` (feature, PSI) of this moment.
    pub fn render(&self, psi: &[(String, f64)]) -> String {
        for (feature, value) in psi {
            self.drift_psi
                .get_or_create(&FeatureLabels {
                    feature: feature.clone(),
                })
                .set(*value);
        }
        let (features, rows) = self.recent();
        for (j, feature) in features.iter().enumerate() {
            let values: Vec<f64> = rows.iter().map(|r| r[j]).collect();
            if values.is_empty() {
                continue;
            }
            let labels = FeatureLabels {
                feature: feature.clone(),
            };
            self.recent_min
                .get_or_create(&labels)
                .set(values.iter().copied().fold(f64::INFINITY, f64::min));
            self.recent_max
                .get_or_create(&labels)
                .set(values.iter().copied().fold(f64::NEG_INFINITY, f64::max));
            self.recent_mean
                .get_or_create(&labels)
                .set(values.iter().sum::<f64>() / values.len() as f64);
        }
        let mut text = String::new();
        if encode(&mut text, &self.registry).is_err() {
            text.clear();
        }
        text
    }
}

/// Middleware recording every request's route (the matched pattern, so ids in paths do not
/// multiply the series), status and latency.
pub async fn track(
    State(metrics): State<std::sync::Arc<Metrics>>,
    request: Request,
    next: Next,
) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let clock = Instant::now();
    let response = next.run(request).await;
    metrics.request(
        &route,
        response.status().as_u16(),
        clock.elapsed().as_secs_f64(),
    );
    response
}
