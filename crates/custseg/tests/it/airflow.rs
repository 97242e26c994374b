//! `deploy/airflow/custseg_dag.py` loads in Airflow's DagBag (Airflow 3.3 from `.venvs/airflow`,
//! installed by `.ci/run`) and its task graph is the graph `custseg dag` prints. Without
//! Airflow the test fails naming the install command: it never skips.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Command;

use crate::cli::{custseg, text};
use crate::report::workspace;

fn airflow_python() -> PathBuf {
    let venv = std::env::var_os("CUSTSEG_AIRFLOW_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join(".venvs/airflow"));
    let python = venv.join("bin/python");
    assert!(
        python.is_file(),
        "Airflow is not installed at `{}`: run `bash .ci/install-test-deps` (it pip-installs apache-airflow==3.3.2 there), or point CUSTSEG_AIRFLOW_VENV at a virtualenv that has it",
        venv.display()
    );
    python
}

#[test]
fn the_airflow_dag_loads_in_dagbag_and_matches_custseg_dag() {
    let home = tempfile::tempdir().unwrap();
    let output = Command::new(airflow_python())
        .arg(workspace().join("crates/custseg/tests/airflow/load_dag.py"))
        .arg(workspace().join("deploy/airflow"))
        .env("AIRFLOW_HOME", home.path())
        .env("AIRFLOW__CORE__LOAD_EXAMPLES", "false")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    // Airflow logs to stdout as well; the script's JSON is the last line.
    let stdout = text(&output.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    let loaded: serde_json::Value = serde_json::from_str(last).unwrap();
    assert_eq!(loaded["import_errors"], serde_json::json!({}), "{loaded}");
    let dag = &loaded["dags"]["custseg"];
    assert_eq!(dag["schedule"], "0 3 * * *");

    // Airflow's edges, as upstream sets.
    let tasks = dag["tasks"].as_object().unwrap();
    let mut airflow: BTreeMap<String, BTreeSet<String>> =
        tasks.keys().map(|t| (t.clone(), BTreeSet::new())).collect();
    for (task, spec) in tasks {
        for down in spec["downstream"].as_array().unwrap() {
            airflow
                .get_mut(down.as_str().unwrap())
                .unwrap()
                .insert(task.clone());
        }
        let command = spec["bash_command"].as_str().unwrap();
        assert!(
            command.contains(&format!(" run --only {task} ")),
            "{command}"
        );
        assert_eq!(spec["retries"], 2);
    }

    // custseg's own DAG.
    let dir = tempfile::tempdir().unwrap();
    let printed = custseg(dir.path(), &["dag", "--demo", "--json"]);
    assert!(printed.status.success(), "{}", text(&printed.stderr));
    let json: serde_json::Value = serde_json::from_slice(&printed.stdout).unwrap();
    let custseg_dag: BTreeMap<String, BTreeSet<String>> = json["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|stage| {
            let upstream = stage["upstream"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u.as_str().unwrap().to_owned())
                .collect();
            (stage["name"].as_str().unwrap().to_owned(), upstream)
        })
        .collect();
    assert_eq!(airflow, custseg_dag);
}
