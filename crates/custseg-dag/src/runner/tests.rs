use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use super::*;
use crate::error::BoxError;
use crate::stage::Retry;

/// Writes each output as its params followed by the bytes of its deps; counts its runs.
struct Copying {
    name: &'static str,
    deps: Vec<&'static str>,
    outputs: Vec<&'static str>,
    params: serde_json::Value,
    runs: Arc<AtomicU32>,
    failures_left: AtomicU32,
    retry: Retry,
}

impl Stage for Copying {
    fn name(&self) -> &str {
        self.name
    }
    fn deps(&self) -> Vec<String> {
        self.deps.iter().map(|d| (*d).to_owned()).collect()
    }
    fn params(&self) -> serde_json::Value {
        self.params.clone()
    }
    fn outputs(&self) -> Vec<String> {
        self.outputs.iter().map(|d| (*d).to_owned()).collect()
    }
    fn retry(&self) -> Retry {
        self.retry
    }
    fn run(&self, context: &mut StageContext<'_>) -> Result<Vec<String>, BoxError> {
        self.runs.fetch_add(1, Ordering::SeqCst);
        if self.failures_left.load(Ordering::SeqCst) > 0 {
            self.failures_left.fetch_sub(1, Ordering::SeqCst);
            // Half-written output first: the runner must not let it out.
            context.staged().write(self.outputs[0], b"partial")?;
            return Err("the service is unreachable".into());
        }
        let mut bytes = self.params.to_string().into_bytes();
        for dep in &self.deps {
            bytes.extend(std::fs::read(context.dep(dep))?);
        }
        for output in &self.outputs {
            context.staged().write(output, &bytes)?;
        }
        Ok(vec![format!("{} wrote {} bytes", self.name, bytes.len())])
    }
}

struct Pipeline {
    dir: tempfile::TempDir,
    runs: Vec<Arc<AtomicU32>>,
}

fn stage(
    name: &'static str,
    deps: &[&'static str],
    outputs: &[&'static str],
    params: serde_json::Value,
    runs: &Arc<AtomicU32>,
) -> Copying {
    Copying {
        name,
        deps: deps.to_vec(),
        outputs: outputs.to_vec(),
        params,
        runs: Arc::clone(runs),
        failures_left: AtomicU32::new(0),
        retry: Retry::NONE,
    }
}

impl Pipeline {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
            runs: (0..3).map(|_| Arc::new(AtomicU32::new(0))).collect(),
        }
    }

    /// clean -> features -> train, with `seed` a parameter of train and `drop` of clean.
    fn dag(&self, drop: bool, seed: u32, train_failures: u32) -> Dag {
        let mut train = stage(
            "train",
            &["features.csv"],
            &["model.json"],
            serde_json::json!({"seed": seed, "k": {"min": 2}}),
            &self.runs[2],
        );
        train.failures_left = AtomicU32::new(train_failures);
        Dag::new(vec![
            Box::new(train),
            Box::new(stage(
                "clean",
                &[],
                &["clean.parquet"],
                serde_json::json!({"drop": drop}),
                &self.runs[0],
            )),
            Box::new(stage(
                "features",
                &["clean.parquet"],
                &["features.csv"],
                serde_json::Value::Null,
                &self.runs[1],
            )),
        ])
        .unwrap()
    }

    fn run(&self, dag: &Dag, plan: &RunPlan) -> RunReport {
        Runner::new(dag, self.dir.path())
            .unwrap()
            .run(plan, &mut |_| {})
            .unwrap()
    }

    fn counts(&self) -> Vec<u32> {
        self.runs.iter().map(|r| r.load(Ordering::SeqCst)).collect()
    }
}

fn statuses(report: &RunReport) -> Vec<(String, StageStatus)> {
    report
        .stages
        .iter()
        .map(|s| (s.stage.clone(), s.status.clone()))
        .collect()
}

#[test]
fn an_unchanged_rerun_runs_no_stage() {
    let pipeline = Pipeline::new();
    let first = pipeline.run(&pipeline.dag(true, 1, 0), &RunPlan::default());
    assert_eq!(first.ran().count(), 3);
    assert_eq!(first.stages[0].reason, "it has not run here before");
    let second = pipeline.run(&pipeline.dag(true, 1, 0), &RunPlan::default());
    assert_eq!(second.ran().count(), 0);
    assert!(second.stages.iter().all(|s| s.reason == "unchanged"));
    assert_eq!(pipeline.counts(), [1, 1, 1]);
}

#[test]
fn a_changed_parameter_reruns_that_stage_and_what_reads_from_it() {
    let pipeline = Pipeline::new();
    pipeline.run(&pipeline.dag(true, 1, 0), &RunPlan::default());
    let report = pipeline.run(&pipeline.dag(true, 2, 0), &RunPlan::default());
    assert_eq!(
        statuses(&report),
        [
            ("clean".into(), StageStatus::Skipped),
            ("features".into(), StageStatus::Skipped),
            ("train".into(), StageStatus::Ran),
        ]
    );
    assert_eq!(report.stages[2].reason, "parameters changed: seed");
    // An upstream change flows down through the hashes of the files in between.
    let report = pipeline.run(&pipeline.dag(false, 2, 0), &RunPlan::default());
    assert_eq!(report.ran().count(), 3);
    assert_eq!(report.stages[1].reason, "`clean.parquet` changed");
    assert_eq!(pipeline.counts(), [2, 2, 3]);
}

#[test]
fn an_output_edited_or_deleted_outside_the_pipeline_is_rebuilt() {
    let pipeline = Pipeline::new();
    let dag = pipeline.dag(true, 1, 0);
    pipeline.run(&dag, &RunPlan::default());
    std::fs::write(pipeline.dir.path().join("features.csv"), b"edited by hand").unwrap();
    let report = pipeline.run(&dag, &RunPlan::default());
    assert_eq!(
        report.stages[1].reason,
        "its output `features.csv` was changed outside the pipeline"
    );
    // features reproduced the same bytes as before, so train had nothing new to read.
    assert_eq!(report.stages[2].status, StageStatus::Skipped);
    std::fs::remove_file(pipeline.dir.path().join("model.json")).unwrap();
    let report = pipeline.run(&dag, &RunPlan::default());
    assert_eq!(
        report.stages[2].reason,
        "its output `model.json` is missing"
    );
    assert_eq!(pipeline.counts(), [1, 2, 2]);
}

#[test]
fn a_failed_stage_leaves_outputs_and_lock_as_they_were_and_the_next_run_resumes_there() {
    let pipeline = Pipeline::new();
    pipeline.run(&pipeline.dag(true, 1, 0), &RunPlan::default());
    let model = std::fs::read(pipeline.dir.path().join("model.json")).unwrap();
    let lock_before = Lock::read(pipeline.dir.path()).unwrap();

    let report = pipeline.run(&pipeline.dag(false, 1, 1), &RunPlan::default());
    assert_eq!(report.stages[2].status, StageStatus::Failed);
    let failure = report.failure.unwrap().to_string();
    assert_eq!(
        failure,
        "stage `train` failed (attempt 1 of 1): the service is unreachable"
    );
    // clean and features committed with their lock entries; train's old model and entry stay.
    assert_eq!(
        std::fs::read(pipeline.dir.path().join("model.json")).unwrap(),
        model
    );
    let lock = Lock::read(pipeline.dir.path()).unwrap();
    assert_ne!(lock.stages["clean"], lock_before.stages["clean"]);
    assert_eq!(lock.stages["train"], lock_before.stages["train"]);
    let leftovers: Vec<_> = std::fs::read_dir(pipeline.dir.path())
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(".custseg-staging")
        })
        .collect();
    assert!(leftovers.is_empty());

    let resumed = pipeline.run(&pipeline.dag(false, 1, 0), &RunPlan::default());
    assert_eq!(
        statuses(&resumed),
        [
            ("clean".into(), StageStatus::Skipped),
            ("features".into(), StageStatus::Skipped),
            ("train".into(), StageStatus::Ran),
        ]
    );
    assert_eq!(resumed.stages[2].reason, "`features.csv` changed");
}

#[test]
fn a_transient_failure_is_retried_and_partial_output_of_the_failed_attempt_is_discarded() {
    let pipeline = Pipeline::new();
    let runs = Arc::new(AtomicU32::new(0));
    let mut flaky = stage(
        "register",
        &[],
        &["registered.json"],
        serde_json::Value::Null,
        &runs,
    );
    flaky.failures_left = AtomicU32::new(2);
    flaky.retry = Retry {
        attempts: 3,
        first_backoff: Duration::from_millis(1),
    };
    let dag = Dag::new(vec![Box::new(flaky)]).unwrap();
    let report = pipeline.run(&dag, &RunPlan::default());
    assert_eq!(report.stages[0].status, StageStatus::Ran);
    assert_eq!(report.stages[0].attempts, 3);
    assert_eq!(
        std::fs::read(pipeline.dir.path().join("registered.json")).unwrap(),
        b"null"
    );
}

#[test]
fn force_reruns_a_stage_and_only_checks_what_comes_before() {
    let pipeline = Pipeline::new();
    let dag = pipeline.dag(true, 1, 0);
    pipeline.run(&dag, &RunPlan::default());
    let forced = pipeline.run(
        &dag,
        &RunPlan {
            force: BTreeSet::from(["features".to_owned()]),
            only: None,
            until: None,
        },
    );
    assert_eq!(forced.stages[1].reason, "forced with `--force`");
    assert_eq!(forced.stages[2].status, StageStatus::Skipped);

    let only = pipeline.run(
        &pipeline.dag(true, 5, 0),
        &RunPlan {
            force: BTreeSet::new(),
            only: Some("train".into()),
            until: None,
        },
    );
    assert_eq!(statuses(&only), [("train".into(), StageStatus::Ran)]);

    let stale = Runner::new(&pipeline.dag(false, 5, 0), pipeline.dir.path())
        .unwrap()
        .run(
            &RunPlan {
                force: BTreeSet::new(),
                only: Some("train".into()),
                until: None,
            },
            &mut |_| {},
        )
        .unwrap_err();
    assert_eq!(
        stale.to_string(),
        "stage `train` needs `clean` to be up to date first (parameters changed: drop); run it, or the whole pipeline"
    );
    let unknown = Runner::new(&dag, pipeline.dir.path())
        .unwrap()
        .run(
            &RunPlan {
                force: BTreeSet::from(["trian".to_owned()]),
                only: None,
                until: None,
            },
            &mut |_| {},
        )
        .unwrap_err();
    assert_eq!(
        unknown.to_string(),
        "no stage is named `trian`; the stages are `clean`, `features`, `train`"
    );
}

#[test]
fn a_second_runner_on_the_same_directory_is_refused() {
    let pipeline = Pipeline::new();
    let dag = pipeline.dag(true, 1, 0);
    let _first = Runner::new(&dag, pipeline.dir.path()).unwrap();
    let second = Runner::new(&dag, pipeline.dir.path()).err().unwrap();
    assert!(matches!(second, Error::Busy(_)), "{second}");
}

#[test]
fn a_stage_must_write_what_it_declares_and_nothing_else() {
    struct Sloppy;
    impl Stage for Sloppy {
        fn name(&self) -> &str {
            "sloppy"
        }
        fn outputs(&self) -> Vec<String> {
            vec!["a.txt".into(), "charts/".into()]
        }
        fn run(&self, context: &mut StageContext<'_>) -> Result<Vec<String>, BoxError> {
            context.staged().write("charts/one.svg", b"<svg/>")?;
            context.staged().write("b.txt", b"b")?;
            Ok(vec![])
        }
    }
    let pipeline = Pipeline::new();
    let dag = Dag::new(vec![Box::new(Sloppy)]).unwrap();
    let report = pipeline.run(&dag, &RunPlan::default());
    assert_eq!(
        report.failure.unwrap().to_string(),
        "stage `sloppy` wrote `b.txt`, which it does not declare as an output"
    );
    assert!(!pipeline.dir.path().join("charts").exists());
}

#[test]
fn a_folder_output_loses_files_the_new_run_did_not_write() {
    struct Charts(std::sync::Mutex<Vec<&'static str>>);
    impl Stage for Charts {
        fn name(&self) -> &str {
            "charts"
        }
        fn params(&self) -> serde_json::Value {
            serde_json::json!(*self.0.lock().unwrap())
        }
        fn outputs(&self) -> Vec<String> {
            vec!["charts/".into()]
        }
        fn run(&self, context: &mut StageContext<'_>) -> Result<Vec<String>, BoxError> {
            for name in self.0.lock().unwrap().iter() {
                context
                    .staged()
                    .write(&format!("charts/{name}"), b"<svg/>")?;
            }
            Ok(vec![])
        }
    }
    let pipeline = Pipeline::new();
    let dag = Dag::new(vec![Box::new(Charts(vec!["a.svg", "b.svg"].into()))]).unwrap();
    pipeline.run(&dag, &RunPlan::default());
    let dag = Dag::new(vec![Box::new(Charts(vec!["a.svg"].into()))]).unwrap();
    pipeline.run(&dag, &RunPlan::default());
    assert!(pipeline.dir.path().join("charts/a.svg").exists());
    assert!(!pipeline.dir.path().join("charts/b.svg").exists());
    let lock = Lock::read(pipeline.dir.path()).unwrap();
    let paths: Vec<&str> = lock.stages["charts"]
        .outputs
        .iter()
        .map(|o| o.path.as_str())
        .collect();
    assert_eq!(paths, ["charts/a.svg"]);
}

#[test]
fn until_runs_a_stage_and_what_it_reads_from_and_nothing_after() {
    let pipeline = Pipeline::new();
    let report = pipeline.run(
        &pipeline.dag(true, 1, 0),
        &RunPlan {
            until: Some("features".into()),
            ..RunPlan::default()
        },
    );
    assert_eq!(
        statuses(&report),
        [
            ("clean".into(), StageStatus::Ran),
            ("features".into(), StageStatus::Ran),
        ]
    );
    assert_eq!(pipeline.counts(), [1, 1, 0]);
}

#[test]
fn the_staging_folder_of_a_killed_process_is_removed_when_the_next_runner_starts() {
    let pipeline = Pipeline::new();
    let stale = pipeline
        .dir
        .path()
        .join(".custseg-staging-4242-0/model.json");
    std::fs::create_dir_all(stale.parent().unwrap()).unwrap();
    std::fs::write(&stale, b"half").unwrap();
    let dag = pipeline.dag(true, 1, 0);
    let _runner = Runner::new(&dag, pipeline.dir.path()).unwrap();
    assert!(!stale.parent().unwrap().exists());
}
