//! The editor API as the canvas sees it (docs/api.md): the answers it reads,
//! with only the fields it uses, and one call per route.

use gloo_net::http::{Request, RequestBuilder};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// Where one canvas's editor API is and the token it needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Api {
    pub canvas: String,
    pub token: String,
}

/// A failed call, as the user should read it.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: u16,
    pub message: String,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.status {
            0 => write!(f, "{}", self.message),
            status => write!(f, "{} ({status})", self.message),
        }
    }
}

pub type Result<T> = std::result::Result<T, ApiError>;

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Summary {
    pub name: String,
    pub version: i64,
    pub engine: String,
    pub toplevels: Vec<Toplevel>,
    pub not_found: Vec<NotFound>,
    pub datastores: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Toplevel {
    pub id: i64,
    pub key: Option<String>,
    pub kind: Option<String>,
    pub live: Option<Version>,
    pub draft: Option<Version>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Toplevel {
    /// The newest text: the draft when there is one.
    pub fn source(&self) -> &str {
        self.draft.as_ref().or(self.live.as_ref()).map_or("", |version| version.source.as_str())
    }

    /// The key its traces are stored under, for kinds that have traces.
    pub fn trace_key(&self) -> Option<String> {
        let key = self.key.as_deref()?;
        match self.kind.as_deref()? {
            "handler" => Some(key.to_string()),
            "worker" => Some(format!("WORKER {key}")),
            "cron" => Some(format!("CRON {key}")),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Version {
    pub id: i64,
    pub source: String,
    pub state: String,
    pub created_at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct NotFound {
    pub key: String,
    pub method: String,
    pub path: String,
    pub count: i64,
    pub last_seen_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Position {
    pub line: u32,
    pub column: u32,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Diagnostic {
    pub toplevel_id: i64,
    pub severity: String,
    pub message: String,
    pub span: Span,
    pub start: Position,
    #[serde(default)]
    pub label: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
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

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Trace {
    pub id: String,
    pub handler_key: String,
    pub received_at_ms: i64,
    pub code_version: i64,
    pub request: TraceRequest,
    pub response: Response,
    pub duration_us: i64,
    pub logs: Vec<LogLine>,
    pub error: Option<String>,
    pub effects_shown: Vec<EffectShown>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TraceRequest {
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct LogLine {
    pub level: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct EffectShown {
    pub function: String,
    pub arguments: Vec<String>,
    pub result: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Saved {
    pub toplevel_id: i64,
    pub version: Version,
    pub state: String,
    pub diagnostics: Vec<Diagnostic>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Failure {
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct LiveValues {
    pub response: Option<Response>,
    pub failure: Option<Failure>,
    pub diagnostics: Vec<Diagnostic>,
    pub expressions: Vec<Expression>,
}

/// One expression of the edited toplevel and every value it took.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Expression {
    pub start: usize,
    pub end: usize,
    pub values: Vec<String>,
    pub truncated: bool,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Replay {
    pub code_version: i64,
    pub recorded: Response,
    pub replayed: Option<Response>,
    pub failure: Option<String>,
    pub same: bool,
    pub diff: ResponseDiff,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ResponseDiff {
    pub status: Option<(u16, u16)>,
    pub headers: Vec<String>,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Row {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TraceLogs {
    pub trace_id: String,
    pub handler_key: String,
    pub received_at_ms: i64,
    pub logs: Vec<LogLine>,
}

/// An event of `GET …/events`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    Trace { trace: TraceSummary, not_found: bool },
    Code { toplevel_id: i64, version_id: i64, state: String },
}

#[derive(Serialize)]
struct SourceBody<'a> {
    source: &'a str,
}

#[derive(Serialize)]
struct LiveValuesBody<'a> {
    trace_id: Option<&'a str>,
    toplevel_id: Option<i64>,
    source: &'a str,
}

/// The toplevel id the server gives diagnostics of a toplevel not created yet.
pub const NEW_TOPLEVEL: i64 = 0;

/// What the server says when it refuses: `{"error", "message"}`.
#[derive(Deserialize)]
struct Refusal {
    message: String,
}

/// Path segments and query values go through `encodeURIComponent`.
pub fn encode(text: &str) -> String {
    String::from(js_sys::encode_uri_component(text))
}

impl Api {
    fn url(&self, path: &str) -> String {
        format!("/_gloam/api/canvases/{}{path}", encode(&self.canvas))
    }

    /// The event stream's address: `EventSource` cannot send headers.
    pub fn events_url(&self) -> String {
        format!("{}?token={}", self.url("/events"), encode(&self.token))
    }

    fn authorised(&self, request: RequestBuilder) -> RequestBuilder {
        request.header("Authorization", &format!("Bearer {}", self.token))
    }

    async fn send<T: DeserializeOwned>(&self, request: RequestBuilder, body: Option<serde_json::Value>) -> Result<T> {
        let unreachable =
            |error: gloo_net::Error| ApiError { status: 0, message: format!("the server is unreachable: {error}") };
        let request = self.authorised(request);
        let response = match body {
            Some(body) => request.json(&body).map_err(unreachable)?.send().await,
            None => request.send().await,
        }
        .map_err(unreachable)?;
        let status = response.status();
        let text = response.text().await.map_err(unreachable)?;
        if !response.ok() {
            let message = serde_json::from_str::<Refusal>(&text).map_or(text, |refusal| refusal.message);
            return Err(ApiError { status, message });
        }
        serde_json::from_str(&text)
            .map_err(|error| ApiError { status, message: format!("the server's answer was not understood: {error}") })
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        self.send(Request::get(&self.url(path)), None).await
    }

    async fn post<T: DeserializeOwned>(&self, path: &str, body: impl Serialize) -> Result<T> {
        self.send(Request::post(&self.url(path)), Some(to_json(body))).await
    }

    pub async fn summary(&self) -> Result<Summary> {
        self.get("").await
    }

    pub async fn not_found(&self) -> Result<Vec<NotFound>> {
        self.get("/404s").await
    }

    pub async fn traces_of(&self, key: &str) -> Result<Vec<TraceSummary>> {
        self.get(&format!("/traces?key={}&limit={TRACES_SHOWN}", encode(key))).await
    }

    pub async fn function_traces(&self, name: &str) -> Result<Vec<TraceSummary>> {
        self.get(&format!("/functions/{}/traces", encode(name))).await
    }

    pub async fn trace(&self, id: &str) -> Result<Trace> {
        self.get(&format!("/traces/{}", encode(id))).await
    }

    pub async fn create(&self, source: &str) -> Result<Saved> {
        self.post("/toplevels", SourceBody { source }).await
    }

    pub async fn save(&self, toplevel_id: i64, source: &str) -> Result<Saved> {
        let body = to_json(SourceBody { source });
        self.send(Request::put(&self.url(&format!("/toplevels/{toplevel_id}"))), Some(body)).await
    }

    pub async fn versions(&self, toplevel_id: i64) -> Result<Vec<Version>> {
        self.get(&format!("/toplevels/{toplevel_id}/versions")).await
    }

    pub async fn rollback(&self, toplevel_id: i64, version: i64) -> Result<Saved> {
        self.post(&format!("/toplevels/{toplevel_id}/rollback"), serde_json::json!({ "version": version })).await
    }

    pub async fn handler_from_404(&self, key: &str) -> Result<Saved> {
        self.post("/404s/handler", serde_json::json!({ "key": key })).await
    }

    /// Without `toplevel_id`, `source` is a toplevel not created yet.
    pub async fn live_values(
        &self,
        trace_id: Option<&str>,
        toplevel_id: Option<i64>,
        source: &str,
    ) -> Result<LiveValues> {
        self.post("/live-values", LiveValuesBody { trace_id, toplevel_id, source }).await
    }

    pub async fn replay(&self, trace_id: &str) -> Result<Replay> {
        self.post(&format!("/traces/{}/replay", encode(trace_id)), serde_json::json!({})).await
    }

    pub async fn rows(&self, datastore: &str) -> Result<Vec<Row>> {
        self.get(&format!("/datastores/{}", encode(datastore))).await
    }

    pub async fn logs(&self) -> Result<Vec<TraceLogs>> {
        self.get("/logs").await
    }
}

/// How many traces the canvas shows per handler, as dots.
pub const TRACES_SHOWN: usize = 50;

fn to_json(body: impl Serialize) -> serde_json::Value {
    serde_json::to_value(body).unwrap_or_default()
}
