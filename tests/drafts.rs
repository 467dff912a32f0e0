//! Drafts: the canvas runs code while it is being typed. A program with errors
//! still runs up to the broken part, keeps the live values computed so far,
//! and stops with an error that points at the broken part.

use gloam_interpreter::{ErrorKind, MemoryEffects, Options, Program, Value};
use gloam_language::ast::{ExprKind, ItemKind};

fn run_draft(source: &str) -> (gloam_language::Analysis, gloam_interpreter::Run) {
    let analysis = gloam_language::analyze(source);
    assert!(analysis.has_errors(), "the draft should have errors");
    let program = Program { module: &analysis.module, checked: &analysis.checked };
    let options = Options { record_live_values: true, ..Options::default() };
    let run = program.call_function("main", Vec::new(), &mut MemoryEffects::default(), options).expect("main exists");
    (analysis, run)
}

/// The live values of the value of the first `let` in `main`.
fn first_let_values(analysis: &gloam_language::Analysis, run: &gloam_interpreter::Run) -> Vec<String> {
    let body = analysis
        .module
        .items
        .iter()
        .find_map(|item| match &item.kind {
            ItemKind::Function(decl) if decl.name.text == "main" => Some(&decl.body),
            _ => None,
        })
        .expect("main");
    let ExprKind::Let { value, .. } = &body.kind else { panic!("main starts with a let") };
    run.live_values.get(value.id).iter().map(Value::to_string).collect()
}

#[test]
fn half_typed_code_runs_up_to_the_break() {
    let source = "fn main() =\n  let a = 20 + 1\n  let b = a *\n";
    let (analysis, run) = run_draft(source);
    assert_eq!(first_let_values(&analysis, &run), ["21"]);
    let error = run.result.expect_err("the broken line stops the run");
    assert_eq!(error.kind, ErrorKind::BrokenCode);
    let span = error.span.expect("a span");
    assert!(span.start as usize >= source.find("a *").expect("the broken line"), "{span:?}");
}

#[test]
fn ill_typed_code_runs_up_to_the_type_error() {
    let source = "fn main() =\n  let a = [1, 2]\n  String.length(a)\n";
    let (analysis, run) = run_draft(source);
    assert_eq!(first_let_values(&analysis, &run), ["[1, 2]"]);
    let error = run.result.expect_err("the ill-typed call stops the run");
    assert_eq!(
        error.to_string(),
        "type error: String.length: argument 1 should be a String, found List (the code does not type-check)"
    );
    assert_eq!(error.span.map(|span| &source[span.range()]), Some("String.length(a)"));
}
