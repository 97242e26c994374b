//! Live drift for `/metrics` and the dashboard: the prediction log of the last hours, cut into
//! hourly windows and analysed by the same code as `custseg monitor drift --window hour`
//! (so both agree on the same rows), recomputed at most once per refresh interval and only
//! when asked for. Past windows whose rows did not change are not recomputed.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::drift::{PreparedReference, Thresholds, WindowDrift, WindowSpec, report_with_cache};
use crate::prediction_log;

/// What the dashboard and `/metrics` show of drift.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LiveView {
    /// When it was computed (RFC 3339).
    pub computed_at: String,
    /// The first time it covers (the log is read from here on).
    pub since: String,
    /// All predictions since then: the current verdict.
    pub overall: Option<WindowDrift>,
    /// Hour by hour, oldest first.
    pub windows: Vec<WindowDrift>,
    /// When the drift that is still going on began.
    pub drift_began: Option<String>,
    /// Why there is nothing to show, when there is not.
    pub note: Option<String>,
}

#[derive(Default)]
struct Inner {
    prepared: Option<(String, Arc<PreparedReference>)>,
    view: Option<(Instant, String, Arc<LiveView>)>,
    windows: HashMap<String, (usize, WindowDrift)>,
}

/// The model being served, as the live view needs it: its version (a new one starts a new
/// view) and its file (whose drift reference the log is compared with).
#[derive(Debug, Clone, Copy)]
pub struct Served<'a> {
    /// The served version.
    pub version: &'a str,
    /// The served model file.
    pub model: &'a custseg_model::ModelFile,
}

/// The cached live drift of a server.
#[derive(Default)]
pub struct LiveDrift {
    inner: Mutex<Inner>,
}

impl std::fmt::Debug for LiveDrift {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LiveDrift")
    }
}

fn empty(since: String, note: String) -> LiveView {
    LiveView {
        computed_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        since,
        overall: None,
        windows: Vec::new(),
        drift_began: None,
        note: Some(note),
    }
}

impl LiveDrift {
    /// The view of the last `history` of the log under `log_dir` for `served`, recomputed
    /// when older than `refresh` or when the model changed.
    pub fn view(
        &self,
        served: Served<'_>,
        log_dir: Option<&Path>,
        history: Duration,
        refresh: Duration,
        thresholds: &Thresholds,
    ) -> Arc<LiveView> {
        let mut inner = match self.inner.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some((at, version, view)) = &inner.view
            && at.elapsed() < refresh
            && version == served.version
        {
            return Arc::clone(view);
        }
        let since = chrono::Utc::now()
            - chrono::Duration::from_std(history).unwrap_or(chrono::Duration::hours(24));
        let since = since.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let view = Arc::new(self.compute(&mut inner, served, log_dir, since, thresholds));
        inner.view = Some((Instant::now(), served.version.to_owned(), Arc::clone(&view)));
        view
    }

    fn compute(
        &self,
        inner: &mut Inner,
        served: Served<'_>,
        log_dir: Option<&Path>,
        since: String,
        thresholds: &Thresholds,
    ) -> LiveView {
        let Some(log_dir) = log_dir else {
            return empty(
                since,
                "no prediction log (the server runs with --no-log)".into(),
            );
        };
        let Some(reference) = served.model.drift_reference.clone() else {
            return empty(
                since,
                "the model holds no drift reference (trained by an older custseg); retrain it"
                    .into(),
            );
        };
        if inner
            .prepared
            .as_ref()
            .is_none_or(|(version, _)| version != served.version)
        {
            let sizes = served
                .model
                .segments
                .iter()
                .map(|s| (s.id, s.size))
                .collect();
            inner.prepared = Some((
                served.version.to_owned(),
                Arc::new(PreparedReference::new(reference, sizes)),
            ));
            inner.windows.clear();
        }
        let Some((_, prepared)) = inner.prepared.clone() else {
            return empty(since, "no drift reference".into());
        };
        let logged = match prediction_log::read_inputs(log_dir, Some(&since)) {
            Ok((logged, _)) => logged,
            Err(error) => {
                return empty(since, format!("cannot read the prediction log: {error}"));
            }
        };
        let width = served.model.features.len();
        let rows = prediction_log::LoggedInput::rows_of_width(&logged, width);
        if rows.is_empty() {
            return empty(since, "no predictions logged in this period yet".into());
        }
        let report = report_with_cache(
            &prepared,
            &rows,
            WindowSpec::Hour,
            thresholds,
            &mut inner.windows,
        );
        LiveView {
            computed_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            since,
            overall: Some(report.overall),
            windows: report.windows,
            drift_began: report.drift_began,
            note: None,
        }
    }
}
