//! The workspace's layering, read from the source (docs/architecture.md): no two top-level
//! modules of a crate import each other, directly or in a circle, and the application crate
//! keeps off the command line and the terminal.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn crates_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every `.rs` file under `path` (the file itself when it is one).
fn rust_files(path: &Path) -> Vec<PathBuf> {
    if path.is_file() {
        return vec![path.to_path_buf()];
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(path).unwrap().flatten() {
        files.extend(rust_files(&entry.path()));
    }
    files.retain(|f| f.extension().is_some_and(|e| e == "rs"));
    files
}

/// The names `crate::NAME` and `crate::{NAME, ...}` refer to in `text`, comments aside.
fn crate_paths(text: &str) -> BTreeSet<String> {
    let code: String = text
        .lines()
        .map(|line| line.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    let mut names = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let inner = &group[..group.find('}').unwrap_or(group.len())];
            for part in inner.split(',') {
                let name: String = part
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                names.insert(name);
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            names.insert(name);
        }
    }
    names
}

/// The edges between the top-level modules of the crate whose sources are in `src`.
fn module_edges(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut modules: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for entry in std::fs::read_dir(src).unwrap().flatten() {
        let path = entry.path();
        let name = path
            .file_stem()
            .unwrap()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_owned();
        if name == "lib" || name == "main" {
            continue;
        }
        modules.entry(name).or_default().extend(rust_files(&path));
    }
    let names: BTreeSet<String> = modules.keys().cloned().collect();
    modules
        .iter()
        .map(|(name, files)| {
            let used = files
                .iter()
                .flat_map(|f| crate_paths(&std::fs::read_to_string(f).unwrap()))
                .filter(|used| used != name && names.contains(used))
                .collect();
            (name.clone(), used)
        })
        .collect()
}

/// A circle through `start`, if there is one.
fn circle_from(edges: &BTreeMap<String, BTreeSet<String>>, start: &str) -> Option<Vec<String>> {
    let mut stack = vec![vec![start.to_owned()]];
    let mut seen = BTreeSet::new();
    while let Some(path) = stack.pop() {
        let last = path.last().unwrap();
        for next in edges.get(last).into_iter().flatten() {
            if next == start {
                return Some(path.clone());
            }
            if seen.insert(next.clone()) {
                let mut longer = path.clone();
                longer.push(next.clone());
                stack.push(longer);
            }
        }
    }
    None
}

#[test]
fn no_top_level_modules_of_a_crate_import_each_other_in_a_circle() {
    let mut checked = 0;
    for entry in std::fs::read_dir(crates_dir()).unwrap().flatten() {
        let src = entry.path().join("src");
        if !src.is_dir() {
            continue;
        }
        let edges = module_edges(&src);
        for module in edges.keys() {
            assert_eq!(
                circle_from(&edges, module),
                None,
                "{}: modules import each other in a circle",
                entry.file_name().to_string_lossy()
            );
        }
        checked += 1;
    }
    assert!(checked >= 14, "only {checked} crates found");
}

#[test]
fn the_circle_check_sees_a_circle() {
    let edges = BTreeMap::from([
        ("graph".to_owned(), BTreeSet::from(["stages".to_owned()])),
        ("stages".to_owned(), BTreeSet::from(["request".to_owned()])),
        ("request".to_owned(), BTreeSet::from(["graph".to_owned()])),
    ]);
    assert_eq!(
        circle_from(&edges, "graph"),
        Some(vec!["graph".into(), "stages".into(), "request".into()])
    );
    assert_eq!(
        crate_paths("use crate::graph::{a, b};\nuse crate::{stages, request::X}; // crate::nope"),
        BTreeSet::from(["graph".into(), "stages".into(), "request".into()])
    );
}

#[test]
fn the_application_crate_keeps_off_the_command_line_and_the_terminal() {
    let manifest =
        std::fs::read_to_string(crates_dir().join("custseg-pipeline/Cargo.toml")).unwrap();
    for banned in ["clap", "indicatif", "custseg.workspace"] {
        assert!(
            !manifest.lines().any(|l| l.trim_start().starts_with(banned)),
            "custseg-pipeline depends on `{banned}`"
        );
    }
}
