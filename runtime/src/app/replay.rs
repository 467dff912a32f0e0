//! Running stored traces again: replay (against the current or an older code
//! version, effects from the trace or live) and live values (the interpreter
//! on code that may be a draft, effects from the trace, never a write or an
//! outbound call).

use super::jobs;
use super::running::http_request;
use super::state::{AppState, CanvasRuntime};
use super::views::{self, ReadError};
use crate::budget::{Lineage, RunBudget};
use crate::canvas::{CanvasCode, ToplevelDiagnostic, ToplevelSource};
use crate::effects::{HostEffects, Mode, TraceEffects, Unrecorded};
use crate::engine::{self, Failure, Interpreter, Prepared, RunEffects, Task};
use crate::redact::SecretValues;
use crate::telemetry;
use gloam_interpreter::{HttpResponse, MAX_VALUES_PER_EXPRESSION, Options};
use gloam_trace_store::{Trace, TraceResponse};
use std::sync::Arc;

/// Longest text of one live value sent to the editor.
const MAX_VALUE_TEXT: usize = 4096;

pub use gloam_api::{ExpressionValues, LiveValuesRequest, ReplayRequest, ReplayResult, ResponseDiff};

fn to_trace_response(response: &HttpResponse) -> TraceResponse {
    TraceResponse { status: response.status, headers: response.headers.clone(), body: response.body.clone() }
}

fn diff(recorded: &TraceResponse, replayed: &TraceResponse) -> ResponseDiff {
    let header_lines = |response: &TraceResponse| -> Vec<String> {
        let mut lines: Vec<String> =
            response.headers.iter().map(|(name, value)| format!("{}: {value}", name.to_lowercase())).collect();
        lines.sort();
        lines
    };
    let (old, new) = (header_lines(recorded), header_lines(replayed));
    let mut headers: Vec<String> =
        old.iter().filter(|line| !new.contains(line)).map(|line| format!("- {line}")).collect();
    headers.extend(new.iter().filter(|line| !old.contains(line)).map(|line| format!("+ {line}")));
    let body = if recorded.body == replayed.body {
        String::new()
    } else {
        similar::TextDiff::from_lines(&recorded.body, &replayed.body)
            .unified_diff()
            .header("recorded", "replayed")
            .to_string()
    };
    ResponseDiff {
        status: (recorded.status != replayed.status).then_some((recorded.status, replayed.status)),
        headers,
        body,
    }
}

/// A run the editor asked for: the canvas's budgets; its events are not delivered.
fn editor_budget(canvas: &CanvasRuntime) -> RunBudget {
    canvas.run_budget(Lineage::default(), None)
}

/// Runs a trace's request against code on the server's engine; `client`
/// asked for it (secrets the run reads are audited).
pub async fn replay(
    state: &AppState,
    canvas: &Arc<CanvasRuntime>,
    trace: Trace,
    options: ReplayRequest,
    client: Option<String>,
) -> Result<ReplayResult, ReadError> {
    let code = match options.version {
        Some(version) if version != canvas.code().version => {
            if state.code.version(&canvas.name, version).await?.is_none() {
                return Err(ReadError::NotFound(format!("no code version {version} in canvas `{}`", canvas.name)));
            }
            Arc::new(Prepared::from(state.code_at(&canvas.name, version).await?))
        }
        _ => canvas.code(),
    };
    let task = task_of_trace(&code, &trace);
    let (mut response, mut effects, mut logs, secrets) = if options.live_effects {
        let mut effects = HostEffects::new(&state.host, &canvas.name, Mode::Live, editor_budget(canvas));
        effects.audit_reads(client);
        let (response, effects) = run_task(state, &code, &task, effects).await;
        let effects = effects.map(|effects| (effects.recorded, effects.logs, effects.secrets)).unwrap_or_default();
        (response, effects.0, effects.1, effects.2)
    } else {
        let mut effects = TraceEffects::new(
            trace.effects.clone(),
            Unrecorded::Fail,
            &state.host,
            &canvas.name,
            editor_budget(canvas),
        );
        effects.host.audit_reads(client);
        let (response, effects) = run_task(state, &code, &task, effects).await;
        let effects =
            effects.map(|effects| (effects.host.recorded, effects.host.logs, effects.host.secrets)).unwrap_or_default();
        (response, effects.0, effects.1, effects.2)
    };
    // Secrets read again during the replay are never sent back.
    match &mut response {
        Ok(response) => {
            secrets.scrub_run(Some((&mut response.headers, &mut response.body)), &mut effects, &mut logs, None)
        }
        Err(failure) => secrets.scrub_run(None, &mut effects, &mut logs, Some(failure)),
    }
    let handler_key = task.ok().map(|task| task.trace_key());
    let replayed = response.as_ref().ok().map(to_trace_response);
    let diff = replayed.as_ref().map(|replayed| diff(&trace.response, replayed)).unwrap_or_default();
    Ok(ReplayResult {
        code_version: code.version,
        handler: handler_key,
        same: replayed.as_ref() == Some(&trace.response),
        recorded: trace.response,
        replayed,
        failure: response.err(),
        diff,
        effects,
        logs,
    })
}

/// Runs what a trace ran on the server's engine; the effects come back unless the run crashed.
async fn run_task<E: RunEffects + Send>(
    state: &AppState,
    code: &Arc<Prepared>,
    task: &Result<Task, String>,
    effects: E,
) -> (Result<HttpResponse, String>, Option<E>) {
    let task = match task {
        Ok(task) => task,
        Err(message) => return (Err(message.clone()), Some(effects)),
    };
    match state.engine.run(code.clone(), task.clone(), effects).await {
        Ok((execution, effects)) => {
            let response = engine::response(&task.entry_point(), code, execution.result);
            (response.map_err(|failure| failure.describe(code)), Some(effects))
        }
        Err(message) => (Err(message), None),
    }
}

pub type LiveValuesResult = gloam_api::LiveValuesResult<ToplevelDiagnostic, Failure>;

/// The answer when nothing ran: no trace, or nothing to run it with.
fn not_run(diagnostics: Vec<ToplevelDiagnostic>, failure: Option<Failure>) -> LiveValuesResult {
    LiveValuesResult {
        handler: None,
        response: None,
        failure,
        diagnostics,
        expressions: Vec::new(),
        max_values_per_expression: MAX_VALUES_PER_EXPRESSION,
    }
}

/// A value as Gloam text for the editor, secrets cut out before the text is
/// cut to length (so no part of one is left at the cut).
fn shown(value: &gloam_interpreter::Value, secrets: &SecretValues) -> String {
    let mut text = value.to_string();
    secrets.scrub(&mut text);
    if crate::canvas::cut_to(&mut text, MAX_VALUE_TEXT) > 0 {
        text.push('…');
    }
    text
}

/// What a trace ran, in `code`: the handler that serves its request there,
/// or the worker or cron of a background run.
fn task_of_trace(code: &CanvasCode, trace: &Trace) -> Result<Task, String> {
    if let Some(task) = jobs::task_of_trace(&trace.handler_key, &trace.request) {
        return task;
    }
    let request = &trace.request;
    let handler = code
        .route(&request.method, &request.path)
        .ok_or_else(|| format!("no handler for {} {} in this code (404)", request.method, request.path))?;
    Ok(Task::Handler { key: crate::canvas::handler_key(handler), request: http_request(request) })
}

/// The key of the handler to run a trace with, in code being edited: the
/// edited handler when the trace is one of its own (by its live key, or because
/// the edited route serves the request); otherwise the handler the trace was
/// recorded for, such as a handler calling an edited function.
fn trace_handler(
    live: &CanvasCode,
    edited: &CanvasCode,
    toplevel_id: Option<i64>,
    trace: &Trace,
) -> Result<String, String> {
    let handler_key = |code: &CanvasCode| {
        let item = code.item_of(toplevel_id?)?;
        matches!(item.kind, gloam_language::ast::ItemKind::Handler(_)).then(|| item.name())
    };
    let Some(edited_key) = handler_key(edited) else {
        return Ok(trace.handler_key.clone());
    };
    let routed = edited.route(&trace.request.method, &trace.request.path);
    let serves = routed.is_some_and(|handler| crate::canvas::handler_key(handler) == edited_key);
    if serves || handler_key(live).is_some_and(|live_key| live_key == trace.handler_key) {
        Ok(edited_key)
    } else {
        Err(format!("trace {} is a request to {}, not to {edited_key}", trace.id, trace.handler_key))
    }
}

/// The value of every expression of a handler run on a trace, for code that
/// may be a draft: whatever parses is analysed and run. `client` asked for
/// it (secrets the run reads are audited; a Secret shows as `<secret>`).
pub async fn live_values(
    state: &AppState,
    canvas: &Arc<CanvasRuntime>,
    request: LiveValuesRequest,
    client: Option<String>,
) -> Result<LiveValuesResult, ReadError> {
    let trace = match &request.trace_id {
        Some(id) => Some(views::trace(state, canvas, id).await?),
        None => None,
    };
    let current = canvas.code();
    let code = match request.source {
        // Without a toplevel id the text is a toplevel not created yet.
        Some(source) => {
            let id = request.toplevel_id.unwrap_or(super::changes::NEW_TOPLEVEL);
            let file =
                current.source_of(id).map_or_else(|| super::changes::DEFAULT_FILE.to_string(), |s| s.file.clone());
            Arc::new(Prepared::from(current.with_toplevel(id, Some(ToplevelSource { toplevel_id: id, source, file }))))
        }
        None => current.clone(),
    };
    let job_state = state.clone();
    let canvas_name = canvas.name.clone();
    let budget = editor_budget(canvas);
    let limits = state.config.limits;
    let parent = tracing::Span::current();
    tokio::task::spawn_blocking(move || {
        let _in_request = parent.enter();
        let diagnostics = code.diagnostics();
        let Some(trace) = trace else {
            return not_run(diagnostics, None);
        };
        let task = match jobs::task_of_trace(&trace.handler_key, &trace.request) {
            Some(task) => task,
            None => {
                trace_handler(&current, &code, request.toplevel_id, &trace).and_then(|key| match code.handler(&key) {
                    Some(_) => Ok(Task::Handler { key, request: http_request(&trace.request) }),
                    None => Err(format!("no handler {key} in this code")),
                })
            }
        };
        let task = match task {
            Ok(task) => task,
            Err(message) => {
                let failure = Failure { message, toplevel_id: None, span: None };
                return not_run(diagnostics, Some(failure));
            }
        };
        let mut effects =
            TraceEffects::new(trace.effects.clone(), Unrecorded::ReadOnly, &job_state.host, &canvas_name, budget);
        effects.host.audit_reads(client);
        let max_memory_bytes = job_state.config.max_memory_bytes.min(crate::sandbox::MAX_MEMORY_BYTES);
        let interpreter = Interpreter { options: Options { limits, record_live_values: true, max_memory_bytes } };
        // A run span like the engine's, so the effect spans below have a
        // parent (not counted among the server's runs: nothing is served).
        let span = telemetry::run_span(task.kind(), task.key());
        span.record("gloam.engine", "interpreter");
        let execution = span.in_scope(|| interpreter.run(&code, &task, &mut effects));
        let result = engine::response(&task.entry_point(), &code, execution.result);
        // Secrets read while analysing are shown as `<redacted>`, like in traces.
        let secrets = &effects.host.secrets;
        let spans = code.expression_spans();
        let expressions = execution
            .live_values
            .values
            .iter()
            .filter_map(|(id, values)| {
                let (toplevel_id, span) = code.locate(*spans.get(id)?)?;
                if request.toplevel_id.is_some_and(|wanted| wanted != toplevel_id) {
                    return None;
                }
                Some(ExpressionValues {
                    id: id.0,
                    toplevel_id,
                    start: span.start,
                    end: span.end,
                    values: values.iter().map(|value| shown(value, secrets)).collect(),
                    truncated: execution.live_values.truncated.contains(id),
                })
            })
            .collect();
        let mut response = result.as_ref().ok().map(to_trace_response);
        let mut failure = result.err();
        if let Some(response) = &mut response {
            secrets.scrub_run(Some((&mut response.headers, &mut response.body)), &mut [], &mut [], None);
        }
        if let Some(failure) = &mut failure {
            secrets.scrub(&mut failure.message);
        }
        LiveValuesResult {
            handler: Some(task.trace_key()),
            response,
            failure,
            diagnostics,
            expressions,
            max_values_per_expression: MAX_VALUES_PER_EXPRESSION,
        }
    })
    .await
    .map_err(|error| ReadError::Crashed(format!("live values crashed: {error}")))
}
