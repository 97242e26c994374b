//! The prediction log: every scored instance (time, model version, inputs, segment, latency) as
//! one JSON line in `predictions-YYYY-MM-DD.jsonl` under the log directory.
//!
//! Requests hand records to a background task through a bounded channel and never wait on the
//! disk; the task appends and `fsync`s once per flush interval, so a crash loses at most the
//! records of the last interval. When the channel is full (the disk cannot keep up) records are
//! dropped and counted, never silently. Shutdown flushes what is buffered.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

/// Records waiting for the writer at most; beyond, new records are dropped and counted.
pub const QUEUE: usize = 100_000;

/// One logged prediction.
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

/// The sending side, held by the server.
#[derive(Debug, Clone)]
pub struct PredictionLog {
    sender: mpsc::Sender<LoggedPrediction>,
    dropped: Arc<AtomicU64>,
}

impl PredictionLog {
    /// Starts the writer task on the current Tokio runtime. The returned handle finishes once
    /// every sender is dropped and the last records are on disk.
    pub fn start(
        dir: PathBuf,
        flush_every: Duration,
    ) -> std::io::Result<(Self, tokio::task::JoinHandle<()>)> {
        std::fs::create_dir_all(&dir)?;
        let (sender, receiver) = mpsc::channel(QUEUE);
        let task = tokio::spawn(write_loop(dir, receiver, flush_every));
        Ok((
            Self {
                sender,
                dropped: Arc::new(AtomicU64::new(0)),
            },
            task,
        ))
    }

    /// Queues a record; drops (and counts) it when the queue is full.
    pub fn record(&self, record: LoggedPrediction) {
        if self.sender.try_send(record).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Records dropped because the writer could not keep up.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

/// The file records of `date` (`YYYY-MM-DD`) go to.
pub fn file_for(dir: &Path, date: &str) -> PathBuf {
    dir.join(format!("predictions-{date}.jsonl"))
}

async fn write_loop(
    dir: PathBuf,
    mut receiver: mpsc::Receiver<LoggedPrediction>,
    flush_every: Duration,
) {
    let mut buffer: Vec<LoggedPrediction> = Vec::new();
    let mut ticker = tokio::time::interval(flush_every);
    loop {
        tokio::select! {
            // Many records per wake-up: one at a time, the writer falls behind under load.
            received = receiver.recv_many(&mut buffer, 8192) => if received == 0 {
                break;
            },
            _ = ticker.tick() => {
                let batch = std::mem::take(&mut buffer);
                let dir = dir.clone();
                if let Ok(Err(error)) = tokio::task::spawn_blocking(move || append(&dir, &batch)).await {
                    tracing::error!(%error, "cannot write the prediction log");
                }
            }
        }
    }
    if let Err(error) = append(&dir, &buffer) {
        tracing::error!(%error, "cannot write the prediction log's last records");
    }
}

/// Appends records to their day's file and syncs it.
fn append(dir: &Path, records: &[LoggedPrediction]) -> std::io::Result<()> {
    let mut start = 0;
    while start < records.len() {
        let date = records[start]
            .time
            .get(..10)
            .unwrap_or("unknown")
            .to_owned();
        let end = records[start..]
            .iter()
            .position(|r| r.time.get(..10) != Some(date.as_str()))
            .map_or(records.len(), |p| start + p);
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(file_for(dir, &date))?;
        let mut text = Vec::new();
        for record in &records[start..end] {
            serde_json::to_writer(&mut text, record)?;
            text.push(b'\n');
        }
        file.write_all(&text)?;
        file.sync_data()?;
        start = end;
    }
    Ok(())
}

/// Reads the logged predictions under `dir` answered at or after `since` (RFC 3339 strings
/// compare in time order), oldest file first. A line that does not parse (a record cut by a
/// crash) is skipped and counted.
pub fn read(dir: &Path, since: Option<&str>) -> std::io::Result<(Vec<LoggedPrediction>, usize)> {
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
        for line in std::fs::read_to_string(&file)?.lines() {
            match serde_json::from_str::<LoggedPrediction>(line) {
                Ok(record) if since.is_none_or(|s| record.time.as_str() >= s) => {
                    records.push(record)
                }
                Ok(_) => {}
                Err(_) => broken += 1,
            }
        }
    }
    Ok((records, broken))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(time: &str, cluster: usize) -> LoggedPrediction {
        LoggedPrediction {
            time: time.into(),
            model_version: "v1".into(),
            features: vec![1.0, 2.5],
            cluster,
            outlier: false,
            latency_ms: 0.2,
        }
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
}
