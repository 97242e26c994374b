//! The prediction log: every scored instance (time, model version, inputs, segment, latency) as
//! one JSON line in `predictions-YYYY-MM-DD.jsonl` under the log directory.
//!
//! Requests hand their records, one batch per request, to a background task and never wait
//! on the disk; the task appends and `fsync`s once per flush interval, so a crash loses at most
//! the records of the last interval. When [`QUEUE`] records are already waiting (the disk
//! cannot keep up), a request's records are dropped and counted, never silently. Shutdown
//! flushes what is buffered.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

/// Records waiting for the writer at most; beyond, new records are dropped and counted.
pub const QUEUE: u64 = 100_000;

/// One logged prediction: a line of the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoggedPrediction {
    /// When it was answered (RFC 3339, UTC).
    pub time: String,
    /// Model version.
    pub model_version: String,
    /// Inputs, in the model's feature order.
    pub features: Vec<f64>,
    /// Segment id.
    pub cluster: usize,
    /// Whether the outlier detector flagged it.
    pub outlier: bool,
    /// Time to answer the whole request, in milliseconds.
    pub latency_ms: f64,
}

/// What drift detection reads of a logged line: its time, inputs and segment (the other
/// fields are skipped unparsed, which saves an allocation per line over a million lines).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct LoggedInput {
    /// When it was answered (RFC 3339, UTC).
    pub time: String,
    /// Inputs, in the model's feature order.
    pub features: Vec<f64>,
    /// Segment id.
    pub cluster: usize,
}

impl LoggedInput {
    /// The lines with `width` inputs (those logged for this model's features), as drift's
    /// `(time, inputs, segment)` rows.
    pub fn rows_of_width(lines: &[Self], width: usize) -> Vec<(&str, &[f64], usize)> {
        lines
            .iter()
            .filter(|r| r.features.len() == width)
            .map(|r| (r.time.as_str(), r.features.as_slice(), r.cluster))
            .collect()
    }
}

/// [`LoggedPrediction`] as written, borrowing from a [`LoggedRequest`] (same fields, same
/// order, so the lines read back as `LoggedPrediction`s).
#[derive(Serialize)]
struct Line<'a> {
    time: &'a str,
    model_version: &'a str,
    features: &'a [f64],
    cluster: usize,
    outlier: bool,
    latency_ms: f64,
}

/// The predictions of one request: what they share once, then per instance its inputs and
/// answer. One request of 1,000 instances is one message and four allocations, not 1,000
/// records with their own copies of the time and version.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedRequest {
    /// When it was answered (RFC 3339, UTC).
    pub time: String,
    /// Model version.
    pub model_version: String,
    /// Time to answer the whole request, in milliseconds.
    pub latency_ms: f64,
    /// Every instance's inputs, one after another, `features.len() / answers.len()` each.
    pub features: Vec<f64>,
    /// Per instance: segment id and whether it is an outlier.
    pub answers: Vec<(usize, bool)>,
}

impl LoggedRequest {
    /// Its lines, one per instance.
    fn lines(&self) -> impl Iterator<Item = Line<'_>> {
        let width = self.features.len() / self.answers.len().max(1);
        self.features.chunks(width.max(1)).zip(&self.answers).map(
            |(features, &(cluster, outlier))| Line {
                time: &self.time,
                model_version: &self.model_version,
                features,
                cluster,
                outlier,
                latency_ms: self.latency_ms,
            },
        )
    }
}

/// The sending side, held by the server.
#[derive(Debug, Clone)]
pub struct PredictionLog {
    sender: mpsc::UnboundedSender<LoggedRequest>,
    /// Records sent and not yet taken by the writer: the queue's bound is on these.
    queued: Arc<AtomicU64>,
    dropped: Arc<AtomicU64>,
    /// Records the writer could not write (a full disk, a missing directory).
    failed: Arc<AtomicU64>,
}

impl PredictionLog {
    /// Starts the writer task on the current Tokio runtime. The returned handle finishes once
    /// every sender is dropped and the last records are on disk.
    pub fn start(
        dir: PathBuf,
        flush_every: Duration,
    ) -> std::io::Result<(Self, tokio::task::JoinHandle<()>)> {
        std::fs::create_dir_all(&dir)?;
        let (sender, receiver) = mpsc::unbounded_channel();
        let queued = Arc::new(AtomicU64::new(0));
        let failed = Arc::new(AtomicU64::new(0));
        let task = tokio::spawn(write_loop(
            dir,
            receiver,
            Arc::clone(&queued),
            Arc::clone(&failed),
            flush_every,
        ));
        Ok((
            Self {
                sender,
                queued,
                dropped: Arc::new(AtomicU64::new(0)),
                failed,
            },
            task,
        ))
    }

    /// Queues a request's records; drops (and counts) them when [`QUEUE`] records are
    /// waiting already.
    pub fn record(&self, request: LoggedRequest) {
        let records = request.answers.len() as u64;
        let waiting = self.queued.fetch_add(records, Ordering::AcqRel);
        if waiting + records > QUEUE || self.sender.send(request).is_err() {
            self.queued.fetch_sub(records, Ordering::AcqRel);
            self.dropped.fetch_add(records, Ordering::Relaxed);
        }
    }

    /// Records dropped because the writer could not keep up.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Records the writer failed to write (each failure is also logged as an error).
    pub fn failed(&self) -> u64 {
        self.failed.load(Ordering::Relaxed)
    }
}

/// The file records of `date` (`YYYY-MM-DD`) go to.
pub fn file_for(dir: &Path, date: &str) -> PathBuf {
    dir.join(format!("predictions-{date}.jsonl"))
}

async fn write_loop(
    dir: PathBuf,
    mut receiver: mpsc::UnboundedReceiver<LoggedRequest>,
    queued: Arc<AtomicU64>,
    failed: Arc<AtomicU64>,
    flush_every: Duration,
) {
    let count =
        |batch: &[LoggedRequest]| -> u64 { batch.iter().map(|r| r.answers.len() as u64).sum() };
    let mut buffer: Vec<LoggedRequest> = Vec::new();
    let mut ticker = tokio::time::interval(flush_every);
    // The append in flight, if any: the loop keeps taking requests while it writes, so a
    // slow `fsync` does not back the queue up into dropped records.
    let mut writing: Option<tokio::task::JoinHandle<(u64, std::io::Result<()>)>> = None;
    loop {
        tokio::select! {
            // Many requests per wake-up: one at a time, the writer falls behind under load.
            received = receiver.recv_many(&mut buffer, 1024) => {
                if received == 0 {
                    break;
                }
                let records: u64 = buffer[buffer.len() - received..]
                    .iter()
                    .map(|request| request.answers.len() as u64)
                    .sum();
                queued.fetch_sub(records, Ordering::AcqRel);
            },
            _ = ticker.tick(), if writing.is_none() && !buffer.is_empty() => {
                let batch = std::mem::take(&mut buffer);
                let dir = dir.clone();
                writing = Some(tokio::task::spawn_blocking(move || {
                    (count(&batch), append(&dir, &batch))
                }));
            },
            written = async {
                match writing.as_mut() {
                    Some(handle) => handle.await,
                    None => std::future::pending().await,
                }
            }, if writing.is_some() => {
                writing = None;
                if let Ok((records, Err(error))) = written {
                    failed.fetch_add(records, Ordering::Relaxed);
                    tracing::error!(%error, records, "cannot write the prediction log; these records are lost");
                }
            }
        }
    }
    if let Some(handle) = writing
        && let Ok((records, Err(error))) = handle.await
    {
        failed.fetch_add(records, Ordering::Relaxed);
        tracing::error!(%error, records, "cannot write the prediction log; these records are lost");
    }
    if let Err(error) = append(&dir, &buffer) {
        failed.fetch_add(count(&buffer), Ordering::Relaxed);
        tracing::error!(%error, "cannot write the prediction log's last records");
    }
}

/// Bytes of log lines written to the file at a time.
const WRITE_BUFFER: usize = 256 * 1024;

/// Appends requests' records to their day's file and syncs it.
fn append(dir: &Path, requests: &[LoggedRequest]) -> std::io::Result<()> {
    let mut start = 0;
    while start < requests.len() {
        let date = requests[start]
            .time
            .get(..10)
            .unwrap_or("unknown")
            .to_owned();
        let end = requests[start..]
            .iter()
            .position(|r| r.time.get(..10) != Some(date.as_str()))
            .map_or(requests.len(), |p| start + p);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(file_for(dir, &date))?;
        // Written through a buffer that stays in the CPU's cache: an interval's lines under
        // load are 100 MB and more, and building them in one buffer first doubled the cost
        // of logging (see docs/benchmarks.md, serving).
        let mut writer = std::io::BufWriter::with_capacity(WRITE_BUFFER, file);
        for line in requests[start..end].iter().flat_map(LoggedRequest::lines) {
            serde_json::to_writer(&mut writer, &line)?;
            writer.write_all(b"\n")?;
        }
        writer
            .into_inner()
            .map_err(|e| e.into_error())?
            .sync_data()?;
        start = end;
    }
    Ok(())
}

/// Reads the logged predictions under `dir` answered at or after `since` (RFC 3339 strings
/// in the log's own form, as [`parse_since`] gives them, compare in time order), oldest file
/// first. A line that does not parse (a record cut by a crash) is skipped and counted. Lines
/// are parsed in parallel: a million of them is a few hundred megabytes of JSON.
pub fn read(dir: &Path, since: Option<&str>) -> std::io::Result<(Vec<LoggedPrediction>, usize)> {
    read_lines(dir, since, |p: &LoggedPrediction| p.time.as_str())
}

/// [`read`], keeping only what drift detection needs of each line.
pub fn read_inputs(dir: &Path, since: Option<&str>) -> std::io::Result<(Vec<LoggedInput>, usize)> {
    read_lines(dir, since, |p: &LoggedInput| p.time.as_str())
}

fn read_lines<T: serde::de::DeserializeOwned + Send>(
    dir: &Path,
    since: Option<&str>,
    time: impl Fn(&T) -> &str,
) -> std::io::Result<(Vec<T>, usize)> {
    use rayon::prelude::*;
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("predictions-") && n.ends_with(".jsonl"))
        })
        .collect();
    files.sort();
    let (mut records, mut broken) = (Vec::new(), 0);
    for file in files {
        // A day's file ends before `since` when the next day starts at or before it.
        let day = file
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.get(12..22))
            .unwrap_or("");
        if since.is_some_and(|s| day.len() == 10 && format!("{day}T23:59:59.999Z").as_str() < s) {
            continue;
        }
        let text = std::fs::read_to_string(&file)?;
        let parsed: Vec<Option<T>> = text
            .par_lines()
            .map(|line| serde_json::from_str::<T>(line).ok())
            .collect();
        for record in parsed {
            match record {
                Some(record) if since.is_none_or(|s| time(&record) >= s) => records.push(record),
                Some(_) => {}
                None => broken += 1,
            }
        }
    }
    Ok((records, broken))
}

/// A `--since` given as a date (`2026-12-01`, its midnight UTC) or an RFC 3339 time, in the
/// log's own form (`2026-12-01T00:00:00.000Z`) so that it compares with logged times as text.
pub fn parse_since(text: &str) -> Result<String, String> {
    let time = if let Ok(date) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        date.and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc())
            .ok_or_else(|| format!("`{text}` is not a valid date"))?
    } else {
        chrono::DateTime::parse_from_rfc3339(text)
            .map_err(|e| {
                format!(
                    "`{text}` is neither a date (2026-12-01) nor an RFC 3339 time (2026-12-01T08:00:00Z): {e}"
                )
            })?
            .with_timezone(&chrono::Utc)
    };
    Ok(time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(time: &str, cluster: usize) -> LoggedRequest {
        LoggedRequest {
            time: time.into(),
            model_version: "v1".into(),
            latency_ms: 0.2,
            features: vec![1.0, 2.5],
            answers: vec![(cluster, false)],
        }
    }

    #[tokio::test]
    async fn a_request_is_one_line_per_instance_and_the_queue_bound_counts_records() {
        let dir = tempfile::tempdir().unwrap();
        let (log, task) =
            PredictionLog::start(dir.path().to_path_buf(), Duration::from_secs(3600)).unwrap();
        log.record(LoggedRequest {
            time: "2026-12-01T10:00:00.000Z".into(),
            model_version: "v7".into(),
            latency_ms: 1.5,
            features: vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            answers: vec![(0, false), (3, true)],
        });
        // Over the bound: the whole request is dropped and its records counted.
        let too_many = QUEUE as usize + 1;
        log.record(LoggedRequest {
            time: "2026-12-01T10:00:01.000Z".into(),
            model_version: "v7".into(),
            latency_ms: 1.5,
            features: vec![0.0; 3 * too_many],
            answers: vec![(0, false); too_many],
        });
        assert_eq!(log.dropped(), QUEUE + 1);
        drop(log);
        task.await.unwrap();
        let (lines, broken) = read(dir.path(), None).unwrap();
        assert_eq!(broken, 0);
        assert_eq!(
            lines,
            vec![
                LoggedPrediction {
                    time: "2026-12-01T10:00:00.000Z".into(),
                    model_version: "v7".into(),
                    features: vec![1.0, 2.0, 3.0],
                    cluster: 0,
                    outlier: false,
                    latency_ms: 1.5,
                },
                LoggedPrediction {
                    time: "2026-12-01T10:00:00.000Z".into(),
                    model_version: "v7".into(),
                    features: vec![4.0, 5.0, 6.0],
                    cluster: 3,
                    outlier: true,
                    latency_ms: 1.5,
                },
            ]
        );
    }

    #[tokio::test]
    async fn records_reach_the_day_file_and_read_back_since_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let (log, task) =
            PredictionLog::start(dir.path().to_path_buf(), Duration::from_millis(20)).unwrap();
        log.record(record("2026-11-30T23:59:59Z", 0));
        log.record(record("2026-12-01T00:00:01Z", 1));
        log.record(record("2026-12-01T08:00:00Z", 2));
        tokio::time::sleep(Duration::from_millis(100)).await;
        // Flushed by the interval, before shutdown.
        let (all, broken) = read(dir.path(), None).unwrap();
        assert_eq!((all.len(), broken), (3, 0));
        assert!(
            file_for(dir.path(), "2026-11-30").exists()
                && file_for(dir.path(), "2026-12-01").exists()
        );
        log.record(record("2026-12-01T09:00:00Z", 3));
        drop(log);
        task.await.unwrap();
        let (since, _) = read(dir.path(), Some("2026-12-01T08:00:00Z")).unwrap();
        assert_eq!(
            since.iter().map(|r| r.cluster).collect::<Vec<_>>(),
            vec![2, 3]
        );
        // A line cut by a crash is counted, not fatal.
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(file_for(dir.path(), "2026-12-01"))
            .unwrap();
        file.write_all(b"{\"time\": \"2026-12").unwrap();
        assert_eq!(read(dir.path(), None).unwrap().1, 1);
    }

    #[tokio::test]
    async fn a_failed_write_is_counted_not_lost_silently() {
        let dir = tempfile::tempdir().unwrap();
        // The day's file cannot be opened: a directory stands where it goes.
        std::fs::create_dir(file_for(dir.path(), "2026-12-03")).unwrap();
        let (log, task) =
            PredictionLog::start(dir.path().to_path_buf(), Duration::from_millis(10)).unwrap();
        log.record(record("2026-12-03T10:00:00Z", 1));
        log.record(record("2026-12-03T11:00:00Z", 2));
        tokio::time::sleep(Duration::from_millis(200)).await;
        let (failed, dropped) = (Arc::clone(&log.failed), Arc::clone(&log.dropped));
        drop(log);
        task.await.unwrap();
        // Whatever batches they were written in, both records are counted.
        assert_eq!(failed.load(Ordering::Relaxed), 2);
        assert_eq!(dropped.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn since_takes_dates_and_rfc_3339_times_and_refuses_the_rest() {
        assert_eq!(
            parse_since("2026-12-01").unwrap(),
            "2026-12-01T00:00:00.000Z"
        );
        assert_eq!(
            parse_since("2026-12-01T09:30:00+01:00").unwrap(),
            "2026-12-01T08:30:00.000Z"
        );
        for bad in ["yesterday", "2026-13-01", "2026-12-01 08:00"] {
            let error = parse_since(bad).unwrap_err();
            assert!(error.contains(bad), "{error}");
        }
    }
}
