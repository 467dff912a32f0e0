//! Checker tests as data: a program and the diagnostics it gets, each as
//! `line:column severity[code] message`, its label after `^`, its notes
//! after `=`. `check` is the only code that calls the checker.

use crate::{LineColumn, Severity, analyze};

fn check(source: &str, expected: &str) {
    let analysis = analyze(source);
    let mut actual = String::new();
    for diagnostic in &analysis.diagnostics {
        let at = LineColumn::of(source, diagnostic.span.start as usize);
        let severity = match diagnostic.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        actual += &format!("{}:{} {severity}[{}] {}\n", at.line, at.column, diagnostic.code, diagnostic.message);
        if let Some(label) = &diagnostic.label {
            actual += &format!("  ^ {label}\n");
        }
        for note in &diagnostic.notes {
            actual += &format!("  = {note}\n");
        }
    }
    assert_eq!(actual.trim(), expected.trim(), "\n--- for ---\n{source}\n--- got ---\n{actual}");
}

/// Only the headlines, for cases where the notes are tested elsewhere.
fn check_codes(source: &str, expected: &[&str]) {
    let analysis = analyze(source);
    let actual: Vec<String> = analysis
        .diagnostics
        .iter()
        .map(|diagnostic| {
            let at = LineColumn::of(source, diagnostic.span.start as usize);
            format!("{}:{} {}", at.line, at.column, diagnostic.code)
        })
        .collect();
    assert_eq!(actual, expected, "\n--- for ---\n{source}\n--- got ---\n{:#?}", analysis.diagnostics);
}

// ---- not-data: what is encoded, stored, emitted or returned ------------------

#[test]
fn functions_cannot_be_encoded() {
    check(
        "fn main() = Json.encode([\\n -> n + 1])",
        "
1:25 error[not-data] `List<fn(Int) -> Int>` contains functions, which cannot be stored or encoded as JSON
  = note: `fn(Int) -> Int` in it is a function
  = help: only data (no functions, datastores or workers inside) can be encoded, stored, queued or sent as a response",
    );
    check(
        "handler GET /fn = \\x -> x",
        "
1:19 error[not-data] `fn(a) -> a` is a function, which cannot be stored or encoded as JSON
  ^ a handler's result is sent as the response
  = help: only data (no functions, datastores or workers inside) can be encoded, stored, queued or sent as a response",
    );
    check(
        "type Job = { name: String, run: fn(Int) -> Int }\ndb jobs: Job",
        "
2:10 error[not-data] `Job` contains functions, which cannot be stored or encoded as JSON
  ^ a datastore's values are stored as JSON
  = note: field `run` of `Job` is `fn(Int) -> Int`, a function
  = help: only data (no functions, datastores or workers inside) can be encoded, stored, queued or sent as a response",
    );
    check(
        "fn main(x: a) -> String = Json.encode(x)",
        "
1:39 error[not-data] `a` could be any type, a function too, so it cannot be stored or encoded as JSON
  = help: write the function without its return type: its type is then inferred, and its type variables only admit types without functions",
    );
}

#[test]
fn every_way_out_of_a_program_needs_data() {
    let cases: &[(&str, &[&str])] = &[
        ("fn main() = Json.encode(Some(String.length))", &["1:25 not-data"]),
        ("fn main() = Json.toJson({ \"f\": \\x -> x })", &["1:25 not-data"]),
        ("fn main() = Http.json([Int.toString], 200)", &["1:23 not-data"]),
        ("fn main() = Json.decode<fn(Int) -> Int>(\"1\")", &["1:25 not-data"]),
        ("fn main(j: Json) -> Result<List<fn() -> Int>, String> = Json.fromJson(j)", &["1:57 not-data"]),
        ("db fs: List<fn() -> Int>", &["1:8 not-data"]),
        ("fn main(s: Datastore<Int>) = Json.encode(s)", &["1:42 not-data"]),
        ("worker w(e: Option<fn() -> Int>) = ()", &["1:13 not-data"]),
        ("worker w(e) = ()\nfn main() = Queue.emit(w, \\x -> x)", &["2:27 not-data"]),
        (
            "fn save(s, x) = DB.set(s, \"k\", x)\nfn main(s: Datastore<fn() -> Int>) = save(s, \\x -> x)",
            &["2:43 not-data"],
        ),
        ("worker w(e: Int) = \\x -> x", &["1:20 not-data"]),
        ("cron \"* * * * *\" c = Int.toString", &["1:22 not-data"]),
        ("type Box<a> = { v: a }\nfn main() = Json.encode(Box { v: \\x -> x })", &["2:25 not-data"]),
        ("type T<a> = | Leaf | Node(T<a>, a)\nfn main() = Json.encode(Node(Leaf, \\x -> x))", &["2:25 not-data"]),
        ("type W = { w: Worker<Int> }\nworker k(e: Int) = ()\nfn main() = Json.encode(W { w: k })", &["3:25 not-data"]),
        // Through polymorphism: the constraint is part of `enc`'s type.
        ("fn enc(x) = Json.encode(x)\nfn main() = enc(\\y -> y)", &["2:17 not-data"]),
        ("fn enc(x) = Json.encode([x])\nfn main() = enc([\\y -> y])", &["2:17 not-data"]),
        ("fn enc(xs) = Json.encode(xs ++ xs)\nfn main() = enc([\\y -> y])", &["2:17 not-data"]),
        ("fn main() =\n  let enc = \\x -> Json.encode(x)\n  enc(Int.abs)", &["3:7 not-data"]),
        // A list that is encoded, then given a function.
        ("fn main(xs) =\n  let s = Json.encode(xs)\n  List.push(xs, \\x -> x)", &["3:17 not-data"]),
    ];
    for (source, expected) in cases {
        check_codes(source, expected);
    }
}

#[test]
fn data_is_accepted() {
    let cases = [
        "type Todo = { id: Int, tags: List<String>, done: Option<Bool> }\ndb todos: Todo\nhandler GET /t = DB.getAll(todos)",
        "type T<a> = | Leaf | Node(T<a>, a, T<a>)\nfn main() = Json.encode(Node(Leaf, 1, Leaf))",
        "fn enc(x) = Json.encode(x)\nfn main() = [enc(1), enc(\"a\"), enc([Some(1.5)]), enc({ \"k\": () })]",
        "fn twice(xs) = Json.encode(xs ++ xs)\nfn main() = twice([1]) ++ twice(\"ab\")",
        "fn big(x) = Json.encode(x) ++ \"${x + 1}\"\nfn main() = big(1)",
        "worker w(e) = Log.info(Json.encode(e))\nhandler POST /e = Queue.emit(w, { \"a\": 1 })",
        "handler GET /r = Http.json(request.query, 200)",
        "fn main(j: Json) -> Result<List<Int>, String> = Json.fromJson(j)",
    ];
    for source in cases {
        check_codes(source, &[]);
    }
}

// ---- `?` --------------------------------------------------------------------

#[test]
fn try_in_a_function_that_cannot_return_early() {
    check(
        "fn f(n: Int) -> Int =\n  let m = Int.parse(\"1\")?\n  m + n",
        "
2:11 error[try-operand] `?` on a `Result` returns early from the function, which returns `Int`
  ^ `?` returns the `Error` from here
  = help: `?` works in a function that returns a `Result`; otherwise handle both cases with `match`",
    );
    let cases: &[(&str, &[&str])] = &[
        // The result type is inferred from the body, not from the `?`.
        ("fn f(s) =\n  let v = Int.parse(s)?\n  v + 1", &["2:11 try-operand"]),
        ("fn f(o: Option<Int>) -> Result<Int, String> =\n  let v = o?\n  Ok(v)", &["2:11 try-operand"]),
        ("fn f(s: String) -> Option<Int> =\n  let v = Int.parse(s)?\n  Some(v)", &["2:11 try-operand"]),
        ("worker w(e: String) =\n  let n = Int.parse(e)?\n  Log.info(\"${n}\")", &["2:11 try-operand"]),
        ("fn f(n: Int) -> Result<Int, String> = Ok(n?)", &["1:42 try-operand"]),
        ("fn f() = (\\x -> x)?", &["1:10 try-operand"]),
        // Fine: the function returns what `?` returns.
        ("fn f(s) =\n  let v = Int.parse(s)?\n  Ok(v + 1)", &[]),
        ("fn f(o) =\n  let v = o?\n  Some(v + 1)", &[]),
        ("fn f(s) = Int.parse(s)?", &["1:11 try-operand"]),
        ("fn f(xs: List<String>) = List.map(xs, \\s -> Ok(Int.parse(s)? + 1))", &[]),
        // Error types that differ stay a mismatch between the two types.
        ("fn f(s: String) -> Result<Int, Int> = Ok(Int.parse(s)?)", &["1:42 type-mismatch"]),
        ("fn f() = undefinedThing?", &["1:10 unknown-name"]),
    ];
    for (source, expected) in cases {
        check_codes(source, expected);
    }
}

// ---- one mistake, one error -------------------------------------------------

#[test]
fn one_mistake_one_error() {
    let cases: &[(&str, &[&str])] = &[
        ("fn inc(x) = x + 1\nfn main() =\n  let r = inc(1.5)\n  r + 0.5", &["3:15 type-mismatch"]),
        ("fn main() = \\g -> g(1) ++ g(\"a\")", &["1:29 type-mismatch"]),
        ("fn main(g) =\n  let x = g(1)\n  let y = g(\"a\")\n  x ++ y", &["3:13 type-mismatch"]),
        ("fn main() =\n  let x = undefinedThing\n  let n = String.length(x)\n  x + 1", &["2:11 unknown-name"]),
        ("fn main() = match nothing with | Some(x) -> x | None -> 0", &["1:19 unknown-name"]),
        ("fn main() =\n  let p = { zz: 1 }\n  p.zz + 1", &["2:11 no-record-type"]),
        ("fn main() =\n  let p = { zz: 1 }\n  { p with zz: 2 }", &["2:11 no-record-type"]),
        ("fn main() = String.lenght(\"a\") + String.length(\"b\")", &["1:13 unknown-function"]),
        ("fn main(x: Strng) = String.length(x) + x", &["1:12 unknown-type"]),
        ("fn main() = Json.decode<Nope>(\"1\")", &["1:25 unknown-type"]),
        ("fn main() =\n  let f = 1\n  f(2) + 1", &["3:3 not-a-function"]),
    ];
    for (source, expected) in cases {
        check_codes(source, expected);
    }
}

// ---- discarded values ----------------------------------------------------------

#[test]
fn a_function_split_from_its_arguments() {
    check(
        "fn g(x: Int) -> Int = x + 1\nfn f(y: Int) -> Int =\n  g (y)",
        "
3:3 warning[unused-value] this value of type `fn(Int) -> Int` is never used
  ^ its value is discarded
  = help: did you mean to call it? `g(y)` — a space or a line break before `(` starts a new statement",
    );
    check(
        "fn f() =\n  String.length\n  (\"abc\")",
        "
2:3 warning[unused-value] this value of type `fn(String) -> Int` is never used
  ^ its value is discarded
  = help: did you mean to call it? `String.length(\"abc\")` — a space or a line break before `(` starts a new statement",
    );
    check(
        "fn g(x: Int) -> Int = x\nfn f() =\n  g\n  Log.info(\"x\")",
        "
3:3 warning[unused-value] this value of type `fn(Int) -> Int` is never used
  ^ its value is discarded
  = help: a function does nothing until it is called; did you mean to call it?",
    );
}

#[test]
fn discarded_values() {
    check(
        "fn f() =\n  1\n  2",
        "
2:3 warning[unused-value] this value of type `Int` is never used
  ^ its value is discarded
  = help: only the last expression of a block is its value; use this one, or write `let _ = ...` to discard it",
    );
    check(
        "fn f() =\n  Http.post(\"https://example.test\", \"\")\n  1",
        "
2:3 warning[unused-value] this value of type `Result<Http.Response, String>` is never used
  ^ its value is discarded
  = help: a failure would go unnoticed: `match` on it, or write `let _ = ...` to ignore it on purpose",
    );
    let cases: &[(&str, &[&str])] = &[
        ("db s: Int\nfn f() =\n  DB.get(s, \"k\")\n  1", &["3:3 unused-value"]),
        ("fn f(x) =\n  (x + 1\n   x)", &["2:4 unused-value"]),
        // `()` is what statements are for; effects that give `()` are fine.
        ("db s: Int\nfn f() =\n  Log.info(\"a\")\n  DB.set(s, \"k\", 1)\n  DB.delete(s, \"k\")\n  ()\n  1", &[]),
        ("fn f() =\n  let _ = Http.get(\"https://example.test\")\n  1", &[]),
        // What is not known yet (generic, or wrong) gets no warning.
        ("fn f(g) =\n  g(1)\n  2", &[]),
        ("fn f() =\n  nothing(1)\n  2", &["2:3 unknown-name"]),
        ("fn f(g) =\n  g(1)\n  2\nfn h() = f(\\x -> x)", &[]),
    ];
    for (source, expected) in cases {
        check_codes(source, expected);
    }
}

// ---- names ------------------------------------------------------------------------

#[test]
fn names_from_other_languages_get_a_hint() {
    check(
        "fn main() = String.toInt(\"1\")",
        "
1:13 error[unknown-function] unknown function `String.toInt`
  = help: did you mean `Int.parse`?",
    );
    check(
        "fn main() = List.foldl([1], 0, \\a, b -> a + b)",
        "
1:13 error[unknown-function] unknown function `List.foldl`
  = help: did you mean `List.fold`?",
    );
    check(
        "fn main() = parseInt(\"1\")",
        "
1:13 error[unknown-name] unknown name `parseInt`
  = help: did you mean `Int.parse`?",
    );
    check(
        "fn main() = JSON.encode(1)",
        "
1:13 error[unknown-module] unknown module `JSON`
  = help: did you mean `Json`?",
    );
}

#[test]
fn a_duplicate_dict_key_is_a_key() {
    check(
        "fn main() = { \"a\": 1, \"a\": 2 }",
        "
1:28 error[duplicate-key] key \"a\" is given twice
  ^ the second value for this key",
    );
}
