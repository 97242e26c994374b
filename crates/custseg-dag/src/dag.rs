//! The stages and the edges between them.

use std::collections::BTreeSet;

use crate::error::{Error, Result};
use crate::stage::Stage;

/// Stages in an order where every stage comes after the ones whose outputs it reads.
pub struct Dag {
    stages: Vec<Box<dyn Stage>>,
    /// `upstream[i]`: indices of the stages stage `i` reads from, ascending.
    upstream: Vec<Vec<usize>>,
}

/// Whether `path` is `output` or, for a folder output (`report/`), lies under it.
pub(crate) fn covers(output: &str, path: &str) -> bool {
    if output.ends_with('/') {
        path.starts_with(output)
    } else {
        path == output
    }
}

impl Dag {
    /// Builds the DAG, checking names, outputs and dependencies, and orders the stages
    /// topologically (declaration order among stages that do not depend on each other).
    pub fn new(stages: Vec<Box<dyn Stage>>) -> Result<Self> {
        let mut names = BTreeSet::new();
        for stage in &stages {
            if !names.insert(stage.name().to_owned()) {
                return Err(Error::DuplicateStage(stage.name().to_owned()));
            }
        }
        let outputs: Vec<Vec<String>> = stages.iter().map(|s| s.outputs()).collect();
        for (i, mine) in outputs.iter().enumerate() {
            for (j, theirs) in outputs.iter().enumerate().skip(i) {
                for a in mine {
                    for b in theirs {
                        let same_stage_same_entry = i == j && std::ptr::eq(a, b);
                        if !same_stage_same_entry && (covers(a, b) || covers(b, a)) {
                            return Err(Error::DuplicateOutput {
                                path: b.clone(),
                                first: stages[i].name().to_owned(),
                                second: stages[j].name().to_owned(),
                            });
                        }
                    }
                }
            }
        }
        let mut upstream = Vec::with_capacity(stages.len());
        for stage in &stages {
            let mut from = BTreeSet::new();
            for dep in stage.deps() {
                let writer = outputs
                    .iter()
                    .position(|outs| outs.iter().any(|o| covers(o, &dep)))
                    .ok_or_else(|| Error::UnknownDependency {
                        stage: stage.name().to_owned(),
                        path: dep.clone(),
                    })?;
                from.insert(writer);
            }
            upstream.push(from.into_iter().collect::<Vec<_>>());
        }

        // Kahn's algorithm, always taking the first ready stage in declaration order.
        let n = stages.len();
        let mut placed = vec![false; n];
        let mut order = Vec::with_capacity(n);
        while order.len() < n {
            let ready = (0..n).find(|&i| !placed[i] && upstream[i].iter().all(|&u| placed[u]));
            match ready {
                Some(i) => {
                    placed[i] = true;
                    order.push(i);
                }
                None => {
                    let stuck = (0..n).find(|&i| !placed[i]).unwrap_or_default();
                    return Err(Error::Cycle(stages[stuck].name().to_owned()));
                }
            }
        }
        let mut position = vec![0; n];
        for (new, &old) in order.iter().enumerate() {
            position[old] = new;
        }
        let mut slots: Vec<Option<Box<dyn Stage>>> = stages.into_iter().map(Some).collect();
        let stages = order.iter().filter_map(|&old| slots[old].take()).collect();
        let upstream = order
            .iter()
            .map(|&old| {
                let mut ups: Vec<usize> = upstream[old].iter().map(|&u| position[u]).collect();
                ups.sort_unstable();
                ups
            })
            .collect();
        Ok(Self { stages, upstream })
    }

    /// The stages, in run order.
    pub fn stages(&self) -> &[Box<dyn Stage>] {
        &self.stages
    }

    /// Indices (in run order) of the stages stage `index` reads from.
    pub fn upstream(&self, index: usize) -> &[usize] {
        &self.upstream[index]
    }

    /// Indices of the stages that read from stage `index`.
    pub fn downstream(&self, index: usize) -> Vec<usize> {
        (0..self.stages.len())
            .filter(|&i| self.upstream[i].contains(&index))
            .collect()
    }

    /// The index of the stage named `name`.
    pub fn index_of(&self, name: &str) -> Result<usize> {
        self.stages
            .iter()
            .position(|s| s.name() == name)
            .ok_or_else(|| Error::NoSuchStage {
                name: name.to_owned(),
                known: self
                    .stages
                    .iter()
                    .map(|s| format!("`{}`", s.name()))
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    /// Every stage that stage `index` reads from, directly or not, with `index` itself.
    pub fn with_ancestors(&self, index: usize) -> BTreeSet<usize> {
        let mut found = BTreeSet::from([index]);
        let mut frontier = vec![index];
        while let Some(next) = frontier.pop() {
            for &up in &self.upstream[next] {
                if found.insert(up) {
                    frontier.push(up);
                }
            }
        }
        found
    }

    /// Every stage that reads, directly or not, from stage `index`, with `index` itself.
    pub fn with_descendants(&self, index: usize) -> BTreeSet<usize> {
        let mut found = BTreeSet::from([index]);
        for i in index + 1..self.stages.len() {
            if self.upstream[i].iter().any(|u| found.contains(u)) {
                found.insert(i);
            }
        }
        found
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::error::BoxError;
    use crate::stage::StageContext;

    /// A stage that declares what it is told and writes nothing.
    pub struct Declared {
        pub name: &'static str,
        pub deps: Vec<&'static str>,
        pub outputs: Vec<&'static str>,
    }

    impl Stage for Declared {
        fn name(&self) -> &str {
            self.name
        }
        fn deps(&self) -> Vec<String> {
            self.deps.iter().map(|d| (*d).to_owned()).collect()
        }
        fn outputs(&self) -> Vec<String> {
            self.outputs.iter().map(|d| (*d).to_owned()).collect()
        }
        fn run(&self, _: &mut StageContext<'_>) -> Result<Vec<String>, BoxError> {
            Ok(Vec::new())
        }
    }

    pub fn declared(
        name: &'static str,
        deps: &[&'static str],
        outputs: &[&'static str],
    ) -> Box<dyn Stage> {
        Box::new(Declared {
            name,
            deps: deps.to_vec(),
            outputs: outputs.to_vec(),
        })
    }

    fn names(dag: &Dag) -> Vec<&str> {
        dag.stages().iter().map(|s| s.name()).collect()
    }

    #[test]
    fn stages_are_ordered_after_what_they_read() {
        let dag = Dag::new(vec![
            declared("report", &["model.json", "charts/a.svg"], &["index.html"]),
            declared("train", &["features.csv"], &["model.json"]),
            declared("charts", &["features.csv"], &["charts/"]),
            declared("features", &[], &["features.csv"]),
        ])
        .unwrap();
        assert_eq!(names(&dag), ["features", "train", "charts", "report"]);
        assert_eq!(dag.upstream(3), [1, 2]);
        assert_eq!(dag.downstream(0), [1, 2]);
        assert_eq!(dag.with_descendants(1), BTreeSet::from([1, 3]));
        assert_eq!(dag.with_ancestors(3), BTreeSet::from([0, 1, 2, 3]));
        assert_eq!(dag.with_ancestors(2), BTreeSet::from([0, 2]));
    }

    #[test]
    fn a_cycle_is_refused() {
        let error = Dag::new(vec![
            declared("a", &["b.txt"], &["a.txt"]),
            declared("b", &["a.txt"], &["b.txt"]),
        ])
        .err()
        .unwrap();
        assert!(matches!(error, Error::Cycle(_)), "{error}");
    }

    #[test]
    fn an_output_of_two_stages_is_refused() {
        let error = Dag::new(vec![
            declared("a", &[], &["report/"]),
            declared("b", &[], &["report/index.html"]),
        ])
        .err()
        .unwrap();
        assert_eq!(
            error.to_string(),
            "`report/index.html` is an output of both `a` and `b`"
        );
    }

    #[test]
    fn a_dependency_nobody_writes_is_refused() {
        let error = Dag::new(vec![declared("a", &["nowhere.csv"], &["a.txt"])])
            .err()
            .unwrap();
        assert_eq!(
            error.to_string(),
            "stage `a` depends on `nowhere.csv`, which no stage writes"
        );
    }

    #[test]
    fn duplicate_names_are_refused() {
        let error = Dag::new(vec![
            declared("a", &[], &["a.txt"]),
            declared("a", &[], &["b.txt"]),
        ])
        .err()
        .unwrap();
        assert!(matches!(error, Error::DuplicateStage(_)));
    }
}
