//! Runs that no request starts: workers and crons. Each is traced like a
//! request, so it can be listed, replayed and analysed:
//!
//! - each event a run emits with `Queue.emit` is delivered, once that run is
//!   recorded, to its own run of the worker: key `WORKER name`, the event (in
//!   the stored value encoding) as the request body;
//! - every minute (UTC) the crons whose schedule is due run: key `CRON name`.

use super::running::{Delivery, Origin, Outcome, record, run_live};
use super::state::{AppState, CanvasRuntime};
use crate::budget::Lineage;
use crate::effects::clock::now_ms;
use crate::engine::Task;
use crate::redact::SecretValues;
use crate::telemetry;
use gloam_interpreter::HttpResponse;
use gloam_interpreter::wire;
use gloam_language::ast::ItemKind;
use gloam_language::schedule::{CivilMinute, Schedule};
use gloam_trace_store::{TraceKey, TraceRequest};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tracing::Instrument;

/// The request method of a worker run's trace.
pub const WORKER_METHOD: &str = "WORKER";

/// The request method of a cron run's trace.
pub const CRON_METHOD: &str = "CRON";

/// Workers emitting to workers stop after this many steps (a cycle, usually).
const MAX_CHAIN: u32 = 16;

/// The task of a background trace (a worker on its event, a cron); `None`
/// for request traces.
pub fn task_of_trace(key: &str, request: &TraceRequest) -> Option<Result<Task, String>> {
    match key.parse().ok()? {
        TraceKey::Cron(cron) => Some(Ok(Task::Cron { cron })),
        TraceKey::Worker(worker) => {
            let event = wire::decode_text(request.body.as_bytes());
            Some(event.map(|event| Task::Worker { worker, event }))
        }
        TraceKey::Handler { .. } | TraceKey::NotFound { .. } => None,
    }
}

/// A worker run's request, as its trace keeps it: the event (in the stored
/// value encoding) as the body.
fn worker_request(worker: &str, event: &gloam_interpreter::Value) -> TraceRequest {
    let body = wire::encode_text(event).unwrap_or_default();
    TraceRequest { method: WORKER_METHOD.to_string(), path: format!("/{worker}"), body, ..TraceRequest::default() }
}

/// A cron run's request, as its trace keeps it.
fn cron_request(cron: &str) -> TraceRequest {
    TraceRequest { method: CRON_METHOD.to_string(), path: format!("/{cron}"), ..TraceRequest::default() }
}

fn failed(message: &str) -> HttpResponse {
    HttpResponse { status: 500, headers: Vec::new(), body: message.to_string() }
}

/// Delivers a recorded run's events, each to its own worker run. `lineage`
/// is the runs that led to the run that emitted them.
pub(crate) fn deliver(state: &AppState, canvas: &Arc<CanvasRuntime>, delivery: Delivery, lineage: &Lineage) {
    for crate::effects::Emitted { worker, event, place } in delivery.events {
        let request = worker_request(&worker, &event);
        let task = Task::Worker { worker, event };
        let trace_id = uuid::Uuid::now_v7();
        let span = telemetry::job_span(&canvas.name, &task.trace_key(), trace_id);
        let run =
            run(state.clone(), canvas.clone(), task, request, trace_id, lineage.child(), delivery.secrets.clone())
                .instrument(span);
        tokio::spawn(async move {
            run.await;
            drop(place); // the event has left the queue
        });
    }
}

/// Runs a worker or a cron and records the run; `request` is the run as its
/// trace keeps it.
async fn run(
    state: AppState,
    canvas: Arc<CanvasRuntime>,
    task: Task,
    request: TraceRequest,
    trace_id: uuid::Uuid,
    lineage: Lineage,
    inherited: SecretValues,
) {
    let Some(_run) = canvas.budget.run_in_background().await else { return };
    let code = canvas.code();
    let origin = Origin {
        trace_id: trace_id.to_string(),
        key: task.trace_key(),
        code_version: code.version,
        received_at_ms: now_ms(),
        started: Instant::now(),
    };
    let mut outcome = if lineage.depth > MAX_CHAIN {
        let message = format!("not delivered: {MAX_CHAIN} workers in a row emitted to workers (a cycle?)");
        Outcome::without_effects(failed(&message), Some(message))
    } else {
        let budget = canvas.run_budget(lineage.clone(), None);
        run_live(&state, &canvas.name, code, task, budget).await.into_outcome(failed)
    };
    outcome.secrets.extend(&inherited);
    let delivery = record(&state, &canvas, origin, request, outcome);
    deliver(&state, &canvas, delivery, &lineage);
}

/// Runs a due cron unless another node (sharing the store) claimed this run.
async fn claim_and_run(state: AppState, canvas: Arc<CanvasRuntime>, cron: String, minute_ms: i64) {
    match state.store.claim_cron_run(&canvas.name, &cron, minute_ms).await {
        Ok(true) => {
            let request = cron_request(&cron);
            let (task, trace_id) = (Task::Cron { cron }, uuid::Uuid::now_v7());
            let span = telemetry::job_span(&canvas.name, &task.trace_key(), trace_id);
            run(state, canvas, task, request, trace_id, Lineage::default(), SecretValues::default())
                .instrument(span)
                .await
        }
        Ok(false) => {}
        Err(error) => tracing::error!(%cron, canvas = %canvas.name, %error, "cannot claim the run of a cron"),
    }
}

/// Starts every cron due at this minute, on this node or another; returns how many were due.
pub fn fire_due_crons(state: &AppState, minute_ms: i64) -> usize {
    let minute = CivilMinute::of_unix_ms(minute_ms);
    let mut started = 0;
    for name in state.canvas_names() {
        let Some(canvas) = state.canvas(&name) else { continue };
        let code = canvas.code();
        for item in &code.analysis.module.items {
            let ItemKind::Cron(decl) = &item.kind else { continue };
            // Live code type-checks, so its schedules parse.
            if Schedule::parse(&decl.schedule.text).is_ok_and(|schedule| schedule.matches(minute)) {
                tokio::spawn(claim_and_run(state.clone(), canvas.clone(), decl.name.text.clone(), minute_ms));
                started += 1;
            }
        }
    }
    started
}

/// Fires crons at the start of every minute, forever (`gloam serve` spawns it).
pub async fn cron_scheduler(state: AppState) {
    loop {
        let now = now_ms();
        let next_minute = (now / 60_000 + 1) * 60_000;
        tokio::time::sleep(Duration::from_millis(u64::try_from(next_minute - now).unwrap_or(0))).await;
        fire_due_crons(&state, next_minute);
    }
}
