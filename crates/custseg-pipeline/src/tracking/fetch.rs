//! A registered model's file, fetched from its run's artifacts: what `custseg serve --model
//! NAME@ALIAS` serves.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::Tracking;

/// `NAME@ALIAS` or `NAME@VERSION`, split; none for anything else (a path).
pub fn registry_reference(text: &str) -> Option<(String, String)> {
    let (name, reference) = text.rsplit_once('@')?;
    let plain = |s: &str| !s.is_empty() && !s.contains(['/', '\\']);
    (plain(name) && plain(reference)).then(|| (name.to_owned(), reference.to_owned()))
}

/// The version `reference` (an alias or a number) of `name` names now.
pub fn resolve(tracking: &Tracking, name: &str, reference: &str) -> Result<u32> {
    let registry = tracking.registry()?;
    if let Ok(version) = reference.parse::<u32>() {
        registry.version(name, version)?;
        return Ok(version);
    }
    match registry.aliases(name)?.get(reference) {
        Some(version) => Ok(*version),
        None => bail!(
            "model `{name}` has no alias `{reference}` in {}; `custseg models show {name}` lists its aliases",
            registry.location()
        ),
    }
}

/// Writes version `version` of `name` (its run's `model/model.json`) to
/// `<root>/<name>/model/model.json`, atomically, and returns that path.
pub fn fetch(tracking: &Tracking, name: &str, version: u32, root: &Path) -> Result<PathBuf> {
    let registry = tracking.registry()?;
    let entry = registry.version(name, version)?;
    let bytes = tracking
        .tracker()?
        .read_artifact(&entry.run_id, "model/model.json")
        .with_context(|| {
            format!(
                "version {version} of `{name}` comes from run `{}`, whose `model/model.json` artifact cannot be read",
                entry.run_id
            )
        })?;
    let path = root.join(name).join("model/model.json");
    custseg_io::write_atomic(&path, &bytes)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_name_at_reference_is_a_registry_reference() {
        assert_eq!(
            registry_reference("customer-segments@production"),
            Some(("customer-segments".into(), "production".into()))
        );
        assert_eq!(
            registry_reference("segments@3"),
            Some(("segments".into(), "3".into()))
        );
        assert_eq!(registry_reference("out/model/model.json"), None);
        assert_eq!(registry_reference("dir@x/model.json"), None);
        assert_eq!(registry_reference("@production"), None);
    }
}
