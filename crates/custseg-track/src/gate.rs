//! The champion/challenger gate `promote` applies: a candidate replaces the current holder of
//! an alias only when none of its scores is worse.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Whether a larger value of a score is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Larger is better (silhouette, stability).
    Higher,
    /// Smaller is better (Davies-Bouldin).
    Lower,
}

/// The scores the gate compares, with their direction: mean silhouette, Davies-Bouldin
/// index and bootstrap stability (mean adjusted Rand index).
pub const GATED_METRICS: [(&str, Direction); 3] = [
    ("silhouette", Direction::Higher),
    ("davies_bouldin", Direction::Lower),
    ("stability_ari", Direction::Higher),
];

/// Relative slack: a score within this fraction of the champion's counts as not worse, so
/// that refitting the same data with another seed is not refused for noise.
pub const TOLERANCE: f64 = 0.01;

/// One score compared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    /// The score.
    pub metric: String,
    /// Which way is better.
    pub direction: Direction,
    /// The candidate's value.
    pub candidate: Option<f64>,
    /// The champion's value.
    pub champion: Option<f64>,
    /// Whether the candidate is not worse.
    pub passed: bool,
}

/// The gate's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// Whether the candidate may be promoted.
    pub passed: bool,
    /// Each score compared.
    pub checks: Vec<Check>,
    /// One sentence for people.
    pub summary: String,
}

/// Compares a candidate's scores with the champion's (none: the alias is free, the candidate
/// passes). A score the champion has and the candidate lacks fails; one the champion lacks
/// is not compared.
pub fn compare(
    candidate: &BTreeMap<String, f64>,
    champion: Option<&BTreeMap<String, f64>>,
) -> Verdict {
    let Some(champion) = champion else {
        return Verdict {
            passed: true,
            checks: Vec::new(),
            summary: "no current model to compare with".to_owned(),
        };
    };
    let checks: Vec<Check> = GATED_METRICS
        .iter()
        .filter(|(metric, _)| champion.contains_key(*metric))
        .map(|&(metric, direction)| {
            let mine = candidate.get(metric).copied();
            let theirs = champion.get(metric).copied();
            let passed = match (mine, theirs) {
                (Some(a), Some(b)) if a.is_finite() && b.is_finite() => {
                    let slack = TOLERANCE * b.abs();
                    match direction {
                        Direction::Higher => a >= b - slack,
                        Direction::Lower => a <= b + slack,
                    }
                }
                _ => false,
            };
            Check {
                metric: metric.to_owned(),
                direction,
                candidate: mine,
                champion: theirs,
                passed,
            }
        })
        .collect();
    let worse: Vec<String> = checks
        .iter()
        .filter(|c| !c.passed)
        .map(|c| {
            let shown = |v: Option<f64>| v.map_or("missing".to_owned(), |v| format!("{v:.4}"));
            format!(
                "{} {} vs {}",
                c.metric,
                shown(c.candidate),
                shown(c.champion)
            )
        })
        .collect();
    let passed = worse.is_empty();
    let summary = if passed {
        format!("no score is worse ({} compared)", checks.len())
    } else {
        format!("worse than the current model: {}", worse.join(", "))
    };
    Verdict {
        passed,
        checks,
        summary,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scores(silhouette: f64, davies_bouldin: f64, stability: f64) -> BTreeMap<String, f64> {
        BTreeMap::from([
            ("silhouette".to_owned(), silhouette),
            ("davies_bouldin".to_owned(), davies_bouldin),
            ("stability_ari".to_owned(), stability),
        ])
    }

    #[test]
    fn a_candidate_better_or_equal_on_every_score_passes() {
        let verdict = compare(&scores(0.40, 0.9, 0.95), Some(&scores(0.38, 1.0, 0.95)));
        assert!(verdict.passed, "{}", verdict.summary);
        assert_eq!(verdict.checks.len(), 3);
    }

    #[test]
    fn a_candidate_worse_on_one_score_is_refused_and_told_which() {
        let verdict = compare(&scores(0.40, 1.2, 0.95), Some(&scores(0.38, 1.0, 0.95)));
        assert!(!verdict.passed);
        assert_eq!(
            verdict.summary,
            "worse than the current model: davies_bouldin 1.2000 vs 1.0000"
        );
    }

    #[test]
    fn noise_within_the_tolerance_is_not_worse() {
        let verdict = compare(&scores(0.398, 1.005, 0.95), Some(&scores(0.40, 1.0, 0.95)));
        assert!(verdict.passed, "{}", verdict.summary);
    }

    #[test]
    fn a_missing_score_the_champion_has_fails_and_a_free_alias_passes() {
        let mut candidate = scores(0.5, 0.5, 0.99);
        candidate.remove("stability_ari");
        assert!(!compare(&candidate, Some(&scores(0.4, 1.0, 0.9))).passed);
        assert!(compare(&candidate, None).passed);
    }
}
