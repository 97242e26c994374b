//! A Parquet file written on a thread of its own, so that encoding and compressing it
//! runs beside the work that produces its batches instead of after it.

use std::fs::File;
use std::sync::mpsc;
use std::thread::JoinHandle;

use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;

use crate::error::{Error, Result};

/// Batches produced but not yet written, at most: enough to keep both sides busy
/// without holding much memory.
const QUEUE: usize = 4;

/// An [`ArrowWriter`] running on its own thread.
pub(crate) struct BackgroundWriter {
    sender: mpsc::SyncSender<RecordBatch>,
    thread: JoinHandle<Result<()>>,
}

impl BackgroundWriter {
    /// Starts a thread that writes every batch sent to it with `writer`.
    pub(crate) fn spawn(mut writer: ArrowWriter<File>) -> BackgroundWriter {
        let (sender, receiver) = mpsc::sync_channel::<RecordBatch>(QUEUE);
        let thread = std::thread::spawn(move || -> Result<()> {
            for batch in receiver {
                writer.write(&batch)?;
            }
            writer.close()?;
            Ok(())
        });
        BackgroundWriter { sender, thread }
    }

    /// Queues `batch`, blocking while the queue is full. (Called from async code too: the
    /// wait is the backpressure of the slower side, as writing in place would be.)
    pub(crate) fn write(&self, batch: RecordBatch) -> Result<()> {
        self.sender.send(batch).map_err(|_| stopped())
    }

    /// Waits for every queued batch to be written and the file closed. A failed write
    /// surfaces here with its cause (the `write` calls after it only say it stopped).
    pub(crate) fn finish(self) -> Result<()> {
        drop(self.sender);
        self.thread
            .join()
            .map_err(|_| Error::Invariant("the Parquet writer thread panicked".to_owned()))?
    }
}

fn stopped() -> Error {
    Error::Invariant("the Parquet writer thread stopped".to_owned())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};

    use super::*;

    fn numbers(values: Vec<i64>) -> RecordBatch {
        let schema = Schema::new(vec![Field::new("n", DataType::Int64, false)]);
        RecordBatch::try_new(Arc::new(schema), vec![Arc::new(Int64Array::from(values))]).unwrap()
    }

    #[test]
    fn every_batch_is_written_in_order() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("n.parquet");
        let file = File::create(&path).unwrap();
        let writer = BackgroundWriter::spawn(
            ArrowWriter::try_new(file, numbers(vec![]).schema(), None).unwrap(),
        );
        for start in 0..20 {
            writer
                .write(numbers((start * 10..start * 10 + 10).collect()))
                .unwrap();
        }
        writer.finish().unwrap();
        let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReader::try_new(
            File::open(&path).unwrap(),
            1024,
        )
        .unwrap();
        let read: Vec<i64> = reader
            .flat_map(|batch| {
                let batch = batch.unwrap();
                let column = batch
                    .column(0)
                    .as_any()
                    .downcast_ref::<Int64Array>()
                    .unwrap();
                column.values().to_vec()
            })
            .collect();
        assert_eq!(read, (0..200).collect::<Vec<i64>>());
    }

    #[test]
    fn a_failed_write_is_reported_with_its_cause_by_finish() {
        let directory = tempfile::tempdir().unwrap();
        let file = File::create(directory.path().join("n.parquet")).unwrap();
        let writer = BackgroundWriter::spawn(
            ArrowWriter::try_new(file, numbers(vec![]).schema(), None).unwrap(),
        );
        let text = Schema::new(vec![Field::new("s", DataType::Utf8, false)]);
        let wrong =
            RecordBatch::try_new(Arc::new(text), vec![Arc::new(StringArray::from(vec!["a"]))])
                .unwrap();
        writer.write(wrong).unwrap();
        // The thread stops at the bad batch; later writes fail once it has.
        let mut later = Ok(());
        for _ in 0..100 {
            later = writer.write(numbers(vec![1]));
            if later.is_err() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert!(later.unwrap_err().to_string().contains("stopped"));
        let cause = writer.finish().unwrap_err().to_string();
        assert!(!cause.contains("stopped"), "{cause}");
        assert!(
            cause.to_lowercase().contains("schema") || cause.contains("type"),
            "{cause}"
        );
    }
}
