//! The execution engine behind production requests. One interface, so the
//! compiled WebAssembly engine can take the interpreter's place; live values
//! always use the interpreter.

use crate::canvas::CanvasCode;
use gloam_interpreter::request::response_from_value;
use gloam_interpreter::{Effects, HttpRequest, HttpResponse, Limits, LiveValues, Options, Run, RuntimeError, Value};
use gloam_language::LineColumn;
use gloam_language::ast::{HandlerDecl, Span};
use serde::Serialize;

/// Why a handler produced no response.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Failure {
    pub message: String,
    /// The toplevel and the span in its source where it stopped, when known.
    pub toplevel_id: Option<i64>,
    pub span: Option<Span>,
}

impl Failure {
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

/// What a run produced: a handler's response, or a worker's `()`.
pub struct Execution<T = HttpResponse> {
    pub result: Result<T, Failure>,
    /// Filled when asked for (the interpreter records them; production runs don't).
    pub live_values: LiveValues,
}

pub trait Engine: Send + Sync {
    /// Shown in logs and metrics.
    fn name(&self) -> &'static str;

    fn run_handler(
        &self,
        code: &CanvasCode,
        handler: &HandlerDecl,
        request: &HttpRequest,
        effects: &mut dyn Effects,
    ) -> Execution;

    /// Runs a worker on one event (`Queue.emit`); a worker's value is ignored.
    fn run_worker(&self, code: &CanvasCode, worker: &str, event: Value, effects: &mut dyn Effects) -> Execution<()>;

    /// Runs a cron's body (its schedule is due); its value is ignored.
    fn run_cron(&self, code: &CanvasCode, cron: &str, effects: &mut dyn Effects) -> Execution<()>;
}

/// The reference interpreter as an engine.
pub struct Interpreter {
    pub limits: Limits,
    pub record_live_values: bool,
}

impl Interpreter {
    pub fn new(limits: Limits) -> Interpreter {
        Interpreter { limits, record_live_values: false }
    }
}

impl Interpreter {
    fn options(&self) -> Options {
        Options { limits: self.limits, record_live_values: self.record_live_values }
    }
}

/// A worker's or cron's run, whose value does not matter; `None` when the
/// code has no such declaration.
fn background(code: &CanvasCode, run: Option<Run>, missing: impl FnOnce() -> String) -> Execution<()> {
    match run {
        Some(run) => Execution {
            result: run.result.map(drop).map_err(|error| failure(code, error)),
            live_values: run.live_values,
        },
        None => Execution {
            result: Err(Failure { message: missing(), toplevel_id: None, span: None }),
            live_values: LiveValues::default(),
        },
    }
}

fn failure(code: &CanvasCode, error: RuntimeError) -> Failure {
    let place = error.span.and_then(|span| code.locate(span));
    Failure { message: error.kind.to_string(), toplevel_id: place.map(|(id, _)| id), span: place.map(|(_, span)| span) }
}

impl Engine for Interpreter {
    fn name(&self) -> &'static str {
        "interpreter"
    }

    fn run_handler(
        &self,
        code: &CanvasCode,
        handler: &HandlerDecl,
        request: &HttpRequest,
        effects: &mut dyn Effects,
    ) -> Execution {
        let run = code.program().run_handler(handler, request, effects, self.options());
        let response = run.result.map_err(|error| failure(code, error)).and_then(|value| {
            response_from_value(&value).map_err(|kind| failure(code, RuntimeError::new(kind).at(handler.body.span)))
        });
        Execution { result: response, live_values: run.live_values }
    }

    fn run_worker(&self, code: &CanvasCode, worker: &str, event: Value, effects: &mut dyn Effects) -> Execution<()> {
        let run = code.program().run_worker(worker, event, effects, self.options());
        background(code, run, || format!("there is no worker `{worker}`"))
    }

    fn run_cron(&self, code: &CanvasCode, cron: &str, effects: &mut dyn Effects) -> Execution<()> {
        let run = code.program().run_cron(cron, effects, self.options());
        background(code, run, || format!("there is no cron `{cron}`"))
    }
}
