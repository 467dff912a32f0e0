//! Request and answer bodies of the editor API (`docs/api.md`), in the order
//! the document lists its routes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::TraceKey;
use crate::records::{
    CodeVersion, LogLine, NotFound, RecordedEffect, ToplevelKind, Trace, TraceResponse, TraceSummary, VersionState,
};

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// A byte range in a toplevel's source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    /// The byte range, to index the source with.
    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// A 1-based line and 1-based byte column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineColumn {
    pub line: usize,
    pub column: usize,
}

/// A diagnostic of one toplevel as the server sends it (the server writes its
/// own `ToplevelDiagnostic`, which serialises to this).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    /// `0` for a toplevel not created yet.
    pub toplevel_id: i64,
    pub severity: Severity,
    /// Stable machine-readable kind, e.g. `type-mismatch`.
    pub code: String,
    pub message: String,
    pub span: Span,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub notes: Vec<String>,
    pub start: LineColumn,
    pub end: LineColumn,
    /// The diagnostic as text, with the source line and a caret.
    #[serde(default)]
    pub rendered: String,
}

/// Why a run produced no value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Failure {
    pub message: String,
    /// The toplevel and the span in its source where it stopped, when known.
    pub toplevel_id: Option<i64>,
    pub span: Option<Span>,
}

/// A toplevel as the editor shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToplevelView<D = Diagnostic> {
    pub id: i64,
    pub key: Option<String>,
    pub kind: Option<ToplevelKind>,
    pub file: String,
    pub live: Option<CodeVersion>,
    pub draft: Option<CodeVersion>,
    /// Of the draft when there is one, checked against the live code as it is now.
    pub diagnostics: Vec<D>,
}

impl<D> ToplevelView<D> {
    /// The newest text: the draft when there is one.
    pub fn source(&self) -> &str {
        self.draft.as_ref().or(self.live.as_ref()).map_or("", |version| version.source.as_str())
    }

    /// The key its traces are stored under, for kinds that have traces.
    pub fn trace_key(&self) -> Option<TraceKey> {
        self.kind?.trace_key(self.key.as_deref()?)
    }
}

/// `GET /canvases/NAME`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary<D = Diagnostic> {
    pub name: String,
    pub version: i64,
    /// `compiled` or `interpreter`: what runs handlers.
    pub engine: String,
    /// The live code is still being compiled; the interpreter runs it meanwhile.
    pub compiling: bool,
    pub toplevels: Vec<ToplevelView<D>>,
    pub not_found: Vec<NotFound>,
    /// Requests (and keys) past the 404 list's cap, kept only as counts.
    pub not_found_collapsed: Collapsed,
    pub datastores: Vec<String>,
}

/// What the 404 list dropped past its cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Collapsed {
    pub requests: i64,
    pub keys: i64,
}

/// `POST …/toplevels`, `PUT …/toplevels/ID`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceBody {
    pub source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
}

/// `POST …/toplevels/ID/rollback`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RollbackBody {
    pub version: i64,
}

/// What a save, a deletion or a rollback stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Saved<D = Diagnostic> {
    pub toplevel_id: i64,
    pub version: CodeVersion,
    /// `live` when it serves from now on, `draft` when it does not type-check.
    pub state: VersionState,
    /// Every diagnostic of the canvas with this change, in the toplevel it is about.
    pub diagnostics: Vec<D>,
}

/// `GET …/files` and `PUT …/files`: the canvas as `.gloam` files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Files {
    pub files: BTreeMap<String, String>,
}

/// What a push changed.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Pushed {
    pub created: Vec<String>,
    pub updated: Vec<String>,
    pub deleted: Vec<String>,
    pub unchanged: usize,
    pub version: i64,
}

/// `POST …/404s/handler`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FromNotFound {
    /// A key of the 404 list, `404 GET /path`.
    pub key: String,
}

/// `GET …/traces/ID`: the trace and its effects as Gloam source text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceView {
    #[serde(flatten)]
    pub trace: Trace,
    /// Effect arguments and results as Gloam source text, for reading.
    pub effects_shown: Vec<EffectShown>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EffectShown {
    pub function: String,
    pub arguments: Vec<String>,
    pub result: String,
}

/// `POST …/traces/ID/replay`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReplayRequest {
    /// A code version id; the current code when absent.
    pub version: Option<i64>,
    /// Perform effects for real instead of taking their results from the trace.
    pub live_effects: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReplayResult {
    pub code_version: i64,
    pub handler: Option<String>,
    pub recorded: TraceResponse,
    pub replayed: Option<TraceResponse>,
    pub failure: Option<String>,
    pub same: bool,
    pub diff: ResponseDiff,
    pub effects: Vec<RecordedEffect>,
    pub logs: Vec<LogLine>,
}

/// How a replayed response differs from the recorded one.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ResponseDiff {
    /// `[recorded, replayed]` when the status changed.
    pub status: Option<(u16, u16)>,
    /// Header lines only in the recorded (`-`) or the replayed (`+`) response.
    pub headers: Vec<String>,
    /// A unified diff of the bodies; empty when they are equal.
    pub body: String,
}

/// `POST …/live-values`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LiveValuesRequest {
    /// Without a trace nothing runs: the answer has only the diagnostics
    /// (what the editor shows while no trace is selected).
    pub trace_id: Option<String>,
    /// The toplevel being edited; its values are returned (all when absent).
    pub toplevel_id: Option<i64>,
    /// The toplevel's text as it is in the editor (a draft, maybe broken);
    /// its stored live source when absent.
    pub source: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpressionValues {
    pub id: u32,
    pub toplevel_id: i64,
    /// Byte offsets in the toplevel's source.
    pub start: u32,
    pub end: u32,
    /// Every value it took, in order (one per loop iteration or call).
    pub values: Vec<String>,
    /// It took more than the values kept.
    pub truncated: bool,
}

impl ExpressionValues {
    /// The byte range in the toplevel's source, to index it with.
    pub fn range(&self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveValuesResult<D = Diagnostic, F = Failure> {
    pub handler: Option<String>,
    pub response: Option<TraceResponse>,
    pub failure: Option<F>,
    pub diagnostics: Vec<D>,
    pub expressions: Vec<ExpressionValues>,
    pub max_values_per_expression: usize,
}

/// `GET …/datastores/NAME`: one row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub key: String,
    /// The value as Gloam source text.
    pub value: String,
    pub stored: serde_json::Value,
}

/// `PUT …/secrets/NAME`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretBody {
    pub value: String,
}

/// `GET`/`PUT …/outbound`: the hosts a canvas's outbound calls may reach
/// although they are private.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboundAllowed {
    /// This canvas's own list (`HOST` or `HOST:PORT`).
    pub allow: Vec<String>,
    /// The server's (`--allow-outbound`), for every canvas; read-only here.
    #[serde(default, skip_deserializing)]
    pub server: Vec<String>,
}

/// `GET …/events`: pushed to editors as server-sent events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// A request was served (or not: `handler_key` is a 404 key then).
    Trace { trace: TraceSummary, not_found: bool },
    /// A toplevel changed: a live version, a draft, a deletion.
    Code { toplevel_id: i64, version_id: i64, state: VersionState },
}
