//! `promote` and `rollback`, shared by `custseg models` and the pipeline's register stage.

use anyhow::{Result, bail};
use custseg_track::gate::{self, Verdict};
use custseg_track::{AliasEvent, Registry, current_user};

/// What a promotion did.
#[derive(Debug)]
pub struct Promotion {
    /// The gate's comparison with the version that held the alias.
    pub verdict: Verdict,
    /// The alias change, when there was one.
    pub event: Option<AliasEvent>,
}

/// Moves `alias` of `name` to `version` when the version's scores are not worse than those
/// of the version holding it now (the champion/challenger gate), or whatever they are with
/// `force`. A refusal is not an error here: the verdict says why, and `event` is none.
pub fn promote(
    registry: &dyn Registry,
    name: &str,
    version: u32,
    alias: &str,
    force: bool,
    why: &str,
) -> Result<Promotion> {
    let candidate = registry.version(name, version)?;
    let current = registry.aliases(name)?.get(alias).copied();
    if current == Some(version) {
        return Ok(Promotion {
            verdict: gate::compare(&candidate.metrics, None),
            event: None,
        });
    }
    let champion = current
        .map(|v| registry.version(name, v).map(|mv| mv.metrics))
        .transpose()?;
    let verdict = gate::compare(&candidate.metrics, champion.as_ref());
    if !verdict.passed && !force {
        return Ok(Promotion {
            verdict,
            event: None,
        });
    }
    let reason = match (verdict.passed, force) {
        (true, _) => format!("{why}; gate passed: {}", verdict.summary),
        (false, _) => format!("{why}; forced past the gate: {}", verdict.summary),
    };
    let event = registry.set_alias(name, alias, Some(version), &current_user(), &reason)?;
    Ok(Promotion {
        verdict,
        event: Some(event),
    })
}

/// Moves `alias` back to the version it pointed to before its last change.
pub fn rollback(registry: &dyn Registry, name: &str, alias: &str, why: &str) -> Result<AliasEvent> {
    let history = registry.alias_history(name)?;
    let current = registry.aliases(name)?.get(alias).copied();
    let Some(last) = history.iter().rev().find(|e| e.alias == alias) else {
        bail!("alias `{alias}` of model `{name}` has never been set: nothing to roll back to");
    };
    if last.to != current {
        bail!(
            "alias `{alias}` of model `{name}` points to {current:?}, not to what its history last recorded ({:?}); set it by hand",
            last.to
        );
    }
    let Some(previous) = last.from else {
        bail!(
            "alias `{alias}` of model `{name}` pointed to no version before version {}; remove it with `custseg models alias {name} {alias} --delete`",
            last.to.map_or("?".to_owned(), |v| v.to_string())
        );
    };
    let reason = format!(
        "rollback from version {}: {why}",
        current.map_or("none".to_owned(), |v| v.to_string())
    );
    Ok(registry.set_alias(name, alias, Some(previous), &current_user(), &reason)?)
}
