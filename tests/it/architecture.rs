//! The module graph stays as ARCHITECTURE.md draws it: every top-level
//! module of `src/` uses only modules of lower layers (and its own layer's
//! siblings never), so dependencies point down the pipeline and no cycle
//! can come back. Read from the source's `crate::module` paths.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Bottom to top. A module may use any module of a lower layer.
const LAYERS: &[&[&str]] = &[
    &["domain", "telemetry"],
    &["normalize"],
    &["link"],
    &["config"],
    &["store", "opml"],
    &["net", "observe", "outbox"],
    &["linker"],
    &["ingest", "publish"],
    &["federation"],
    &["websub"],
    &["app"],
    &["http"],
    &["daemon"],
    &["cli"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

/// `module → modules it names through crate::…`, for every top-level
/// module of `src/`.
fn uses() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let path = regex::Regex::new(r"crate::([a-z_]+)").expect("pattern");
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read src") {
            let p = entry.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            if p.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = p.strip_prefix(&src).expect("under src");
            let top = rel
                .components()
                .next()
                .and_then(|c| c.as_os_str().to_str())
                .expect("a name")
                .trim_end_matches(".rs")
                .to_string();
            if top == "lib" || top == "main" {
                continue;
            }
            let text = std::fs::read_to_string(&p).expect("read");
            let used = out.entry(top.clone()).or_default();
            for c in path.captures_iter(&text) {
                if c[1] != top {
                    used.insert(c[1].to_string());
                }
            }
        }
    }
    out
}

/// Every use that does not point down, as "a uses b".
fn violations(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    let mut wrong = Vec::new();
    for (module, used) in graph {
        let Some(own) = layer_of(module) else {
            wrong.push(format!(
                "{module} is in no layer: add it to LAYERS and ARCHITECTURE.md"
            ));
            continue;
        };
        for u in used {
            match layer_of(u) {
                Some(l) if l < own => {}
                _ => wrong.push(format!("{module} uses {u}")),
            }
        }
    }
    wrong
}

#[test]
fn every_module_uses_only_modules_below_it() {
    let graph = uses();
    assert!(graph.contains_key("federation") && graph["federation"].contains("outbox"));
    let wrong = violations(&graph);
    assert!(
        wrong.is_empty(),
        "dependencies must point down the layers: {wrong:#?}"
    );
}

#[test]
fn a_use_that_points_up_or_sideways_is_caught() {
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("store", vec!["domain", "linker"]),
        ("net", vec!["observe"]),
        ("observe", vec!["store"]),
        ("gadgets", vec![]),
    ]
    .into_iter()
    .map(|(m, u)| (m.to_string(), u.into_iter().map(String::from).collect()))
    .collect();
    assert_eq!(
        violations(&graph),
        vec![
            "gadgets is in no layer: add it to LAYERS and ARCHITECTURE.md",
            "net uses observe",
            "store uses linker",
        ]
    );
}
