//! The nesting limit is about nesting, not length (docs/language.md §1,
//! "Limits"): 1000 levels of brackets, lambdas, `if`s or patterns are fine and
//! one more is `too-deep`; chains — binary operators, `|>`, `let` sequences,
//! `else if` — do not count, however long. Every case runs in the test
//! thread's default 2 MiB stack: parsing, checking, compiling to WebAssembly
//! and dropping the tree must all stay within it.

mod common;

use common::outcome;
use gloam_language::syntax::MAX_NESTING;

fn nested(open: &str, inner: &str, close: &str, levels: u32) -> String {
    format!("{}{inner}{}", open.repeat(levels as usize), close.repeat(levels as usize))
}

#[test]
fn nesting_is_limited_and_chains_are_not() {
    let limit = MAX_NESTING;
    assert_eq!(limit, 1000, "docs/language.md states 1000");
    let cases: Vec<(&str, String, &str)> = vec![
        ("parentheses at the limit", format!("fn f() = {}", nested("(", "1", ")", limit)), "ok"),
        ("parentheses past it", format!("fn f() = {}", nested("(", "1", ")", limit + 1)), "too-deep"),
        ("lists at the limit", format!("fn f() = {}", nested("[", "1", "]", limit)), "ok"),
        ("lists past it", format!("fn f() = {}", nested("[", "1", "]", limit + 1)), "too-deep"),
        ("`(… + 1)` at the limit", format!("fn f() = {}", nested("(", "1", " + 1)", limit)), "ok"),
        ("`(… + 1)` past it", format!("fn f() = {}", nested("(", "1", " + 1)", limit + 1)), "too-deep"),
        ("lambdas at the limit", format!("fn f() = {}1", "\\x -> ".repeat(limit as usize)), "ok"),
        ("lambdas past it", format!("fn f() = {}1", "\\x -> ".repeat(limit as usize + 1)), "too-deep"),
        ("ifs at the limit", format!("fn f() = {}", nested("if ", "true", " then 1 == 1 else false", limit)), "ok"),
        (
            "ifs past it",
            format!("fn f() = {}", nested("if ", "true", " then 1 == 1 else false", limit + 1)),
            "too-deep",
        ),
        ("negations at the limit", format!("fn f(x: Int) = {}x", "-".repeat(limit as usize)), "ok"),
        ("negations past it", format!("fn f(x: Int) = {}x", "-".repeat(limit as usize + 1)), "too-deep"),
        (
            "patterns at the limit",
            format!("fn f(x) = match x with | {} -> 1 | _ -> 2", nested("Some(", "_", ")", limit - 1)),
            "ok",
        ),
        (
            "patterns past it",
            format!("fn f(x) = match x with | {} -> 1 | _ -> 2", nested("Some(", "_", ")", limit)),
            "too-deep",
        ),
        ("types past it", format!("fn f(x: {}) = 1", nested("List<", "Int", ">", limit + 1)), "too-deep"),
        ("a 10,000-term `+` chain", format!("fn f() = 1{}", " + 1".repeat(10_000)), "ok"),
        ("a 10,000-step pipeline", format!("fn f() = [1]{}", " |> List.reverse".repeat(10_000)), "ok"),
        ("5,000 sequential lets", format!("fn f() =\n{}  x\n", "  let x = 1\n".repeat(5_000)), "ok"),
        ("5,000 statements", format!("fn f() =\n{}  1\n", "  Log.info(\"a\")\n".repeat(5_000)), "ok"),
        ("2,000 else-ifs", format!("fn f(x: Int) = {}0", "if x == 1 then 1 else ".repeat(2_000)), "ok"),
        (
            "a 5,000-deep field chain",
            format!("type Node = {{ next: Node, value: Int }}\nfn f(x: Node) = x{}.value", ".next".repeat(5_000)),
            "ok",
        ),
        ("a flat list of 10,000", format!("fn f() = [{}]", vec!["1"; 10_000].join(", ")), "ok"),
    ];
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|(name, source, expected)| {
            let got = outcome(source);
            (got != *expected).then(|| format!("{name}: expected {expected}, got {got}"))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
