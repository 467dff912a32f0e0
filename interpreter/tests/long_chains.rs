//! Long chains are not deep nesting (docs/language.md §10, "Nesting"): they
//! check and run in a thread with a quarter of the default 2 MiB stack, as
//! code nested up to the limit does — nested lambdas too, whose types nest as
//! deep (every stage grows its stack as it goes).

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
        (
            "500 nested lambdas applied to 500 arguments",
            format!("fn main() =\n  let f = {}7\n  f{}", "\\x -> ".repeat(500), "(1)".repeat(500)),
            Value::Int(7),
        ),
    ];
    for (name, source, expected) in cases {
        let ran = std::thread::Builder::new()
            .stack_size(512 * 1024)
            .spawn(move || run_main(&source))
            .expect("a thread")
            .join()
            .expect("no stack overflow");
        assert_eq!(ran, expected, "{name}");
    }
}
