//! Writes the annotated table, in one pass, to the clean and quarantine files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, StringArray};
use arrow::compute::{filter_record_batch, is_not_null, is_null};
use arrow::datatypes::{DataType, Field, Int64Type, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_plan::coalesce_partitions::CoalescePartitionsExec;
use datafusion::physical_plan::joins::{HashJoinExec, PartitionMode};
use datafusion::physical_plan::repartition::RepartitionExec;
use datafusion::physical_plan::{ExecutionPlan, ExecutionPlanProperties, execute_stream};
use datafusion::prelude::{DataFrame, col};
use futures::StreamExt;

use super::plan::{CLEAN_DESCRIPTION, IS_DUPLICATE};
use crate::background_writer::BackgroundWriter;
use crate::error::{Error, Result};
use crate::parquet_concat::concat_parquet_files;
use crate::parquet_settings::output_properties;
use crate::schema::{LINE_TOTAL, RULE, RawColumn, SOURCE_ROW, STATUS, canonical_schema};

/// Row counts seen while splitting.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SplitCounts {
    /// Rows of the annotated table.
    pub total: u64,
    /// Rows written to the clean file.
    pub clean: u64,
    /// Rows written to quarantine.
    pub quarantined: u64,
    /// Exact duplicates of an earlier row, whichever rule dropped them.
    pub duplicates: u64,
    /// Rows written to quarantine, per rule that dropped them.
    pub per_rule: BTreeMap<String, u64>,
}

impl SplitCounts {
    /// Adds `other`'s counts to these.
    fn add(&mut self, other: SplitCounts) {
        self.total += other.total;
        self.clean += other.clean;
        self.quarantined += other.quarantined;
        self.duplicates += other.duplicates;
        for (rule, rows) in other.per_rule {
            *self.per_rule.entry(rule).or_default() += rows;
        }
    }

    /// Adds the dropped rows of `rules` (a `rule` column: NULL for a kept row) to
    /// [`SplitCounts::per_rule`].
    fn count_rules(&mut self, rules: &StringArray) {
        // A handful of rules: a short list compared by text beats hashing every row.
        let mut seen: Vec<(&str, u64)> = Vec::new();
        for rule in rules.iter().flatten() {
            match seen.iter_mut().find(|(name, _)| *name == rule) {
                Some((_, rows)) => *rows += 1,
                None => seen.push((rule, 1)),
            }
        }
        for (name, rows) in seen {
            *self.per_rule.entry(name.to_owned()).or_default() += rows;
        }
    }
}

/// The cleaned transactions' schema: canonical columns, `status`, `line_total`.
pub fn clean_schema() -> SchemaRef {
    let mut fields: Vec<Field> = canonical_schema()
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    fields.push(Field::new(STATUS, DataType::Utf8, false));
    fields.push(Field::new(LINE_TOTAL, DataType::Float64, true));
    Arc::new(Schema::new(fields))
}

/// The quarantine's schema: canonical columns and `rule`.
pub fn quarantine_schema() -> SchemaRef {
    let mut fields: Vec<Field> = canonical_schema()
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    fields.push(Field::new(RULE, DataType::Utf8, false));
    Arc::new(Schema::new(fields))
}

/// The annotated table's column `name`, as the type it has in the output schemas
/// (the engine may hand strings over as `Utf8View`).
fn column(batch: &RecordBatch, name: &str) -> Result<ArrayRef> {
    let array = batch
        .column_by_name(name)
        .ok_or_else(|| Error::Invariant(format!("annotated table has no column `{name}`")))?;
    let wanted = match array.data_type() {
        DataType::Utf8View | DataType::LargeUtf8 => DataType::Utf8,
        other => other.clone(),
    };
    if &wanted == array.data_type() {
        Ok(Arc::clone(array))
    } else {
        Ok(arrow::compute::cast(array, &wanted)?)
    }
}

/// Executes `annotated` and writes its kept rows to `clean_path` and its dropped rows to
/// `quarantine_path`, both in `source_row` order. Part files go under `scratch`.
///
/// `annotated` has no `ORDER BY`: sorting, or merging partitions that are each in order,
/// would funnel every row through one thread. Its rows come as the engine produces them:
/// - Locally, one partition per range of the raw file's row groups, each in `source_row`
///   order and each beginning after the one before ends. Each partition is written to part
///   files of its own, on a task of its own, and the parts are joined after in partition
///   order (see [`parquet_concat`]). A final merge used to run on one thread and left a core
///   idle for most of the split.
/// - On a cluster, one stream: the final stage's partitions fetched one after another,
///   which saves the cluster the stage that would merge them first.
///
/// Every partition is checked to ascend and to begin after the one before. Should the
/// engine ever hand the rows over otherwise, the files are written again from the table
/// sorted by `source_row`. A plan that deals batches out between partitions (see
/// [`keeps_row_order`]) is written sorted straight away.
///
/// [`parquet_concat`]: crate::parquet_concat
pub async fn split(
    annotated: DataFrame,
    clean_path: &Path,
    quarantine_path: &Path,
    scratch: &Path,
) -> Result<SplitCounts> {
    let task = Arc::new(annotated.task_ctx());
    let plan = annotated.clone().create_physical_plan().await?;
    let clock = std::time::Instant::now();
    if keeps_row_order(&plan) {
        let written = write_in_engine_order(
            Arc::clone(&plan),
            &task,
            clean_path,
            quarantine_path,
            scratch,
        )
        .await?;
        crate::plan_metrics::record(
            "annotate and split",
            plan.as_ref(),
            clock.elapsed().as_secs_f64(),
            written.as_ref().map_or(0, |counts| counts.total),
        )?;
        if let Some(counts) = written {
            return Ok(counts);
        }
        tracing::warn!(
            "the engine handed the annotated table over out of `source_row` order; writing it \
             again, sorted"
        );
    } else {
        tracing::debug!(
            "the engine deals the annotated table's batches out between partitions; writing \
             it sorted"
        );
    }
    let sorted = annotated.sort(vec![col(SOURCE_ROW).sort(true, false)])?;
    let plan = sorted.create_physical_plan().await?;
    let clock = std::time::Instant::now();
    let stream = execute_stream(Arc::clone(&plan), task)?;
    let counts = write_stream(stream, clean_path, quarantine_path)
        .await?
        .counts;
    crate::plan_metrics::record(
        "annotate and split, sorted",
        plan.as_ref(),
        clock.elapsed().as_secs_f64(),
        counts.total,
    )?;
    Ok(counts)
}

/// Whether `plan` hands each scanned range of rows on in one partition, in its order: no
/// repartitioning or coalescing deals its batches out. (A raw file too small to be split
/// into byte ranges is read as one partition, which the engine then deals round-robin
/// into several: those cannot be written in the order they come.)
fn keeps_row_order(plan: &Arc<dyn ExecutionPlan>) -> bool {
    if plan.is::<RepartitionExec>() || plan.is::<CoalescePartitionsExec>() {
        return false;
    }
    // The build side of a collected join (the duplicate rows) is read whole before any row
    // comes out; only the probe side's order reaches the output.
    if let Some(join) = plan.downcast_ref::<HashJoinExec>()
        && *join.partition_mode() == PartitionMode::CollectLeft
    {
        return keeps_row_order(join.right());
    }
    plan.children().into_iter().all(keeps_row_order)
}

/// Writes `plan`'s partitions as they come (see [`split`]). `None` when they were not
/// consecutive ascending ranges of `source_row`; the files written are then not in order.
async fn write_in_engine_order(
    plan: Arc<dyn ExecutionPlan>,
    task: &Arc<TaskContext>,
    clean_path: &Path,
    quarantine_path: &Path,
    scratch: &Path,
) -> Result<Option<SplitCounts>> {
    if plan.output_partitioning().partition_count() > 1 {
        return split_partitions(plan, task, clean_path, quarantine_path, scratch).await;
    }
    let stream = execute_stream(plan, Arc::clone(task))?;
    let part = write_stream(stream, clean_path, quarantine_path).await?;
    Ok(consecutive(std::slice::from_ref(&part)).then_some(part.counts))
}

/// Writes each partition of `input` to part files under `scratch` side by side and joins
/// them. `None` when the partitions turn out not to be consecutive ranges of `source_row`.
async fn split_partitions(
    input: Arc<dyn ExecutionPlan>,
    task: &Arc<TaskContext>,
    clean_path: &Path,
    quarantine_path: &Path,
    scratch: &Path,
) -> Result<Option<SplitCounts>> {
    let partitions = input.output_partitioning().partition_count();
    let part_path =
        |kind: &str, partition: usize| scratch.join(format!("{kind}-part-{partition}.parquet"));
    // A JoinSet aborts the other partitions' tasks when one fails and this returns early.
    let mut tasks = tokio::task::JoinSet::new();
    for partition in 0..partitions {
        let stream = input.execute(partition, Arc::clone(task))?;
        let clean = part_path("clean", partition);
        let quarantine = part_path("quarantine", partition);
        tasks.spawn(async move {
            let part = write_stream(stream, &clean, &quarantine).await;
            (partition, part)
        });
    }
    let mut parts: Vec<Option<Part>> = vec![None; partitions];
    while let Some(joined) = tasks.join_next().await {
        let (partition, part) = joined
            .map_err(|error| Error::Invariant(format!("a partition's writer failed: {error}")))?;
        parts[partition] = Some(part?);
    }
    let parts: Vec<Part> = parts.into_iter().flatten().collect();
    let clean_parts: Vec<PathBuf> = (0..partitions).map(|p| part_path("clean", p)).collect();
    let quarantine_parts: Vec<PathBuf> = (0..partitions)
        .map(|p| part_path("quarantine", p))
        .collect();
    if !consecutive(&parts) {
        for part in clean_parts.iter().chain(&quarantine_parts) {
            std::fs::remove_file(part).map_err(|source| Error::io(part, source))?;
        }
        return Ok(None);
    }
    let (clean_path, quarantine_path) = (clean_path.to_owned(), quarantine_path.to_owned());
    tokio::task::spawn_blocking(move || -> Result<()> {
        for (parts, out) in [
            (clean_parts, clean_path),
            (quarantine_parts, quarantine_path),
        ] {
            concat_parquet_files(&parts, &out, output_properties())?;
            for part in &parts {
                std::fs::remove_file(part).map_err(|source| Error::io(part, source))?;
            }
        }
        Ok(())
    })
    .await
    .map_err(|error| Error::Invariant(format!("joining the part files failed: {error}")))??;

    let mut counts = SplitCounts::default();
    for part in parts {
        counts.add(part.counts);
    }
    Ok(Some(counts))
}

/// Whether every part is in `source_row` order and begins after the one before it ends.
fn consecutive(parts: &[Part]) -> bool {
    let mut last_end: Option<i64> = None;
    for part in parts {
        let Some(rows) = &part.rows else { continue };
        if !rows.ascending || last_end.is_some_and(|end| end >= rows.first) {
            return false;
        }
        last_end = Some(rows.last);
    }
    true
}

/// What one stream of the annotated table wrote.
#[derive(Debug, Clone)]
struct Part {
    counts: SplitCounts,
    /// The `source_row`s it held; `None` when it held no row.
    rows: Option<RowRange>,
}

/// The first and last `source_row` of a stream, and whether each row's exceeded the one before.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RowRange {
    first: i64,
    last: i64,
    ascending: bool,
}

impl RowRange {
    /// Extends the range by a batch's `source_row`s.
    fn extend(range: &mut Option<RowRange>, rows: &[i64]) {
        let (Some(&first), Some(&last)) = (rows.first(), rows.last()) else {
            return;
        };
        let ascending = rows.windows(2).all(|pair| pair[0] < pair[1]);
        match range {
            None => {
                *range = Some(RowRange {
                    first,
                    last,
                    ascending,
                })
            }
            Some(range) => {
                range.ascending &= ascending && range.last < first;
                range.last = last;
            }
        }
    }
}

/// Writes `stream`'s kept rows to a new file at `clean_path` and its dropped rows to one at
/// `quarantine_path`, each file encoded on threads of its own.
async fn write_stream(
    stream: SendableRecordBatchStream,
    clean_path: &Path,
    quarantine_path: &Path,
) -> Result<Part> {
    let create = |path: &Path, schema: &SchemaRef| -> Result<BackgroundWriter> {
        let file = std::fs::File::create(path).map_err(|source| Error::io(path, source))?;
        BackgroundWriter::create(file, Arc::clone(schema), Some(output_properties()))
    };
    let clean_writer = create(clean_path, &clean_schema())?;
    let quarantine_writer = create(quarantine_path, &quarantine_schema())?;
    let streamed = stream_into(stream, &clean_writer, &quarantine_writer).await;
    let clean_written = clean_writer.finish();
    let quarantine_written = quarantine_writer.finish();
    // A writer's own error says more than the "stopped" the stream saw.
    clean_written?;
    quarantine_written?;
    streamed
}

/// Sends each batch's kept rows to `clean` and its dropped rows to `quarantine`.
async fn stream_into(
    mut stream: SendableRecordBatchStream,
    clean: &BackgroundWriter,
    quarantine: &BackgroundWriter,
) -> Result<Part> {
    let clean_schema = clean_schema();
    let quarantine_schema = quarantine_schema();
    let dropped_schema = Arc::new(Schema::new(
        quarantine_schema
            .fields()
            .iter()
            .map(|field| field.as_ref().clone().with_nullable(true))
            .collect::<Vec<_>>(),
    ));
    let mut counts = SplitCounts::default();
    let mut rows = None;
    while let Some(batch) = stream.next().await {
        let batch = batch?;
        counts.total += batch.num_rows() as u64;
        let rule = column(&batch, RULE)?;
        counts.count_rules(rule.as_string_opt::<i32>().ok_or_else(|| {
            Error::Invariant(format!("`{RULE}` is {}, not text", rule.data_type()))
        })?);
        let duplicates = column(&batch, IS_DUPLICATE)?;
        let duplicates: &BooleanArray = duplicates.as_boolean();
        counts.duplicates += duplicates.true_count() as u64;

        let source_row = column(&batch, SOURCE_ROW)?;
        let source_rows = source_row.as_primitive_opt::<Int64Type>().ok_or_else(|| {
            Error::Invariant(format!(
                "`{SOURCE_ROW}` is {}, not Int64",
                source_row.data_type()
            ))
        })?;
        RowRange::extend(&mut rows, source_rows.values());
        let mut raw: Vec<ArrayRef> = vec![source_row];
        for raw_column in RawColumn::ALL {
            raw.push(column(&batch, raw_column.name())?);
        }

        let mut kept_columns = raw.clone();
        kept_columns[3] = column(&batch, CLEAN_DESCRIPTION)?;
        kept_columns.push(column(&batch, STATUS)?);
        kept_columns.push(column(&batch, LINE_TOTAL)?);
        let kept = RecordBatch::try_new(Arc::clone(&clean_schema), kept_columns)?;
        let kept = filter_record_batch(&kept, &is_null(rule.as_ref())?)?;
        counts.clean += kept.num_rows() as u64;
        clean.write(kept)?;

        let mut dropped_columns = raw;
        dropped_columns.push(rule.clone());
        let dropped = RecordBatch::try_new(Arc::clone(&dropped_schema), dropped_columns)?;
        let dropped = filter_record_batch(&dropped, &is_not_null(rule.as_ref())?)?;
        counts.quarantined += dropped.num_rows() as u64;
        let dropped =
            RecordBatch::try_new(Arc::clone(&quarantine_schema), dropped.columns().to_vec())?;
        quarantine.write(dropped)?;
        debug_assert!(rule.len() == batch.num_rows());
    }
    Ok(Part { counts, rows })
}

#[cfg(test)]
mod tests {
    use arrow::array::{Float64Array, Int64Array, TimestampMicrosecondArray};
    use datafusion::prelude::{SessionConfig, SessionContext};

    use super::*;
    use crate::clean::{CleanConfig, DUPLICATE_ROWS_TABLE, annotate_sql};
    use crate::schema::canonical_schema;
    use crate::tables::register_parquet;

    /// A canonical raw table whose rows `source_rows` fall under every rule: no customer,
    /// a postage code, a zero price, cancellations, and kept rows.
    fn raw_batch(source_rows: impl Iterator<Item = i64>) -> RecordBatch {
        let rows: Vec<i64> = source_rows.collect();
        let text = |value: &dyn Fn(i64) -> Option<String>| -> ArrayRef {
            Arc::new(StringArray::from(
                rows.iter().map(|&row| value(row)).collect::<Vec<_>>(),
            ))
        };
        let columns: Vec<ArrayRef> = vec![
            Arc::new(Int64Array::from(rows.clone())),
            text(&|row| {
                let prefix = if row % 13 == 0 { "C" } else { "" };
                Some(format!("{prefix}{}", 536_365 + row / 4))
            }),
            text(&|row| {
                Some(if row % 17 == 0 {
                    "POST".to_owned()
                } else {
                    format!("2{:04}", row % 50)
                })
            }),
            text(&|row| {
                Some(if row % 23 == 0 {
                    "Manual".to_owned()
                } else {
                    format!("item {}", row % 50)
                })
            }),
            Arc::new(Int64Array::from_iter_values(
                rows.iter().map(|row| row % 6 + 1),
            )),
            Arc::new(TimestampMicrosecondArray::from_iter_values(
                rows.iter()
                    .map(|row| 1_291_000_000_000_000 + row * 60_000_000),
            )),
            Arc::new(Float64Array::from_iter_values(
                rows.iter()
                    .map(|row| if row % 19 == 0 { 0.0 } else { 1.25 }),
            )),
            Arc::new(Int64Array::from(
                rows.iter()
                    .map(|row| (row % 7 != 0).then_some(12_000 + row % 40))
                    .collect::<Vec<_>>(),
            )),
            text(&|_| Some("United Kingdom".to_owned())),
        ];
        RecordBatch::try_new(canonical_schema(), columns).unwrap()
    }

    /// Writes `batches` as the raw Parquet file `path` in row groups of 500 rows.
    fn write_raw(path: &Path, batches: &[RecordBatch]) {
        let properties = parquet::file::properties::WriterProperties::builder()
            .set_max_row_group_row_count(Some(500))
            .build();
        let file = std::fs::File::create(path).unwrap();
        let mut writer =
            parquet::arrow::ArrowWriter::try_new(file, canonical_schema(), Some(properties))
                .unwrap();
        for batch in batches {
            writer.write(batch).unwrap();
        }
        writer.close().unwrap();
    }

    /// A local session of `partitions` that splits even small files between partitions.
    async fn session(partitions: usize) -> SessionContext {
        let mut config = SessionConfig::new().with_target_partitions(partitions);
        config.options_mut().optimizer.repartition_file_min_size = 0;
        let context = SessionContext::new_with_config(config);
        // In two partitions, as a larger duplicate-rows file would be read: the join then
        // coalesces its build side, which must not count as dealing rows out.
        let schema = Arc::new(Schema::new(vec![Field::new(
            "duplicate_row",
            DataType::Int64,
            false,
        )]));
        let batch = |row: i64| {
            RecordBatch::try_new(
                Arc::clone(&schema),
                vec![Arc::new(Int64Array::from(vec![row]))],
            )
            .unwrap()
        };
        let table = datafusion::datasource::MemTable::try_new(
            Arc::clone(&schema),
            vec![vec![batch(3)], vec![batch(2500)]],
        )
        .unwrap();
        context
            .register_table(DUPLICATE_ROWS_TABLE, Arc::new(table))
            .unwrap();
        context
    }

    /// What [`split_raw`] saw.
    struct Split {
        counts: SplitCounts,
        clean: RecordBatch,
        quarantine: RecordBatch,
        /// The annotated plan's partitions.
        partitions: usize,
        /// Whether they came as consecutive ascending ranges of `source_row`; `None` when
        /// the plan deals batches out between partitions, so [`split`] sorts straight away.
        in_order: Option<bool>,
    }

    /// Splits the raw table at `raw` in a session of `partitions`, once in the engine's
    /// order alone and once through [`split`].
    async fn split_raw(raw: &Path, partitions: usize) -> Split {
        let context = session(partitions).await;
        register_parquet(&context, "raw", raw).await.unwrap();
        let directory = tempfile::tempdir().unwrap();
        let rules = CleanConfig::default().build().unwrap();
        let annotated = context
            .sql(&annotate_sql("raw", &rules, "C"))
            .await
            .unwrap();
        let clean = directory.path().join("clean.parquet");
        let quarantine = directory.path().join("quarantine.parquet");
        let scratch = directory.path().join("scratch");
        std::fs::create_dir(&scratch).unwrap();
        let task = Arc::new(annotated.task_ctx());
        let plan = annotated.clone().create_physical_plan().await.unwrap();
        let partitions = plan.output_partitioning().partition_count();
        let in_order = if keeps_row_order(&plan) {
            let written = write_in_engine_order(plan, &task, &clean, &quarantine, &scratch)
                .await
                .unwrap();
            Some(written.is_some())
        } else {
            None
        };
        let counts = split(annotated, &clean, &quarantine, &scratch)
            .await
            .unwrap();
        assert_eq!(
            std::fs::read_dir(&scratch).unwrap().count(),
            0,
            "parts left behind"
        );
        let read = |path: &Path| {
            let file = std::fs::File::open(path).unwrap();
            let reader =
                parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
                    .unwrap()
                    .build()
                    .unwrap();
            let batches: Vec<RecordBatch> = reader.map(Result::unwrap).collect();
            arrow::compute::concat_batches(&batches[0].schema(), &batches).unwrap()
        };
        Split {
            counts,
            clean: read(&clean),
            quarantine: read(&quarantine),
            partitions,
            in_order,
        }
    }

    fn source_rows(batch: &RecordBatch) -> Vec<i64> {
        batch
            .column(0)
            .as_primitive::<Int64Type>()
            .values()
            .to_vec()
    }

    /// 100,000 rows: enough for the engine to split the file into one byte range per
    /// partition.
    #[tokio::test]
    async fn partitions_written_side_by_side_give_the_files_one_stream_gives() {
        let directory = tempfile::tempdir().unwrap();
        let raw = directory.path().join("raw.parquet");
        let rows = 100_000;
        write_raw(&raw, &[raw_batch(1..=rows)]);
        let one = split_raw(&raw, 1).await;
        assert_eq!((one.partitions, one.in_order), (1, Some(true)));
        let four = split_raw(&raw, 4).await;
        assert_eq!((four.partitions, four.in_order), (4, Some(true)));
        let counts = &four.counts;
        assert_eq!(counts, &one.counts);
        assert_eq!(counts.total, rows as u64);
        assert_eq!(counts.duplicates, 2);
        assert!(
            counts.clean > 40_000 && counts.quarantined > 20_000,
            "{counts:?}"
        );
        assert_eq!(counts.per_rule.len(), 5, "{counts:?}");
        assert_eq!(four.clean, one.clean);
        assert_eq!(four.quarantine, one.quarantine);
        let clean_rows = source_rows(&four.clean);
        assert!(clean_rows.windows(2).all(|pair| pair[0] < pair[1]));
        let mut all_rows = clean_rows;
        all_rows.extend(source_rows(&four.quarantine));
        all_rows.sort_unstable();
        assert_eq!(all_rows, (1..=rows).collect::<Vec<i64>>());
    }

    /// 5,000 rows: too few to split the file, so the engine deals its batches out to the
    /// partitions and the table is written sorted straight away.
    #[tokio::test]
    async fn a_plan_that_deals_batches_out_is_written_sorted() {
        let directory = tempfile::tempdir().unwrap();
        let raw = directory.path().join("raw.parquet");
        write_raw(&raw, &[raw_batch(1..=5_000)]);
        let one = split_raw(&raw, 1).await;
        let four = split_raw(&raw, 4).await;
        assert_eq!((four.partitions, four.in_order), (4, None));
        assert_eq!(four.counts, one.counts);
        assert_eq!(four.clean, one.clean);
        assert_eq!(four.quarantine, one.quarantine);
    }

    /// Two files, each in `source_row` order, whose rows alternate: read as one partition
    /// (one file after the other) or as two (one per file), the rows are not in order, so
    /// the table is sorted.
    #[tokio::test]
    async fn rows_out_of_order_are_written_again_sorted() {
        let directory = tempfile::tempdir().unwrap();
        let raw = directory.path().join("raw");
        std::fs::create_dir(&raw).unwrap();
        write_raw(
            &raw.join("a.parquet"),
            &[raw_batch((1..=3_000).filter(|row| row % 2 == 1))],
        );
        write_raw(
            &raw.join("b.parquet"),
            &[raw_batch((1..=3_000).filter(|row| row % 2 == 0))],
        );
        for partitions in [1, 2] {
            let split = split_raw(&raw, partitions).await;
            assert_eq!(
                (split.partitions, split.in_order),
                (partitions, Some(false))
            );
            assert_eq!(split.counts.total, 3_000);
            assert_eq!(split.counts.clean + split.counts.quarantined, 3_000);
            for file in [&split.clean, &split.quarantine] {
                assert!(source_rows(file).windows(2).all(|pair| pair[0] < pair[1]));
            }
        }
    }

    #[test]
    fn parts_are_consecutive_only_when_each_ascends_and_begins_after_the_last() {
        let part = |rows: &[&[i64]]| {
            let mut range = None;
            for batch in rows {
                RowRange::extend(&mut range, batch);
            }
            Part {
                counts: SplitCounts::default(),
                rows: range,
            }
        };
        let empty = part(&[]);
        assert!(empty.rows.is_none());
        assert!(consecutive(&[
            part(&[&[1, 2], &[5]]),
            empty.clone(),
            part(&[&[6, 9]])
        ]));
        assert!(!consecutive(&[part(&[&[1, 2], &[5]]), part(&[&[5, 9]])]));
        assert!(!consecutive(&[part(&[&[1, 3, 2]]), part(&[&[6]])]));
        assert!(!consecutive(&[part(&[&[1, 3], &[3]])]));
        assert!(!consecutive(&[part(&[&[7]]), empty, part(&[&[2]])]));
    }

    #[test]
    fn rules_are_counted_across_batches_and_kept_rows_are_not() {
        let mut counts = SplitCounts::default();
        counts.count_rules(&StringArray::from(vec![
            Some("duplicate"),
            None,
            Some("missing_values"),
            Some("duplicate"),
        ]));
        counts.count_rules(&StringArray::from(vec![None, Some("duplicate"), None]));
        let expected: BTreeMap<String, u64> = [
            ("duplicate".to_owned(), 3),
            ("missing_values".to_owned(), 1),
        ]
        .into();
        assert_eq!(counts.per_rule, expected);
    }
}
