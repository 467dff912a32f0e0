//! Subcommands. Errors become messages on stderr and a non-zero exit code here,
//! at the edge; the libraries below return typed errors.

use crate::app::changes;
use crate::app::rate::RateLimits;
use crate::app::{self, AppState, Config};
use crate::budget::{BudgetLimits, MemoryPool};
use crate::canvas::{self, CanvasCode, ToplevelSource};
use crate::client::Remote;
use crate::engine::{EngineKind, Failure, Interpreter, Task, response_of};
use crate::outbound::{AllowedHost, OutboundPolicy};
use crate::redact::Redaction;
use crate::server;
use crate::telemetry::{self, LogFormat};
use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use gloam_api::{Files, Pushed, ReplayRequest, ReplayResult};
use gloam_interpreter::{MemoryEffects, Options};
use gloam_language::Diagnostic;
use gloam_language::ast::ItemKind;
use gloam_language::ast::Span;
use gloam_trace_store::{Retention, SecretKey, Store, TraceBudget, TraceSummary};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "gloam", version, about = "Gloam: a trace-driven backend runtime")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Parse and type-check a .gloam file (or every .gloam file in a folder); print diagnostics.
    Check {
        path: PathBuf,
        /// Print diagnostics as JSON (with line and column positions).
        #[arg(long)]
        json: bool,
    },
    /// Run requests against a program with the interpreter and in-memory effects.
    ///
    /// Requests come from `--request "METHOD /path [body]"` (repeatable) or a
    /// script file of such lines (`#` starts a comment). Datastore contents carry
    /// over from one request to the next. Without requests, prints the value of
    /// `fn main()`.
    Run {
        path: PathBuf,
        #[arg(long = "request", short = 'r')]
        requests: Vec<String>,
        /// A file of requests, one per line.
        #[arg(long)]
        script: Option<PathBuf>,
    },
    /// Serve canvases: user traffic, and the editor API under /_gloam.
    Serve(Box<ServeArgs>),
    /// Make a canvas's code exactly the .gloam files of a folder (all or nothing).
    Push {
        folder: PathBuf,
        #[command(flatten)]
        remote: Remote,
    },
    /// Write a canvas's code into a folder as .gloam files.
    Pull {
        folder: PathBuf,
        #[command(flatten)]
        remote: Remote,
    },
    /// List a canvas's traces, newest first.
    Traces {
        /// Only this handler's traces (`GET /todos/:id`), or a 404 key.
        #[arg(long)]
        key: Option<String>,
        #[arg(long, default_value_t = 20)]
        limit: u32,
        #[command(flatten)]
        remote: Remote,
    },
    /// Run a stored trace against the current code and show how the response changed.
    Replay {
        trace: String,
        /// Against this code version instead of the current one.
        #[arg(long)]
        version: Option<i64>,
        /// Perform effects for real instead of taking them from the trace.
        #[arg(long)]
        live: bool,
        #[command(flatten)]
        remote: Remote,
    },
}

#[derive(clap::Args)]
struct ServeArgs {
    /// `sqlite://PATH` (the default, created when missing) or `postgres://…`.
    #[arg(long, env = "GLOAM_STORE", default_value = "sqlite://.gloam/gloam.db")]
    store: String,
    /// The key canvas secrets are sealed with, as 64 hex characters; when
    /// unset it is read from `--secret-key-file`.
    #[arg(long, env = "GLOAM_SECRET_KEY", hide_env_values = true)]
    secret_key: Option<String>,
    /// The file that holds the secret key; created (mode 0600) with a new
    /// random key when missing. Keep it: without it, secrets cannot be read.
    #[arg(long, env = "GLOAM_SECRET_KEY_FILE", default_value = ".gloam/secret.key")]
    secret_key_file: std::path::PathBuf,
    #[arg(long, env = "GLOAM_LISTEN", default_value = "127.0.0.1:8000")]
    listen: String,
    /// Load a folder of .gloam files into a new canvas (named by `--canvas` or
    /// the folder's name); a canvas that already has code keeps it. Repeatable.
    #[arg(long)]
    load: Vec<PathBuf>,
    /// The canvas `--load` goes to (only with one `--load`).
    #[arg(long)]
    canvas: Option<String>,
    /// Largest request body accepted, in bytes (larger gets 413).
    #[arg(long, default_value_t = 1024 * 1024)]
    max_body: usize,
    /// Traces kept per handler, newest first.
    #[arg(long, default_value_t = 100)]
    keep: u32,
    /// Traces older than this many days are deleted.
    #[arg(long, default_value_t = 7)]
    keep_days: i64,
    /// Bytes of stored traces per canvas, in MiB; past it the oldest are deleted.
    #[arg(long, default_value_t = TraceBudget::default().canvas_bytes >> 20)]
    trace_budget: u64,
    /// Distinct 404 keys kept per canvas (newest first); older ones become counts.
    #[arg(long, default_value_t = TraceBudget::default().not_found_keys)]
    max_404_keys: u32,
    /// A header whose value traces keep as `<redacted>` (repeatable), besides
    /// authorization, proxy-authorization, cookie and set-cookie.
    #[arg(long)]
    redact_header: Vec<String>,
    /// A field of JSON bodies that traces keep as `<redacted>`: keys joined by
    /// `.`, `*` for any key or array element, e.g. `password` or `cards.*.number`.
    #[arg(long)]
    redact_json: Vec<String>,
    /// What runs handlers: compiled WebAssembly in a sandbox, or the reference
    /// interpreter (slower; for debugging and comparisons).
    #[arg(long, env = "GLOAM_ENGINE", value_enum, default_value_t = EngineKind::Compiled)]
    engine: EngineKind,
    /// Memory one run may use for its values (both engines), in MiB (at most 1024).
    #[arg(long, default_value_t = 256)]
    max_memory: usize,
    /// Seconds one run may take, waiting for effects included.
    #[arg(long, default_value_t = 30)]
    time_limit: u64,
    /// Seconds a client has to send a request's head; also how long a
    /// kept-alive connection may sit idle between requests.
    #[arg(long, default_value_t = 10)]
    header_timeout: u64,
    /// Seconds a client has to send a request's whole body.
    #[arg(long, default_value_t = 30)]
    body_timeout: u64,
    /// Open connections in all; more are answered 503.
    #[arg(long, default_value_t = 10_000)]
    max_connections: usize,
    /// Open connections from one client address; more are answered 503 (0: no
    /// cap; behind a proxy every client has the proxy's address).
    #[arg(long, default_value_t = 256)]
    max_connections_per_client: usize,
    /// On SIGTERM or Ctrl+C, seconds requests in flight may take to finish.
    #[arg(long, default_value_t = 10)]
    shutdown_grace: u64,
    /// Memory all runs together may hold, in MiB (default: half the machine's).
    #[arg(long)]
    max_total_memory: Option<usize>,
    /// Runs of one canvas at once; a request beyond waits up to 5 s, then gets 503.
    #[arg(long, default_value_t = BudgetLimits::default().runs_per_canvas)]
    max_runs_per_canvas: usize,
    /// Outbound `Http` calls of one canvas in flight; beyond, a call fails.
    #[arg(long, default_value_t = BudgetLimits::default().outbound_per_canvas)]
    max_outbound_per_canvas: usize,
    /// Events emitted and not yet run, per canvas; beyond, `Queue.emit` fails.
    #[arg(long, default_value_t = BudgetLimits::default().queued_events_per_canvas)]
    max_queued_events: usize,
    /// Events one request may cause, through workers emitting to workers.
    #[arg(long, default_value_t = BudgetLimits::default().events_per_request)]
    max_events_per_request: usize,
    /// A host outbound `Http` calls may reach although it is loopback or
    /// private (`HOST` or `HOST:PORT`; repeatable). The server's own port never is.
    #[arg(long = "allow-outbound", value_name = "HOST[:PORT]")]
    allow_outbound: Vec<AllowedHost>,
    /// Seconds start-up waits for one canvas's code to load; a canvas that
    /// takes longer answers 503 until it has loaded.
    #[arg(long, default_value_t = 30)]
    load_timeout: u64,
    /// Requests per second one client address may send to user traffic
    /// (bursts of as many); beyond, 429. Off when absent.
    #[arg(long)]
    rate_limit_per_client: Option<std::num::NonZeroU32>,
    /// Requests per second one canvas may receive; beyond, 429. Off when absent.
    #[arg(long)]
    rate_limit_per_canvas: Option<std::num::NonZeroU32>,
    /// Failed editor-API sign-ins per minute from one address; beyond, that
    /// address gets 429 on the editor API until the allowance refills.
    #[arg(long, default_value_t = RateLimits::default().auth_failures_per_minute)]
    auth_failures_per_minute: std::num::NonZeroU32,
    /// How logs are written to stderr: `text` for people, `json` (one object
    /// per line) for log collectors. `RUST_LOG` chooses what is logged.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    /// Export spans (requests, runs, effect calls, saves) as OpenTelemetry
    /// traces to this OTLP/HTTP address (`http://HOST:4318`; spans go to
    /// `/v1/traces` under it). Off when absent.
    #[arg(long, env = "OTEL_EXPORTER_OTLP_ENDPOINT", value_name = "URL")]
    otlp_endpoint: Option<String>,
    /// Serve without storing traces (the canvas then shows no new traces or
    /// 404s, and responses carry no x-gloam-trace-id). For measuring what
    /// storing traces costs; metrics still count requests.
    #[arg(long)]
    no_traces: bool,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match &cli.command {
        Command::Serve(args) => {
            telemetry::Settings { log_format: args.log_format, otlp_endpoint: args.otlp_endpoint.clone() }
        }
        _ => telemetry::Settings::default(),
    };
    let telemetry = match telemetry::init(&settings) {
        Ok(telemetry) => telemetry,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        Command::Check { path, json } => check(&path, json),
        Command::Run { path, requests, script } => run(&path, requests, script.as_deref()),
        other => tokio::runtime::Runtime::new()
            .context("cannot start the async runtime")
            .and_then(|runtime| runtime.block_on(remote_command(other))),
    };
    // After the server's graceful stop: the spans of its last requests go out.
    telemetry.shutdown();
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}

/// The `.gloam` files of a folder, in name order.
fn gloam_files(folder: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder)
        .with_context(|| format!("cannot read folder {}", folder.display()))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|file| file.extension().is_some_and(|ext| ext == "gloam"))
        .collect();
    files.sort();
    if files.is_empty() {
        bail!("no .gloam files in {}", folder.display());
    }
    Ok(files)
}

/// A folder's `.gloam` files by file name, as `gloam push` sends them.
fn read_canvas_files(folder: &Path) -> anyhow::Result<BTreeMap<String, String>> {
    gloam_files(folder)?
        .into_iter()
        .map(|path| {
            let name = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
            let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
            Ok((name, text))
        })
        .collect()
}

/// The source of a canvas: one file, or the `.gloam` files of a folder in name
/// order, checked together as one text. Diagnostics are mapped back to the file
/// and position they are about.
struct Sources {
    text: String,
    /// Each file with the offset where its text starts in `text`.
    files: Vec<(String, usize)>,
}

impl Sources {
    fn read(path: &Path) -> anyhow::Result<Sources> {
        let paths = if path.is_dir() { gloam_files(path)? } else { vec![path.to_path_buf()] };
        let mut sources = Sources { text: String::new(), files: Vec::new() };
        for file in paths {
            let text = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
            sources.files.push((file.display().to_string(), sources.text.len()));
            sources.text += &text;
            sources.text.push('\n');
        }
        Ok(sources)
    }

    /// The file a diagnostic is in, its text, and the diagnostic relative to it.
    fn locate(&self, diagnostic: &Diagnostic) -> (&str, &str, Diagnostic) {
        let index = self.files.iter().rposition(|(_, start)| *start <= diagnostic.span.start as usize).unwrap_or(0);
        let (name, start) = &self.files[index];
        let end = self.files.get(index + 1).map_or(self.text.len(), |(_, next)| *next);
        let mut relative = diagnostic.clone();
        relative.span = Span::new(diagnostic.span.start as usize - start, diagnostic.span.end as usize - start);
        (name, &self.text[*start..end], relative)
    }

    /// The files' declarations as a canvas's toplevels, as `gloam serve --load` takes them.
    fn toplevels(&self) -> Vec<ToplevelSource> {
        let mut toplevels = Vec::new();
        for (index, (name, start)) in self.files.iter().enumerate() {
            let end = self.files.get(index + 1).map_or(self.text.len(), |(_, next)| *next);
            for source in canvas::split_declarations(&self.text[*start..end]) {
                let toplevel_id = toplevels.len() as i64 + 1;
                toplevels.push(ToplevelSource { toplevel_id, source, file: name.clone() });
            }
        }
        toplevels
    }

    fn render(&self, diagnostics: &[Diagnostic]) -> String {
        let mut sorted: Vec<&Diagnostic> = diagnostics.iter().collect();
        sorted.sort_by_key(|diagnostic| (diagnostic.span.start, diagnostic.span.end));
        let rendered: Vec<String> = sorted
            .into_iter()
            .map(|diagnostic| {
                let (name, text, relative) = self.locate(diagnostic);
                relative.render(text, name)
            })
            .collect();
        rendered.join("\n")
    }

    fn json(&self, diagnostics: &[Diagnostic]) -> Vec<serde_json::Value> {
        diagnostics
            .iter()
            .map(|diagnostic| {
                let (name, text, relative) = self.locate(diagnostic);
                let mut value = serde_json::to_value(relative.located(text)).unwrap_or_default();
                value["path"] = serde_json::Value::String(name.to_string());
                value
            })
            .collect()
    }
}

fn check(path: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let sources = Sources::read(path)?;
    let analysis = gloam_language::analyze(&sources.text);
    let errors = analysis.diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = analysis.diagnostics.len() - errors;
    let shown = path.display().to_string();
    if json {
        let located = sources.json(&analysis.diagnostics);
        let report = serde_json::json!({
            "path": shown,
            "errors": errors,
            "warnings": warnings,
            "diagnostics": located,
        });
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else if analysis.diagnostics.is_empty() {
        println!("{shown}: ok ({} declarations)", analysis.module.items.len());
    } else {
        print!("{}", sources.render(&analysis.diagnostics));
        println!("\n{shown}: {errors} error(s), {warnings} warning(s)");
    }
    Ok(if errors > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

fn run(path: &Path, mut requests: Vec<String>, script: Option<&Path>) -> anyhow::Result<ExitCode> {
    let sources = Sources::read(path)?;
    let analysis = gloam_language::analyze(&sources.text);
    if analysis.has_errors() {
        print!("{}", sources.render(&analysis.diagnostics));
        return Ok(ExitCode::FAILURE);
    }
    if let Some(script) = script {
        let text = std::fs::read_to_string(script).with_context(|| format!("cannot read {}", script.display()))?;
        requests.extend(
            text.lines().map(str::trim).filter(|line| !line.is_empty() && !line.starts_with('#')).map(String::from),
        );
    }
    // The canvas `gloam serve --load` makes of the same files: requests are
    // routed, run, checked and their failures placed by the server's own code.
    let code = CanvasCode::assemble(0, sources.toplevels());
    let interpreter = Interpreter { options: Options::default() };
    let mut effects = MemoryEffects::default();
    if requests.is_empty() {
        return run_main(&code, &mut effects);
    }
    let mut failed = false;
    for line in &requests {
        let request = gloam_interpreter::request::parse_request_line(line).map_err(anyhow::Error::msg)?;
        println!("> {line}");
        let Some(handler) = code.route(&request.method, &request.path) else {
            println!("< 404 (no handler for {} {})\n", request.method, request.path);
            continue;
        };
        let logs_before = effects.logs.len();
        let task = Task::Handler { key: canvas::handler_key(handler), request };
        let execution = interpreter.run(&code, &task, &mut effects);
        for (level, message) in &effects.logs[logs_before..] {
            println!("  [{level}] {message}");
        }
        match response_of(&code, handler, execution.result) {
            Ok(response) => {
                println!("< {}", response.status);
                for (name, value) in &response.headers {
                    println!("< {name}: {value}");
                }
                println!("{}\n", response.body);
            }
            Err(failure) => {
                failed = true;
                println!("< 500 {}\n", failure.describe(&code));
            }
        }
    }
    Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

/// `gloam run FILE` without requests: the value of `fn main()`.
fn run_main(code: &CanvasCode, effects: &mut MemoryEffects) -> anyhow::Result<ExitCode> {
    let main = code.analysis.module.items.iter().find_map(|item| match &item.kind {
        ItemKind::Function(decl) if decl.name.text == "main" => Some(decl),
        _ => None,
    });
    match main {
        None => bail!(
            "no requests and no `fn main()`: give --request \"GET /path\", --script FILE, or define `fn main() = …`"
        ),
        Some(main) if !main.parameters.is_empty() => {
            bail!("`fn main` takes {} parameter(s); `gloam run` calls it with none", main.parameters.len())
        }
        Some(_) => {}
    }
    let Some(run) = code.program().call_function("main", Vec::new(), effects, Options::default()) else {
        bail!("`fn main` cannot be called");
    };
    for (level, message) in &effects.logs {
        println!("  [{level}] {message}");
    }
    match run.result {
        Ok(value) => {
            println!("{value}");
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            println!("error: {}", Failure::at(code, error.kind.to_string(), error.span).describe(code));
            Ok(ExitCode::FAILURE)
        }
    }
}

async fn remote_command(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve(args) => serve(*args).await,
        Command::Push { folder, remote } => {
            let files = read_canvas_files(&folder)?;
            let pushed: Pushed = remote.put("/files", &Files { files }).await?;
            println!(
                "pushed {} to canvas `{}`: {} created, {} updated, {} deleted, {} unchanged (version {})",
                folder.display(),
                remote.canvas,
                pushed.created.len(),
                pushed.updated.len(),
                pushed.deleted.len(),
                pushed.unchanged,
                pushed.version
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Pull { folder, remote } => {
            let pulled: Files = remote.get("/files").await?;
            if let Some(name) = pulled.files.keys().find(|name| !changes::valid_file_name(name)) {
                bail!("the server sent a file named `{name}`, which is not a plain .gloam file name");
            }
            std::fs::create_dir_all(&folder).with_context(|| format!("cannot create {}", folder.display()))?;
            // The folder is the canvas: files the canvas no longer has go, or a
            // later push would bring their declarations back.
            for stale in gloam_files(&folder).unwrap_or_default() {
                let name = stale.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
                if !pulled.files.contains_key(&name) {
                    std::fs::remove_file(&stale).with_context(|| format!("cannot remove {}", stale.display()))?;
                    println!("removed {}", stale.display());
                }
            }
            for (name, text) in &pulled.files {
                let path = folder.join(name);
                std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
                println!("wrote {}", path.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Traces { key, limit, remote } => {
            let mut query = form_urlencoded::Serializer::new(String::new());
            query.append_pair("limit", &limit.to_string());
            if let Some(key) = &key {
                query.append_pair("key", key);
            }
            let traces: Vec<TraceSummary> = remote.get(&format!("/traces?{}", query.finish())).await?;
            for trace in &traces {
                println!(
                    "{}  {}  {} {}  {:.1} ms  [{}]{}",
                    trace.id,
                    trace.status,
                    trace.method,
                    trace.path,
                    trace.duration_us as f64 / 1000.0,
                    trace.handler_key,
                    trace.error.as_deref().map(|error| format!("  error: {error}")).unwrap_or_default()
                );
            }
            println!("{} trace(s)", traces.len());
            Ok(ExitCode::SUCCESS)
        }
        Command::Replay { trace, version, live, remote } => {
            let body = ReplayRequest { version, live_effects: live };
            let result: ReplayResult = remote.post(&format!("/traces/{trace}/replay"), &body).await?;
            print_replay(&result);
            Ok(if result.same { ExitCode::SUCCESS } else { ExitCode::from(3) })
        }
        Command::Check { .. } | Command::Run { .. } => bail!("`check` and `run` work on files and need no server"),
    }
}

fn print_replay(result: &ReplayResult) {
    let recorded = &result.recorded;
    println!("recorded: {} ({} bytes)", recorded.status, recorded.body.len());
    match &result.failure {
        Some(failure) => println!("replayed: failed: {failure}"),
        None => {
            let status =
                result.replayed.as_ref().map_or_else(|| "null".to_string(), |replayed| replayed.status.to_string());
            println!("replayed: {status} with code version {}", result.code_version);
        }
    }
    if result.same {
        println!("same response");
        return;
    }
    for line in &result.diff.headers {
        println!("{line}");
    }
    print!("{}", result.diff.body);
}

/// A canvas name from a folder name: lower-case letters, digits and dashes.
fn canvas_name_of(folder: &Path) -> String {
    let name =
        folder.canonicalize().ok().and_then(|path| path.file_name().map(|name| name.to_string_lossy().into_owned()));
    let cleaned: String = name
        .unwrap_or_default()
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let cleaned = cleaned.trim_matches('-').to_string();
    if cleaned.is_empty() { "main".to_string() } else { cleaned }
}

async fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    if args.canvas.is_some() && args.load.len() > 1 {
        bail!("--canvas names the canvas of one --load; give each folder its own server or drop --canvas");
    }
    if let Some(canvas) = &args.canvas
        && !app::state::valid_canvas_name(canvas)
    {
        bail!("`{canvas}` is not a canvas name (lower-case letters, digits and dashes, at most 63)");
    }
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let address = listener.local_addr()?;
    let key = match &args.secret_key {
        Some(hex) => SecretKey::from_hex(hex).context("GLOAM_SECRET_KEY")?,
        None => SecretKey::load_or_create(&args.secret_key_file)?,
    };
    let store = Store::open(&args.store).await?.use_secret_key(key).await?;
    let config = Config {
        max_body_bytes: args.max_body,
        body_timeout: std::time::Duration::from_secs(args.body_timeout),
        trace_budget: TraceBudget { canvas_bytes: args.trace_budget << 20, not_found_keys: args.max_404_keys },
        retention: Retention { newest: args.keep, max_age_ms: args.keep_days.saturating_mul(24 * 60 * 60 * 1000) },
        redaction: Redaction::with_defaults(&args.redact_header, &args.redact_json),
        engine: args.engine,
        max_memory_bytes: args.max_memory.saturating_mul(1024 * 1024),
        time_limit: std::time::Duration::from_secs(args.time_limit),
        record_traces: !args.no_traces,
        outbound: OutboundPolicy { allowed: args.allow_outbound.clone(), own_port: Some(address.port()) },
        load_timeout: std::time::Duration::from_secs(args.load_timeout),
        rates: RateLimits {
            per_client: args.rate_limit_per_client,
            per_canvas: args.rate_limit_per_canvas,
            auth_failures_per_minute: args.auth_failures_per_minute,
        },
        total_memory_bytes: args.max_total_memory.map_or_else(MemoryPool::default_limit, |mib| mib << 20),
        budgets: BudgetLimits {
            runs_per_canvas: args.max_runs_per_canvas,
            outbound_per_canvas: args.max_outbound_per_canvas,
            queued_events_per_canvas: args.max_queued_events,
            events_per_request: args.max_events_per_request,
            ..BudgetLimits::default()
        },
        ..Config::default()
    };
    let state = AppState::open(store, config).await?;
    for folder in &args.load {
        let name = args.canvas.clone().unwrap_or_else(|| canvas_name_of(folder));
        let canvas = state.ensure_canvas(&name).await?;
        if canvas.code().sources().next().is_some() {
            // Edits made since the last start stay; `gloam push` replaces them on purpose.
            tracing::warn!(
                canvas = %name,
                folder = %folder.display(),
                "the canvas already has code in the store; not loading the folder over it (use `gloam push` to replace it)"
            );
            continue;
        }
        let files = read_canvas_files(folder)?;
        match changes::push(&state, &canvas, files).await {
            Ok(pushed) => tracing::info!(
                canvas = %name,
                folder = %folder.display(),
                created = pushed.created.len(),
                updated = pushed.updated.len(),
                deleted = pushed.deleted.len(),
                unchanged = pushed.unchanged,
                "loaded a folder into a canvas"
            ),
            Err(changes::ChangeError::Rejected { message, diagnostics }) => {
                for diagnostic in &diagnostics {
                    eprintln!("{}", diagnostic.rendered);
                }
                bail!("{}: {message}", folder.display());
            }
            Err(error) => return Err(error.into()),
        }
    }
    if state.canvas_names().is_empty() {
        state.ensure_canvas("main").await?;
    }
    let connection_limits = server::listen::ConnectionLimits {
        header_timeout: std::time::Duration::from_secs(args.header_timeout),
        max_connections: args.max_connections,
        max_connections_per_client: args.max_connections_per_client,
        shutdown_grace: std::time::Duration::from_secs(args.shutdown_grace),
    };
    println!(
        "Gloam is serving on http://{address} (store: {}, handlers run {})",
        gloam_trace_store::redact_url(&args.store),
        state.engine.name()
    );
    for name in state.canvas_names() {
        let Some(canvas) = state.canvas(&name) else { continue };
        println!("  canvas `{name}`: http://{name}.localhost:{}/  or  http://{address}/@{name}/", address.port());
        println!("    open the canvas: {}", server::ui::address(&format!("http://{address}"), &name, &canvas.token));
        println!(
            "    editor API: http://{address}/_gloam/api/canvases/{name}  (Authorization: Bearer {})",
            canvas.token
        );
        println!(
            "    for the CLI: export GLOAM_SERVER=http://{address} GLOAM_CANVAS={name} GLOAM_TOKEN={}",
            canvas.token
        );
    }
    let writer = state.writer.clone();
    tokio::spawn(app::jobs::cron_scheduler(state.clone()));
    let stopper = state.clone();
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!(grace_seconds = args.shutdown_grace, "Gloam is stopping: finishing requests in flight");
        stopper.stop();
    });
    server::listen::serve(listener, server::app(state.clone()), state, connection_limits).await;
    writer.flush().await;
    tracing::info!("Gloam stopped; every trace was written");
    Ok(ExitCode::SUCCESS)
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(signal) => signal,
            Err(_) => return interrupt.await.unwrap_or_default(),
        };
        tokio::select! {
            _ = interrupt => {},
            _ = terminate.recv() => {},
        }
    }
    #[cfg(not(unix))]
    interrupt.await.unwrap_or_default();
}
