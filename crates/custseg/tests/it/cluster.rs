//! The data stages on a Ballista cluster: a scheduler and two executors started from this
//! binary as separate processes on 127.0.0.1, `features --engine df://...` against the same
//! run in this process, and a scheduler that does not answer.

use std::collections::BTreeMap;
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use arrow::array::{Array, AsArray};
use arrow::datatypes::DataType;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::cli::{custseg, demo_data, features, text};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A cluster process, killed when dropped.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `custseg ARGS...` in `dir`, its output (at `info`) kept in `dir/LOG`, so that a
/// failing test can show what the cluster did.
fn spawn(dir: &Path, log: &str, args: &[&str]) -> Process {
    spawn_in(dir, dir, log, args)
}

/// [`spawn`] with the working directory `cwd`.
fn spawn_in(dir: &Path, cwd: &Path, log: &str, args: &[&str]) -> Process {
    let log = std::fs::File::create(dir.join(log)).unwrap();
    Process(
        Command::new(env!("CARGO_BIN_EXE_custseg"))
            .args(args)
            .current_dir(cwd)
            .env("RUST_LOG", "info")
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap(),
    )
}

/// The last `lines` lines of `dir/LOG` for each log, for a failure message.
fn log_tails(dir: &Path, logs: &[&str], lines: usize) -> String {
    let mut tails = String::new();
    for log in logs {
        let text = std::fs::read_to_string(dir.join(log)).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        tails.push_str(&format!("--- last {lines} lines of {log} ---\n"));
        for line in &all[all.len().saturating_sub(lines)..] {
            tails.push_str(line);
            tails.push('\n');
        }
    }
    tails
}

fn wait_for(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "nothing listens on port {port} after 60 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A scheduler with default settings on a free port, logging to `dir/scheduler.log`, and its
/// `host:port`, once it listens.
fn start_scheduler(dir: &Path) -> (Process, String) {
    let port = free_port();
    let bind = format!("127.0.0.1:{port}");
    let scheduler = spawn(
        dir,
        "scheduler.log",
        &["cluster", "scheduler", "--bind", &bind],
    );
    wait_for(port);
    (scheduler, bind)
}

/// Column name -> values as text (integers, strings exactly; floats as f64 bits for later).
pub type Table = BTreeMap<String, Vec<Option<Value>>>;

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Exact(String),
    Float(f64),
}

pub fn read_table(path: &Path) -> Table {
    let file = std::fs::File::open(path).unwrap();
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap();
    let mut table = Table::new();
    for batch in reader {
        let batch = batch.unwrap();
        for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
            let values = table.entry(field.name().clone()).or_default();
            for i in 0..column.len() {
                if column.is_null(i) {
                    values.push(None);
                    continue;
                }
                values.push(Some(match field.data_type() {
                    DataType::Float64 => Value::Float(
                        column
                            .as_primitive::<arrow::datatypes::Float64Type>()
                            .value(i),
                    ),
                    _ => Value::Exact(
                        arrow::util::display::array_value_to_string(column, i).unwrap(),
                    ),
                }));
            }
        }
    }
    table
}

/// Runs `custseg args` in `dir` twice, into `<name>-local` with the data directory
/// `<name>-local-data`, and through `engine` into `<name>-cluster` with `<name>-cluster-data`;
/// fails unless both succeed and the executors wrote the parse (a directory of parts).
fn run_locally_and_on_the_cluster(dir: &Path, name: &str, args: &[&str], engine: &str) {
    for cluster in [false, true] {
        let out = format!("{name}-{}", if cluster { "cluster" } else { "local" });
        let data = format!("{out}-data");
        let mut all = args.to_vec();
        all.extend(["--out", &out, "--data-dir", &data]);
        if cluster {
            all.extend(["--engine", engine]);
        }
        let run = custseg(dir, &all);
        assert!(run.status.success(), "{out}: {}", text(&run.stderr));
    }
    let parsed: Vec<String> = std::fs::read_dir(dir.join(format!("{name}-cluster-data/parsed")))
        .unwrap()
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        parsed.iter().any(|n| n.ends_with(".parts")),
        "the executors did not parse the input of `{name}`: {parsed:?}"
    );
}

/// Same customers (more than `at_least`), counts and integer features; floating-point features
/// equal to 1e-9 relative.
fn assert_same_features(local: &Path, cluster: &Path, at_least: usize) {
    let schema = |path: &Path| {
        let file = std::fs::File::open(path).unwrap();
        ParquetRecordBatchReaderBuilder::try_new(file)
            .unwrap()
            .schema()
            .clone()
    };
    assert_eq!(schema(local), schema(cluster), "column types differ");
    let a = read_table(local);
    let b = read_table(cluster);
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    let customers = a["CustomerID"].len();
    assert!(customers > at_least, "{customers} customers");
    assert_eq!(a["CustomerID"], b["CustomerID"]);
    for (column, values) in &a {
        let other = &b[column];
        assert_eq!(values.len(), other.len(), "{column}");
        for (i, (x, y)) in values.iter().zip(other).enumerate() {
            match (x, y) {
                (Some(Value::Float(x)), Some(Value::Float(y))) => {
                    let scale = x.abs().max(y.abs()).max(f64::MIN_POSITIVE);
                    assert!(
                        (x - y).abs() <= 1e-9 * scale || (x.is_nan() && y.is_nan()),
                        "{column} row {i}: {x} vs {y}"
                    );
                }
                _ => assert_eq!(x, y, "{column} row {i}"),
            }
        }
    }
}

#[test]
fn features_on_a_two_executor_cluster_equal_the_local_run_even_when_an_executor_dies() {
    let dir = tempfile::tempdir().unwrap();
    let demo = custseg(
        dir.path(),
        &[
            "-q",
            "demo-data",
            "--rows",
            "2000000",
            "--seed",
            "11",
            "--out",
            "demo.parquet",
        ],
    );
    assert!(demo.status.success(), "{}", text(&demo.stderr));

    let scheduler_port = free_port();
    let scheduler_bind = format!("127.0.0.1:{scheduler_port}");
    // Quick to notice a lost executor, for the fault half of the test.
    let _scheduler = spawn(
        dir.path(),
        "scheduler.log",
        &[
            "cluster",
            "scheduler",
            "--bind",
            &scheduler_bind,
            "--executor-timeout",
            "6",
            "--expire-check",
            "2",
        ],
    );
    wait_for(scheduler_port);
    let mut executors = Vec::new();
    for n in 0..2 {
        let (data, grpc) = (free_port(), free_port());
        let work = dir.path().join(format!("executor-{n}"));
        std::fs::create_dir_all(&work).unwrap();
        // In a directory of its own, as on another machine: every path the client hands
        // over must be absolute.
        let cwd = dir.path().join(format!("executor-{n}-cwd"));
        std::fs::create_dir_all(&cwd).unwrap();
        executors.push(spawn_in(
            dir.path(),
            &cwd,
            &format!("executor-{n}.log"),
            &[
                "cluster",
                "executor",
                "--scheduler",
                &scheduler_bind,
                "--bind",
                &format!("127.0.0.1:{data}"),
                "--grpc-port",
                &grpc.to_string(),
                "--concurrency",
                "1",
                "--work-dir",
                work.to_str().unwrap(),
                "--heartbeat",
                "2",
                "--memory-limit",
                "512MiB",
            ],
        ));
        wait_for(data);
    }
    // Executors register with their first heartbeat.
    std::thread::sleep(Duration::from_secs(3));
    // Should Ballista lose track of the run's work after the kill below, the stall watch
    // fails the run cleanly after 7 minutes without progress, within the 10 minutes of
    // silent logs the test allows; the longest job seen here with both cores busy took 210 s.
    std::fs::write(
        dir.path().join("custseg.toml"),
        "[engine]\ncluster_stall_timeout_seconds = 420\n",
    )
    .unwrap();

    let local = custseg(
        dir.path(),
        &[
            "-q",
            "features",
            "--input",
            "demo.parquet",
            "--out",
            "local",
        ],
    );
    assert!(local.status.success(), "{}", text(&local.stderr));
    let engine = format!("df://{scheduler_bind}");
    // A parse cache of its own, so that the executors parse the input (the local run's
    // cached parse would be reused otherwise).
    let distributed = custseg(
        dir.path(),
        &[
            "-q",
            "features",
            "--input",
            "demo.parquet",
            "--out",
            "cluster",
            "--data-dir",
            "cluster-data",
            "--engine",
            &engine,
        ],
    );
    assert!(
        distributed.status.success(),
        "{}",
        text(&distributed.stderr)
    );
    let parts: Vec<String> = std::fs::read_dir(dir.path().join("cluster-data/parsed"))
        .unwrap()
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        parts.iter().any(|name| name.ends_with(".parts")),
        "the executors did not parse the input: {parts:?}"
    );
    // Every cleaned and quarantined row, with its `source_row`, in the same order.
    for file in ["clean/transactions.parquet", "quarantine/rejected.parquet"] {
        let (a, b) = (
            read_table(&dir.path().join("local").join(file)),
            read_table(&dir.path().join("cluster").join(file)),
        );
        assert!(a["source_row"].len() > 100_000, "{file}");
        assert!(
            a == b,
            "{file} differs between the local and the cluster run"
        );
    }

    // Each job's files leave the executors once the client has read its result, long before
    // Ballista's own clean-up of a finished job (300 s after it ends). A job folder is any
    // entry of an executor's work directory but the engine's spill folders.
    let job_folders = |n: usize| -> usize {
        std::fs::read_dir(dir.path().join(format!("executor-{n}")))
            .map(|d| {
                d.flatten()
                    .filter(|e| !e.file_name().to_string_lossy().starts_with("datafusion-"))
                    .count()
            })
            .unwrap_or(0)
    };
    let drained = Instant::now() + Duration::from_secs(30);
    while job_folders(0) + job_folders(1) > 0 && Instant::now() < drained {
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(
        (job_folders(0), job_folders(1)),
        (0, 0),
        "job folders left on the executors 30 s after the run"
    );

    let quality = |out: &str| -> serde_json::Value {
        serde_json::from_slice(
            &std::fs::read(dir.path().join(out).join("reports/quality.json")).unwrap(),
        )
        .unwrap()
    };
    let (q_local, q_cluster) = (quality("local"), quality("cluster"));
    for key in [
        "raw_rows",
        "clean_rows",
        "quarantined_rows",
        "steps",
        "duplicates",
    ] {
        assert_eq!(q_local[key], q_cluster[key], "{key}");
    }
    assert_eq!(q_local["raw_rows"], 2_000_000);
    let local_features = dir.path().join("local/features/customer_features.parquet");
    let cluster_features = dir
        .path()
        .join("cluster/features/customer_features.parquet");
    assert_same_features(&local_features, &cluster_features, 10_000);

    // A CSV.gz log: the executors parse it too (its text converted by SQL that reads as the
    // client's reader does), with the same result as the local run.
    let csv = custseg(
        dir.path(),
        &[
            "-q",
            "demo-data",
            "--rows",
            "300000",
            "--customers",
            "12000",
            "--seed",
            "12",
            "--out",
            "demo.csv.gz",
        ],
    );
    assert!(csv.status.success(), "{}", text(&csv.stderr));
    run_locally_and_on_the_cluster(
        dir.path(),
        "csv",
        &["-q", "features", "--input", "demo.csv.gz"],
        &engine,
    );
    for file in ["clean/transactions.parquet", "quarantine/rejected.parquet"] {
        assert!(
            read_table(&dir.path().join("csv-local").join(file))
                == read_table(&dir.path().join("csv-cluster").join(file)),
            "{file} differs between the local and the cluster run of the CSV.gz"
        );
    }
    assert_same_features(
        &dir.path()
            .join("csv-local/features/customer_features.parquet"),
        &dir.path()
            .join("csv-cluster/features/customer_features.parquet"),
        4_000,
    );

    // `custseg run` too: its ingest stage has the executors parse the CSV.gz and joins their
    // parts into the stage's one raw file; its clean stage runs on the cluster.
    run_locally_and_on_the_cluster(
        dir.path(),
        "run",
        &["-q", "run", "--input", "demo.csv.gz", "--until", "clean"],
        &engine,
    );
    for file in [
        "raw/transactions.parquet",
        "clean/transactions.parquet",
        "quarantine/rejected.parquet",
    ] {
        let local = read_table(&dir.path().join("run-local").join(file));
        if file.starts_with("raw") {
            assert_eq!(local["source_row"].len(), 300_000);
        }
        assert!(
            local == read_table(&dir.path().join("run-cluster").join(file)),
            "{file} differs between `run` locally and on the cluster"
        );
    }

    // Fault: the second executor is killed while the run's jobs execute. Ballista marks it
    // dead after the scheduler's executor timeout and runs the lost tasks on the other, so the
    // run completes with the same result; were it to fail instead, the failed stage's outputs in
    // `cluster/` stay as they were.
    // (The feature table is the last stage's: a failed run cannot have replaced it.)
    let before: Vec<(&str, Vec<u8>)> = ["features/customer_features.parquet"]
        .into_iter()
        .map(|f| {
            (
                f,
                std::fs::read(dir.path().join("cluster").join(f)).unwrap(),
            )
        })
        .collect();
    // Without its lock the output counts as written by nobody, so every stage runs again.
    std::fs::remove_file(dir.path().join("cluster/custseg.lock")).unwrap();
    let jobs_before = job_folders(1);
    let mut child = Command::new(env!("CARGO_BIN_EXE_custseg"))
        .args([
            "-q",
            "features",
            "--input",
            "demo.parquet",
            "--out",
            "cluster",
            "--data-dir",
            "cluster-data",
            // parsed again, so that the executor may die in the parse too
            "--no-cache",
            "--engine",
            &engine,
        ])
        .current_dir(dir.path())
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        // A file, not a pipe: the loop below does not read while it waits.
        .stderr(std::fs::File::create(dir.path().join("client.log")).unwrap())
        .spawn()
        .unwrap();
    // Kill it once it has run a task of this run (a new job folder), 1.5 s later.
    let deadline = Instant::now() + Duration::from_secs(120);
    while executors.len() == 2 && Instant::now() < deadline && child.try_wait().unwrap().is_none() {
        if job_folders(1) > jobs_before {
            std::thread::sleep(Duration::from_millis(1500));
            executors.pop();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        executors.len(),
        1,
        "the second executor never received work of the run"
    );
    // Either outcome is fine; a run that never ends is not. On a busy 2-core machine a debug
    // run with one executor left takes minutes, so the test goes by progress: Ballista's
    // scheduler and executor log every task they start and finish, and ten minutes without a
    // line means the run hangs (the longest quiet spell seen with both cores busy was 149 s).
    // Fail then with the cluster's logs rather than hold the whole test run.
    let logs = ["scheduler.log", "executor-0.log", "client.log"];
    let logged = || -> u64 {
        logs.iter()
            .filter_map(|log| std::fs::metadata(dir.path().join(log)).ok())
            .map(|m| m.len())
            .sum()
    };
    let (mut size, mut progressed) = (logged(), Instant::now());
    while child.try_wait().unwrap().is_none() {
        let now = logged();
        if now != size {
            (size, progressed) = (now, Instant::now());
        } else if progressed.elapsed() > Duration::from_secs(600) {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "the run during which an executor died made no progress for 10 minutes\n{}",
                log_tails(dir.path(), &logs, 60)
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let status = child.wait().unwrap();
    if status.success() {
        assert_same_features(&local_features, &cluster_features, 10_000);
    } else {
        let stderr = std::fs::read_to_string(dir.path().join("client.log")).unwrap();
        assert!(stderr.contains("the next run resumes from it"), "{stderr}");
        for (file, bytes) in &before {
            assert_eq!(
                &std::fs::read(dir.path().join("cluster").join(file)).unwrap(),
                bytes,
                "{file}"
            );
        }
    }
    // Which of the two happened, for the record.
    eprintln!(
        "after killing an executor the run {}",
        if status.success() {
            "completed"
        } else {
            "failed cleanly"
        }
    );
    drop(executors);
}

#[test]
fn a_scheduler_that_does_not_answer_is_a_clear_error_not_a_hang() {
    let dir = tempfile::tempdir().unwrap();
    demo_data(dir.path(), &["--rows", "2000", "--out", "demo.parquet"]);
    let port = free_port();
    let started = Instant::now();
    let engine = format!("df://127.0.0.1:{port}");
    let output = features(dir.path(), "demo.parquet", "out", &["--engine", &engine]);
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "the Ballista scheduler at `df://127.0.0.1:{port}` does not answer (Connection refused"
        )),
        "{stderr}"
    );
    assert!(!dir.path().join("out/features").exists());

    let bad = features(
        dir.path(),
        "demo.parquet",
        "out",
        &["--engine", "http://x:1"],
    );
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        text(&bad.stderr).contains("expected the Ballista scheduler as `df://host:port`"),
        "{}",
        text(&bad.stderr)
    );
}

#[test]
fn a_job_no_executor_can_run_fails_after_the_stall_timeout_instead_of_waiting_forever() {
    let dir = tempfile::tempdir().unwrap();
    demo_data(dir.path(), &["--rows", "2000", "--out", "demo.parquet"]);
    // A local run leaves the parse in the cache, so the cluster run's first jobs are the
    // raw profile and the duplicate search side by side, not the parse's check alone.
    let local = features(dir.path(), "demo.parquet", "local", &[]);
    assert!(local.status.success(), "{}", text(&local.stderr));
    let (_scheduler, bind) = start_scheduler(dir.path());
    std::fs::write(
        dir.path().join("custseg.toml"),
        "[engine]\ncluster_stall_timeout_seconds = 4\n",
    )
    .unwrap();
    let started = Instant::now();
    let engine = format!("df://{bind}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_custseg"))
        .args([
            "-q",
            "features",
            "--input",
            "demo.parquet",
            "--out",
            "out",
            "--engine",
            &engine,
        ])
        .current_dir(dir.path())
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.path().join("client.log")).unwrap())
        .spawn()
        .unwrap();
    // Without the watch the run would wait forever: give up on it after 60 s.
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the run was still waiting after 60 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let waited = started.elapsed();
    let stderr = std::fs::read_to_string(dir.path().join("client.log")).unwrap();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("made no progress for 4 s (running, but no stage finished"),
        "{stderr}"
    );
    assert!(
        stderr.contains("it was cancelled. Is any executor registered with the scheduler?"),
        "{stderr}"
    );
    // The first job stalls and ends the run: not sooner than the timeout.
    assert!(waited >= Duration::from_secs(4), "took {waited:?}");
    assert!(!dir.path().join("out/features").exists());
    // Every job the scheduler took is cancelled: the one that stalled first, and those that
    // ran beside it, whose results the failing run dropped.
    let scheduler_log = std::fs::read_to_string(dir.path().join("scheduler.log")).unwrap();
    let submitted = job_ids(&scheduler_log, "Job submitted: [");
    let cancelled = job_ids(&scheduler_log, "Received cancellation request for job ");
    assert!(
        submitted.len() >= 2,
        "the raw profile and the duplicate search run side by side: {scheduler_log}"
    );
    assert_eq!(submitted, cancelled, "{scheduler_log}");
}

/// The job ids (Ballista's are alphanumeric) that follow `before` in `log`.
fn job_ids(log: &str, before: &str) -> std::collections::BTreeSet<String> {
    log.split(before)
        .skip(1)
        .map(|rest| {
            rest.chars()
                .take_while(char::is_ascii_alphanumeric)
                .collect::<String>()
        })
        .collect()
}

/// The status and body of `GET url`, any status.
fn probe(url: &str) -> (u16, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(5)))
        .build()
        .into();
    let mut response = agent
        .get(url)
        .call()
        .unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let status = response.status().as_u16();
    (status, response.body_mut().read_to_string().unwrap())
}

/// Polls `url` until it answers `status`, failing after `within`.
fn wait_for_status(url: &str, status: u16, within: Duration, dir: &Path) -> String {
    let deadline = Instant::now() + within;
    loop {
        let (got, body) = probe(url);
        if got == status {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "{url} still answers {got} ({body}) after {within:?}, expected {status}\n{}",
            log_tails(dir, &["scheduler.log", "executor.log"], 20)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn kubernetes_probes_follow_the_executors_heartbeat() {
    let dir = tempfile::tempdir().unwrap();
    let (scheduler, scheduler_bind) = start_scheduler(dir.path());
    // Ballista's scheduler serves its own probes; not ready without an executor.
    let scheduler_ready = format!("http://{scheduler_bind}/readyz");
    assert_eq!(probe(&format!("http://{scheduler_bind}/healthz")).0, 200);
    assert_eq!(probe(&scheduler_ready).0, 503);

    let (data, grpc, health) = (free_port(), free_port(), free_port());
    let _executor = spawn(
        dir.path(),
        "executor.log",
        &[
            "cluster",
            "executor",
            "--scheduler",
            &scheduler_bind,
            "--bind",
            &format!("127.0.0.1:{data}"),
            "--grpc-port",
            &grpc.to_string(),
            "--health-port",
            &health.to_string(),
            "--heartbeat",
            "1",
        ],
    );
    wait_for(health);
    let executor_alive = format!("http://127.0.0.1:{health}/healthz");
    let executor_ready = format!("http://127.0.0.1:{health}/readyz");
    assert_eq!(probe(&executor_alive), (200, "ok".to_owned()));
    wait_for_status(&executor_ready, 200, Duration::from_secs(30), dir.path());
    let body = wait_for_status(&scheduler_ready, 200, Duration::from_secs(30), dir.path());
    assert!(body.contains("1 executors registered"), "{body}");

    // Without its scheduler the executor stays alive but stops being ready.
    drop(scheduler);
    let body = wait_for_status(&executor_ready, 503, Duration::from_secs(30), dir.path());
    assert!(body.contains("no successful heartbeat"), "{body}");
    assert_eq!(probe(&executor_alive).0, 200);

    // A probe port already taken is an error at start-up, naming the address.
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let taken_port = taken.local_addr().unwrap().port();
    let output = Command::new(env!("CARGO_BIN_EXE_custseg"))
        .args([
            "cluster",
            "executor",
            "--scheduler",
            &scheduler_bind,
            "--bind",
            &format!("127.0.0.1:{}", free_port()),
            "--health-port",
            &taken_port.to_string(),
        ])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        text(&output.stderr).contains(&format!(
            "cannot listen for health probes on 127.0.0.1:{taken_port}"
        )),
        "{}",
        text(&output.stderr)
    );
}
