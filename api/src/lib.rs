//! The wire types of the editor API (`docs/api.md`): every body the server
//! sends or takes, the error body, and [`TraceKey`], the text form of the key
//! traces are stored under.
//!
//! The server, the CLI and the canvas UI (built for wasm32) all use these
//! types, so they cannot drift apart. Plain data with serde only: no I/O, no
//! server types. Types that hold a diagnostic or a failure take it as a type
//! parameter defaulting to the wire form ([`Diagnostic`], [`Failure`]), so
//! the server serialises its own richer values into the same JSON.

mod editor;
mod error;
mod records;
mod trace_key;

pub use editor::*;
pub use error::{ErrorBody, ErrorCode};
pub use records::*;
pub use trace_key::{ParseTraceKeyError, TraceKey};
