//! Object-store inputs: a `file://` URL goes through the same `object_store` code as `s3://`
//! and `gs://` (which no test here can reach), and a store that does not answer is a clear
//! error, not a hang.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::cli::{demo_data, features, text};

fn quality(out: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(out.join("reports/quality.json")).unwrap()).unwrap()
}

/// The local copies of the objects a URL named (under the default data directory).
fn copies(dir: &Path) -> Vec<String> {
    let objects = dir.join("datasets/objects");
    let mut names = Vec::new();
    for copy in std::fs::read_dir(&objects).unwrap() {
        for file in std::fs::read_dir(copy.unwrap().path()).unwrap() {
            names.push(file.unwrap().file_name().to_string_lossy().into_owned());
        }
    }
    names.sort();
    names
}

/// `custseg run --only ingest` on `url` into `out-run/`, which must succeed; the rows of the
/// canonical table it wrote.
fn run_ingest(dir: &Path, url: &str) -> i64 {
    let run = crate::cli::custseg(
        dir,
        &[
            "-q", "run", "--input", url, "--out", "out-run", "--only", "ingest",
        ],
    );
    assert!(run.status.success(), "{}", text(&run.stderr));
    rows_of(&dir.join("out-run/raw/transactions.parquet"))
}

/// Rows of a Parquet file, from its footer.
fn rows_of(path: &Path) -> i64 {
    let file = std::fs::File::open(path).unwrap();
    parquet::file::reader::FileReader::metadata(
        &parquet::file::reader::SerializedFileReader::new(file).unwrap(),
    )
    .file_metadata()
    .num_rows()
}

#[test]
fn a_file_url_reads_the_objects_like_the_directory_and_follows_their_changes() {
    let dir = tempfile::tempdir().unwrap();
    demo_data(
        dir.path(),
        &[
            "--rows",
            "20000",
            "--seed",
            "9",
            "--partitions",
            "3",
            "--out",
            "parts",
        ],
    );
    let url = format!("file://{}/", dir.path().join("parts").display());

    let local = features(dir.path(), "parts", "out-local", &["--no-cache"]);
    assert!(local.status.success(), "{}", text(&local.stderr));
    let remote = features(dir.path(), &url, "out-url", &["--no-cache"]);
    assert!(remote.status.success(), "{}", text(&remote.stderr));
    let csv = |out: &str| {
        std::fs::read(dir.path().join(out).join("features/customer_features.csv")).unwrap()
    };
    assert!(
        csv("out-local") == csv("out-url"),
        "the URL's features differ from the directory's"
    );
    let report = quality(&dir.path().join("out-url"));
    assert_eq!(report["raw_rows"], 20_000);
    assert_eq!(report["input"]["files"], 3);
    assert_eq!(report["input"]["source"], url.as_str());
    assert_eq!(
        copies(dir.path()),
        [
            ".manifest.json",
            "part-00000.parquet",
            "part-00001.parquet",
            "part-00002.parquet"
        ]
    );

    // the pipeline's ingest stage takes the URL as well
    assert_eq!(run_ingest(dir.path(), &url), 20_000);

    // an object removed from the store is removed from the copy, not read again
    let gone = dir.path().join("parts/part-00002.parquet");
    let gone_rows = rows_of(&gone);
    std::fs::remove_file(&gone).unwrap();
    let again = features(dir.path(), &url, "out-url", &["--no-cache"]);
    assert!(again.status.success(), "{}", text(&again.stderr));
    let report = quality(&dir.path().join("out-url"));
    assert_eq!(report["raw_rows"], 20_000 - gone_rows);
    assert_eq!(report["input"]["files"], 2);
    assert_eq!(
        copies(dir.path()),
        [".manifest.json", "part-00000.parquet", "part-00001.parquet"]
    );
    // and the pipeline notices the change under the same URL
    assert_eq!(run_ingest(dir.path(), &url), 20_000 - gone_rows);
}

#[test]
fn an_object_store_that_does_not_answer_is_a_clear_error_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    // a port nobody listens on
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_custseg"))
        .args([
            "-q",
            "features",
            "--input",
            "s3://retail-logs/2011/",
            "--out",
            "out",
        ])
        .current_dir(dir.path())
        .env_remove("RUST_LOG")
        .env_remove("CUSTSEG_CONFIG")
        .env_remove("CUSTSEG_DATA_DIR")
        .env("AWS_ENDPOINT", format!("http://127.0.0.1:{port}"))
        .env("AWS_ALLOW_HTTP", "true")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .output()
        .unwrap();
    let stderr = text(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("s3://retail-logs/2011/"), "{stderr}");
    assert!(
        stderr.contains("cannot reach") || stderr.contains("cannot list"),
        "{stderr}"
    );
    // a hang guard, not a benchmark: retries stop after 20 s
    assert!(
        started.elapsed() < Duration::from_secs(90),
        "{:?}",
        started.elapsed()
    );
    let out = dir.path().join("out");
    assert!(
        !out.exists() || std::fs::read_dir(&out).unwrap().next().is_none(),
        "a failed run left files in {}",
        out.display()
    );
    eprintln!("{stderr}");

    // an unknown setting in custseg.toml is named
    std::fs::write(
        dir.path().join("custseg.toml"),
        "[ingest.object_store]\naws_regoin = \"eu-west-1\"\n",
    )
    .unwrap();
    let output = features(dir.path(), "s3://retail-logs/2011/", "out", &[]);
    let stderr = text(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("aws_regoin"), "{stderr}");
}
