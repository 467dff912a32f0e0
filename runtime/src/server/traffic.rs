//! User traffic at the HTTP edge: every request that is not for the editor
//! API. The canvas is chosen (by host or `/@NAME`), the client's rate and
//! the body read here; `app::traffic` routes, runs and records it.

use crate::app::traffic::{self as service, Arrival, Body as Admission};
use crate::app::{AppState, CanvasRuntime};
use crate::telemetry;
use crate::telemetry::metrics::NO_CANVAS;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use gloam_interpreter::HttpResponse;
use gloam_trace_store::TraceRequest;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

/// The response header naming the trace of a request.
pub const TRACE_HEADER: &str = "x-gloam-trace-id";

fn text_response(status: StatusCode, text: String) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response()
}

/// The client's address (unspecified when the router is driven in-process).
pub(crate) fn client_address(extensions: &axum::http::Extensions) -> std::net::IpAddr {
    extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map_or(std::net::IpAddr::from([0, 0, 0, 0]), |info| info.0.ip())
}

/// Whether a path is under the reserved prefix once decoded (`/%5fgloam/…`
/// is `/_gloam/…` to the router that matches handlers).
fn is_reserved(path: &str) -> bool {
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    let decoded = percent_encoding::percent_decode_str(first).decode_utf8_lossy();
    decoded == super::RESERVED_PREFIX.trim_start_matches('/')
}

/// The canvas a request is for, and the path within it: `NAME.localhost`
/// selects by host, `/@NAME/...` by path prefix, and a server with one canvas
/// serves it for any host.
fn select_canvas(state: &AppState, headers: &HeaderMap, path: &str) -> Result<(Arc<CanvasRuntime>, String), String> {
    let host = headers.get(header::HOST).and_then(|host| host.to_str().ok()).unwrap_or("");
    let host = host.rsplit_once(':').map_or(host, |(name, _port)| name);
    if let Some(name) = host.strip_suffix(".localhost") {
        return state.canvas(name).map(|canvas| (canvas, path.to_string())).ok_or_else(|| no_canvas(name));
    }
    if let Some(rest) = path.strip_prefix("/@") {
        let (name, inner) =
            rest.split_once('/').map_or((rest, "/".to_string()), |(name, inner)| (name, format!("/{inner}")));
        if is_reserved(&inner) {
            return Err(format!("{} is reserved for Gloam's editor API, also under /@{name}", super::RESERVED_PREFIX));
        }
        return state.canvas(name).map(|canvas| (canvas, inner)).ok_or_else(|| no_canvas(name));
    }
    match state.canvas_names().as_slice() {
        [only] => state.canvas(only).map(|canvas| (canvas, path.to_string())).ok_or_else(|| no_canvas(only)),
        names => Err(format!(
            "this server has {} canvases; choose one with the host NAME.localhost or the path prefix /@NAME",
            names.len()
        )),
    }
}

/// Names no canvas: the list of canvases is not for unauthenticated clients.
fn no_canvas(name: &str) -> String {
    format!("no canvas `{name}` on this server")
}

/// Why a request body was not read.
enum BodyError {
    TooLarge,
    TooSlow,
    Broken(String),
}

/// Reads a body up to `limit` bytes, all of it within `timeout` (a client
/// trickling a byte at a time cannot hold a run slot and a connection forever).
async fn read_body(body: Body, limit: usize, timeout: std::time::Duration) -> Result<Vec<u8>, BodyError> {
    let mut stream = body.into_data_stream();
    let mut bytes = Vec::new();
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let chunk = match tokio::time::timeout_at(deadline, stream.next()).await {
            Err(_elapsed) => return Err(BodyError::TooSlow),
            Ok(None) => return Ok(bytes),
            Ok(Some(chunk)) => {
                chunk.map_err(|error| BodyError::Broken(format!("cannot read the request body: {error}")))?
            }
        };
        if bytes.len() + chunk.len() > limit {
            return Err(BodyError::TooLarge);
        }
        bytes.extend_from_slice(&chunk);
    }
}

/// The request body as text, or the status and message refusing it.
async fn read_request_body(state: &AppState, body: Body) -> Result<String, (StatusCode, String)> {
    match read_body(body, state.config.max_body_bytes, state.config.body_timeout).await {
        Ok(bytes) => String::from_utf8(bytes).map_err(|_| {
            (StatusCode::BAD_REQUEST, "the request body is not UTF-8 text; Gloam handlers take text bodies".to_string())
        }),
        Err(BodyError::TooLarge) => Err((
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the request body is larger than the limit of {} bytes", state.config.max_body_bytes),
        )),
        Err(BodyError::TooSlow) => Err((
            StatusCode::REQUEST_TIMEOUT,
            format!("the request body did not arrive within {} seconds", state.config.body_timeout.as_secs()),
        )),
        Err(BodyError::Broken(message)) => Err((StatusCode::BAD_REQUEST, message)),
    }
}

/// Serves one request of user traffic.
pub async fn serve(State(state): State<AppState>, request: Request) -> Response {
    // Its own task: a client that goes away does not cut a run short (half
    // its effects done) or lose its trace. It is told, though: its run stops
    // waiting on outbound calls after a grace period.
    let client_gone = CancellationToken::new();
    let _tell_when_dropped = client_gone.clone().drop_guard();
    let trace_id = uuid::Uuid::now_v7();
    let span = telemetry::request_span(&request, trace_id);
    let served = tokio::spawn(serve_to_the_end(state, request, client_gone, trace_id).instrument(span.clone()));
    let response = served.await.unwrap_or_else(|error| {
        tracing::error!(%error, "a request crashed");
        text_response(StatusCode::INTERNAL_SERVER_ERROR, "Gloam: the request crashed (a bug in Gloam)\n".into())
    });
    telemetry::record_status(&span, response.status().as_u16());
    response
}

async fn serve_to_the_end(
    state: AppState,
    request: Request,
    client_gone: CancellationToken,
    trace_id: uuid::Uuid,
) -> Response {
    let arrival = Arrival::now(trace_id);
    let (parts, body) = request.into_parts();
    let selected = select_canvas(&state, &parts.headers, parts.uri.path());
    state.metrics.requests.count(selected.as_ref().map_or(NO_CANVAS, |(canvas, _)| canvas.name.as_str()));
    let (canvas, path) = match selected {
        Ok(selected) => selected,
        Err(message) => return text_response(StatusCode::NOT_FOUND, format!("Gloam: {message}\n")),
    };
    if let Some(reason) = canvas.unavailable.load_full() {
        return text_response(StatusCode::SERVICE_UNAVAILABLE, format!("Gloam: canvas `{}`: {reason}\n", canvas.name));
    }
    if is_reserved(&path) {
        let message = format!("{} is reserved for Gloam's editor API; see docs/api.md\n", super::RESERVED_PREFIX);
        return text_response(StatusCode::NOT_FOUND, message);
    }
    let request = TraceRequest {
        method: parts.method.as_str().to_string(),
        // Kept percent-encoded: routes match its segments, then decode each parameter.
        path,
        query: gloam_interpreter::request::parse_query(parts.uri.query().unwrap_or("")),
        headers: parts
            .headers
            .iter()
            .map(|(name, value)| (name.as_str().to_string(), String::from_utf8_lossy(value.as_bytes()).into_owned()))
            .collect(),
        body: String::new(),
        body_truncated: false,
    };
    // A limited request's body is not read: it is not wanted.
    let admission = match state.rates.traffic(client_address(&parts.extensions), &canvas.name) {
        Err(limited) => Admission::Limited(limited),
        Ok(()) => match read_request_body(&state, body).await {
            Ok(body) => Admission::Read(body),
            Err((status, message)) => Admission::Refused { status: status.as_u16(), message },
        },
    };
    let served = service::serve(&state, &canvas, request, admission, arrival, client_gone).await;
    into_response(served.response, served.trace_id.as_deref())
}

/// `response` came through `response_from_value` (which refuses headers HTTP
/// cannot carry) or is one of Gloam's own pages.
fn into_response(response: HttpResponse, trace_id: Option<&str>) -> Response {
    let headers: HeaderMap = response
        .headers
        .iter()
        .filter_map(|(name, value)| {
            Some((HeaderName::try_from(name.as_str()).ok()?, HeaderValue::try_from(value.as_str()).ok()?))
        })
        .collect();
    let status = StatusCode::from_u16(response.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    // A `Body`, not a `String`: a String would add `content-type: text/plain`
    // to responses that chose to have none (`Http.empty`, `Http.redirect`).
    let mut response = (status, headers, axum::body::Body::from(response.body)).into_response();
    if let Some(value) = trace_id.and_then(|id| HeaderValue::try_from(id).ok()) {
        response.headers_mut().insert(TRACE_HEADER, value);
    }
    response
}
