//! The application layer: what the server does, apart from how HTTP reaches
//! it. `server/` translates HTTP to calls here and errors to responses; the
//! CLI and the tests call here directly.
//!
//! ```text
//! state.rs    AppState (store, writer, engine, canvases), Config, CanvasRuntime, events
//! traffic.rs  a user request: route, run, record                       (uses running, jobs)
//! running.rs  run a task with live effects; record a run as a trace
//! jobs.rs     workers (events delivered after their run is recorded), crons (uses running)
//! changes.rs  save, delete, rollback, push — ChangeError
//! replay.rs   replay a trace, live values                          (uses running, jobs, views)
//! views.rs    what the editor reads: summary, toplevels with drafts checked,
//!             a trace as shown, curl — ReadError                    (uses changes)
//! capture.rs  what a trace keeps of a request and response
//! rate.rs     request rate limits, failed sign-ins
//! ```
//!
//! **Invariant:** nothing here imports axum or `crate::server`; the modules
//! depend on each other only downwards in the list above
//! (`runtime/tests/layers.rs` checks both).

pub mod capture;
pub mod changes;
pub mod jobs;
pub mod rate;
pub mod replay;
pub mod running;
pub mod state;
pub mod traffic;
pub mod views;

pub use state::{AppState, CanvasRuntime, Config, Event, Metrics, OpenError};
