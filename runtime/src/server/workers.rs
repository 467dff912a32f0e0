//! Workers: each event a run emits with `Queue.emit` is delivered once that
//! run is recorded, to its own run of the worker, traced like a request under
//! the key `WORKER name`, with the event (in the stored value encoding) as the
//! request body, so worker runs can be replayed and analysed too.

use super::state::{AppState, CanvasRuntime};
use super::traffic::{Origin, Outcome, record, run_live};
use crate::wire;
use gloam_interpreter::{HttpResponse, Value};
use gloam_trace_store::{TraceRequest, now_ms};
use std::sync::Arc;
use std::time::Instant;

/// The request method of a worker run's trace.
pub const WORKER_METHOD: &str = "WORKER";

/// Workers emitting to workers stop after this many steps (a cycle, usually).
const MAX_CHAIN: u32 = 16;

/// The trace key of a worker's runs.
pub fn worker_key(worker: &str) -> String {
    format!("{WORKER_METHOD} {worker}")
}

/// The worker and event of a worker run's trace; `None` for request traces.
pub fn worker_event(key: &str, request: &TraceRequest) -> Option<Result<(String, Value), String>> {
    let worker = key.strip_prefix(WORKER_METHOD)?.strip_prefix(' ')?;
    let event = serde_json::from_str(&request.body)
        .map_err(|error| format!("the stored event is not JSON: {error}"))
        .and_then(|json| wire::decode(&json));
    Some(event.map(|event| (worker.to_string(), event)))
}

/// A worker run as a response, for traces and replays: 200 with no body.
pub fn done() -> HttpResponse {
    HttpResponse { status: 200, headers: Vec::new(), body: String::new() }
}

pub fn dispatch(state: &AppState, canvas: &Arc<CanvasRuntime>, events: Vec<(String, Value)>, chain: u32) {
    for (worker, event) in events {
        tokio::spawn(deliver(state.clone(), canvas.clone(), worker, event, chain + 1));
    }
}

async fn deliver(state: AppState, canvas: Arc<CanvasRuntime>, worker: String, event: Value, chain: u32) {
    let origin = Origin {
        trace_id: uuid::Uuid::new_v4().to_string(),
        key: worker_key(&worker),
        code_version: canvas.code().version,
        received_at_ms: now_ms(),
        started: Instant::now(),
    };
    let request = TraceRequest {
        method: WORKER_METHOD.to_string(),
        path: format!("/{worker}"),
        body: wire::encode(&event).map(|json| json.to_string()).unwrap_or_default(),
        ..TraceRequest::default()
    };
    let failed = |message: &str| HttpResponse { status: 500, headers: Vec::new(), body: message.to_string() };
    let outcome = if chain > MAX_CHAIN {
        let message = format!("not delivered: {MAX_CHAIN} workers in a row emitted to workers (a cycle?)");
        Outcome::without_effects(failed(&message), Some(message))
    } else {
        let code = canvas.code();
        let live = run_live(&state, &canvas.name, move |state, effects| {
            state.engine.run_worker(&code, &worker, event, effects).result.map_err(|failure| failure.describe(&code))
        })
        .await;
        live.into_outcome(|()| done(), failed)
    };
    record(&state, &canvas, origin, request, outcome, chain);
}
