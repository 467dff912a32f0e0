//! The records the store keeps. Plain data: the runtime fills them in, the
//! store writes and reads them; neither side interprets the other's fields.

use serde::{Deserialize, Serialize};

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

/// What a code version does to its toplevel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VersionState {
    /// Type-checked and serving.
    Live,
    /// Saved but not serving: it (or the canvas with it) does not type-check.
    Draft,
    /// The toplevel was deleted from the canvas.
    Deleted,
}

impl VersionState {
    pub fn as_str(self) -> &'static str {
        match self {
            VersionState::Live => "live",
            VersionState::Draft => "draft",
            VersionState::Deleted => "deleted",
        }
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

/// One stored version of one toplevel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CodeVersion {
    /// Unique across the store; within a canvas, ids grow in commit order
    /// (appends are serialised). A canvas's code at version `v` is, for each
    /// toplevel, its newest live or deleted version with id ≤ `v`.
    pub id: i64,
    pub toplevel_id: i64,
    pub source: String,
    pub state: VersionState,
    pub key: Option<String>,
    pub kind: Option<String>,
    pub file: String,
    pub diagnostics: serde_json::Value,
    pub created_at_ms: i64,
}

/// A toplevel as it stands: what serves, and any newer draft.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Toplevel {
    pub id: i64,
    /// The newest live version; `None` when it never went live.
    pub live: Option<CodeVersion>,
    /// The newest draft, when it is newer than `live`.
    pub draft: Option<CodeVersion>,
}

/// The request part of a trace.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TraceRequest {
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// The body is not stored: the request was refused for it (larger than
    /// the limit, or not UTF-8).
    pub body_truncated: bool,
}

/// The response part of a trace.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TraceResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// One effect call made while handling the request, with its result, in call order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedEffect {
    /// The expression id of the call.
    pub site: u32,
    /// `DB.get`, `Http.get`, …
    pub function: String,
    /// Arguments and result in the runtime's value encoding.
    pub arguments: Vec<serde_json::Value>,
    pub result: Result<serde_json::Value, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    pub level: String,
    pub message: String,
}

/// A stored request and everything that happened while serving it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trace {
    /// A UUID, also sent to the client as `x-gloam-trace-id`. Traces of the
    /// same millisecond are ordered by id, so ids should grow with time (v7).
    pub id: String,
    pub canvas: String,
    /// The handler's key (`GET /todos/:id`), or the 404 key of an unrouted
    /// request (see [`not_found_key`]).
    pub handler_key: String,
    pub received_at_ms: i64,
    /// The canvas code version that served it.
    pub code_version: i64,
    pub request: TraceRequest,
    pub response: TraceResponse,
    pub duration_us: i64,
    pub effects: Vec<RecordedEffect>,
    pub logs: Vec<LogLine>,
    pub error: Option<String>,
}

/// A trace without its bodies and effects, for lists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceSummary {
    pub id: String,
    pub handler_key: String,
    pub received_at_ms: i64,
    pub method: String,
    pub path: String,
    pub status: u16,
    pub duration_us: i64,
    pub error: Option<String>,
}

/// The log lines of one trace, for a canvas-wide log view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceLogs {
    pub trace_id: String,
    pub handler_key: String,
    pub received_at_ms: i64,
    pub logs: Vec<LogLine>,
}

/// An entry of the 404 list: unrouted requests grouped by method and path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotFound {
    pub key: String,
    pub method: String,
    pub path: String,
    pub count: i64,
    pub last_seen_ms: i64,
}

/// The 404 list of a canvas: the kept keys, most recently seen first, and
/// what was collapsed into counts when keys past the cap were dropped.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct NotFoundList {
    /// The newest keys (at most the writer's `not_found_keys` of them). A
    /// key's `count` is the requests seen under it, including those whose
    /// traces retention, the byte budget or a deletion has removed since.
    pub keys: Vec<NotFound>,
    /// Requests under keys dropped from the list, since the canvas began.
    pub collapsed_requests: i64,
    /// Keys dropped from the list, since the canvas began.
    pub collapsed_keys: i64,
}

/// The handler key under which an unrouted request is stored.
pub fn not_found_key(method: &str, path: &str) -> String {
    format!("404 {method} {path}")
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
