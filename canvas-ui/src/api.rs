//! The editor API as the canvas calls it (docs/api.md): one call per route;
//! the bodies are the server's own types, from `gloam-api`.

use gloam_api::{ErrorBody, FromNotFound, LiveValuesRequest, NotFound, ReplayRequest, RollbackBody, SourceBody};
use gloo_net::http::{Request, RequestBuilder};

/// The server's types under the names the canvas's views use.
pub use gloam_api::{
    CodeVersion as Version, Diagnostic, Event, ExpressionValues as Expression, LiveValuesResult as LiveValues,
    ReplayResult as Replay, Severity, ToplevelKind, ToplevelView as Toplevel, TraceResponse as Response,
    TraceView as Trace, VersionState,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

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

pub use gloam_api::{Row, Saved, Summary, TraceLogs, TraceSummary};

/// The toplevel id the server gives diagnostics of a toplevel not created yet.
pub const NEW_TOPLEVEL: i64 = 0;

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
            let message = serde_json::from_str::<ErrorBody>(&text).map_or(text, |refusal| refusal.message);
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
        self.post("/toplevels", SourceBody { source: source.to_string(), file: None }).await
    }

    pub async fn save(&self, toplevel_id: i64, source: &str) -> Result<Saved> {
        let body = to_json(SourceBody { source: source.to_string(), file: None });
        self.send(Request::put(&self.url(&format!("/toplevels/{toplevel_id}"))), Some(body)).await
    }

    pub async fn versions(&self, toplevel_id: i64) -> Result<Vec<Version>> {
        self.get(&format!("/toplevels/{toplevel_id}/versions")).await
    }

    pub async fn rollback(&self, toplevel_id: i64, version: i64) -> Result<Saved> {
        self.post(&format!("/toplevels/{toplevel_id}/rollback"), RollbackBody { version }).await
    }

    pub async fn handler_from_404(&self, key: &str) -> Result<Saved> {
        self.post("/404s/handler", FromNotFound { key: key.to_string() }).await
    }

    /// Without `toplevel_id`, `source` is a toplevel not created yet.
    pub async fn live_values(
        &self,
        trace_id: Option<&str>,
        toplevel_id: Option<i64>,
        source: &str,
    ) -> Result<LiveValues> {
        let body =
            LiveValuesRequest { trace_id: trace_id.map(str::to_string), toplevel_id, source: Some(source.to_string()) };
        self.post("/live-values", body).await
    }

    pub async fn replay(&self, trace_id: &str) -> Result<Replay> {
        self.post(&format!("/traces/{}/replay", encode(trace_id)), ReplayRequest::default()).await
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
