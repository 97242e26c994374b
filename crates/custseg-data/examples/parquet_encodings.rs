//! Times encoding one Parquet file's columns with and without a dictionary, and with and
//! without page statistics, one column at a time, as this crate's writers do (zstd level 1,
//! 256Ki-row groups): the measurement behind the column choices in
//! `src/parquet_settings.rs`.
//!
//! ```sh
//! custseg demo-data --rows 10000000 --seed 7 --out /tmp/d10m.parquet
//! custseg features --input /tmp/d10m.parquet --out /tmp/o10
//! cargo run --release -p custseg-data --example parquet_encodings -- /tmp/o10/clean/transactions.parquet
//! ```

use std::sync::Arc;
use std::time::Instant;

use arrow::datatypes::Schema;
use arrow::record_batch::{RecordBatch, RecordBatchReader};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: parquet_encodings FILE.parquet")?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&path)?)?.build()?;
    let schema = reader.schema();
    let batches = reader.collect::<Result<Vec<_>, _>>()?;
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    println!("{path}: {rows} rows\n");
    // Each setting: (dictionary, statistics).
    let settings = [
        (true, EnabledStatistics::Page),
        (false, EnabledStatistics::Page),
        (true, EnabledStatistics::None),
        (false, EnabledStatistics::None),
    ];
    println!(
        "Seconds to encode (MB written), per column and setting: dictionary or plain, \
         page statistics or none\n"
    );
    println!("| column | dict, stats | plain, stats | dict, no stats | plain, no stats |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    let output =
        std::env::temp_dir().join(format!("parquet-encodings-{}.parquet", std::process::id()));
    for (index, field) in schema.fields().iter().enumerate() {
        let single = Arc::new(Schema::new(vec![field.as_ref().clone()]));
        let mut cells = Vec::new();
        for (dictionary, statistics) in settings {
            let properties = WriterProperties::builder()
                .set_compression(Compression::ZSTD(ZstdLevel::try_new(1)?))
                .set_max_row_group_row_count(Some(256 * 1024))
                .set_dictionary_enabled(dictionary)
                .set_statistics_enabled(statistics)
                .build();
            let clock = Instant::now();
            let mut writer = ArrowWriter::try_new(
                std::fs::File::create(&output)?,
                Arc::clone(&single),
                Some(properties),
            )?;
            for batch in &batches {
                writer.write(&RecordBatch::try_new(
                    Arc::clone(&single),
                    vec![Arc::clone(batch.column(index))],
                )?)?;
            }
            writer.close()?;
            let seconds = clock.elapsed().as_secs_f64();
            let megabytes = std::fs::metadata(&output)?.len() as f64 / 1e6;
            cells.push(format!("{seconds:.3} ({megabytes:.1})"));
        }
        println!("| {} | {} |", field.name(), cells.join(" | "));
    }
    std::fs::remove_file(&output)?;
    Ok(())
}
