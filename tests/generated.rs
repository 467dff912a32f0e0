//! Generated well-typed programs: the checker accepts them (they are typed by
//! construction) and the interpreter runs them to a value or a runtime error —
//! never a panic, never a hang. Compiled to WebAssembly they do exactly the
//! same: any difference fails with the program printed.

use gloam_interpreter::{Limits, MemoryEffects, Options, Program};
use gloam_tests::{Engine, run_program_on};
use proptest::prelude::*;

#[derive(Clone, Copy, Debug)]
enum Ty {
    Int,
    Bool,
    Str,
    IntList,
    OptInt,
}

const VARIABLES: &[&str] = &["a", "b", "c"];

/// Source text of an expression of type `ty`, using only `in_scope` variables (all Int).
fn expr(ty: Ty, depth: u32, in_scope: usize) -> BoxedStrategy<String> {
    let leaf: BoxedStrategy<String> = match ty {
        Ty::Int if in_scope > 0 => prop_oneof![
            (-1000i64..1000).prop_map(|n| if n < 0 { format!("({n})") } else { n.to_string() }),
            prop::sample::select(VARIABLES[..in_scope].to_vec()).prop_map(String::from),
        ]
        .boxed(),
        Ty::Int => (-1000i64..1000).prop_map(|n| if n < 0 { format!("({n})") } else { n.to_string() }).boxed(),
        Ty::Bool => any::<bool>().prop_map(|b| b.to_string()).boxed(),
        Ty::Str => "[a-z ]{0,5}".prop_map(|s| format!("{s:?}")).boxed(),
        Ty::IntList => prop::collection::vec(-20i64..20, 0..4)
            .prop_map(|items| format!("[{}]", items.iter().map(|n| format!("({n})")).collect::<Vec<_>>().join(", ")))
            .boxed(),
        Ty::OptInt => prop_oneof![Just("None".to_string()), (0i64..9).prop_map(|n| format!("Some({n})"))].boxed(),
    };
    if depth == 0 {
        return leaf;
    }
    let sub = move |ty| expr(ty, depth - 1, in_scope);
    let next_var = VARIABLES.get(in_scope).copied();
    let composite: BoxedStrategy<String> = match ty {
        Ty::Int => {
            let mut options = vec![
                (sub(Ty::Int), prop::sample::select(vec!["+", "-", "*", "/", "%"]), sub(Ty::Int))
                    .prop_map(|(a, op, b)| format!("({a} {op} {b})"))
                    .boxed(),
                (sub(Ty::Bool), sub(Ty::Int), sub(Ty::Int))
                    .prop_map(|(c, a, b)| format!("(if {c} then {a} else {b})"))
                    .boxed(),
                sub(Ty::IntList).prop_map(|l| format!("List.length({l})")).boxed(),
                sub(Ty::Str).prop_map(|s| format!("String.length({s})")).boxed(),
                sub(Ty::IntList).prop_map(|l| format!("List.sum({l})")).boxed(),
                (sub(Ty::OptInt), sub(Ty::Int))
                    .prop_map(|(o, d)| format!("(match {o} with\n  | Some(n) -> n\n  | None -> {d})"))
                    .boxed(),
                (sub(Ty::IntList), sub(Ty::Int))
                    .prop_map(|(l, init)| format!("List.fold({l}, {init}, \\acc, x -> acc + x)"))
                    .boxed(),
                (sub(Ty::Int), sub(Ty::Int)).prop_map(|(a, b)| format!("Int.pow({a}, Int.abs({b}) % 5)")).boxed(),
            ];
            if let Some(var) = next_var {
                options.push(
                    (sub(Ty::Int), expr(Ty::Int, depth - 1, in_scope + 1))
                        .prop_map(move |(value, body)| format!("(let {var} = {value}\n  {body})"))
                        .boxed(),
                );
            }
            prop::strategy::Union::new(options).boxed()
        }
        Ty::Bool => prop_oneof![
            (sub(Ty::Int), prop::sample::select(vec!["<", "<=", ">", ">=", "==", "!="]), sub(Ty::Int))
                .prop_map(|(a, op, b)| format!("({a} {op} {b})")),
            (sub(Ty::Bool), prop::sample::select(vec!["&&", "||"]), sub(Ty::Bool))
                .prop_map(|(a, op, b)| format!("({a} {op} {b})")),
            sub(Ty::Bool).prop_map(|b| format!("!{b}")),
            (sub(Ty::IntList), sub(Ty::Int)).prop_map(|(l, n)| format!("List.contains({l}, {n})")),
            (sub(Ty::Str), sub(Ty::Str)).prop_map(|(a, b)| format!("String.contains({a}, {b})")),
        ]
        .boxed(),
        Ty::Str => prop_oneof![
            (sub(Ty::Str), sub(Ty::Str)).prop_map(|(a, b)| format!("({a} ++ {b})")),
            sub(Ty::Int).prop_map(|n| format!("Int.toString({n})")),
            (sub(Ty::Int), sub(Ty::Bool)).prop_map(|(n, b)| format!("\"n=${{{n}}} b=${{{b}}}\"")),
            (sub(Ty::Str), sub(Ty::Int)).prop_map(|(s, n)| format!("String.repeat({s}, Int.abs({n}) % 4)")),
            (sub(Ty::Str), sub(Ty::Int), sub(Ty::Int)).prop_map(|(s, a, b)| format!("String.slice({s}, {a}, {b})")),
        ]
        .boxed(),
        Ty::IntList => prop_oneof![
            prop::collection::vec(sub(Ty::Int), 0..4).prop_map(|items| format!("[{}]", items.join(", "))),
            (sub(Ty::IntList), sub(Ty::Int)).prop_map(|(l, n)| format!("List.map({l}, \\x -> x * {n})")),
            sub(Ty::IntList).prop_map(|l| format!("List.filter({l}, \\x -> x % 2 == 0)")),
            (sub(Ty::IntList), sub(Ty::IntList)).prop_map(|(a, b)| format!("({a} ++ {b})")),
            (sub(Ty::Int), sub(Ty::Int)).prop_map(|(a, b)| format!("List.range({a} % 50, {b} % 50)")),
            sub(Ty::IntList).prop_map(|l| format!("({l} |> List.reverse |> List.sort)")),
        ]
        .boxed(),
        Ty::OptInt => prop_oneof![
            sub(Ty::IntList).prop_map(|l| format!("List.head({l})")),
            (sub(Ty::IntList), sub(Ty::Int)).prop_map(|(l, i)| format!("List.get({l}, {i})")),
            sub(Ty::Str).prop_map(|s| format!("Result.toOption(Int.parse({s}))")),
            (sub(Ty::OptInt), sub(Ty::Int)).prop_map(|(o, n)| format!("Option.map({o}, \\x -> x + {n})")),
        ]
        .boxed(),
    };
    prop_oneof![1 => leaf, 3 => composite].boxed()
}

fn program() -> impl Strategy<Value = String> {
    prop_oneof![
        expr(Ty::Int, 4, 0).prop_map(|e| format!("fn main() -> Int =\n  {e}\n")),
        expr(Ty::Str, 4, 0).prop_map(|e| format!("fn main() -> String =\n  {e}\n")),
        expr(Ty::IntList, 4, 0).prop_map(|e| format!("fn main() -> List<Int> =\n  {e}\n")),
        expr(Ty::Bool, 4, 0).prop_map(|e| format!("fn main() -> Bool =\n  {e}\n")),
        (expr(Ty::Int, 3, 1), expr(Ty::Int, 3, 0))
            .prop_map(|(body, arg)| format!("fn helper(a: Int) -> Int =\n  {body}\n\nfn main() = helper({arg})\n")),
    ]
}

/// The shape of a stored value: every kind that nests, `Option`s of
/// `Option`s and of `Json` (whose JSON could be `null`) included.
#[derive(Clone, Debug)]
enum Shape {
    Int,
    Str,
    Json,
    Opt(Box<Shape>),
    List(Box<Shape>),
    Dict(Box<Shape>),
}

fn shape() -> impl Strategy<Value = Shape> {
    prop_oneof![Just(Shape::Int), Just(Shape::Str), Just(Shape::Json)].prop_recursive(4, 12, 1, |inner| {
        prop_oneof![
            inner.clone().prop_map(|s| Shape::Opt(Box::new(s))),
            inner.clone().prop_map(|s| Shape::List(Box::new(s))),
            inner.prop_map(|s| Shape::Dict(Box::new(s))),
        ]
    })
}

fn type_text(shape: &Shape) -> String {
    match shape {
        Shape::Int => "Int".into(),
        Shape::Str => "String".into(),
        Shape::Json => "Json".into(),
        Shape::Opt(inner) => format!("Option<{}>", type_text(inner)),
        Shape::List(inner) => format!("List<{}>", type_text(inner)),
        Shape::Dict(inner) => format!("Dict<{}>", type_text(inner)),
    }
}

/// An expression of `shape` (the `let` it is bound by gives its type).
fn value_of(shape: &Shape, depth: u32) -> BoxedStrategy<String> {
    let inner = |s: &Shape| value_of(s, depth.saturating_sub(1));
    match shape.clone() {
        Shape::Int => (-5i64..5).prop_map(|n| format!("({n})")).boxed(),
        Shape::Str => "[a-z\"]{0,3}".prop_map(|s| format!("{s:?}")).boxed(),
        Shape::Json if depth == 0 => {
            prop_oneof![Just("JsonNull".to_string()), (0i64..3).prop_map(|n| format!("JsonInt({n})"))].boxed()
        }
        Shape::Json => prop_oneof![
            Just("JsonNull".to_string()),
            (0i64..3).prop_map(|n| format!("JsonInt({n})")),
            prop::collection::vec(inner(&Shape::Json), 0..3)
                .prop_map(|items| format!("JsonList([{}])", items.join(", "))),
            prop::collection::vec(inner(&Shape::Json), 0..3)
                .prop_map(|items| format!("JsonObject({})", entries(&items))),
        ]
        .boxed(),
        Shape::Opt(payload) => {
            prop_oneof![Just("None".to_string()), inner(&payload).prop_map(|v| format!("Some({v})"))].boxed()
        }
        Shape::List(element) => {
            prop::collection::vec(inner(&element), 0..3).prop_map(|items| format!("[{}]", items.join(", "))).boxed()
        }
        Shape::Dict(element) => prop::collection::vec(inner(&element), 0..3).prop_map(|items| entries(&items)).boxed(),
    }
}

/// A dict of `items` under the keys `k0`, `k1`, …
fn entries(items: &[String]) -> String {
    let entries: Vec<String> =
        items.iter().enumerate().map(|(i, v)| format!("Entry {{ key: \"k{i}\", value: {v} }}")).collect();
    format!("Dict.fromEntries([{}])", entries.join(", "))
}

/// Programs that store, load, encode and decode values, nest them as deep
/// as the limits allow (and past), and walk long lists with `[x, ...rest]`.
fn value_program() -> impl Strategy<Value = String> {
    let round_trip = shape().prop_flat_map(|shape| {
        let ty = type_text(&shape);
        value_of(&shape, 3).prop_map(move |value| {
            format!(
                "db rows: {ty}\n\nfn same(ok: Bool) -> String = if ok then \"ok\" else \"CHANGED\"\n\n\
                 fn main() =\n  let v: {ty} = {value}\n  DB.set(rows, \"k\", v)\n  \
                 [Json.encode(v), same(DB.get(rows, \"k\") == Some(v)), same(Json.decode<{ty}>(Json.encode(v)) == Ok(v))]\n"
            )
        })
    });
    let deep = (0u32..1_200, prop::sample::select(vec!["JsonList([acc])", "JsonObject({ \"k\": acc })"])).prop_map(
        |(depth, wrap)| {
            format!(
                "db rows: Json\n\nfn nest(n: Int, acc: Json) -> Json = if n == 0 then acc else nest(n - 1, {wrap})\n\n\
                 fn main() =\n  let v = nest({depth}, JsonInt(1))\n  \
                 let text = Json.encode(v)\n  let back = Json.decode<Json>(text)\n  DB.set(rows, \"k\", v)\n  \
                 [back == Ok(v), DB.get(rows, \"k\") == Some(v)]\n"
            )
        },
    );
    let long = (0u32..16_000).prop_map(|n| {
        format!(
            "fn count(items: List<Int>) -> Int =\n  match items with\n  | [] -> 0\n  | [_, ...rest] -> 1 + count(rest)\n\n\
             fn main() = count(List.range(1, {n}))\n"
        )
    });
    prop_oneof![3 => round_trip, 1 => deep, 1 => long]
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(256),
        ..ProptestConfig::default()
    })]

    #[test]
    fn well_typed_programs_check_and_run(source in program()) {
        let analysis = gloam_language::analyze(&source);
        prop_assert!(!analysis.has_errors(), "{source}\n{:#?}", analysis.diagnostics);
        let program = Program { module: &analysis.module, checked: &analysis.checked };
        let options = Options {
            limits: Limits { max_steps: 200_000, ..Limits::default() },
            record_live_values: true,
            ..Options::default()
        };
        let run = program.call_function("main", Vec::new(), &mut MemoryEffects::default(), options);
        prop_assert!(run.is_some());
    }

    #[test]
    fn compiled_programs_agree_with_the_interpreter(source in program()) {
        let source = format!("// max-steps: 200000\n{source}");
        let interpreted = run_program_on(&source, "generated.gloam", Engine::InterpreterOnly);
        let compiled = run_program_on(&source, "generated.gloam", Engine::Compiled);
        prop_assert_eq!(&interpreted, &compiled, "the engines disagree on:\n{}", source);
    }

    #[test]
    fn stored_and_encoded_values_come_back_the_same_on_both_engines(source in value_program()) {
        let interpreted = run_program_on(&source, "generated.gloam", Engine::InterpreterOnly);
        prop_assert!(!interpreted.contains("CHANGED") && !interpreted.contains("false"), "{source}\n{interpreted}");
        prop_assert!(!interpreted.contains("internal error"), "{source}\n{interpreted}");
        let compiled = run_program_on(&source, "generated.gloam", Engine::Compiled);
        prop_assert_eq!(&interpreted, &compiled, "the engines disagree on:\n{}", source);
    }
}
