//! Figures measured inside this process, without HTTP: fizzbuzz on the
//! interpreter, compiled WebAssembly and native Rust, and what preemption
//! costs compiled code.
//!
//! A compiled run is what a request pays apart from HTTP and tracing: a fresh
//! guest and program instance, the request passed in, the response read back.

use crate::baseline;
use crate::report::{Goal, Quantity, Row, Unit, quantile};
use gloam_interpreter::request::{request_value, response_from_value};
use gloam_interpreter::{HttpRequest, MemoryEffects, Options, Program};
use gloam_language::Analysis;
use gloam_language::ast::{HandlerDecl, ItemKind};
use gloam_runtime::effects::Immediate;
use gloam_runtime::sandbox::{CompiledProgram, Preemption, Sandbox, SandboxLimits};
use std::time::{Duration, Instant};

/// The canvas the servers load; its fizzbuzz and fizzcount handlers run here too.
pub const BENCH_CANVAS: &str = include_str!("../canvas/bench.gloam");

/// The bench canvas, analysed and compiled, and the engines that run it.
pub struct Engines {
    analysis: Analysis,
    sandbox: std::sync::Arc<Sandbox>,
    compiled: CompiledProgram,
    runtime: tokio::runtime::Runtime,
}

impl Engines {
    pub fn new() -> anyhow::Result<Engines> {
        let analysis = gloam_language::analyze(BENCH_CANVAS);
        anyhow::ensure!(!analysis.has_errors(), "bench/canvas/bench.gloam does not check: {:?}", analysis.diagnostics);
        let sandbox = Sandbox::shared()?;
        let compiled = sandbox.compile(&analysis.module, &analysis.checked)?;
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        Ok(Engines { analysis, sandbox, compiled, runtime })
    }

    /// The handler whose route starts with `/{route}/`, and its position.
    fn handler(&self, route: &str) -> (usize, &HandlerDecl) {
        let prefix = format!("/{route}/");
        self.analysis
            .module
            .items
            .iter()
            .enumerate()
            .find_map(|(item, declared)| match &declared.kind {
                ItemKind::Handler(decl) if decl.route.text.starts_with(&prefix) => Some((item, decl)),
                _ => None,
            })
            .unwrap_or_else(|| panic!("bench.gloam has a handler for /{route}/"))
    }

    /// The response body of `GET /{route}/{n}` on the interpreter.
    pub fn interpreted(&self, route: &str, n: i64) -> String {
        let (_, handler) = self.handler(route);
        let program = Program { module: &self.analysis.module, checked: &self.analysis.checked };
        let run = program.run_handler(handler, &request(route, n), &mut MemoryEffects::default(), Options::default());
        let value = run.result.unwrap_or_else(|error| panic!("the interpreter fails {route}/{n}: {error:?}"));
        response_from_value(&value).map(|response| response.body).unwrap_or_default()
    }

    /// The response body of `GET /{route}/{n}` compiled, in `sandbox`.
    pub fn compiled(&self, sandbox: &Sandbox, compiled: &CompiledProgram, route: &str, n: i64) -> String {
        let (item, handler) = self.handler(route);
        let request = request_value(&handler.route.text, &request(route, n));
        let entry = self.analysis.module.entry_at(item).expect("the handler is an entry");
        let effects = Immediate(MemoryEffects::default());
        let (result, _) =
            self.runtime.block_on(sandbox.run(compiled, entry, request, effects, SandboxLimits::default()));
        let value = result.unwrap_or_else(|failure| panic!("the compiled code fails {route}/{n}: {failure:?}"));
        response_from_value(&value).map(|response| response.body).unwrap_or_default()
    }

    fn shared_compiled(&self, route: &str, n: i64) -> String {
        self.compiled(&self.sandbox, &self.compiled, route, n)
    }

    /// §3: fizzbuzz (and fizzcount, the generated code alone) on the three engines.
    pub fn fizzbuzz_rows(&self, rounds_small: usize, rounds_large: usize) -> Vec<Row> {
        let mut rows = Vec::new();
        let cases: [Case; 3] = [
            ("fizzbuzz", 100, baseline::fizzbuzz_json),
            ("fizzbuzz", 10_000, baseline::fizzbuzz_json),
            ("fizzcount", 10_000, |n| baseline::fizzcount(n).to_string()),
        ];
        for (route, n, native) in cases {
            let rounds = if n <= 100 { rounds_small } else { rounds_large };
            let interpreter = median(rounds, || self.interpreted(route, n));
            let compiled = median(rounds, || self.shared_compiled(route, n));
            let native = median(rounds, || native(n));
            let micros = |time: Duration| Quantity(time.as_secs_f64() * 1e6, Unit::Micros);
            let case = format!("{route} N = {n}, in-process");
            let goals = route == "fizzbuzz";
            let mut speedup = Row::new("3", format!("{case}: compiled vs interpreter"), micros(compiled))
                .against("interpreter", micros(interpreter));
            let mut native_gap = Row::new("3", format!("{case}: compiled vs native"), micros(compiled))
                .against("native Rust", micros(native));
            if goals {
                speedup = speedup.goal(Goal::RatioAtMost(0.1)).note("goal: 10× faster");
                native_gap = native_gap.goal(Goal::RatioAtMost(3.0));
            } else {
                speedup = speedup.note("no standard library: the generated code alone");
            }
            rows.extend([speedup, native_gap]);
        }
        rows
    }

    /// §3: accumulating in a fold (100,000 `List.push` or `Dict.set`), on the
    /// two engines against native Rust building a Vec or a BTreeMap.
    pub fn accumulation_rows(&self, rounds: usize) -> Vec<Row> {
        let n = 100_000;
        let cases: [Case; 2] = [("pushes", n, baseline::pushes), ("dictsets", n, baseline::dict_sets)];
        let millis = |time: Duration| Quantity(time.as_secs_f64() * 1e3, Unit::Millis);
        let mut rows = Vec::new();
        for (route, n, native) in cases {
            let interpreter = median(rounds, || self.interpreted(route, n));
            let compiled = median(rounds, || self.shared_compiled(route, n));
            let native = median(rounds, || native(n));
            let what = if route == "pushes" { "List.push" } else { "Dict.set" };
            for (engine, time) in [("interpreter", interpreter), ("compiled", compiled)] {
                rows.push(
                    Row::new("3", format!("100,000 {what} in a fold, {engine}"), millis(time))
                        .against("native Rust", millis(native))
                        .note("persistent lists and dicts: was quadratic (≈ 5 s for Dict.set)"),
                );
            }
        }
        rows
    }

    /// §7: CPU-bound handlers with epoch preemption (the wall-clock limit
    /// inside CPU-bound code) and without: fizzcount (calls and arithmetic,
    /// generated code) and fizzbuzz (mostly the standard library).
    pub fn preemption_rows(&self, rounds: usize) -> anyhow::Result<Vec<Row>> {
        let unpreempted = Sandbox::new(Preemption::Off)?;
        let compiled = unpreempted.compile(&self.analysis.module, &self.analysis.checked)?;
        let per_second = |time: Duration| Quantity(1.0 / time.as_secs_f64(), Unit::PerSecond);
        let mut rows = Vec::new();
        for route in ["fizzcount", "fizzbuzz"] {
            let n = 10_000;
            let (with, without) = medians_alternating(
                rounds,
                || self.shared_compiled(route, n),
                || self.compiled(&unpreempted, &compiled, route, n),
            );
            let figure = format!("CPU-bound handler ({route} N = 10,000), runs/s with the CPU limit on");
            rows.push(
                Row::new("7", figure, per_second(with))
                    .against("CPU limit off", per_second(without))
                    .goal(Goal::RatioAtLeast(0.85))
                    .note("wasmtime epoch interruption, off in a second engine"),
            );
        }
        Ok(rows)
    }
}

/// A route, its N, and the native function doing the same work.
type Case = (&'static str, i64, fn(i64) -> String);

fn request(route: &str, n: i64) -> HttpRequest {
    HttpRequest {
        method: "GET".into(),
        path: format!("/{route}/{n}"),
        query: Vec::new(),
        headers: Vec::new(),
        body: String::new(),
    }
}

/// The median time of `run` over `rounds` runs, after a few to warm up.
pub fn median<T>(rounds: usize, mut run: impl FnMut() -> T) -> Duration {
    for _ in 0..rounds.min(20) {
        std::hint::black_box(run());
    }
    let times: Vec<Duration> = (0..rounds.max(1))
        .map(|_| {
            let started = Instant::now();
            std::hint::black_box(run());
            started.elapsed()
        })
        .collect();
    quantile(&times, 0.5)
}

/// The median times of `a` and `b` run in turn (a, b, a, b, …), so a
/// change in the machine during the measurement affects both alike.
fn medians_alternating<T>(rounds: usize, mut a: impl FnMut() -> T, mut b: impl FnMut() -> T) -> (Duration, Duration) {
    let mut times = (Vec::new(), Vec::new());
    for round in 0..rounds.max(1) + 20 {
        let started = Instant::now();
        std::hint::black_box(a());
        let middle = Instant::now();
        std::hint::black_box(b());
        // The first rounds warm up.
        if round >= 20 {
            times.0.push(middle - started);
            times.1.push(middle.elapsed());
        }
    }
    (quantile(&times.0, 0.5), quantile(&times.1, 0.5))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The three engines agree on what the figures time (so a fast wrong
    /// answer cannot make a good figure).
    #[test]
    fn engines_agree_on_fizzbuzz() {
        let engines = Engines::new().expect("the bench canvas compiles");
        let cases: [Case; 5] = [
            ("fizzbuzz", 100, baseline::fizzbuzz_json),
            ("fizzbuzz", 10_000, baseline::fizzbuzz_json),
            ("fizzcount", 10_000, |n| baseline::fizzcount(n).to_string()),
            ("pushes", 100_000, baseline::pushes),
            ("dictsets", 100_000, baseline::dict_sets),
        ];
        for (route, n, native) in cases {
            let native = native(n);
            assert_eq!(engines.interpreted(route, n), native, "the interpreter's {route}({n})");
            assert_eq!(engines.shared_compiled(route, n), native, "the compiled {route}({n})");
        }
        let unpreempted = Sandbox::new(Preemption::Off).expect("a sandbox without preemption");
        let compiled = unpreempted.compile(&engines.analysis.module, &engines.analysis.checked).expect("compiles");
        let expected = baseline::fizzcount(10_000).to_string();
        assert_eq!(engines.compiled(&unpreempted, &compiled, "fizzcount", 10_000), expected);
    }
}
