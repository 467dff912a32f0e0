//! `cargo xtask <task>`: the project's automation, in Rust rather than shell.
//!
//! - `run`: set up whatever is missing, then serve the example canvases (`gloam serve`).
//! - `test [--update]`: set up whatever is missing, then run every check and test
//!   (`--update` rewrites snapshots and golden files instead of failing on them),
//!   and the trace-store and editor API suites again with every core busy.
//! - `bench [--quick] [--only in-process]`: set up whatever is missing, then
//!   measure Gloam against its baselines in one run (release build; `--quick`:
//!   a debug build that checks the harness works, which `test` also runs).
//! - `grammar`: regenerate the tree-sitter parser from `grammar.js`.
//! - `fuzz [SECONDS]`: run the parser fuzz target for a while (default 60).

use anyhow::{Context, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The tree-sitter CLI version matching the `tree-sitter` crate the parser is built against.
const TREE_SITTER_CLI: &str = "0.27.1";

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = project_root();
    std::env::set_current_dir(&root)?;
    match args.first().map(String::as_str) {
        Some("run") => run(&args[1..]),
        Some("test") => test(args.iter().any(|arg| arg == "--update")),
        Some("bench") => {
            let extra: Vec<String> = args[1..].iter().filter(|arg| *arg != "--quick").cloned().collect();
            bench(args.iter().any(|arg| arg == "--quick"), &extra)
        }
        Some("grammar") => grammar(),
        Some("fuzz") => fuzz(args.get(1).map(String::as_str).unwrap_or("60")),
        _ => {
            eprintln!("usage: cargo xtask <run | test [--update] | bench [--quick] | grammar | fuzz [SECONDS]>");
            std::process::exit(2);
        }
    }
}

fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."))
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

/// Runs a command, failing with its description when it fails.
fn status(command: &mut Command) -> anyhow::Result<()> {
    let shown = format!("{command:?}");
    eprintln!("$ {shown}");
    let status = command.status().with_context(|| format!("cannot start {shown}"))?;
    if !status.success() {
        bail!("{shown} failed with {status}");
    }
    Ok(())
}

fn has_program(name: &str, version_flag: &str) -> Option<String> {
    let output = Command::new(name).arg(version_flag).output().ok()?;
    output.status.success().then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
}

/// The target compiled handlers' runtime is built for (`runtime/guest`).
const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// Installs the WebAssembly target with rustup when it is missing: the
/// runtime's build script compiles the sandbox's runtime module for it.
fn ensure_wasm_target() -> anyhow::Result<()> {
    let installed = Command::new("rustup").args(["target", "list", "--installed"]).output();
    match installed {
        Ok(output) if String::from_utf8_lossy(&output.stdout).lines().any(|line| line.trim() == WASM_TARGET) => Ok(()),
        Ok(_) => status(Command::new("rustup").args(["target", "add", WASM_TARGET])),
        Err(_) => {
            eprintln!("rustup is not available; assuming the {WASM_TARGET} target is installed");
            Ok(())
        }
    }
}

/// Installs Debian's Chromium and chromedriver when they are missing: the
/// browser tests (runtime/tests/browser.rs) drive them. Where they cannot be
/// installed this says why and goes on: the tests then say they were
/// skipped (and fail under CI).
fn ensure_browser() {
    if let Err(error) =
        install_debian(&["chromium", "chromium-driver"], &["/usr/bin/chromium", "/usr/bin/chromedriver"])
    {
        eprintln!("Chromium and chromedriver could not be installed: {error:#}");
    }
}

/// Installs Debian `packages` with apt when one of `programs` is missing.
fn install_debian(packages: &[&str], programs: &[&str]) -> anyhow::Result<()> {
    let missing = || programs.iter().any(|path| !Path::new(path).exists());
    if !missing() {
        return Ok(());
    }
    if !Path::new("/usr/bin/apt-get").exists() {
        bail!("{} missing and apt-get is not here to install them", programs.join(", "));
    }
    let root =
        Command::new("id").arg("-u").output().is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0");
    let apt = |args: &[&str]| {
        let mut command = if root { Command::new("apt-get") } else { Command::new("sudo") };
        if !root {
            command.args(["-n", "apt-get"]);
        }
        command.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        status(&mut command)
    };
    // The package lists of a fresh machine may be stale or absent: update once if installing fails.
    let install: Vec<&str> = ["install", "--yes", "--no-install-recommends"].iter().chain(packages).copied().collect();
    if apt(&install).is_err() {
        apt(&["update"])?;
        apt(&install)?;
    }
    if missing() {
        bail!("{} were installed but one of {} is missing", packages.join(" "), programs.join(", "));
    }
    Ok(())
}

/// The example canvases `cargo xtask run` serves.
const EXAMPLES: [&str; 3] = ["examples/hello", "examples/todo-api", "examples/webhook-relay"];

/// Builds `gloam` and serves the example canvases with an embedded SQLite
/// store in `.gloam/`; extra arguments go to `gloam serve`.
fn run(extra: &[String]) -> anyhow::Result<()> {
    ensure_wasm_target()?;
    status(cargo().args(["build", "--package", "gloam-runtime", "--bin", "gloam"]))?;
    let gloam = target_dir().join("debug").join("gloam");
    let mut serve = Command::new(&gloam);
    serve.args(["serve", "--store", "sqlite://.gloam/gloam.db"]);
    for example in EXAMPLES {
        serve.args(["--load", example]);
    }
    eprintln!("Open a canvas in the browser at the `open the canvas:` address printed below, then send it traffic.");
    eprintln!("Try: curl -i http://hello.localhost:8000/hello/Ada   (or http://127.0.0.1:8000/@hello/hello/Ada)");
    eprintln!("     curl -i http://todo-api.localhost:8000/todos -d '{{\"title\": \"write the spec\"}}'");
    eprintln!("     curl -i http://hello.localhost:8000/nothing-here   (a 404, kept in the 404 list)");
    status(serve.args(extra))
}

/// Starts the machine's PostgreSQL when it is installed but not running, so
/// the PostgreSQL tests run instead of skipping. Without one they skip.
fn ensure_postgres() {
    let ready = || Command::new("pg_isready").args(["-h", "127.0.0.1", "-q"]).status().is_ok_and(|s| s.success());
    if ready() || !Path::new("/usr/bin/pg_ctlcluster").exists() {
        return;
    }
    let versions = std::fs::read_dir("/etc/postgresql").into_iter().flatten().flatten();
    for version in versions {
        let version = version.file_name().to_string_lossy().into_owned();
        eprintln!("$ pg_ctlcluster {version} main start");
        let _ = Command::new("pg_ctlcluster").args(["--skip-systemctl-redirect", &version, "main", "start"]).status();
    }
    if !ready() {
        eprintln!("PostgreSQL is not reachable at 127.0.0.1:5432; its tests will say they were skipped");
    }
}

fn test(update: bool) -> anyhow::Result<()> {
    ensure_wasm_target()?;
    if update {
        status(cargo().args(["fmt", "--all"]))?;
    } else {
        status(cargo().args(["fmt", "--all", "--check"]))?;
    }
    status(cargo().args(["clippy", "--workspace", "--all-targets", "--quiet", "--", "-D", "warnings"]))?;
    ensure_postgres();
    ensure_browser();
    let snapshots = if update { "always" } else { "no" };
    let mut totals = TestTotals::default();
    for targets in [["--all-targets"], ["--doc"]] {
        let mut command = cargo();
        command.args(["test", "--workspace", "--no-fail-fast"]).args(targets).env("INSTA_UPDATE", snapshots);
        if update {
            command.env("UPDATE_EXPECT", "1");
        }
        totals.run(&mut command)?;
    }
    stressed_suites(&mut totals)?;
    // One closing line for the whole run, whatever test binary happened to run last.
    println!("tests: {} passed, {} failed", totals.passed, totals.failed);
    if totals.failed > 0 {
        bail!("{} tests failed", totals.failed);
    }
    // The benchmark harness, briefly, on the debug build the tests just made.
    bench(true, &[])
}

/// The suites that store traces and serve the editor API, run again with
/// every core busy. A lock held across a timing window (SQLite's `database
/// is locked` after a failed write) passes on an idle machine and fails on a
/// loaded one, so this runs on every `cargo xtask test`, not only under CI:
/// a developer's idle machine is where it would otherwise never show.
const STRESSED_SUITES: [[&str; 4]; 2] =
    [["--package", "gloam-trace-store", "--test", "store"], ["--package", "gloam-runtime", "--test", "api"]];

fn stressed_suites(totals: &mut TestTotals) -> anyhow::Result<()> {
    for suite in STRESSED_SUITES {
        // Built first, without the load: only the tests run on busy cores.
        status(cargo().args(["test", "--no-run"]).args(suite))?;
    }
    let _load = CpuLoad::start();
    for suite in STRESSED_SUITES {
        totals.run(cargo().args(["test", "--no-fail-fast"]).args(suite))?;
    }
    Ok(())
}

/// A thread spinning on every core until dropped.
struct CpuLoad {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl CpuLoad {
    fn start() -> CpuLoad {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        eprintln!("(loading {cores} cores while these tests run)");
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let threads = (0..cores)
            .map(|_| {
                let stop = std::sync::Arc::clone(&stop);
                std::thread::spawn(move || {
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        std::hint::spin_loop();
                    }
                })
            })
            .collect();
        CpuLoad { stop, threads }
    }
}

impl Drop for CpuLoad {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

/// Builds Gloam and the benchmark harness (release, or debug for `--quick`)
/// and runs every measurement (`extra` goes to `gloam-bench run`); the table
/// goes to target/bench/.
fn bench(quick: bool, extra: &[String]) -> anyhow::Result<()> {
    ensure_wasm_target()?;
    ensure_postgres();
    if let Err(error) = install_debian(&["wrk", "hey"], &["/usr/bin/wrk", "/usr/bin/hey"]) {
        // Like the browser tests: skipped with a reason, except under CI.
        if quick && std::env::var_os("CI").is_none() {
            eprintln!("skipped the benchmark smoke check: wrk and hey could not be installed: {error:#}");
            return Ok(());
        }
        return Err(error);
    }
    let profile = if quick { "debug" } else { "release" };
    let mut build = cargo();
    build.arg("build");
    if quick {
        // What `cargo test --workspace --all-targets` built, with the same
        // features, so after the tests nothing is compiled again.
        build.args(["--workspace", "--all-targets"]);
    } else {
        build.args(["--release", "--package", "gloam-runtime", "--package", "gloam-bench"]);
        build.args(["--bin", "gloam", "--bin", "gloam-bench"]);
    }
    status(&mut build)?;
    let binaries = target_dir().join(profile);
    let mut run = Command::new(binaries.join("gloam-bench"));
    run.arg("run").arg("--gloam").arg(binaries.join("gloam"));
    if quick {
        run.arg("--quick");
    }
    status(run.args(extra))
}

fn target_dir() -> PathBuf {
    std::env::var("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|_| PathBuf::from("target"))
}

/// Sums the `test result:` lines of `cargo test` runs while passing their output through.
#[derive(Default)]
struct TestTotals {
    passed: u64,
    failed: u64,
}

impl TestTotals {
    fn run(&mut self, command: &mut Command) -> anyhow::Result<()> {
        use std::io::{BufRead, BufReader};
        eprintln!("$ {command:?}");
        let mut child = command.stdout(std::process::Stdio::piped()).spawn().context("cannot start cargo test")?;
        let stdout = child.stdout.take().context("cargo test has no stdout")?;
        for line in BufReader::new(stdout).lines() {
            let line = line?;
            println!("{line}");
            if let Some(result) = line.strip_prefix("test result: ") {
                self.passed += count_before(result, " passed");
                self.failed += count_before(result, " failed");
            }
        }
        let status = child.wait()?;
        if !status.success() && self.failed == 0 {
            bail!("cargo test failed with {status}");
        }
        Ok(())
    }
}

/// The number just before `label` in `ok. 12 passed; 0 failed; ...`.
fn count_before(text: &str, label: &str) -> u64 {
    text.split(';')
        .find_map(|part| {
            part.trim().trim_start_matches("ok. ").trim_start_matches("FAILED. ").strip_suffix(label.trim_start())
        })
        .and_then(|number| number.trim().parse().ok())
        .unwrap_or(0)
}

fn grammar() -> anyhow::Result<()> {
    let wanted = format!("tree-sitter {TREE_SITTER_CLI}");
    if !has_program("tree-sitter", "--version").is_some_and(|version| version.starts_with(&wanted)) {
        status(cargo().args(["install", "--locked", &format!("tree-sitter-cli@{TREE_SITTER_CLI}")]))?;
    }
    status(Command::new("tree-sitter").arg("generate").current_dir("language/tree-sitter-gloam"))?;
    // Records the grammar's hash, which a test compares to catch a stale parser.
    status(cargo().args(["test", "--package", "tree-sitter-gloam"]).env("UPDATE_EXPECT", "1"))
}

fn fuzz(seconds: &str) -> anyhow::Result<()> {
    if has_program("cargo-fuzz", "--version").is_none() {
        status(cargo().args(["install", "--locked", "cargo-fuzz"]))?;
    }
    // Seed with the language corpus, so the fuzzer starts from real programs.
    let seeds = Path::new("language/fuzz/corpus/analyze");
    std::fs::create_dir_all(seeds)?;
    let mut pending = vec![PathBuf::from("tests/programs")];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else if let Some(name) = path.file_name() {
                std::fs::copy(&path, seeds.join(name))?;
            }
        }
    }
    // cargo-fuzz needs unstable flags; the toolchain here is stable.
    status(
        cargo()
            .args(["fuzz", "run", "analyze", "--", &format!("-max_total_time={seconds}")])
            .current_dir("language/fuzz")
            .env("RUSTC_BOOTSTRAP", "1"),
    )
}
