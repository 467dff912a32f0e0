//! User traffic: every request that is not for the editor API. Each one is
//! routed to a canvas and a handler, run, and stored as a trace — including
//! requests no handler serves (they are the canvas's 404 list), requests with
//! bodies over the limit, and handlers that fail.

use super::capture;
use super::state::{AppState, CanvasRuntime, Event};
use crate::budget::{Lineage, RunBudget};
use crate::canvas::CanvasCode;
use crate::effects::{Emitted, HostEffects, Mode};
use crate::engine::{Failure, Task, response_of};
use crate::redact::SecretValues;
use crate::telemetry;
use crate::telemetry::metrics::NO_CANVAS;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use gloam_interpreter::{HttpRequest, HttpResponse, Value};
use gloam_trace_store::{
    LogLine, RecordedEffect, Trace, TraceRequest, TraceResponse, TraceSummary, not_found_key, now_ms,
};
use std::sync::Arc;
use std::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

/// The response header naming the trace of a request.
pub const TRACE_HEADER: &str = "x-gloam-trace-id";

fn text_response(status: StatusCode, text: String) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response()
}

/// The client's address (unspecified when the router is driven in-process).
pub(crate) fn client_address(extensions: &axum::http::Extensions) -> std::net::IpAddr {
    extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map_or(std::net::IpAddr::from([0, 0, 0, 0]), |info| info.0.ip())
}

/// Whether a path is under the reserved prefix once decoded (`/%5fgloam/…`
/// is `/_gloam/…` to the router that matches handlers).
fn is_reserved(path: &str) -> bool {
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    let decoded = percent_encoding::percent_decode_str(first).decode_utf8_lossy();
    decoded == super::RESERVED_PREFIX.trim_start_matches('/')
}

/// The canvas a request is for, and the path within it: `NAME.localhost`
/// selects by host, `/@NAME/...` by path prefix, and a server with one canvas
/// serves it for any host.
fn select_canvas(state: &AppState, headers: &HeaderMap, path: &str) -> Result<(Arc<CanvasRuntime>, String), String> {
    let host = headers.get(header::HOST).and_then(|host| host.to_str().ok()).unwrap_or("");
    let host = host.rsplit_once(':').map_or(host, |(name, _port)| name);
    if let Some(name) = host.strip_suffix(".localhost") {
        return state.canvas(name).map(|canvas| (canvas, path.to_string())).ok_or_else(|| no_canvas(name));
    }
    if let Some(rest) = path.strip_prefix("/@") {
        let (name, inner) =
            rest.split_once('/').map_or((rest, "/".to_string()), |(name, inner)| (name, format!("/{inner}")));
        if is_reserved(&inner) {
            return Err(format!("{} is reserved for Gloam's editor API, also under /@{name}", super::RESERVED_PREFIX));
        }
        return state.canvas(name).map(|canvas| (canvas, inner)).ok_or_else(|| no_canvas(name));
    }
    match state.canvas_names().as_slice() {
        [only] => state.canvas(only).map(|canvas| (canvas, path.to_string())).ok_or_else(|| no_canvas(only)),
        names => Err(format!(
            "this server has {} canvases; choose one with the host NAME.localhost or the path prefix /@NAME",
            names.len()
        )),
    }
}

/// Names no canvas: the list of canvases is not for unauthenticated clients.
fn no_canvas(name: &str) -> String {
    format!("no canvas `{name}` on this server")
}

/// Why a request body was not read.
enum BodyError {
    TooLarge,
    TooSlow,
    Broken(String),
}

/// Reads a body up to `limit` bytes, all of it within `timeout` (a client
/// trickling a byte at a time cannot hold a run slot and a connection forever).
async fn read_body(body: Body, limit: usize, timeout: std::time::Duration) -> Result<Vec<u8>, BodyError> {
    let mut stream = body.into_data_stream();
    let mut bytes = Vec::new();
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let chunk = match tokio::time::timeout_at(deadline, stream.next()).await {
            Err(_elapsed) => return Err(BodyError::TooSlow),
            Ok(None) => return Ok(bytes),
            Ok(Some(chunk)) => {
                chunk.map_err(|error| BodyError::Broken(format!("cannot read the request body: {error}")))?
            }
        };
        if bytes.len() + chunk.len() > limit {
            return Err(BodyError::TooLarge);
        }
        bytes.extend_from_slice(&chunk);
    }
}

/// The request body as text, or the status and message refusing it.
async fn read_request_body(state: &AppState, body: Body) -> Result<String, (StatusCode, String)> {
    match read_body(body, state.config.max_body_bytes, state.config.body_timeout).await {
        Ok(bytes) => String::from_utf8(bytes).map_err(|_| {
            (StatusCode::BAD_REQUEST, "the request body is not UTF-8 text; Gloam handlers take text bodies".to_string())
        }),
        Err(BodyError::TooLarge) => Err((
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the request body is larger than the limit of {} bytes", state.config.max_body_bytes),
        )),
        Err(BodyError::TooSlow) => Err((
            StatusCode::REQUEST_TIMEOUT,
            format!("the request body did not arrive within {} seconds", state.config.body_timeout.as_secs()),
        )),
        Err(BodyError::Broken(message)) => Err((StatusCode::BAD_REQUEST, message)),
    }
}

/// Serves one request of user traffic.
pub async fn serve(State(state): State<AppState>, request: Request) -> Response {
    // Its own task: a client that goes away does not cut a run short (half
    // its effects done) or lose its trace. It is told, though: its run stops
    // waiting on outbound calls after a grace period.
    let client_gone = CancellationToken::new();
    let _tell_when_dropped = client_gone.clone().drop_guard();
    let trace_id = uuid::Uuid::now_v7();
    let span = telemetry::request_span(&request, trace_id);
    let served = tokio::spawn(serve_to_the_end(state, request, client_gone, trace_id).instrument(span.clone()));
    let response = served.await.unwrap_or_else(|error| {
        tracing::error!(%error, "a request crashed");
        text_response(StatusCode::INTERNAL_SERVER_ERROR, "Gloam: the request crashed (a bug in Gloam)\n".into())
    });
    telemetry::record_status(&span, response.status().as_u16());
    response
}

async fn serve_to_the_end(
    state: AppState,
    request: Request,
    client_gone: CancellationToken,
    trace_id: uuid::Uuid,
) -> Response {
    let started = Instant::now();
    let received_at_ms = now_ms();
    let (parts, body) = request.into_parts();
    let selected = select_canvas(&state, &parts.headers, parts.uri.path());
    state.metrics.requests.count(selected.as_ref().map_or(NO_CANVAS, |(canvas, _)| canvas.name.as_str()));
    let (canvas, path) = match selected {
        Ok(selected) => selected,
        Err(message) => return text_response(StatusCode::NOT_FOUND, format!("Gloam: {message}\n")),
    };
    if let Some(reason) = canvas.unavailable.load_full() {
        return text_response(StatusCode::SERVICE_UNAVAILABLE, format!("Gloam: canvas `{}`: {reason}\n", canvas.name));
    }
    if is_reserved(&path) {
        let message = format!("{} is reserved for Gloam's editor API; see docs/api.md\n", super::RESERVED_PREFIX);
        return text_response(StatusCode::NOT_FOUND, message);
    }
    let limited = state.rates.traffic(client_address(&parts.extensions), &canvas.name).err();
    let mut request = TraceRequest {
        method: parts.method.as_str().to_string(),
        // Kept percent-encoded: routes match its segments, then decode each parameter.
        path,
        query: gloam_interpreter::request::parse_query(parts.uri.query().unwrap_or("")),
        headers: parts
            .headers
            .iter()
            .map(|(name, value)| (name.as_str().to_string(), String::from_utf8_lossy(value.as_bytes()).into_owned()))
            .collect(),
        body: String::new(),
        body_truncated: false,
    };
    let code = canvas.code();
    let handler_key = code.route(&request.method, &request.path).map(crate::canvas::handler_key);
    let key =
        handler_key.clone().unwrap_or_else(|| not_found_key(&request.method, &capture::stored_path(&request.path)));
    let trace_id = trace_id.to_string();
    let routed = handler_key.is_some();
    // The runs this request causes, for the events-per-request budget.
    let lineage = Lineage::default();

    // A limited request's body is not read: it is not wanted.
    let body = if limited.is_some() { Ok(String::new()) } else { read_request_body(&state, body).await };
    let outcome = match (limited, body, handler_key) {
        (Some(limited), _, _) => {
            state.metrics.rejected.count(&canvas.name);
            let message = format!("rate limited: {}", limited.message);
            let mut response = plain(StatusCode::TOO_MANY_REQUESTS, &message);
            response.headers.push(("retry-after".into(), limited.retry_after.as_secs().max(1).to_string()));
            Outcome::without_effects(response, Some(message))
        }
        (None, Err((status, message)), _) => {
            state.metrics.rejected.count(&canvas.name);
            request.body_truncated = true;
            Outcome::without_effects(plain(status, &message), Some(message))
        }
        (None, Ok(body), None) => {
            request.body = body;
            state.metrics.not_found.count(&canvas.name);
            let message = format!(
                "no handler for {} {} on canvas `{}`; it is in the canvas's 404 list, where a handler can be made from it",
                request.method, request.path, canvas.name
            );
            Outcome::without_effects(plain(StatusCode::NOT_FOUND, &message), None)
        }
        (None, Ok(body), Some(handler_key)) => 'run: {
            request.body = body;
            let _run = match canvas.budget.run_for_request().await {
                Ok(permit) => permit,
                Err(refused) => {
                    state.metrics.rejected.count(&canvas.name);
                    let message = format!("canvas `{}` is busy: {refused}", canvas.name);
                    break 'run Outcome::without_effects(
                        plain(StatusCode::SERVICE_UNAVAILABLE, &message),
                        Some(message),
                    );
                }
            };
            let task = Task::Handler { key: handler_key.clone(), request: http_request(&request) };
            let budget = canvas.run_budget(lineage.clone(), Some(client_gone));
            let live = run_live(&state, &canvas.name, code.clone(), task, budget, |code, result| {
                let handler = code.handler(&handler_key).ok_or(format!("handler {handler_key} disappeared"))?;
                response_of(code, handler, result).map_err(|failure| failure.describe(code))
            })
            .await;
            if live.result.is_err() {
                state.metrics.handler_errors.count(&canvas.name);
            }
            let what = format!("the handler for {} {}", request.method, request.path);
            live.into_outcome(
                |response| response,
                |message| plain(StatusCode::INTERNAL_SERVER_ERROR, &format!("{what} failed: {message}")),
            )
        }
    };
    let response = outcome.response.clone();
    telemetry::record_response(&canvas.name, &key, routed, started.elapsed());
    let origin = Origin { trace_id: trace_id.clone(), key, code_version: code.version, received_at_ms, started };
    record(&state, &canvas, origin, request, outcome, &lineage);
    // With traces off there is no trace to name.
    into_response(response, state.config.record_traces.then_some(trace_id.as_str()))
}

/// What a trace is of: its id and key, the code that ran, when.
pub(crate) struct Origin {
    pub trace_id: String,
    pub key: String,
    pub code_version: i64,
    pub received_at_ms: i64,
    pub started: Instant,
}

/// Stores a finished run as a trace (off the request path), tells editors,
/// and delivers the events it emitted to workers. `lineage` is the runs that
/// led to this one.
pub(crate) fn record(
    state: &AppState,
    canvas: &Arc<CanvasRuntime>,
    origin: Origin,
    request: TraceRequest,
    outcome: Outcome,
    lineage: &Lineage,
) {
    if !state.config.record_traces {
        super::background::dispatch(state, canvas, outcome.emitted, lineage, &outcome.secrets);
        return;
    }
    let response = outcome.response;
    let mut trace = Trace {
        id: origin.trace_id,
        canvas: canvas.name.clone(),
        handler_key: origin.key,
        received_at_ms: origin.received_at_ms,
        code_version: origin.code_version,
        request,
        response: TraceResponse { status: response.status, headers: response.headers, body: response.body },
        duration_us: i64::try_from(origin.started.elapsed().as_micros()).unwrap_or(i64::MAX),
        effects: outcome.effects,
        logs: outcome.logs,
        error: outcome.error,
    };
    state.config.redaction.apply(&mut trace, &outcome.secrets);
    let not_found = trace.handler_key.starts_with("404 ");
    capture::cap_trace(&mut trace, not_found);
    canvas.publish(Event::Trace { trace: summary(&trace), not_found });
    state.writer.submit(trace);
    super::background::dispatch(state, canvas, outcome.emitted, lineage, &outcome.secrets);
}

/// What a run with live effects produced.
pub(crate) struct Live<T> {
    pub result: Result<T, String>,
    pub effects: Vec<RecordedEffect>,
    pub logs: Vec<LogLine>,
    pub emitted: Vec<Emitted>,
    pub secrets: SecretValues,
}

impl<T> Live<T> {
    /// The response to send (made by `ok`, or by `failed` from the error) and what to store with it.
    pub(crate) fn into_outcome(
        self,
        ok: impl FnOnce(T) -> HttpResponse,
        failed: impl FnOnce(&str) -> HttpResponse,
    ) -> Outcome {
        let (response, error) = match self.result {
            Ok(value) => (ok(value), None),
            Err(message) => (failed(&message), Some(message)),
        };
        Outcome {
            response,
            error,
            effects: self.effects,
            logs: self.logs,
            emitted: self.emitted,
            secrets: self.secrets,
        }
    }
}

/// Runs a task on the engine with live, recorded effects; `finish` turns its
/// value (or failure) into what the caller needs. A crashed run is a failed
/// run, not a crashed server.
pub(crate) async fn run_live<T>(
    state: &AppState,
    canvas: &str,
    code: Arc<CanvasCode>,
    task: Task,
    budget: RunBudget,
    finish: impl FnOnce(&CanvasCode, Result<Value, Failure>) -> Result<T, String>,
) -> Live<T> {
    let effects = HostEffects::new(&state.host, canvas, Mode::Live, budget);
    let (engine, run_code) = (state.engine.clone(), code.clone());
    // A task of its own, so a panic in a run is a failed run.
    // In the current span (the request's or job's), so the run's span is its child.
    let run = tokio::spawn(async move { engine.run(run_code, task, effects).await }.in_current_span());
    match run.await.unwrap_or_else(|error| Err(format!("the run crashed (a bug in Gloam): {error}"))) {
        Ok((execution, effects)) => Live {
            result: finish(&code, execution.result),
            effects: effects.recorded,
            logs: effects.logs,
            emitted: effects.emitted,
            secrets: effects.secrets,
        },
        Err(message) => {
            tracing::error!(%message, "a run crashed");
            Live {
                result: Err("the run crashed (a bug in Gloam; the server log has the details)".into()),
                effects: Vec::new(),
                logs: Vec::new(),
                emitted: Vec::new(),
                secrets: SecretValues::default(),
            }
        }
    }
}

/// A finished request (or worker run), to be stored as a trace.
pub(crate) struct Outcome {
    pub response: HttpResponse,
    pub error: Option<String>,
    pub effects: Vec<RecordedEffect>,
    pub logs: Vec<LogLine>,
    /// Events for workers, delivered once the run is recorded.
    pub emitted: Vec<Emitted>,
    pub secrets: SecretValues,
}

impl Outcome {
    pub(crate) fn without_effects(response: HttpResponse, error: Option<String>) -> Outcome {
        Outcome {
            response,
            error,
            effects: Vec::new(),
            logs: Vec::new(),
            emitted: Vec::new(),
            secrets: SecretValues::default(),
        }
    }
}

fn plain(status: StatusCode, message: &str) -> HttpResponse {
    HttpResponse {
        status: status.as_u16(),
        headers: vec![("content-type".into(), "text/plain; charset=utf-8".into())],
        body: format!("Gloam: {message}\n"),
    }
}

/// The request as the interpreter takes it.
pub fn http_request(request: &TraceRequest) -> HttpRequest {
    HttpRequest {
        method: request.method.clone(),
        path: request.path.clone(),
        query: request.query.clone(),
        headers: request.headers.clone(),
        body: request.body.clone(),
    }
}

pub fn summary(trace: &Trace) -> TraceSummary {
    TraceSummary {
        id: trace.id.clone(),
        handler_key: trace.handler_key.clone(),
        received_at_ms: trace.received_at_ms,
        method: trace.request.method.clone(),
        path: trace.request.path.clone(),
        status: trace.response.status,
        duration_us: trace.duration_us,
        error: trace.error.clone(),
    }
}

/// `response` came through `response_from_value` (which refuses headers HTTP
/// cannot carry) or is one of Gloam's own pages.
fn into_response(response: HttpResponse, trace_id: Option<&str>) -> Response {
    let headers: HeaderMap = response
        .headers
        .iter()
        .filter_map(|(name, value)| {
            Some((HeaderName::try_from(name.as_str()).ok()?, HeaderValue::try_from(value.as_str()).ok()?))
        })
        .collect();
    let status = StatusCode::from_u16(response.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    // A `Body`, not a `String`: a String would add `content-type: text/plain`
    // to responses that chose to have none (`Http.empty`, `Http.redirect`).
    let mut response = (status, headers, axum::body::Body::from(response.body)).into_response();
    if let Some(value) = trace_id.and_then(|id| HeaderValue::try_from(id).ok()) {
        response.headers_mut().insert(TRACE_HEADER, value);
    }
    response
}
