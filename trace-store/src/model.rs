//! The records the store keeps. Plain data: the runtime fills them in, the
//! store writes and reads them; neither side interprets the other's fields.
//! Those that go over the editor API as they are live in `gloam-api` and are
//! re-exported here.

use serde::{Deserialize, Serialize};

pub use gloam_api::{
    CodeVersion, LogLine, NotFound, NotFoundList, RecordedEffect, Toplevel, ToplevelKind, Trace, TraceKey, TraceLogs,
    TraceRequest, TraceResponse, TraceSummary, VersionState,
};

/// A canvas: a named set of code, traces and datastores with its own API token.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Canvas {
    pub name: String,
    /// Editor API token (random, 32 hex characters or more).
    pub token: String,
    pub created_at_ms: i64,
}

/// Leaves the token out: debug output ends up in logs.
impl std::fmt::Debug for Canvas {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Canvas")
            .field("name", &self.name)
            .field("created_at_ms", &self.created_at_ms)
            .finish_non_exhaustive()
    }
}

/// A version to append to a toplevel's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewVersion {
    /// `None` creates a new toplevel.
    pub toplevel_id: Option<i64>,
    pub source: String,
    pub state: VersionState,
    /// The toplevel's name as the language gives it (`GET /todos/:id`, `render`), when it parses.
    pub key: Option<String>,
    /// `handler`, `function`, `type`, `datastore`, `worker`, `cron`, when it parses.
    pub kind: Option<String>,
    /// The `.gloam` file the toplevel lives in for `gloam push`/`pull`.
    pub file: String,
    /// Diagnostics as the runtime renders them (JSON array), `[]` when clean.
    pub diagnostics: serde_json::Value,
}

/// How many traces to keep per handler key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retention {
    /// Keep at most this many, newest first.
    pub newest: u32,
    /// Drop traces older than this.
    pub max_age_ms: i64,
}

impl Default for Retention {
    fn default() -> Retention {
        Retention { newest: 100, max_age_ms: 7 * 24 * 60 * 60 * 1000 }
    }
}

/// Bytes of stored traces a canvas may hold by default: past it, its oldest
/// traces are deleted, whatever their handler key.
pub const DEFAULT_CANVAS_TRACE_BYTES: u64 = 1024 * 1024 * 1024;

/// Distinct 404 keys a canvas keeps by default: older keys lose their traces
/// and are collapsed into counts (see [`NotFoundList`]).
pub const DEFAULT_NOT_FOUND_KEYS: u32 = 1000;

/// What a canvas's traces may take as a whole, beside [`Retention`] per key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceBudget {
    /// Bytes of stored traces (bodies, headers, effects, logs…) per canvas.
    pub canvas_bytes: u64,
    /// Distinct 404 keys kept per canvas.
    pub not_found_keys: u32,
}

impl Default for TraceBudget {
    fn default() -> TraceBudget {
        TraceBudget { canvas_bytes: DEFAULT_CANVAS_TRACE_BYTES, not_found_keys: DEFAULT_NOT_FOUND_KEYS }
    }
}

/// What a write of traces deleted to stay within its limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct WriteOutcome {
    /// Traces deleted by retention (per key: age, newest).
    pub retained: u64,
    /// Traces deleted because their canvas went over its byte budget.
    pub over_budget: u64,
    /// 404 keys dropped from the list (their traces deleted, their counts collapsed).
    pub collapsed_keys: u64,
}
