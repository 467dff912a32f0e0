//! User traffic: a request the HTTP edge has read is routed to a handler,
//! run and stored as a trace — including requests no handler serves (they
//! are the canvas's 404 list), requests refused before they ran (rate
//! limits, bodies over the limit), and handlers that fail.

use super::capture;
use super::jobs;
use super::rate::Limited;
use super::running::{Origin, Outcome, plain, record, run_live};
use super::state::{AppState, CanvasRuntime};
use crate::budget::Lineage;
use crate::effects::clock::now_ms;
use crate::engine::Task;
use crate::telemetry;
use gloam_interpreter::HttpResponse;
use gloam_trace_store::{TraceKey, TraceRequest};
use std::sync::Arc;
use std::time::Instant;
use tokio_util::sync::CancellationToken;

/// What the edge made of a request's body.
pub enum Body {
    /// The whole body, as text.
    Read(String),
    /// The request was over a rate limit: its body was not read.
    Limited(Limited),
    /// The body was refused (too large, too slow, not text): the status and why.
    Refused { status: u16, message: String },
}

/// When a request arrived, and the id its trace will have (its spans carry it already).
#[derive(Debug, Clone, Copy)]
pub struct Arrival {
    pub trace_id: uuid::Uuid,
    pub received_at_ms: i64,
    pub started: Instant,
}

impl Arrival {
    pub fn now(trace_id: uuid::Uuid) -> Arrival {
        Arrival { trace_id, received_at_ms: now_ms(), started: Instant::now() }
    }
}

/// A served request: the response and the trace that stores it (`None` with traces off).
pub struct Served {
    pub response: HttpResponse,
    pub trace_id: Option<String>,
}

/// Serves one request of user traffic on `canvas`. `request` has no body
/// yet: `body` says what became of it. `client_gone` is cancelled when the
/// client goes away (the run's outbound calls stop waiting after a grace period).
pub async fn serve(
    state: &AppState,
    canvas: &Arc<CanvasRuntime>,
    mut request: TraceRequest,
    body: Body,
    arrival: Arrival,
    client_gone: CancellationToken,
) -> Served {
    let code = canvas.code();
    let handler_key = code.route(&request.method, &request.path).map(crate::canvas::handler_key);
    let key = handler_key.clone().unwrap_or_else(|| {
        TraceKey::NotFound { method: request.method.clone(), path: capture::stored_path(&request.path) }.to_string()
    });
    let trace_id = arrival.trace_id.to_string();
    let routed = handler_key.is_some();
    // The runs this request causes, for the events-per-request budget.
    let lineage = Lineage::default();
    let outcome = match (body, handler_key) {
        (Body::Limited(limited), _) => {
            state.metrics.rejected.count(&canvas.name);
            let message = format!("rate limited: {}", limited.message);
            let mut response = plain(429, &message);
            response.headers.push(("retry-after".into(), limited.retry_after.as_secs().max(1).to_string()));
            Outcome::without_effects(response, Some(message))
        }
        (Body::Refused { status, message }, _) => {
            state.metrics.rejected.count(&canvas.name);
            request.body_truncated = true;
            Outcome::without_effects(plain(status, &message), Some(message))
        }
        (Body::Read(body), None) => {
            request.body = body;
            state.metrics.not_found.count(&canvas.name);
            let message = format!(
                "no handler for {} {} on canvas `{}`; it is in the canvas's 404 list, where a handler can be made from it",
                request.method, request.path, canvas.name
            );
            Outcome::without_effects(plain(404, &message), None)
        }
        (Body::Read(body), Some(handler_key)) => 'run: {
            request.body = body;
            let _run = match canvas.budget.run_for_request().await {
                Ok(permit) => permit,
                Err(refused) => {
                    state.metrics.rejected.count(&canvas.name);
                    let message = format!("canvas `{}` is busy: {refused}", canvas.name);
                    break 'run Outcome::without_effects(plain(503, &message), Some(message));
                }
            };
            let task = Task::Handler { key: handler_key, request: super::running::http_request(&request) };
            let budget = canvas.run_budget(lineage.clone(), Some(client_gone));
            let live = run_live(state, &canvas.name, code.clone(), task, budget).await;
            if live.result.is_err() {
                state.metrics.handler_errors.count(&canvas.name);
            }
            let what = format!("the handler for {} {}", request.method, request.path);
            live.into_outcome(|message| plain(500, &format!("{what} failed: {message}")))
        }
    };
    let response = outcome.response.clone();
    telemetry::record_response(&canvas.name, &key, routed, arrival.started.elapsed());
    let origin = Origin {
        trace_id: trace_id.clone(),
        key,
        code_version: code.version,
        received_at_ms: arrival.received_at_ms,
        started: arrival.started,
    };
    let delivery = record(state, canvas, origin, request, outcome);
    jobs::deliver(state, canvas, delivery, &lineage);
    Served { response, trace_id: state.config.record_traces.then_some(trace_id) }
}
