//! The editor API: everything the canvas UI and the CLI do, under
//! `/_gloam/api/canvases/{canvas}/…`, each call authorised by the canvas's
//! token. Documented in `docs/api.md`.
//!
//! Reads of traces go through `AppState::settled`, so a trace whose id a
//! client just received is always found.

use super::error::ApiError;
use crate::app::changes::{self, Pushed, Saved};
use crate::app::replay::{self, LiveValuesRequest, LiveValuesResult, ReplayRequest, ReplayResult};
use crate::app::views::{self, Summary, ToplevelView};
use crate::app::{AppState, CanvasRuntime, Event};
use axum::extract::{FromRequestParts, Path, Query, RawPathParams, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::sse::{self, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use futures_util::{Stream, StreamExt};
use gloam_api::{FromNotFound, OutboundAllowed, RollbackBody, Row, SecretBody, SourceBody, TraceView};
use gloam_interpreter::json_text;
use gloam_interpreter::value::same_text;
use gloam_trace_store::{CodeVersion, NotFound, SecretAccess, SecretAction, TraceFilter, TraceLogs, TraceSummary};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(summary))
        .route("/toplevels", get(toplevels).post(create_toplevel))
        .route("/toplevels/{id}", put(save_toplevel).delete(delete_toplevel))
        .route("/toplevels/{id}/versions", get(versions))
        .route("/toplevels/{id}/rollback", post(rollback))
        .route("/files", get(pull).put(push))
        .route("/404s", get(not_found_list))
        .route("/404s/handler", post(handler_from_404))
        .route("/traces", get(traces))
        .route("/traces/{id}", get(trace).delete(delete_trace))
        .route("/traces/{id}/curl", get(curl))
        .route("/traces/{id}/replay", post(replay_trace))
        .route("/logs", get(recent_logs))
        .route("/functions/{name}/traces", get(function_traces))
        .route("/live-values", post(live_values))
        .route("/events", get(events))
        .route("/datastores/{name}", get(datastore_rows))
        .route("/secrets", get(secret_names))
        .route("/secrets/{name}", put(set_secret).delete(delete_secret))
        .route("/outbound", get(outbound_allowed).put(set_outbound_allowed))
        .route("/audit", get(secret_audit))
}

/// The address of the client, for the audit log; `None` when the server
/// does not know it (a router driven in-process).
pub struct Client(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Client, Self::Rejection> {
        let address = super::traffic::client_address(&parts.extensions);
        Ok(Client((!address.is_unspecified()).then(|| address.to_string())))
    }
}

/// The canvas of the path, when the request carries its token
/// (`Authorization: Bearer TOKEN`, or `?token=` for `EventSource`).
pub struct Editor(pub Arc<CanvasRuntime>);

fn token_of(parts: &Parts) -> Option<String> {
    let header = parts.headers.get(header::AUTHORIZATION).and_then(|value| value.to_str().ok());
    if let Some(token) = header.and_then(|value| value.strip_prefix("Bearer ")) {
        return Some(token.trim().to_string());
    }
    // Only the event stream takes it in the URL, where logs may keep it.
    let route = parts.extensions.get::<axum::extract::MatchedPath>().map(axum::extract::MatchedPath::as_str);
    if !route.is_some_and(|route| route.ends_with("/{canvas}/events")) {
        return None;
    }
    form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
        .find(|(name, _)| name == "token")
        .map(|(_, value)| value.into_owned())
}

impl FromRequestParts<AppState> for Editor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Editor, ApiError> {
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|error| ApiError::BadRequest(error.to_string()))?;
        let name = params
            .iter()
            .find(|(key, _)| *key == "canvas")
            .map(|(_, value)| value.to_string())
            .ok_or_else(|| ApiError::BadRequest("no canvas in the path".into()))?;
        let client = super::traffic::client_address(&parts.extensions);
        state.rates.may_sign_in(client).map_err(|limited| ApiError::TooManyRequests(limited.message))?;
        // An unknown canvas is answered like a wrong token, so names cannot be
        // found out by asking.
        match (state.canvas(&name), token_of(parts)) {
            (Some(canvas), Some(token)) if same_text(&token, &canvas.token) => Ok(Editor(canvas)),
            _ => {
                state.rates.failed_sign_in(client).map_err(|limited| ApiError::TooManyRequests(limited.message))?;
                Err(ApiError::Unauthorized(name))
            }
        }
    }
}

type ApiResult<T> = Result<Json<T>, ApiError>;

/// An answer that holds recorded values (see [`DeepJson`]).
type DeepResult<T> = Result<DeepJson<T>, ApiError>;

/// A JSON answer holding recorded values (a trace, a replay, live values,
/// rows), which nest deeper than serde's recursion fits on a worker thread's
/// stack: serialised on a stack that grows as deep as they go.
struct DeepJson<T>(T);

impl<T: Serialize> IntoResponse for DeepJson<T> {
    fn into_response(self) -> Response {
        match json_text::to_text(&self.0) {
            Ok(body) => ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
            Err(error) => ApiError::Internal(format!("cannot write the answer as JSON: {error}")).into_response(),
        }
    }
}

/// A JSON request body; a malformed one is a 400 with the API's error body.
pub struct Body<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> axum::extract::FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Body<T>, ApiError> {
        let Json(value) = Json::<T>::from_request(request, state)
            .await
            .map_err(|rejection| ApiError::BadRequest(rejection.body_text()))?;
        Ok(Body(value))
    }
}

/// Path parameters; malformed ones are a 400 with the API's error body.
pub struct Params<T>(pub T);

impl<T: serde::de::DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Params<T>, ApiError> {
        let Path(value) = Path::<T>::from_request_parts(parts, state)
            .await
            .map_err(|rejection| ApiError::BadRequest(rejection.body_text()))?;
        Ok(Params(value))
    }
}

/// A query string; a malformed one is a 400 with the API's error body.
pub struct QueryOf<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequestParts<S> for QueryOf<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<QueryOf<T>, ApiError> {
        let Query(value) = Query::<T>::from_request_parts(parts, state)
            .await
            .map_err(|rejection| ApiError::BadRequest(rejection.body_text()))?;
        Ok(QueryOf(value))
    }
}

async fn summary(State(state): State<AppState>, Editor(canvas): Editor) -> ApiResult<Summary> {
    Ok(Json(views::summary(&state, &canvas).await?))
}

async fn toplevels(State(state): State<AppState>, Editor(canvas): Editor) -> ApiResult<Vec<ToplevelView>> {
    Ok(Json(views::toplevels(&state, &canvas).await?))
}

fn checked_file(file: Option<String>) -> Result<Option<String>, ApiError> {
    match file {
        Some(name) if !changes::valid_file_name(&name) => {
            Err(ApiError::BadRequest(format!("`{name}` is not a file name ending in .gloam")))
        }
        file => Ok(file),
    }
}

async fn create_toplevel(
    State(state): State<AppState>,
    Editor(canvas): Editor,
    Body(body): Body<SourceBody>,
) -> ApiResult<Saved> {
    Ok(Json(changes::save(&state, &canvas, None, body.source, checked_file(body.file)?).await?))
}

#[derive(Debug, Deserialize)]
struct IdPath {
    id: i64,
}

async fn save_toplevel(
    State(state): State<AppState>,
    Editor(canvas): Editor,
    Params(IdPath { id }): Params<IdPath>,
    Body(body): Body<SourceBody>,
) -> ApiResult<Saved> {
    Ok(Json(changes::save(&state, &canvas, Some(id), body.source, checked_file(body.file)?).await?))
}

async fn delete_toplevel(
    State(state): State<AppState>,
    Editor(canvas): Editor,
    Params(IdPath { id }): Params<IdPath>,
) -> ApiResult<CodeVersion> {
    Ok(Json(changes::delete(&state, &canvas, id).await?))
}

async fn versions(
    State(state): State<AppState>,
    Editor(canvas): Editor,
    Params(IdPath { id }): Params<IdPath>,
) -> ApiResult<Vec<CodeVersion>> {
    Ok(Json(views::versions(&state, &canvas, id).await?))
}

async fn rollback(
    State(state): State<AppState>,
    Editor(canvas): Editor,
    Params(IdPath { id }): Params<IdPath>,
    Body(body): Body<RollbackBody>,
) -> ApiResult<Saved> {
    Ok(Json(changes::rollback(&state, &canvas, id, body.version).await?))
}

pub use gloam_api::Files;

async fn pull(Editor(canvas): Editor) -> ApiResult<Files> {
    Ok(Json(Files { files: changes::files(&canvas.code()) }))
}

async fn push(State(state): State<AppState>, Editor(canvas): Editor, Body(body): Body<Files>) -> ApiResult<Pushed> {
    for name in body.files.keys() {
        checked_file(Some(name.clone()))?;
    }
    Ok(Json(changes::push(&state, &canvas, body.files).await?))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct ListQuery {
    limit: Option<usize>,
}

async fn not_found_list(
    State(state): State<AppState>,
    Editor(canvas): Editor,
    QueryOf(query): QueryOf<ListQuery>,
) -> ApiResult<Vec<NotFound>> {
    Ok(Json(views::not_found(&state, &canvas, query.limit).await?))
}

/// Turns a 404 into a handler: a skeleton that answers 501 until it is written.
async fn handler_from_404(
    State(state): State<AppState>,
    Editor(canvas): Editor,
    Body(body): Body<FromNotFound>,
) -> ApiResult<Saved> {
    Ok(Json(changes::handler_from_404(&state, &canvas, &body.key).await?))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct TraceQuery {
    key: Option<String>,
    limit: u32,
    before: Option<i64>,
}

async fn traces(
    State(state): State<AppState>,
    Editor(canvas): Editor,
    QueryOf(query): QueryOf<TraceQuery>,
) -> ApiResult<Vec<TraceSummary>> {
    let filter =
        TraceFilter { handler_key: query.key, handler_keys: Vec::new(), limit: query.limit, before_ms: query.before };
    Ok(Json(state.settled().await.traces(&canvas.name, &filter).await?))
}

async fn recent_logs(
    State(state): State<AppState>,
    Editor(canvas): Editor,
    QueryOf(query): QueryOf<ListQuery>,
) -> ApiResult<Vec<TraceLogs>> {
    let limit = query.limit.map_or(0, |limit| u32::try_from(limit).unwrap_or(u32::MAX));
    Ok(Json(state.settled().await.recent_logs(&canvas.name, limit).await?))
}

#[derive(Debug, Deserialize)]
struct TracePath {
    id: String,
}

async fn trace(
    State(state): State<AppState>,
    Editor(canvas): Editor,
    Params(TracePath { id }): Params<TracePath>,
) -> DeepResult<TraceView> {
    Ok(DeepJson(views::trace_view(&state, &canvas, &id).await?))
}

async fn delete_trace(
    State(state): State<AppState>,
    Editor(canvas): Editor,
    Params(TracePath { id }): Params<TracePath>,
) -> ApiResult<serde_json::Value> {
    if !state.settled().await.delete_trace(&canvas.name, &id).await? {
        return Err(ApiError::NotFound(format!("no trace {id} in canvas `{}`", canvas.name)));
    }
    Ok(Json(serde_json::json!({ "deleted": id })))
}

async fn curl(
    State(state): State<AppState>,
    Editor(canvas): Editor,
    Params(TracePath { id }): Params<TracePath>,
    headers: axum::http::HeaderMap,
) -> Result<Response, ApiError> {
    let trace = views::trace(&state, &canvas, &id).await?;
    let server = headers.get(header::HOST).and_then(|host| host.to_str().ok()).unwrap_or("127.0.0.1:8000");
    let command = views::curl_command(&trace, server) + "\n";
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], command).into_response())
}

async fn replay_trace(
    State(state): State<AppState>,
    Editor(canvas): Editor,
    Client(client): Client,
    Params(TracePath { id }): Params<TracePath>,
    body: axum::body::Bytes,
) -> DeepResult<ReplayResult> {
    // The options are optional: `POST …/replay` with no body replays as recorded.
    let options = if body.iter().all(u8::is_ascii_whitespace) {
        ReplayRequest::default()
    } else {
        serde_json::from_slice(&body).map_err(|error| ApiError::BadRequest(format!("replay options: {error}")))?
    };
    let trace = views::trace(&state, &canvas, &id).await?;
    Ok(DeepJson(replay::replay(&state, &canvas, trace, options, client).await?))
}

#[derive(Debug, Deserialize)]
struct NamePath {
    name: String,
}

/// Traces of the handlers that call a function (directly or not), newest first.
async fn function_traces(
    State(state): State<AppState>,
    Editor(canvas): Editor,
    Params(NamePath { name }): Params<NamePath>,
) -> ApiResult<Vec<TraceSummary>> {
    Ok(Json(views::function_traces(&state, &canvas, &name).await?))
}

async fn live_values(
    State(state): State<AppState>,
    Editor(canvas): Editor,
    Client(client): Client,
    Body(request): Body<LiveValuesRequest>,
) -> DeepResult<LiveValuesResult> {
    Ok(DeepJson(replay::live_values(&state, &canvas, request, client).await?))
}

async fn events(
    State(state): State<AppState>,
    Editor(canvas): Editor,
) -> Sse<impl Stream<Item = Result<sse::Event, std::convert::Infallible>>> {
    // Ends when the server stops: an open canvas must not hold up a graceful stop.
    let events = BroadcastStream::new(canvas.events.subscribe()).take_until(state.stopping());
    let stream = events.map(|received| {
        Ok(match received {
            Ok(event) => {
                let name = match &event {
                    Event::Trace { not_found: true, .. } => "not_found",
                    Event::Trace { .. } => "trace",
                    Event::Code { .. } => "code",
                };
                sse::Event::default().event(name).json_data(&event).unwrap_or_default()
            }
            Err(BroadcastStreamRecvError::Lagged(missed)) => {
                sse::Event::default().event("lagged").data(format!("{missed} events were missed; reload"))
            }
        })
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

async fn datastore_rows(
    State(state): State<AppState>,
    Editor(canvas): Editor,
    Params(NamePath { name }): Params<NamePath>,
) -> DeepResult<Vec<Row>> {
    Ok(DeepJson(views::datastore_rows(&state, &canvas, &name).await?))
}

async fn secret_names(State(state): State<AppState>, Editor(canvas): Editor) -> ApiResult<Vec<String>> {
    Ok(Json(state.secrets.secret_names(&canvas.name).await?))
}

async fn set_secret(
    State(state): State<AppState>,
    Editor(canvas): Editor,
    Client(client): Client,
    Params(NamePath { name }): Params<NamePath>,
    Body(body): Body<SecretBody>,
) -> ApiResult<serde_json::Value> {
    state.secrets.set_secret(&canvas.name, &name, &body.value).await?;
    state.secrets.audit_secret(&canvas.name, &name, SecretAction::Set, client.as_deref()).await?;
    Ok(Json(serde_json::json!({ "set": name })))
}

async fn delete_secret(
    State(state): State<AppState>,
    Editor(canvas): Editor,
    Client(client): Client,
    Params(NamePath { name }): Params<NamePath>,
) -> ApiResult<serde_json::Value> {
    if !state.secrets.delete_secret(&canvas.name, &name).await? {
        return Err(ApiError::NotFound(format!("no secret `{name}` in canvas `{}`", canvas.name)));
    }
    state.secrets.audit_secret(&canvas.name, &name, SecretAction::Delete, client.as_deref()).await?;
    Ok(Json(serde_json::json!({ "deleted": name })))
}

async fn outbound_allowed(State(state): State<AppState>, Editor(canvas): Editor) -> ApiResult<OutboundAllowed> {
    let allow = state.store.outbound_allowed(&canvas.name).await?;
    let server = state.config.outbound.allowed.iter().map(ToString::to_string).collect();
    Ok(Json(OutboundAllowed { allow, server }))
}

async fn set_outbound_allowed(
    State(state): State<AppState>,
    Editor(canvas): Editor,
    Body(body): Body<OutboundAllowed>,
) -> ApiResult<OutboundAllowed> {
    let mut allow = Vec::with_capacity(body.allow.len());
    for host in &body.allow {
        let parsed: crate::outbound::AllowedHost = host.parse().map_err(ApiError::BadRequest)?;
        allow.push(parsed.to_string());
    }
    state.store.set_outbound_allowed(&canvas.name, &allow).await?;
    state.load_outbound(&canvas).await?;
    // Other nodes on the same store reload the canvas, and with it the list.
    state.announce(&canvas.name).await;
    outbound_allowed(State(state), Editor(canvas)).await
}

/// Who read, set or deleted which secret, newest first.
async fn secret_audit(State(state): State<AppState>, Editor(canvas): Editor) -> ApiResult<Vec<SecretAccess>> {
    Ok(Json(state.secrets.secret_audit(&canvas.name).await?))
}

#[cfg(test)]
mod tests {
    /// Every route of the editor API has its heading in `docs/api.md`.
    #[test]
    fn every_route_is_documented() {
        let reference = include_str!("../../../docs/api.md");
        let source = include_str!("api.rs");
        let routes: Vec<&str> =
            source.split(".route(\"").skip(1).filter_map(|rest| rest.split('"').next()).filter(|r| *r != "/").collect();
        assert!(routes.len() > 10, "{routes:?}");
        for route in routes {
            let shown = format!("…{route}");
            assert!(reference.contains(&shown), "docs/api.md does not document `{shown}`");
        }
    }
}
