//! The HTTP edge: one port for user traffic and, under the reserved prefix
//! `/_gloam`, the editor API, health and metrics. Handlers here translate
//! HTTP to calls into `crate::app` and its errors to responses (`error.rs`);
//! `listen.rs` is the connection edge `gloam serve` runs.
//!
//! ```text
//! /_gloam/api/canvases/{canvas}/…  editor API (token per canvas)   api.rs
//! /_gloam/canvas/{canvas}, /_gloam/ui/…  the canvas UI (browser IDE)  ui.rs
//! /_gloam/health, /_gloam/metrics  for operators
//! everything else                  user traffic, traced            traffic.rs
//! ```

pub mod api;
pub mod error;
pub mod listen;
pub mod traffic;
pub mod ui;

use crate::app::AppState;
use crate::telemetry::metrics;
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use std::sync::atomic::Ordering;

/// Paths under this prefix never reach user handlers.
pub const RESERVED_PREFIX: &str = "/_gloam";

/// The whole server as a router.
pub fn app(state: AppState) -> Router {
    Router::new()
        .nest("/_gloam/api/canvases/{canvas}", api::routes())
        .route("/_gloam/health", get(|| async { "ok\n" }))
        .route("/_gloam/metrics", get(metrics))
        .merge(ui::routes())
        .route("/_gloam", get(reserved))
        .route("/_gloam/{*rest}", get(reserved).post(reserved).put(reserved).delete(reserved))
        .fallback(traffic::serve)
        .with_state(state)
}

async fn reserved() -> impl IntoResponse {
    let message = format!("{RESERVED_PREFIX} is reserved for Gloam's editor API; see docs/api.md\n");
    (axum::http::StatusCode::NOT_FOUND, message)
}

/// Prometheus text format: counters per canvas, the server's counters and
/// gauges, the latency histograms.
async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let mut text = String::new();
    let per_canvas = [
        ("gloam_requests_total", "Requests of user traffic.", &state.metrics.requests),
        ("gloam_not_found_total", "Requests no handler served.", &state.metrics.not_found),
        ("gloam_handler_errors_total", "Handlers that failed (500).", &state.metrics.handler_errors),
        (
            "gloam_rejected_requests_total",
            "Requests refused (rate limited, body too large or not UTF-8, canvas busy).",
            &state.metrics.rejected,
        ),
    ];
    for (name, help, counter) in per_canvas {
        counter.write(&mut text, name, help);
    }
    let writer = state.writer.stats();
    let rows = [
        (
            "gloam_refused_connections_total",
            "counter",
            "Connections answered 503 because a connection cap was reached.",
            state.metrics.refused_connections.load(Ordering::Relaxed),
        ),
        ("gloam_traces_written_total", "counter", "Traces stored.", writer.written),
        ("gloam_traces_dropped_total", "counter", "Traces dropped because the write queue was full.", writer.dropped),
        ("gloam_trace_write_failures_total", "counter", "Batches of traces the store refused.", writer.failed_batches),
        ("gloam_traces_lost_total", "counter", "Traces in the batches the store refused.", writer.failed_traces),
        ("gloam_trace_queue_length", "gauge", "Traces waiting to be written.", writer.queued),
        (
            "gloam_traces_over_budget_total",
            "counter",
            "Traces deleted to keep a canvas within its trace byte budget.",
            writer.over_budget,
        ),
        (
            "gloam_not_found_keys_collapsed_total",
            "counter",
            "404 keys dropped from a 404 list past its cap (their requests kept as counts).",
            writer.collapsed_not_found_keys,
        ),
    ];
    for (name, kind, help, value) in rows {
        metrics::header(&mut text, name, kind, help);
        text += &format!("{name} {value}\n");
    }
    metrics::histograms().write(&mut text);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text)
}
