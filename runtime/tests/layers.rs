//! The runtime's layering, checked on its source: the application layer
//! (`src/app/`) never reaches the HTTP edge (`src/server/`) or axum, and its
//! modules use each other without cycles.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Each module of `src/app/` with its source.
fn app_modules() -> BTreeMap<String, String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/app");
    std::fs::read_dir(&dir)
        .expect("src/app exists")
        .map(|entry| entry.expect("readable entry").path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "rs"))
        .map(|path| {
            let name = path.file_stem().expect("a file name").to_string_lossy().into_owned();
            let source = std::fs::read_to_string(&path).expect("readable source");
            // Comments may name what the code must not use.
            let code: Vec<&str> = source.lines().filter(|line| !line.trim_start().starts_with("//")).collect();
            (name, code.join("\n"))
        })
        .collect()
}

/// The app modules a module's source names (`super::x`, `crate::app::x`).
fn uses(source: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    let mut used = BTreeSet::new();
    for prefix in ["super::", "crate::app::"] {
        for (at, _) in source.match_indices(prefix) {
            let rest = &source[at + prefix.len()..];
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if modules.contains(&name) {
                used.insert(name);
            }
        }
    }
    used
}

#[test]
fn the_application_layer_never_reaches_the_http_edge() {
    for (name, source) in app_modules() {
        for forbidden in ["axum", "crate::server", "hyper::"] {
            assert!(!source.contains(forbidden), "src/app/{name}.rs names `{forbidden}`");
        }
    }
}

#[test]
fn application_modules_use_each_other_without_cycles() {
    let modules = app_modules();
    let names: BTreeSet<String> = modules.keys().filter(|name| *name != "mod").cloned().collect();
    let graph: BTreeMap<&String, BTreeSet<String>> =
        names.iter().map(|name| (name, uses(&modules[name], &names))).collect();
    // Kahn's algorithm: a cycle leaves modules that never reach in-degree zero.
    let mut remaining: BTreeMap<&String, BTreeSet<String>> = graph.clone();
    loop {
        let free: Vec<&String> = remaining
            .iter()
            .filter(|(_, deps)| deps.iter().all(|dep| !remaining.contains_key(dep)))
            .map(|(n, _)| *n)
            .collect();
        if free.is_empty() {
            break;
        }
        for name in free {
            remaining.remove(name);
        }
    }
    assert!(remaining.is_empty(), "these application modules use each other in a cycle: {remaining:?}");
}

#[test]
fn a_modules_uses_are_read_from_its_source() {
    let names: BTreeSet<String> = ["a", "b"].map(String::from).into();
    assert_eq!(uses("use super::b::thing; crate::app::a::x", &names), names);
}
