//! The DAG for people (text), for Graphviz (DOT) and for programs (JSON).

use std::fmt::Write;

use crate::dag::Dag;

/// One line per stage in run order: its name, what it reads from, what it writes.
pub fn to_text(dag: &Dag) -> String {
    let mut text = String::new();
    let width = dag
        .stages()
        .iter()
        .map(|s| s.name().len())
        .max()
        .unwrap_or(0);
    for (index, stage) in dag.stages().iter().enumerate() {
        let after: Vec<&str> = dag
            .upstream(index)
            .iter()
            .map(|&u| dag.stages()[u].name())
            .collect();
        let after = if after.is_empty() {
            "(start)".to_owned()
        } else {
            format!("after {}", after.join(", "))
        };
        let _ = writeln!(
            text,
            "{:<width$}  {}  {after}",
            stage.name(),
            stage.description()
        );
        let _ = writeln!(text, "{:<width$}  -> {}", "", stage.outputs().join(", "));
    }
    text
}

/// Graphviz DOT: a node per stage, an edge per dependency, labelled with the files it carries.
pub fn to_dot(dag: &Dag) -> String {
    let mut dot =
        String::from("digraph custseg {\n  rankdir=LR;\n  node [shape=box, style=rounded];\n");
    for stage in dag.stages() {
        let _ = writeln!(
            dot,
            "  \"{}\" [tooltip=\"{}\"];",
            stage.name(),
            stage.description().replace('"', "'")
        );
    }
    for (index, stage) in dag.stages().iter().enumerate() {
        for &up in dag.upstream(index) {
            let upstream = &dag.stages()[up];
            let outputs = upstream.outputs();
            let carried: Vec<String> = stage
                .deps()
                .into_iter()
                .filter(|d| outputs.iter().any(|o| crate::dag::covers(o, d)))
                .collect();
            let _ = writeln!(
                dot,
                "  \"{}\" -> \"{}\" [label=\"{}\"];",
                upstream.name(),
                stage.name(),
                carried.join("\\n")
            );
        }
    }
    dot.push_str("}\n");
    dot
}

/// `{"stages": [{"name", "description", "upstream": [...], "deps", "outputs"}]}`.
pub fn to_json(dag: &Dag) -> serde_json::Value {
    let stages: Vec<serde_json::Value> = dag
        .stages()
        .iter()
        .enumerate()
        .map(|(index, stage)| {
            let upstream: Vec<&str> = dag
                .upstream(index)
                .iter()
                .map(|&u| dag.stages()[u].name())
                .collect();
            serde_json::json!({
                "name": stage.name(),
                "description": stage.description(),
                "upstream": upstream,
                "deps": stage.deps(),
                "outputs": stage.outputs(),
            })
        })
        .collect();
    serde_json::json!({ "stages": stages })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dag::tests::declared;

    fn sample() -> Dag {
        Dag::new(vec![
            declared("features", &[], &["features.csv"]),
            declared("train", &["features.csv"], &["model.json"]),
            declared("report", &["model.json", "features.csv"], &["report/"]),
        ])
        .unwrap()
    }

    #[test]
    fn text_lists_each_stage_after_its_upstream() {
        assert_eq!(
            to_text(&sample()),
            "features    (start)\n          -> features.csv\n\
             train       after features\n          -> model.json\n\
             report      after features, train\n          -> report/\n"
        );
    }

    #[test]
    fn dot_has_an_edge_per_dependency_labelled_with_its_files() {
        let dot = to_dot(&sample());
        assert!(dot.starts_with("digraph custseg {"));
        assert!(dot.contains("\"features\" -> \"train\" [label=\"features.csv\"];"));
        assert!(dot.contains("\"train\" -> \"report\" [label=\"model.json\"];"));
        assert!(dot.contains("\"features\" -> \"report\" [label=\"features.csv\"];"));
        assert_eq!(dot.matches(" -> ").count(), 3);
    }

    #[test]
    fn json_names_upstream_stages() {
        let json = to_json(&sample());
        assert_eq!(
            json["stages"][2]["upstream"],
            serde_json::json!(["features", "train"])
        );
    }
}
