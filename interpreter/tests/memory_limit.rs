//! The interpreter's memory cap: programs that grow values past it stop with
//! the compiled engine's words, at the expression that allocated, and give the
//! memory back; programs that allocate a lot but hold little run as before.

use gloam_interpreter::memory::Budget;
use gloam_interpreter::{ErrorKind, MemoryEffects, Options, Program, Run};

const MIB: usize = 1024 * 1024;

/// Runs `fn main()` of `source` with a memory limit; also returns the source.
fn run_main(source: &str, max_memory_bytes: usize) -> (Run, String) {
    let analysis = gloam_language::analyze(source);
    assert!(!analysis.has_errors(), "{:?}", analysis.diagnostics.first());
    let program = Program { module: &analysis.module, checked: &analysis.checked };
    let options = Options { max_memory_bytes, ..Options::default() };
    let run = program.call_function("main", Vec::new(), &mut MemoryEffects::default(), options).expect("main");
    (run, source.to_string())
}

/// The error message and the source text of the expression it stopped at.
fn failure(source: &str, limit: usize) -> (String, String) {
    let (run, source) = run_main(source, limit);
    let error = run.result.expect_err("the run should fail");
    let span = error.span.expect("the error has a place");
    (error.to_string(), source[span.start as usize..span.end as usize].to_string())
}

#[test]
fn memory_bombs_stop_at_the_limit_where_they_allocate() {
    let bombs = [
        (
            "string doubling",
            "fn double(s: String, n: Int) -> String = if n == 0 then s else double(s ++ s, n - 1)\n\
             fn main() = double(\"\u{1F388}\", 30)",
            "s ++ s",
        ),
        (
            // Within the length limit (a larger count is refused by it first,
            // on both engines), but 36 MB: refused before it is allocated.
            "String.repeat with a huge count",
            "fn main() = String.repeat(\"\u{1F388}\", 9_000_000)",
            "String.repeat(\"\u{1F388}\", 9_000_000)",
        ),
        (
            "list doubling via ++, each copy kept",
            "fn grow(l: List<Int>, n: Int) -> List<Int> = if n == 0 then l else grow(List.map(l ++ l, \\x -> x + 1), n - 1)\n\
             fn main() = grow([1], 30)",
            "List.map(l ++ l, \\x -> x + 1)",
        ),
        (
            "dict growth in a fold",
            "fn main() = List.range(1, 300_000) |> List.fold(Dict.empty(), \\d, i -> Dict.set(d, Int.toString(i), i))",
            "Dict.set(d, Int.toString(i), i)",
        ),
        (
            "JSON encode of a value that repeats a large string",
            "fn main() = Json.encode(List.repeat(String.repeat(\"x\", 1_000_000), 100))",
            "Json.encode(List.repeat(String.repeat(\"x\", 1_000_000), 100))",
        ),
        (
            "Json.toJson of a value that repeats a large string",
            "fn main() = Json.toJson(List.repeat(String.repeat(\"x\", 1_000_000), 100))",
            "Json.toJson(List.repeat(String.repeat(\"x\", 1_000_000), 100))",
        ),
        (
            "nested lists",
            "fn main() = List.range(1, 2_000) |> List.map(\\i -> List.range(1, 1_000) |> List.map(\\j -> [i, j]))",
            "[i, j]",
        ),
        (
            "many copies of a large string",
            "fn main() =\n  let big = String.repeat(\"x\", 1_000_000)\n  List.range(1, 100) |> List.map(\\i -> big ++ Int.toString(i))",
            "big ++ Int.toString(i)",
        ),
    ];
    for (name, source, at) in bombs {
        let (message, place) = failure(source, 16 * MIB);
        assert_eq!(message, "memory limit of 16 MiB exceeded (a value grew too large?)", "{name}");
        // Small allocations (an environment's binding) can tip the balance one
        // expression inside the one that grew.
        assert!(at.contains(&place), "{name}: stopped at `{place}`, not inside `{at}`");
    }
}

#[test]
fn a_failed_run_gives_its_memory_back() {
    let before = Budget::start(usize::MAX);
    let (run, _) = run_main(
        "fn main() =\n  let big = String.repeat(\"x\", 1_000_000)\n  List.range(1, 100) |> List.map(\\i -> big ++ Int.toString(i))",
        16 * MIB,
    );
    assert!(matches!(run.result, Err(ref error) if error.kind == ErrorKind::MemoryLimit { limit: 16 * MIB }));
    drop(run);
    assert!(before.used() < MIB, "{} bytes still held after the run", before.used());
}

#[test]
fn concurrent_runs_each_have_their_own_budget() {
    let bomb = "fn main() = List.range(1, 100) |> List.map(\\i -> String.repeat(\"x\", 1_000_000) ++ Int.toString(i))";
    let runs: Vec<_> = (0..4).map(|_| std::thread::spawn(move || failure(bomb, 16 * MIB).0)).collect();
    for run in runs {
        assert_eq!(run.join().expect("no panic"), "memory limit of 16 MiB exceeded (a value grew too large?)");
    }
}

#[test]
fn allocating_and_dropping_a_lot_fits_the_default_limit() {
    // Each round builds a 100,000-element list and drops it: 2,000,000
    // elements pushed in all, far more than the limit holds at once, but
    // what a run holds is what counts, as in the compiled engine.
    let source = "fn build(n: Int) -> Int = List.range(1, n) |> List.fold([], \\acc, i -> List.push(acc, i)) |> List.length\n\
                  fn text(n: Int) -> Int = List.range(1, n) |> List.fold(\"\", \\acc, i -> acc ++ \"0123456789\") |> String.length\n\
                  fn main() = [List.range(1, 20) |> List.map(\\_ -> build(100_000)) |> List.sum, text(20_000)]";
    let (run, _) = run_main(source, Options::default().max_memory_bytes);
    assert_eq!(run.result.map(|value| value.to_string()), Ok("[2000000, 200000]".to_string()));
}
