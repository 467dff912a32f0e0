//! The records the store keeps that go over the wire as they are: code
//! versions, traces and the 404 list. `gloam-trace-store` re-exports them.

use crate::TraceKey;
use serde::{Deserialize, Serialize};

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

impl std::fmt::Display for VersionState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a toplevel declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToplevelKind {
    Handler,
    Function,
    Type,
    Datastore,
    Worker,
    Cron,
}

impl ToplevelKind {
    pub const ALL: [ToplevelKind; 6] = [
        ToplevelKind::Handler,
        ToplevelKind::Function,
        ToplevelKind::Type,
        ToplevelKind::Datastore,
        ToplevelKind::Worker,
        ToplevelKind::Cron,
    ];

    /// The name the API and the store spell it with.
    pub fn as_str(self) -> &'static str {
        match self {
            ToplevelKind::Handler => "handler",
            ToplevelKind::Function => "function",
            ToplevelKind::Type => "type",
            ToplevelKind::Datastore => "datastore",
            ToplevelKind::Worker => "worker",
            ToplevelKind::Cron => "cron",
        }
    }

    /// The kind of that name.
    pub fn from_name(name: &str) -> Option<ToplevelKind> {
        ToplevelKind::ALL.into_iter().find(|kind| kind.as_str() == name)
    }

    /// How a list of toplevels of this kind is titled.
    pub fn heading(self) -> &'static str {
        match self {
            ToplevelKind::Handler => "Handlers",
            ToplevelKind::Function => "Functions",
            ToplevelKind::Type => "Types",
            ToplevelKind::Datastore => "Datastores",
            ToplevelKind::Worker => "Workers",
            ToplevelKind::Cron => "Crons",
        }
    }

    /// The key the traces of a toplevel of this kind with this key are
    /// stored under, for kinds that have traces.
    pub fn trace_key(self, key: &str) -> Option<TraceKey> {
        match self {
            ToplevelKind::Handler => key.parse().ok(),
            ToplevelKind::Worker => Some(TraceKey::Worker(key.to_string())),
            ToplevelKind::Cron => Some(TraceKey::Cron(key.to_string())),
            ToplevelKind::Function | ToplevelKind::Type | ToplevelKind::Datastore => None,
        }
    }
}

impl std::fmt::Display for ToplevelKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
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
    pub kind: Option<ToplevelKind>,
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
    /// request: a [`TraceKey`](crate::TraceKey) in its text form.
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
