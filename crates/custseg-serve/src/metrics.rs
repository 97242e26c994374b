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
    log_failed: Gauge,
    drift_psi: Family<FeatureLabels, FloatGauge>,
    drift_effect: Family<FeatureLabels, FloatGauge>,
    drift_threshold: Family<FeatureLabels, FloatGauge>,
    drift_p_adjusted: Family<FeatureLabels, FloatGauge>,
    drift_verdict: Gauge,
    drift_rows: Gauge,
    recent: Mutex<(Vec<String>, VecDeque<Vec<f64>>)>,
    /// The recent requests and the per-minute history, behind one lock: every counted request
    /// updates both.
    requests_window: Mutex<RequestLog>,
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
        let log_failed = Gauge::default();
        registry.register(
            "prediction_log_failed",
            "Predictions not logged because writing the log failed (each failure is logged)",
            log_failed.clone(),
        );
        let drift_psi = Family::<FeatureLabels, FloatGauge>::default();
        registry.register(
            "feature_drift_psi",
            "PSI of each feature's logged inputs (drift history) over the training deciles",
            drift_psi.clone(),
        );
        let drift_effect = Family::<FeatureLabels, FloatGauge>::default();
        registry.register(
            "feature_drift_effect",
            "Wasserstein distance of each feature's logged inputs from training, on its drift scale",
            drift_effect.clone(),
        );
        let drift_threshold = Family::<FeatureLabels, FloatGauge>::default();
        registry.register(
            "feature_drift_threshold",
            "The effect from which each feature has drifted, on its drift scale",
            drift_threshold.clone(),
        );
        let drift_p_adjusted = Family::<FeatureLabels, FloatGauge>::default();
        registry.register(
            "feature_drift_p_adjusted",
            "Holm-adjusted p-value of each feature's drift test",
            drift_p_adjusted.clone(),
        );
        let drift_verdict = Gauge::default();
        registry.register(
            "drift",
            "1 when the logged inputs of the drift history have drifted, 0 otherwise",
            drift_verdict.clone(),
        );
        let drift_rows = Gauge::default();
        registry.register(
            "drift_rows",
            "Logged predictions the drift verdict is computed over",
            drift_rows.clone(),
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
            log_failed,
            drift_psi,
            drift_effect,
            drift_threshold,
            drift_p_adjusted,
            drift_verdict,
            drift_rows,
            recent: Mutex::new((Vec::new(), VecDeque::with_capacity(RECENT_INSTANCES))),
            requests_window: Mutex::new(RequestLog {
                recent: VecDeque::with_capacity(RECENT_REQUESTS),
                minutes: VecDeque::new(),
            }),
            clusters_window: Mutex::new(VecDeque::with_capacity(RECENT_INSTANCES)),
        }
    }

    /// Records one answered request.
    pub fn request(&self, route: &str, status: u16, seconds: f64) {
        // The dashboard's own polling and scrapes are not traffic.
        if !matches!(route, "/" | "/v1/dashboard" | "/metrics") {
            let minute = chrono::Utc::now().timestamp().div_euclid(60);
            let mut log = lock(&self.requests_window);
            if log.recent.len() == RECENT_REQUESTS {
                log.recent.pop_front();
            }
            log.recent.push_back((Instant::now(), seconds, status));
            let history = &mut log.minutes;
            if history.back().is_none_or(|m| m.minute != minute) {
                if history.len() == HISTORY_MINUTES {
                    history.pop_front();
                }
                history.push_back(MinuteTraffic::new(minute));
            }
            if let Some(bucket) = history.back_mut() {
                bucket.add(seconds, status);
            }
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
        let log = lock(&self.requests_window);
        let window = &log.recent;
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

    /// Sets the count of predictions whose log write failed.
    pub fn log_failed(&self, failed: u64) {
        self.log_failed
            .set(i64::try_from(failed).unwrap_or(i64::MAX));
    }

    /// Traffic minute by minute over the last `minutes` (minutes without a request left out).
    pub fn history(&self, minutes: i64) -> Vec<MinutePoint> {
        let now = chrono::Utc::now().timestamp().div_euclid(60);
        lock(&self.requests_window)
            .minutes
            .iter()
            .filter(|m| m.minute > now - minutes)
            .map(MinuteTraffic::point)
            .collect()
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

    /// The text exposition format, with the live drift `live` of this moment.
    pub fn render(&self, live: &crate::live::LiveView) -> String {
        self.drift_psi.clear();
        self.drift_effect.clear();
        self.drift_threshold.clear();
        self.drift_p_adjusted.clear();
        match &live.overall {
            Some(overall) if overall.decided => {
                for f in overall.features.iter().chain(&overall.multivariate) {
                    let labels = FeatureLabels {
                        feature: f.feature.clone(),
                    };
                    self.drift_psi.get_or_create(&labels).set(f.psi);
                    self.drift_effect.get_or_create(&labels).set(f.effect);
                    self.drift_threshold
                        .get_or_create(&labels)
                        .set(f.effect_threshold);
                    self.drift_p_adjusted
                        .get_or_create(&labels)
                        .set(f.p_adjusted);
                }
                self.drift_verdict.set(i64::from(overall.drift));
                self.drift_rows
                    .set(i64::try_from(overall.rows).unwrap_or(i64::MAX));
            }
            other => {
                self.drift_verdict.set(0);
                self.drift_rows.set(
                    other
                        .as_ref()
                        .map_or(0, |o| i64::try_from(o.rows).unwrap_or(i64::MAX)),
                );
            }
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

/// Requests remembered: the recent ones (time, seconds, status) and a week of minutes.
#[derive(Debug)]
struct RequestLog {
    recent: VecDeque<(Instant, f64, u16)>,
    minutes: VecDeque<MinuteTraffic>,
}

/// Minutes of traffic history kept (a week).
pub const HISTORY_MINUTES: usize = 7 * 24 * 60;

/// Upper bounds, in milliseconds, of the latency buckets of the minute history.
const LATENCY_BOUNDS_MS: [f64; 16] = [
    0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0,
    5000.0,
];

/// One minute of traffic.
#[derive(Debug, Clone)]
struct MinuteTraffic {
    minute: i64,
    requests: u64,
    errors: u64,
    /// Requests per latency bucket (the last for anything slower than the last bound).
    latency: [u64; 17],
}

/// One minute of traffic as the dashboard draws it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct MinutePoint {
    /// The minute's start (RFC 3339).
    pub time: String,
    /// Requests answered.
    pub requests: u64,
    /// Of which 4xx or 5xx.
    pub errors: u64,
    /// Latency percentiles 50, 95 and 99, in milliseconds (upper bounds of their buckets).
    pub latency_ms: [f64; 3],
}

impl MinuteTraffic {
    fn new(minute: i64) -> Self {
        Self {
            minute,
            requests: 0,
            errors: 0,
            latency: [0; 17],
        }
    }

    fn add(&mut self, seconds: f64, status: u16) {
        self.requests += 1;
        if status >= 400 {
            self.errors += 1;
        }
        let ms = seconds * 1000.0;
        let bucket = LATENCY_BOUNDS_MS.partition_point(|b| *b < ms);
        self.latency[bucket] += 1;
    }

    fn point(&self) -> MinutePoint {
        let percentile = |q: f64| {
            let target = (q * self.requests as f64).ceil().max(1.0) as u64;
            let mut seen = 0;
            for (i, count) in self.latency.iter().enumerate() {
                seen += count;
                if seen >= target {
                    return LATENCY_BOUNDS_MS
                        .get(i)
                        .copied()
                        .unwrap_or(2.0 * LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.len() - 1]);
                }
            }
            0.0
        };
        MinutePoint {
            time: chrono::DateTime::from_timestamp(self.minute * 60, 0)
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                .unwrap_or_default(),
            requests: self.requests,
            errors: self.errors,
            latency_ms: [percentile(0.5), percentile(0.95), percentile(0.99)],
        }
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
