//! What the checker resolves each name to, printed per name in source order
//! and compared with a snapshot. A case is a `.gloam` file in `resolution/`;
//! `INSTA_UPDATE=always` writes new snapshots, to be reviewed in the diff.

use gloam_language::ast::{Expr, ExprKind, Span};
use gloam_language::{LineColumn, Resolution};
use std::path::Path;

fn check(path: &Path) -> String {
    let source = std::fs::read_to_string(path).expect("the case is readable");
    let analysis = gloam_language::analyze(&source);
    let mut names = Vec::new();
    for body in analysis.module.bodies() {
        collect_names(body, &mut names);
    }
    names.sort_by_key(|expr| (expr.span.start, expr.span.end));
    let at = |span: Span| {
        let place = LineColumn::of(&source, span.start as usize);
        format!("{}:{}", place.line, place.column)
    };
    let mut lines = Vec::new();
    for expr in names {
        let text = &source[expr.span.start as usize..expr.span.end as usize];
        let resolved = match analysis.checked.resolution(expr.id) {
            None => "nothing".to_string(),
            Some(Resolution::Local { binder: Some(binder) }) => {
                let name = &source[binder.start as usize..binder.end as usize];
                format!("local `{name}` bound at {}", at(*binder))
            }
            Some(Resolution::Local { binder: None }) => "the handler's request".to_string(),
            Some(Resolution::Function { item }) => format!("function, item {item}"),
            Some(Resolution::Datastore { item }) => format!("datastore, item {item}"),
            Some(Resolution::Worker { item }) => format!("worker, item {item}"),
            Some(Resolution::Builtin(builtin)) => format!("builtin {}", builtin.name()),
            Some(Resolution::Constructor { type_name, arity }) => {
                format!("constructor of {type_name} with {arity} value(s)")
            }
        };
        lines.push(format!("{} `{text}` → {resolved}", at(expr.span)));
    }
    lines.join("\n")
}

fn collect_names<'e>(expr: &'e Expr, names: &mut Vec<&'e Expr>) {
    if matches!(expr.kind, ExprKind::Variable(_) | ExprKind::Qualified { .. } | ExprKind::Constructor(_)) {
        names.push(expr);
    }
    expr.for_each_child(|child| collect_names(child, names));
}

#[test]
fn names_resolve_once() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/resolution");
    let mut cases: Vec<_> = std::fs::read_dir(&folder)
        .expect("the cases folder exists")
        .map(|entry| entry.expect("a readable entry").path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "gloam"))
        .collect();
    cases.sort();
    assert!(!cases.is_empty());
    for case in cases {
        let name = case.file_stem().and_then(|stem| stem.to_str()).expect("a UTF-8 file name").to_string();
        insta::assert_snapshot!(name, check(&case));
    }
}
