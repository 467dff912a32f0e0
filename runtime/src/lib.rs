//! The Gloam runtime: the application layer (`app`: running, recording,
//! jobs, code changes, replays), its HTTP edge (`server`: user traffic,
//! editor API), the effects it performs for handlers, the execution engine
//! behind one interface, and the `gloam` command line. The only crate that knows axum, and (with the WASM
//! engine) wasmtime; `anyhow` is used only in `cli`.

pub mod app;
pub mod budget;
pub mod canvas;
pub mod cli;
mod client;
pub mod effects;
pub mod engine;
pub mod outbound;
pub mod redact;
pub mod sandbox;
pub mod server;
pub mod telemetry;
