//! fizzboom: fizzbuzz over 1..N returned as a JSON list, run in one process
//! three ways — the interpreter, compiled WebAssembly in the sandbox (a fresh
//! instance per run, as a request gets), and native Rust — and reported as
//! ratios against each other. `fizzcount` is the same decisions without the
//! standard library (a recursive count returned as text): what the generated
//! code itself costs.
//!
//! `cargo bench -p gloam-tests --bench fizzboom` measures (release build);
//! under `cargo test` it only checks that the three agree.

use gloam_interpreter::request::{request_value, response_from_value};
use gloam_interpreter::{HttpRequest, HttpResponse, MemoryEffects, Options, Program};
use gloam_language::ast::ItemKind;
use gloam_runtime::effects::Immediate;
use gloam_runtime::sandbox::{Entry, Sandbox, SandboxLimits};
use std::time::{Duration, Instant};

const FIZZBOOM: &str = r#"
fn fizzbuzz(n: Int) -> String =
  if n % 15 == 0 then "FizzBuzz"
  else if n % 3 == 0 then "Fizz"
  else if n % 5 == 0 then "Buzz"
  else Int.toString(n)

handler GET /fizzbuzz/:n =
  match Int.parse(request.params.n) with
  | Ok(n) -> Http.json(List.map(List.range(1, n), fizzbuzz), 200)
  | Error(message) -> Http.text(message, 400)

fn fizzcount(n: Int, count: Int) -> Int =
  if n == 0 then count
  else if n % 15 == 0 || n % 3 == 0 || n % 5 == 0 then fizzcount(n - 1, count + 1)
  else fizzcount(n - 1, count)

handler GET /fizzcount/:n =
  match Int.parse(request.params.n) with
  | Ok(n) -> Http.text(Int.toString(fizzcount(n, 0)), 200)
  | Error(message) -> Http.text(message, 400)
"#;

fn native(n: i64) -> HttpResponse {
    let items: Vec<String> = (1..=n)
        .map(|i| match (i % 3, i % 5) {
            (0, 0) => "FizzBuzz".to_string(),
            (0, _) => "Fizz".to_string(),
            (_, 0) => "Buzz".to_string(),
            _ => i.to_string(),
        })
        .collect();
    let body = serde_json::to_string(&items).expect("strings encode");
    HttpResponse { status: 200, headers: vec![("content-type".into(), "application/json".into())], body }
}

/// A route, its N, and the native function doing the same work.
type Case = (&'static str, i64, fn(i64) -> HttpResponse);

fn native_count(n: i64) -> HttpResponse {
    let count = (1..=n).filter(|i| i % 15 == 0 || i % 3 == 0 || i % 5 == 0).count();
    HttpResponse { status: 200, headers: vec![("content-type".into(), "text/plain".into())], body: count.to_string() }
}

fn request(route: &str, n: i64) -> HttpRequest {
    HttpRequest {
        method: "GET".into(),
        path: format!("/{route}/{n}"),
        query: Vec::new(),
        headers: Vec::new(),
        body: String::new(),
    }
}

/// The median time of `run` over `rounds` runs (after a few to warm up).
fn median(rounds: usize, mut run: impl FnMut() -> HttpResponse) -> Duration {
    for _ in 0..rounds.min(20) {
        std::hint::black_box(run());
    }
    let mut times: Vec<Duration> = (0..rounds)
        .map(|_| {
            let started = Instant::now();
            std::hint::black_box(run());
            started.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let measuring = std::env::args().any(|arg| arg == "--bench");
    let analysis = gloam_language::analyze(FIZZBOOM);
    assert!(!analysis.has_errors(), "{:?}", analysis.diagnostics);
    let program = Program { module: &analysis.module, checked: &analysis.checked };
    let handler = |route: &str| {
        analysis
            .module
            .items
            .iter()
            .enumerate()
            .find_map(|(item, declared)| match &declared.kind {
                ItemKind::Handler(decl) if decl.route.text.starts_with(&format!("/{route}/")) => Some((item, decl)),
                _ => None,
            })
            .expect("the program has the handler")
    };
    let sandbox = Sandbox::shared().expect("the sandbox starts");
    let compiled = sandbox.compile(&analysis.module, &analysis.checked).expect("fizzboom compiles");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");

    let interpreted = |route: &str, n: i64| {
        let (_, handler) = handler(route);
        let run = program.run_handler(handler, &request(route, n), &mut MemoryEffects::default(), Options::default());
        response_from_value(&run.result.expect("the interpreter runs it")).expect("a response")
    };
    let sandboxed = |route: &str, n: i64| {
        let (item, handler) = handler(route);
        let entry = Entry::Handler { item, request: request_value(&handler.route.text, &request(route, n)) };
        let effects = Immediate(MemoryEffects::default());
        let (result, _) = runtime.block_on(sandbox.run(&compiled, entry, effects, SandboxLimits::default()));
        response_from_value(&result.expect("the compiled code runs it")).expect("a response")
    };

    let cases: [Case; 4] = [
        ("fizzbuzz", 100, native),
        ("fizzbuzz", 10_000, native),
        ("fizzcount", 100, native_count),
        ("fizzcount", 10_000, native_count),
    ];
    for (route, n, native) in cases {
        let expected = native(n);
        assert_eq!(interpreted(route, n).body, expected.body, "the interpreter's {route}({n})");
        assert_eq!(sandboxed(route, n).body, expected.body, "the compiled {route}({n})");
        if !measuring {
            continue;
        }
        let rounds = if n == 100 { 2_000 } else { 100 };
        let interpreter = median(rounds, || interpreted(route, n));
        let wasm = median(rounds, || sandboxed(route, n));
        let rust = median(rounds, || native(n));
        println!(
            "{route:<9} N={n:>6}: interpreter {interpreter:>10.1?}  compiled {wasm:>10.1?}  native {rust:>10.1?}  \
             compiled/interpreter speed-up {:>6.1}x  compiled/native slowdown {:>6.1}x",
            interpreter.as_secs_f64() / wasm.as_secs_f64(),
            wasm.as_secs_f64() / rust.as_secs_f64(),
        );
    }
    if !measuring {
        println!("fizzboom: the three agree (run `cargo bench -p gloam-tests --bench fizzboom` to measure)");
    }
}
