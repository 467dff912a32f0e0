//! Running code and recording it: every run the server makes for a request,
//! a worker or a cron goes through [`run_live`] (the engine with live,
//! recorded effects) and [`record`] (the run stored as a trace, editors
//! told). Replays and live values run through `replay.rs` instead: they
//! record nothing.

use super::capture;
use super::state::{AppState, CanvasRuntime, Event};
use crate::budget::RunBudget;
use crate::effects::{Emitted, HostEffects, Mode};
use crate::engine::{self, Prepared, Task};
use crate::redact::SecretValues;
use gloam_interpreter::{HttpRequest, HttpResponse};
use gloam_trace_store::{LogLine, RecordedEffect, Trace, TraceRequest, TraceResponse, TraceSummary};
use std::sync::Arc;
use std::time::Instant;
use tracing::Instrument;

/// What a trace is of: its id and key, the code that ran, when.
pub(crate) struct Origin {
    pub trace_id: String,
    pub key: String,
    pub code_version: i64,
    pub received_at_ms: i64,
    pub started: Instant,
}

/// The events a recorded run emitted, to be delivered to workers
/// (`jobs::deliver`) with the secret values the run read (its events may
/// carry them; the workers' traces must not keep them either).
#[must_use = "emitted events are lost unless delivered"]
pub(crate) struct Delivery {
    pub events: Vec<Emitted>,
    pub secrets: SecretValues,
}

/// Stores a finished run as a trace (off the request path) and tells
/// editors; answers the events it emitted, to be delivered.
pub(crate) fn record(
    state: &AppState,
    canvas: &Arc<CanvasRuntime>,
    origin: Origin,
    request: TraceRequest,
    outcome: Outcome,
) -> Delivery {
    let delivery = Delivery { events: outcome.emitted, secrets: outcome.secrets };
    if !state.config.record_traces {
        return delivery;
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
    state.config.redaction.apply(&mut trace, &delivery.secrets);
    let not_found = gloam_trace_store::TraceKey::is_not_found(&trace.handler_key);
    capture::cap_trace(&mut trace, not_found);
    canvas.publish(Event::Trace { trace: summary(&trace), not_found });
    state.writer.submit(trace);
    delivery
}

/// What a run with live effects produced.
pub(crate) struct Live {
    /// The response the run's value stands for, or why there is none.
    pub result: Result<HttpResponse, String>,
    pub effects: Vec<RecordedEffect>,
    pub logs: Vec<LogLine>,
    pub emitted: Vec<Emitted>,
    pub secrets: SecretValues,
}

impl Live {
    /// The response to send (the run's, or made by `failed` from the error)
    /// and what to store with it.
    pub(crate) fn into_outcome(self, failed: impl FnOnce(&str) -> HttpResponse) -> Outcome {
        let (response, error) = match self.result {
            Ok(response) => (response, None),
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

/// Runs a task on the engine with live, recorded effects; its value becomes
/// the response its trace holds (`engine::response`). A crashed run is a
/// failed run, not a crashed server.
pub(crate) async fn run_live(
    state: &AppState,
    canvas: &str,
    code: Arc<Prepared>,
    task: Task,
    budget: RunBudget,
) -> Live {
    let point = task.entry_point();
    let effects = HostEffects::new(&state.host, canvas, Mode::Live, budget);
    let (engine, run_code) = (state.engine.clone(), code.clone());
    // A task of its own, so a panic in a run is a failed run.
    // In the current span (the request's or job's), so the run's span is its child.
    let run = tokio::spawn(async move { engine.run(run_code, task, effects).await }.in_current_span());
    match run.await.unwrap_or_else(|error| Err(format!("the run crashed (a bug in Gloam): {error}"))) {
        Ok((execution, effects)) => Live {
            result: engine::response(&point, &code, execution.result).map_err(|failure| failure.describe(&code)),
            effects: effects.recorded,
            logs: effects.logs,
            emitted: effects.emitted,
            secrets: effects.secrets,
        },
        Err(message) => {
            tracing::error!(canvas, %message, "a run crashed");
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

/// One of Gloam's own plain-text answers (a refusal, a failure, a 404).
pub(crate) fn plain(status: u16, message: &str) -> HttpResponse {
    HttpResponse {
        status,
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
