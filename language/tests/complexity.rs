//! Types are graphs: a program a few hundred bytes long can build a type
//! whose tree doubles with every line (`let a2 = Pair(a1, a1)`). Checking
//! meets each shared part of a type once, and a declaration whose types pass
//! `MAX_TYPE_SIZE` nodes as trees is `too-complex`, so none of these programs
//! hangs or runs out of memory: before types were shared, 20 doubling lines
//! took a minute and 2 GB, and 60 could not finish. Programs that check are
//! also compiled, which writes types out as trees.

mod common;

use common::outcome;
use gloam_language::types::MAX_TYPE_SIZE;

const PAIR: &str = "type Pair<a, b> = | Pair(a, b)\n";

/// `fn main() =` with `lines` lets, `a{i}` made from `a{i-1}` by `step`.
fn chain(declarations: &str, first: &str, step: impl Fn(usize) -> String, lines: usize) -> String {
    let mut source = format!("{declarations}\nfn main() =\n  let a0 = {first}\n");
    for i in 1..=lines {
        source += &format!("  let a{i} = {}\n", step(i - 1));
    }
    source + &format!("  a{lines}\n")
}

/// Each shape doubles its type's tree with every line; `lines` is how many.
fn doubling(shape: &str, lines: usize) -> String {
    match shape {
        "a generic constructor" => chain(PAIR, "1", |p| format!("Pair(a{p}, a{p})"), lines),
        "a generic record" => chain(
            "type Both<a, b> = { left: a, right: b }\n",
            "1",
            |p| format!("Both {{ left: a{p}, right: a{p} }}"),
            lines,
        ),
        "a function returning its argument twice" => {
            chain(&format!("{PAIR}fn twice(x) = Pair(x, x)\n"), "1", |p| format!("twice(a{p})"), lines)
        }
        "a lambda taking and returning the previous type" => {
            chain("", "1", |p| format!("\\x -> if true then x else a{p}"), lines)
        }
        "a polymorphic function calling the previous twice" => {
            chain(PAIR, "\\x -> x", |p| format!("\\x -> Pair(a{p}(x), a{p}(x))"), lines)
        }
        "nested applied lambdas" => {
            let open: String = (1..=lines).map(|i| format!("(\\x{i} -> ")).collect();
            let close: String = (1..=lines)
                .rev()
                .map(|i| if i == 1 { ")(1)".to_string() } else { format!(")(Pair(x{0}, x{0}))", i - 1) })
                .collect();
            format!("{PAIR}\nfn main() = {open}x{lines}{close}\n")
        }
        _ => unreachable!("unknown shape {shape}"),
    }
}

const SHAPES: [&str; 6] = [
    "a generic constructor",
    "a generic record",
    "a function returning its argument twice",
    "a lambda taking and returning the previous type",
    "a polymorphic function calling the previous twice",
    "nested applied lambdas",
];

#[test]
fn doubling_types_are_too_complex_and_never_hang() {
    let mut failures = Vec::new();
    for shape in SHAPES {
        for lines in [4, 18, 24, 40, 100] {
            let expected = if lines == 4 { "ok" } else { "too-complex" };
            let got = outcome(&doubling(shape, lines));
            if got != expected {
                failures.push(format!("{shape}, {lines} lines: expected {expected}, got {got}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn long_chains_that_do_not_double_check() {
    let list_chain = chain("", "1", |p| format!("[a{p}]"), 400);
    let nested_lambdas = format!("fn main() = {}1", "\\x -> ".repeat(500));
    let applied_lambdas = format!(
        "fn main() = {}x500{}",
        (1..=500).map(|i| format!("(\\x{i} -> ")).collect::<String>(),
        (1..=500)
            .rev()
            .map(|i| if i == 1 { ")(1)".to_string() } else { format!(")([x{}])", i - 1) })
            .collect::<String>()
    );
    for (name, source) in [
        ("400 nested lists", list_chain),
        ("500 nested lambdas", nested_lambdas),
        ("500 applied lambdas", applied_lambdas),
    ] {
        assert_eq!(outcome(&source), "ok", "{name}");
    }
}

/// The largest doubling type under the limit checks, compiles, and prints
/// cut short.
#[test]
fn a_type_just_under_the_limit_checks_and_prints_cut() {
    // `a{n}` has 2^(n+1) - 1 nodes, and `Pair(a{n-1}, a{n-1})` calls a
    // function of three of `a{n-1}`'s.
    let lines = (1..).take_while(|n| 3 * ((1usize << n) - 1) + 2 <= MAX_TYPE_SIZE).last().unwrap_or(1);
    let source = doubling("a generic constructor", lines);
    assert_eq!(outcome(&source), "ok");
    assert_eq!(outcome(&doubling("a generic constructor", lines + 1)), "too-complex");
    let analysis = gloam_language::analyze(&source);
    let printed = analysis.checked.functions["main"].ty.to_string();
    assert!(printed.starts_with("fn() -> Pair<Pair<") && printed.ends_with("…>"), "{printed}");
    assert!(printed.len() < 2_000, "{} characters", printed.len());
}

#[test]
fn the_diagnostic_points_where_the_type_outgrew_the_limit() {
    let source = doubling("a generic constructor", 20);
    let analysis = gloam_language::analyze(&source);
    insta::assert_snapshot!(
        "pairs",
        gloam_language::diagnostic::render_all(&analysis.diagnostics, &source, "pairs.gloam")
    );
    let source = doubling("a lambda taking and returning the previous type", 60);
    let analysis = gloam_language::analyze(&source);
    insta::assert_snapshot!(
        "lambdas",
        gloam_language::diagnostic::render_all(&analysis.diagnostics, &source, "lambdas.gloam")
    );
}

/// Too large in one declaration is not too large in another.
#[test]
fn only_the_declaration_with_the_large_type_is_rejected() {
    let source = format!("{}\nfn fine(x: Int) = x + 1\n", doubling("a generic constructor", 30));
    let analysis = gloam_language::analyze(&source);
    let codes: Vec<&str> = analysis.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["too-complex"]);
    assert_eq!(analysis.checked.functions["fine"].ty.to_string(), "fn(Int) -> Int");
}
