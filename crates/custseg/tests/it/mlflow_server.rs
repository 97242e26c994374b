//! A real `mlflow server` (MLflow 3.17, SQLite store, artifact proxy) on 127.0.0.1 for the
//! tests, which can be killed and started again on the same port and store. `.ci/run`
//! installs MLflow into `.venvs/mlflow`; without it a test fails naming the install command:
//! it never skips.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::report::workspace;

/// The MLflow virtualenv: `CUSTSEG_MLFLOW_VENV`, else `.venvs/mlflow` in the workspace.
pub fn venv() -> PathBuf {
    let venv = std::env::var_os("CUSTSEG_MLFLOW_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join(".venvs/mlflow"));
    assert!(
        venv.join("bin/mlflow").is_file(),
        "MLflow is not installed at `{}`: run `bash .ci/install-test-deps` (it pip-installs mlflow==3.17.2 there), or point CUSTSEG_MLFLOW_VENV at a virtualenv that has it",
        venv.display()
    );
    venv
}

/// A running `mlflow server`, stopped (its whole process group) on drop.
pub struct MlflowServer {
    child: Option<Child>,
    port: u16,
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    store: tempfile::TempDir,
}

impl MlflowServer {
    /// Starts a lean server (1 worker, no job runner) on a free port with a temporary SQLite
    /// store and artifact folder, and waits for `/health`.
    pub fn start() -> Self {
        let store = tempfile::tempdir().unwrap();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut server = Self {
            child: None,
            port,
            url: format!("http://127.0.0.1:{port}"),
            store,
        };
        server.restart();
        server
    }

    /// Kills the server's whole process group at once (SIGKILL: no shutdown, as in a crash or
    /// a machine lost), leaving its store as the crash left it.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            kill_group(&child, "-KILL");
            let _ = child.wait();
        }
    }

    /// The process group to kill from another thread (see [`kill_group_id`]).
    pub fn group(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Starts the server (again) on the same port and store, and waits for `/health`.
    pub fn restart(&mut self) {
        self.kill();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .unwrap();
        let mut command = Command::new(venv().join("bin/mlflow"));
        command
            .args([
                "server",
                "--host",
                "127.0.0.1",
                "--port",
                &self.port.to_string(),
                "--workers",
                "1",
            ])
            .arg("--backend-store-uri")
            .arg(format!(
                "sqlite:///{}",
                self.store.path().join("mlflow.db").display()
            ))
            .arg("--artifacts-destination")
            .arg(self.store.path().join("artifacts"))
            .arg("--serve-artifacts")
            .env("MLFLOW_SERVER_ENABLE_JOB_EXECUTION", "false")
            .stdout(Stdio::null())
            .stderr(log);
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        self.child = Some(command.spawn().unwrap());
        self.wait_healthy();
    }

    fn log_path(&self) -> PathBuf {
        self.store.path().join("server.log")
    }

    fn wait_healthy(&self) {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(2)))
            .build()
            .into();
        let started = Instant::now();
        loop {
            if let Ok(mut response) = agent.get(&format!("{}/health", self.url)).call()
                && response
                    .body_mut()
                    .read_to_string()
                    .unwrap_or_default()
                    .trim()
                    == "OK"
            {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(90),
                "mlflow server did not answer /health within 90 s: {}",
                std::fs::read_to_string(self.log_path()).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(300));
        }
    }
}

/// custseg in `dir` with `args`, tracking to the MLflow server at `uri`, not yet started.
pub fn custseg_command(dir: &Path, uri: &str, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_custseg"));
    command
        .args(args)
        .current_dir(dir)
        .env("MLFLOW_TRACKING_URI", uri)
        .env_remove("MLFLOW_EXPERIMENT_NAME")
        .env_remove("CUSTSEG_CONFIG")
        .env_remove("RUST_LOG");
    command
}

/// Runs custseg in `dir` against the MLflow server at `uri`.
pub fn custseg_with(dir: &Path, uri: &str, args: &[&str]) -> std::process::Output {
    custseg_command(dir, uri, args).output().unwrap()
}

/// Sends `signal` to the process group `group` leads.
pub fn kill_group_id(group: u32, signal: &str) {
    let _ = Command::new("kill")
        .args([signal, "--", &format!("-{group}")])
        .status();
}

fn kill_group(child: &Child, signal: &str) {
    kill_group_id(child.id(), signal);
}

impl Drop for MlflowServer {
    fn drop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        kill_group(&child, "-TERM");
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if matches!(child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        kill_group(&child, "-KILL");
        let _ = child.wait();
    }
}
