//! Long chains are not deep nesting (docs/language.md §10, "Nesting"): the
//! interpreter runs them in the test thread's default 2 MiB stack, as it runs
//! code nested up to the limit. FIXME: 1000 nested lambdas applied to 1000
//! arguments overflow the checker's type recursion (`occurs_and_adjust` in
//! language/src/types/unify.rs) in this stack; not covered here yet.

use gloam_interpreter::{MemoryEffects, Options, Program, Value};

fn run_main(source: &str) -> Value {
    let analysis = gloam_language::analyze(source);
    assert!(!analysis.has_errors(), "{:?}", analysis.diagnostics.first());
    let program = Program { module: &analysis.module, checked: &analysis.checked };
    let run = program
        .call_function("main", Vec::new(), &mut MemoryEffects::default(), Options::default())
        .expect("main is defined");
    run.result.expect("main runs")
}

#[test]
fn long_chains_and_deep_nesting_run() {
    let cases: Vec<(&str, String, Value)> = vec![
        ("a 10,000-term `+` chain", format!("fn main() = 0{}", " + 1".repeat(10_000)), Value::Int(10_000)),
        (
            "5,000 sequential lets",
            format!("fn main() =\n  let x = 0\n{}  x\n", "  let x = x + 1\n".repeat(5_000)),
            Value::Int(5_000),
        ),
        (
            "1000 nested `(… + 1)`",
            format!("fn main() = {}0{}", "(".repeat(1000), " + 1)".repeat(1000)),
            Value::Int(1000),
        ),
    ];
    for (name, source, expected) in cases {
        assert_eq!(run_main(&source), expected, "{name}");
    }
}
