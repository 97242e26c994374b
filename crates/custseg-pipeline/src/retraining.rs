//! The retraining policy of `custseg schedule`: the data stages every time; `train` and what
//! follows it when a drift report says the data drifted and no retrain was started for that
//! report yet.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

/// What the scheduler remembers between runs, in the output directory.
pub const STATE_FILE: &str = "schedule-state.json";

/// The part of a drift report the policy reads: `custseg monitor drift` writes these two
/// fields (`custseg_serve::drift::DriftReport`), and any other monitor can write just them.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct DriftVerdict {
    /// Whether the data drifted.
    pub drift: bool,
    /// The verdict in words.
    #[serde(default)]
    pub reason: String,
}

/// What the policy decided for one scheduled run.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// A new report says the data drifted: retrain.
    Retrain {
        /// The report's reason.
        reason: String,
    },
    /// The report says the data drifted, but a retrain was started for this very report.
    AlreadyActedOn,
    /// The report says the data did not drift.
    NoDrift {
        /// The report's reason.
        reason: String,
    },
    /// There is no report (yet).
    NoReport,
}

/// The policy's state for one output directory.
#[derive(Debug, Default, Serialize, Deserialize)]
struct ScheduleState {
    /// SHA-256 of the last drift report a retrain was started for.
    acted_on_drift_report: Option<String>,
}

/// Decides whether the scheduled run in `out` retrains, from the drift report at `report`.
/// Call [`Pending::remember`] once the retrain ran, so the same report is not acted on twice.
pub fn decide(report: &Path, out: &Path) -> Result<(Decision, Pending)> {
    let state_path = out.join(STATE_FILE);
    let state: ScheduleState = std::fs::read(&state_path)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default();
    let pending = |sha: Option<String>| Pending {
        state_path: state_path.clone(),
        sha,
    };
    if !report.is_file() {
        tracing::warn!(path = %report.display(), "no drift report yet");
        return Ok((Decision::NoReport, pending(None)));
    }
    let bytes = fs_err::read(report)?;
    let verdict: DriftVerdict = serde_json::from_slice(&bytes).with_context(|| {
        format!(
            "`{}` is not a drift report (it needs a `drift` verdict)",
            report.display()
        )
    })?;
    let sha = custseg_io::sha256_file(report)?;
    Ok(match verdict {
        DriftVerdict {
            drift: false,
            reason,
        } => (Decision::NoDrift { reason }, pending(None)),
        _ if state.acted_on_drift_report.as_ref() == Some(&sha) => {
            (Decision::AlreadyActedOn, pending(None))
        }
        DriftVerdict { reason, .. } => (Decision::Retrain { reason }, pending(Some(sha))),
    })
}

/// The state to keep once a decided retrain ran.
#[derive(Debug)]
pub struct Pending {
    state_path: PathBuf,
    /// The report acted on, when the decision was to retrain.
    sha: Option<String>,
}

impl Pending {
    /// Records that the retrain for this report ran (nothing when none was decided).
    pub fn remember(self) -> Result<()> {
        let Some(sha) = self.sha else {
            return Ok(());
        };
        let state = ScheduleState {
            acted_on_drift_report: Some(sha),
        };
        let mut bytes = serde_json::to_vec_pretty(&state)?;
        bytes.push(b'\n');
        custseg_io::write_atomic(&self.state_path, &bytes)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_drift_report_is_acted_on_once() {
        let dir = tempfile::tempdir().unwrap();
        let (out, report) = (dir.path().join("out"), dir.path().join("drift.json"));
        std::fs::create_dir_all(&out).unwrap();
        assert_eq!(decide(&report, &out).unwrap().0, Decision::NoReport);
        std::fs::write(&report, r#"{"drift": false, "reason": "calm"}"#).unwrap();
        assert_eq!(
            decide(&report, &out).unwrap().0,
            Decision::NoDrift {
                reason: "calm".into()
            }
        );
        std::fs::write(
            &report,
            r#"{"drift": true, "reason": "PSI 0.4", "window": "1d"}"#,
        )
        .unwrap();
        let (decision, pending) = decide(&report, &out).unwrap();
        assert_eq!(
            decision,
            Decision::Retrain {
                reason: "PSI 0.4".into()
            }
        );
        // Not remembered (the retrain failed): decided again.
        assert!(matches!(
            decide(&report, &out).unwrap().0,
            Decision::Retrain { .. }
        ));
        pending.remember().unwrap();
        assert_eq!(decide(&report, &out).unwrap().0, Decision::AlreadyActedOn);
        std::fs::write(&report, r#"{"reason": "no verdict"}"#).unwrap();
        let error = decide(&report, &out).unwrap_err();
        assert!(
            format!("{error:#}").contains("needs a `drift` verdict"),
            "{error:#}"
        );
    }
}
