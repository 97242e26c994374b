//! A Parquet file written on threads of its own, so that encoding and compressing it
//! runs beside the work that produces its batches instead of after it.
//!
//! Encoding is the slowest step of writing the parse cache (the decoder feeding it keeps
//! about half a core busy while one writer thread is saturated), so the columns of each row
//! group are encoded in parallel, one thread per column, with parquet's own column writers
//! ([`ArrowRowGroupWriterFactory`]); the next row group's columns start while the last one's
//! finish. The file is the one [`ArrowWriter`] would write: same row groups, same bytes.

use std::fs::File;
use std::sync::Arc;
use std::sync::mpsc;
use std::thread::JoinHandle;

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_writer::{
    ArrowColumnChunk, ArrowLeafColumn, ArrowRowGroupWriterFactory, compute_leaves,
};
use parquet::file::properties::{DEFAULT_MAX_ROW_GROUP_ROW_COUNT, WriterProperties};
use parquet::file::writer::SerializedFileWriter;

use crate::error::{Error, Result};

/// Batches produced but not yet written, at most: enough to keep both sides busy
/// without holding much memory.
const QUEUE: usize = 4;

/// An [`ArrowWriter`]'s file written on its own threads.
pub(crate) struct BackgroundWriter {
    sender: mpsc::SyncSender<RecordBatch>,
    thread: JoinHandle<Result<()>>,
}

impl BackgroundWriter {
    /// Starts the threads that write every batch sent to them to `file`, a Parquet file of
    /// `schema` with `properties` (parquet's defaults when `None`).
    pub(crate) fn create(
        file: File,
        schema: SchemaRef,
        properties: Option<WriterProperties>,
    ) -> Result<BackgroundWriter> {
        let (file, factory) = ArrowWriter::try_new(file, Arc::clone(&schema), properties)?
            .into_serialized_writer()?;
        let (sender, receiver) = mpsc::sync_channel::<RecordBatch>(QUEUE);
        let thread = std::thread::spawn(move || write_row_groups(receiver, file, factory, schema));
        Ok(BackgroundWriter { sender, thread })
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

/// Cuts the received batches into row groups of the writer's size and appends each,
/// in order, once its columns are encoded.
fn write_row_groups(
    receiver: mpsc::Receiver<RecordBatch>,
    mut file: SerializedFileWriter<File>,
    factory: ArrowRowGroupWriterFactory,
    schema: SchemaRef,
) -> Result<()> {
    let group_rows = file
        .properties()
        .max_row_group_row_count()
        .unwrap_or(DEFAULT_MAX_ROW_GROUP_ROW_COUNT)
        .max(1);
    let mut index = 0;
    let mut current = RowGroup::start(&factory, index)?;
    for batch in receiver {
        if batch.schema().fields() != schema.fields() {
            return Err(Error::Invariant(format!(
                "a batch for the Parquet writer has the schema {:?}, not the file's {:?}",
                batch.schema(),
                schema
            )));
        }
        let mut offset = 0;
        while offset < batch.num_rows() {
            let take = (batch.num_rows() - offset).min(group_rows - current.rows);
            current.write(&schema, &batch.slice(offset, take))?;
            offset += take;
            if current.rows == group_rows {
                index += 1;
                let full = std::mem::replace(&mut current, RowGroup::start(&factory, index)?);
                full.append_to(&mut file)?;
            }
        }
    }
    if current.rows > 0 {
        current.append_to(&mut file)?;
    }
    file.close()?;
    Ok(())
}

/// One row group being encoded: a thread per column, fed the column's slices.
struct RowGroup {
    columns: Vec<ColumnEncoder>,
    rows: usize,
}

struct ColumnEncoder {
    sender: mpsc::Sender<ArrowLeafColumn>,
    thread: JoinHandle<Result<ArrowColumnChunk>>,
}

impl RowGroup {
    fn start(factory: &ArrowRowGroupWriterFactory, index: usize) -> Result<RowGroup> {
        let columns = factory
            .create_column_writers(index)?
            .into_iter()
            .map(|mut writer| {
                let (sender, receiver) = mpsc::channel::<ArrowLeafColumn>();
                let thread = std::thread::spawn(move || -> Result<ArrowColumnChunk> {
                    for leaf in receiver {
                        writer.write(&leaf)?;
                    }
                    Ok(writer.close()?)
                });
                ColumnEncoder { sender, thread }
            })
            .collect();
        Ok(RowGroup { columns, rows: 0 })
    }

    fn write(&mut self, schema: &SchemaRef, batch: &RecordBatch) -> Result<()> {
        let mut encoders = self.columns.iter();
        for (field, array) in schema.fields().iter().zip(batch.columns()) {
            for leaf in compute_leaves(field, array)? {
                let encoder = encoders.next().ok_or_else(|| {
                    Error::Invariant("more leaves than column writers".to_owned())
                })?;
                if encoder.sender.send(leaf).is_err() {
                    // The column's thread stopped on an error: report it.
                    return Err(self.take_failure());
                }
            }
        }
        self.rows += batch.num_rows();
        Ok(())
    }

    /// The first column error, once a column's thread has stopped early.
    fn take_failure(&mut self) -> Error {
        let columns = std::mem::take(&mut self.columns);
        let mut failure = stopped();
        for column in columns {
            drop(column.sender);
            if let Err(error) = join(column.thread) {
                failure = error;
                break;
            }
        }
        failure
    }

    /// Waits for every column and appends them to `file` as its next row group.
    fn append_to(self, file: &mut SerializedFileWriter<File>) -> Result<()> {
        let mut chunks = Vec::with_capacity(self.columns.len());
        for column in self.columns {
            drop(column.sender);
            chunks.push(join(column.thread));
        }
        let mut group = file.next_row_group()?;
        for chunk in chunks {
            chunk?.append_to_row_group(&mut group)?;
        }
        group.close()?;
        Ok(())
    }
}

fn join(thread: JoinHandle<Result<ArrowColumnChunk>>) -> Result<ArrowColumnChunk> {
    thread
        .join()
        .map_err(|_| Error::Invariant("a Parquet column encoder panicked".to_owned()))?
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
        let writer = BackgroundWriter::create(file, numbers(vec![]).schema(), None).unwrap();
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

    /// Row groups cut across batches, several columns, nulls: the file is byte for byte
    /// the one `ArrowWriter` writes.
    #[test]
    fn the_file_is_the_one_arrow_writer_writes() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("n", DataType::Int64, false),
            Field::new("s", DataType::Utf8, true),
        ]));
        let batches: Vec<RecordBatch> = (0..12)
            .map(|start| {
                let n: Vec<i64> = (start * 300..start * 300 + 300).collect();
                let s: Vec<Option<String>> = n
                    .iter()
                    .map(|v| (v % 7 != 0).then(|| format!("text {}", v % 13)))
                    .collect();
                RecordBatch::try_new(
                    Arc::clone(&schema),
                    vec![
                        Arc::new(Int64Array::from(n)),
                        Arc::new(StringArray::from(s)),
                    ],
                )
                .unwrap()
            })
            .collect();
        let properties = parquet::file::properties::WriterProperties::builder()
            .set_max_row_group_row_count(Some(1000))
            .build();
        let directory = tempfile::tempdir().unwrap();
        let expected = directory.path().join("expected.parquet");
        let mut plain = ArrowWriter::try_new(
            File::create(&expected).unwrap(),
            Arc::clone(&schema),
            Some(properties.clone()),
        )
        .unwrap();
        for batch in &batches {
            plain.write(batch).unwrap();
        }
        plain.close().unwrap();
        let parallel = directory.path().join("parallel.parquet");
        let writer = BackgroundWriter::create(
            File::create(&parallel).unwrap(),
            Arc::clone(&schema),
            Some(properties),
        )
        .unwrap();
        for batch in batches {
            writer.write(batch).unwrap();
        }
        writer.finish().unwrap();
        let expected = std::fs::read(expected).unwrap();
        assert!(expected.len() > 1000);
        assert!(std::fs::read(parallel).unwrap() == expected);
        let metadata = parquet::file::reader::FileReader::metadata(
            &parquet::file::reader::SerializedFileReader::new(
                File::open(directory.path().join("parallel.parquet")).unwrap(),
            )
            .unwrap(),
        )
        .clone();
        assert_eq!(metadata.num_row_groups(), 4);
    }

    #[test]
    fn a_failed_write_is_reported_with_its_cause_by_finish() {
        let directory = tempfile::tempdir().unwrap();
        let file = File::create(directory.path().join("n.parquet")).unwrap();
        let writer = BackgroundWriter::create(file, numbers(vec![]).schema(), None).unwrap();
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
