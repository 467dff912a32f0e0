//! The execution engine behind production requests, workers, crons and
//! replays: compiled WebAssembly in the sandbox (the default), or the
//! reference interpreter (`--engine interpreter`, for debugging and
//! benchmarks). Live values always use the interpreter.

use crate::canvas::CanvasCode;
use crate::effects::AsyncEffects;
use crate::sandbox::{self, CompiledProgram, Sandbox, SandboxFailure, SandboxLimits};
use crate::telemetry;
use gloam_interpreter::request::{request_value, response_from_value};
use gloam_interpreter::{Effects, HttpRequest, HttpResponse, LiveValues, Options, Run, RuntimeError, Value};
use gloam_language::LineColumn;
use gloam_language::ast::{HandlerDecl, Span};
use gloam_language::{Entry, EntryKind, EntryPoint};
use gloam_trace_store::TraceKey;
use serde::Serialize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use tracing::Instrument;

/// Why a run produced no value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Failure {
    pub message: String,
    /// The toplevel and the span in its source where it stopped, when known.
    pub toplevel_id: Option<i64>,
    pub span: Option<Span>,
}

impl Failure {
    fn new(message: impl Into<String>) -> Failure {
        Failure { message: message.into(), toplevel_id: None, span: None }
    }

    /// A failure at a span of the canvas text.
    pub fn at(code: &CanvasCode, message: String, span: Option<Span>) -> Failure {
        let place = span.and_then(|span| code.locate(span));
        Failure { message, toplevel_id: place.map(|(id, _)| id), span: place.map(|(_, span)| span) }
    }

    /// The message with the place it happened: `… (at GET /x, line 3, column 5)`.
    pub fn describe(&self, code: &CanvasCode) -> String {
        let place = self.toplevel_id.and_then(|id| Some((code.source_of(id)?, code.item_of(id)?.name())));
        match (place, self.span) {
            (Some((source, name)), Some(span)) => {
                let at = LineColumn::of(&source.source, span.start as usize);
                format!("{} (in {name}, line {}, column {})", self.message, at.line, at.column)
            }
            _ => self.message.clone(),
        }
    }
}

/// What a run produced: a value (a handler's response value, a worker's `()`).
pub struct Execution {
    pub result: Result<Value, Failure>,
    /// Filled when asked for (the interpreter records them; production runs don't).
    pub live_values: LiveValues,
}

/// What to run: an entry point of the code with its input. Requests,
/// workers, crons, replays and live values all run a `Task`; both engines
/// find its [`Entry`] in the module and run that on [`Task::input`].
#[derive(Debug, Clone, PartialEq)]
pub enum Task {
    /// The handler with this key (`GET /todos/:id`) on a request.
    Handler { key: String, request: HttpRequest },
    /// A worker on one event (`Queue.emit`).
    Worker { worker: String, event: Value },
    /// A cron's body (its schedule is due).
    Cron { cron: String },
}

impl Task {
    /// The entry point the task runs.
    pub fn entry_point(&self) -> EntryPoint {
        match self {
            Task::Handler { key, .. } => EntryPoint::Handler { key: key.clone() },
            Task::Worker { worker, .. } => EntryPoint::Worker { name: worker.clone() },
            Task::Cron { cron } => EntryPoint::Cron { name: cron.clone() },
        }
    }

    /// The value the entry runs on: a handler's request as the program sees
    /// it (with the route's parameters), a worker's event; a cron has none.
    pub fn input(&self, entry: &Entry) -> Value {
        match (self, entry.kind) {
            (Task::Handler { request, .. }, EntryKind::Handler(decl)) => request_value(&decl.route.text, request),
            (Task::Worker { event, .. }, _) => event.clone(),
            _ => Value::Unit,
        }
    }

    /// `handler`, `worker` or `cron`.
    pub fn kind(&self) -> &'static str {
        match self {
            Task::Handler { .. } => "handler",
            Task::Worker { .. } => "worker",
            Task::Cron { .. } => "cron",
        }
    }

    /// The handler key, or the worker's or cron's name.
    pub fn key(&self) -> &str {
        match self {
            Task::Handler { key, .. } => key,
            Task::Worker { worker, .. } => worker,
            Task::Cron { cron } => cron,
        }
    }

    /// The key of its runs' traces: the handler's key, `WORKER name`, `CRON name`.
    pub fn trace_key(&self) -> String {
        match self {
            Task::Handler { key, .. } => key.clone(),
            Task::Worker { worker, .. } => TraceKey::Worker(worker.clone()).to_string(),
            Task::Cron { cron } => TraceKey::Cron(cron.clone()).to_string(),
        }
    }
}

/// The run's value as the response its trace holds: a handler's value as
/// the response it stands for; a worker's or cron's as 200 with no body.
pub fn response(
    point: &EntryPoint,
    code: &CanvasCode,
    result: Result<Value, Failure>,
) -> Result<HttpResponse, Failure> {
    match point {
        EntryPoint::Handler { key } => match code.handler(key) {
            Some(handler) => response_of(code, handler, result),
            None => Err(Failure::new(format!("there is no handler {key}"))),
        },
        EntryPoint::Worker { .. } | EntryPoint::Cron { .. } | EntryPoint::Function { .. } => result.map(|_| done()),
    }
}

/// A finished background run as a response, for traces and replays: 200, no body.
pub fn done() -> HttpResponse {
    HttpResponse { status: 200, headers: Vec::new(), body: String::new() }
}

/// A handler's value as the response it stands for; a value that is not an
/// `Http.Response` is a failure at the handler's body.
pub fn response_of(
    code: &CanvasCode,
    handler: &HandlerDecl,
    result: Result<Value, Failure>,
) -> Result<HttpResponse, Failure> {
    result.and_then(|value| {
        response_from_value(&value).map_err(|kind| Failure::at(code, kind.to_string(), Some(handler.body.span)))
    })
}

/// Code as the engine runs it: the analysed canvas and, made once by the
/// compiled engine, its compiled form. The code model (`canvas.rs`) knows
/// nothing of compiling; this is the engine's wrapper around it.
pub struct Prepared {
    code: CanvasCode,
    compiled: OnceLock<Result<Arc<CompiledProgram>, String>>,
    /// Set when a compile of this code has been started (it runs once).
    compile_started: AtomicBool,
}

impl From<CanvasCode> for Prepared {
    fn from(code: CanvasCode) -> Prepared {
        Prepared { code, compiled: OnceLock::new(), compile_started: AtomicBool::new(false) }
    }
}

impl std::ops::Deref for Prepared {
    type Target = CanvasCode;

    fn deref(&self) -> &CanvasCode {
        &self.code
    }
}

/// The engines' names in logs, spans and metrics.
const COMPILED: &str = "compiled";
const INTERPRETER: &str = "interpreter";

/// Which engine runs production code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum EngineKind {
    /// Handlers compiled to WebAssembly, run in wasmtime.
    #[default]
    Compiled,
    /// The reference interpreter.
    Interpreter,
}

/// The reference interpreter, synchronous: runs on a blocking thread.
#[derive(Debug, Clone, Copy)]
pub struct Interpreter {
    pub options: Options,
}

impl Interpreter {
    pub fn run(&self, code: &CanvasCode, task: &Task, effects: &mut dyn Effects) -> Execution {
        let program = code.program();
        let missing = |what: String| Execution { result: Err(Failure::new(what)), live_values: LiveValues::default() };
        let point = task.entry_point();
        let Some(entry) = code.analysis.module.entry(&point) else {
            return missing(format!("there is no {point}"));
        };
        let run: Run = program.run(entry, task.input(&entry), effects, self.options);
        let result = run.result.map_err(|error: RuntimeError| Failure::at(code, error.kind.to_string(), error.span));
        Execution { result, live_values: run.live_values }
    }
}

/// The engine of a server.
pub struct Engine {
    pub kind: EngineKind,
    interpreter: Interpreter,
    limits: SandboxLimits,
    sandbox: Option<Arc<Sandbox>>,
}

/// Effects both engines can use.
pub trait RunEffects: Effects + AsyncEffects + 'static {}
impl<E: Effects + AsyncEffects + 'static> RunEffects for E {}

impl Engine {
    /// Fails only when the compiled engine is asked for and wasmtime cannot be set up.
    pub fn new(kind: EngineKind, limits: SandboxLimits) -> Result<Engine, sandbox::SandboxError> {
        let sandbox = match kind {
            EngineKind::Compiled => Some(Sandbox::shared()?),
            EngineKind::Interpreter => None,
        };
        let max_memory_bytes = limits.memory_bytes.min(sandbox::MAX_MEMORY_BYTES);
        let options = Options { limits: limits.steps, record_live_values: false, max_memory_bytes };
        Ok(Engine { kind, interpreter: Interpreter { options }, limits, sandbox })
    }

    /// Shown in logs and metrics.
    pub fn name(&self) -> &'static str {
        match self.kind {
            EngineKind::Compiled => COMPILED,
            EngineKind::Interpreter => INTERPRETER,
        }
    }

    /// Compiles code on this thread (once; later calls do nothing): at
    /// startup and reloads, so the code serves compiled from the first request.
    /// Code with errors is not compiled: it never goes live.
    pub fn prepare(&self, code: &Prepared) {
        if let Some(sandbox) = &self.sandbox
            && !code.has_errors()
        {
            compile_once(sandbox, code);
        }
    }

    /// Starts compiling code on a blocking thread unless that has begun:
    /// called as a save goes live, so the save waits for the analysis only.
    /// Until the compile is done the interpreter runs the code — the same
    /// results (the differential tests hold the two engines to it), with the
    /// step and depth limits; the memory and wall-clock limits are the
    /// sandbox's. Needs a tokio runtime.
    pub fn compile_soon(&self, code: &Arc<Prepared>) {
        let Some(sandbox) = &self.sandbox else { return };
        if code.has_errors() || code.compiled.get().is_some() || code.compile_started.swap(true, Ordering::AcqRel) {
            return;
        }
        let (sandbox, code) = (Arc::clone(sandbox), Arc::clone(code));
        tokio::task::spawn_blocking(move || {
            compile_once(&sandbox, &code);
        });
    }

    /// Whether the compiled engine is still compiling this code (its
    /// requests run on the interpreter meanwhile).
    pub fn is_compiling(&self, code: &Prepared) -> bool {
        self.sandbox.is_some() && !code.has_errors() && code.compiled.get().is_none()
    }

    /// Runs a task. The effects come back with what they recorded; `Err` only
    /// when the run crashed (a bug), taking the effects with it.
    pub async fn run<E: RunEffects + Send>(
        &self,
        code: Arc<Prepared>,
        task: Task,
        effects: E,
    ) -> Result<(Execution, E), String> {
        let span = telemetry::run_span(task.kind(), task.key());
        let started = std::time::Instant::now();
        let (engine, ran) = self.run_on_an_engine(code, task, effects).instrument(span.clone()).await;
        let failure = match &ran {
            Ok((execution, _)) => execution.result.as_ref().err().map(|failure| failure.message.as_str()),
            Err(crash) => Some(crash.as_str()),
        };
        telemetry::record_run(&span, engine, failure, started.elapsed());
        ran
    }

    /// Runs a task on the compiled engine when it can, else on the
    /// interpreter; says which one ran it.
    async fn run_on_an_engine<E: RunEffects + Send>(
        &self,
        code: Arc<Prepared>,
        task: Task,
        effects: E,
    ) -> (&'static str, Result<(Execution, E), String>) {
        // Code with errors never goes live; a replay of it runs on the interpreter,
        // as a saved version does while `compile_soon` compiles it. Other code
        // not compiled yet (a replay of an old version) is compiled first.
        if let Some(sandbox) = &self.sandbox
            && !code.has_errors()
        {
            let program = match code.compiled.get() {
                Some(compiled) => compiled.as_ref().ok().cloned(),
                None if code.compile_started.load(Ordering::Acquire) => None,
                None => {
                    let (sandbox, code) = (Arc::clone(sandbox), Arc::clone(&code));
                    tokio::task::spawn_blocking(move || compile_once(&sandbox, &code).as_ref().ok().cloned())
                        .await
                        .ok()
                        .flatten()
                }
            };
            if let Some(program) = program {
                return (COMPILED, Ok(self.run_compiled(sandbox, &code, &program, task, effects).await));
            }
        }
        // The interpreter cannot say how its memory grows: it takes a whole
        // run's cap from the server's pool for as long as it runs.
        let reservation = match &self.limits.pool {
            Some(pool) => match pool.reserve(self.limits.memory_bytes) {
                Some(reservation) => Some(reservation),
                None => return (INTERPRETER, Ok((failed(pool.exhausted()), effects))),
            },
            None => None,
        };
        let interpreter = self.interpreter;
        // Effect spans are children of the run's, on the blocking thread too.
        let span = tracing::Span::current();
        let ran = tokio::task::spawn_blocking(move || {
            let _in_run = span.enter();
            let mut effects = effects;
            let execution = interpreter.run(&code, &task, &mut effects);
            drop(reservation);
            (execution, effects)
        })
        .await
        .map_err(|error| format!("the run crashed (a bug in Gloam): {error}"));
        (INTERPRETER, ran)
    }

    async fn run_compiled<E: RunEffects>(
        &self,
        sandbox: &Sandbox,
        code: &CanvasCode,
        program: &CompiledProgram,
        task: Task,
        effects: E,
    ) -> (Execution, E) {
        let point = task.entry_point();
        let Some(entry) = code.analysis.module.entry(&point) else {
            return (failed(format!("there is no {point}")), effects);
        };
        let input = task.input(&entry);
        let (result, effects) = sandbox.run(program, entry, input, effects, self.limits.clone()).await;
        let result = result.map_err(|SandboxFailure { message, site }| {
            let span = site.and_then(|site| code.expression_spans().get(&site).copied());
            Failure::at(code, message, span)
        });
        (Execution { result, live_values: LiveValues::default() }, effects)
    }
}

/// Compiles code once; later calls wait for or return the first result.
fn compile_once<'c>(sandbox: &Sandbox, code: &'c Prepared) -> &'c Result<Arc<CompiledProgram>, String> {
    code.compiled.get_or_init(|| {
        let analysis = &code.analysis;
        // A panic is a failed compile too: the code is then never left "compiling".
        let compiled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            sandbox.compile(&analysis.module, &analysis.checked).map_err(|error| error.to_string())
        }))
        .unwrap_or_else(|_| Err("the compiler panicked".into()));
        compiled.map(Arc::new).map_err(|error| {
            // A bug: checked code always compiles. The interpreter serves it meanwhile.
            tracing::error!(version = code.version, %error, "code did not compile; the interpreter runs it");
            error
        })
    })
}

fn failed(message: String) -> Execution {
    Execution { result: Err(Failure::new(message)), live_values: LiveValues::default() }
}
