//! What the editor reads: the canvas summary, its toplevels with their
//! drafts checked against the live code, a trace as shown, a trace's request
//! as a `curl` command, the traces of a function's callers, datastore rows. Nothing here
//! writes, except that reading the 404 list moves entries the live code now
//! routes (`changes::not_found`).

use super::changes;
use super::state::{AppState, CanvasRuntime};
use crate::canvas::{ToplevelDiagnostic, ToplevelSource};
use gloam_api::{Collapsed, EffectShown, Row, TraceView};
use gloam_interpreter::wire;
use gloam_language::ast::ItemKind;
use gloam_trace_store::{CodeVersion, NotFound, StoreError, Trace, TraceFilter, TraceSummary};

pub type ToplevelView = gloam_api::ToplevelView<ToplevelDiagnostic>;
pub type Summary = gloam_api::Summary<ToplevelDiagnostic>;

/// Why a read (of a trace, a version, a view; a replay or live values, which
/// write nothing) could not answer.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// No such trace, toplevel or code version.
    #[error("{0}")]
    NotFound(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Crashed(String),
}

/// Entries of the 404 list sent when no `limit` is asked for: a scanner
/// trying random paths must not make the list unusable.
pub const NOT_FOUND_SHOWN: usize = 200;

/// A stored trace. A trace whose response just went out may still be queued
/// for writing: on a miss the queue is flushed and the store asked again.
pub async fn trace(state: &AppState, canvas: &CanvasRuntime, trace_id: &str) -> Result<Trace, ReadError> {
    if let Some(trace) = state.traces.trace(&canvas.name, trace_id).await? {
        return Ok(trace);
    }
    state
        .settled()
        .await
        .trace(&canvas.name, trace_id)
        .await?
        .ok_or_else(|| ReadError::NotFound(format!("no trace {trace_id} in canvas `{}`", canvas.name)))
}

/// A trace with each recorded effect call as Gloam text.
pub async fn trace_view(state: &AppState, canvas: &CanvasRuntime, trace_id: &str) -> Result<TraceView, ReadError> {
    let trace = trace(state, canvas, trace_id).await?;
    let effects_shown = trace
        .effects
        .iter()
        .map(|effect| EffectShown {
            function: effect.function.clone(),
            arguments: effect.arguments.iter().map(show_stored).collect(),
            result: match &effect.result {
                Ok(json) => show_stored(json),
                Err(message) => format!("failed: {message}"),
            },
        })
        .collect();
    Ok(TraceView { trace, effects_shown })
}

fn show_stored(json: &serde_json::Value) -> String {
    wire::decode(json).map_or_else(|_| json.to_string(), |value| value.to_string())
}

/// A datastore's rows, in key order, each as stored and as Gloam text.
pub async fn datastore_rows(state: &AppState, canvas: &CanvasRuntime, name: &str) -> Result<Vec<Row>, ReadError> {
    let rows = state.data.db_rows(&canvas.name, name).await?;
    let row = |(key, text): (String, String)| {
        let stored = wire::parse_document(text.as_bytes()).unwrap_or(serde_json::Value::String(text));
        Row { key, value: show_stored(&stored), stored }
    };
    Ok(rows.into_iter().map(row).collect())
}

/// Every toplevel, newest source first, each draft with its diagnostics
/// against the live code.
pub async fn toplevels(state: &AppState, canvas: &CanvasRuntime) -> Result<Vec<ToplevelView>, ReadError> {
    let current = canvas.code();
    let toplevels = state.code.toplevels(&canvas.name).await?;
    // Checking drafts is analysis: off the async threads.
    let views = tokio::task::spawn_blocking(move || {
        toplevels
            .into_iter()
            .filter_map(|toplevel| {
                let newest = toplevel.draft.as_ref().or(toplevel.live.as_ref())?.clone();
                let diagnostics = match &toplevel.draft {
                    Some(draft) => {
                        let source = ToplevelSource {
                            toplevel_id: toplevel.id,
                            source: draft.source.clone(),
                            file: draft.file.clone(),
                        };
                        current.with_toplevel(toplevel.id, Some(source)).diagnostics_of(toplevel.id)
                    }
                    None => Vec::new(),
                };
                Some(ToplevelView {
                    id: toplevel.id,
                    key: newest.key,
                    kind: newest.kind,
                    file: newest.file,
                    live: toplevel.live,
                    draft: toplevel.draft,
                    diagnostics,
                })
            })
            .collect()
    });
    views.await.map_err(|error| ReadError::Crashed(format!("checking drafts crashed: {error}")))
}

/// The canvas at a glance: its version, engine, toplevels, 404s and datastores.
pub async fn summary(state: &AppState, canvas: &CanvasRuntime) -> Result<Summary, ReadError> {
    let code = canvas.code();
    let datastores = code
        .analysis
        .module
        .items
        .iter()
        .filter(|item| matches!(item.kind, ItemKind::Datastore(_)))
        .map(|item| item.name())
        .collect();
    let not_found = changes::not_found(state, canvas).await?;
    Ok(Summary {
        name: canvas.name.clone(),
        version: code.version,
        engine: state.engine.name().to_string(),
        compiling: state.engine.is_compiling(&code),
        toplevels: toplevels(state, canvas).await?,
        not_found: not_found.keys.into_iter().take(NOT_FOUND_SHOWN).collect(),
        not_found_collapsed: Collapsed { requests: not_found.collapsed_requests, keys: not_found.collapsed_keys },
        datastores,
    })
}

/// The 404 list, at most `limit` entries (default [`NOT_FOUND_SHOWN`]).
pub async fn not_found(
    state: &AppState,
    canvas: &CanvasRuntime,
    limit: Option<usize>,
) -> Result<Vec<NotFound>, ReadError> {
    let mut listed = changes::not_found(state, canvas).await?.keys;
    listed.truncate(limit.unwrap_or(NOT_FOUND_SHOWN));
    Ok(listed)
}

/// A toplevel's versions, newest first.
pub async fn versions(
    state: &AppState,
    canvas: &CanvasRuntime,
    toplevel_id: i64,
) -> Result<Vec<CodeVersion>, ReadError> {
    let history = state.code.history(&canvas.name, toplevel_id).await?;
    if history.is_empty() {
        return Err(ReadError::NotFound(format!("no toplevel {toplevel_id} in canvas `{}`", canvas.name)));
    }
    Ok(history)
}

/// Traces of the handlers that call a function (directly or not), newest first.
pub async fn function_traces(
    state: &AppState,
    canvas: &CanvasRuntime,
    function: &str,
) -> Result<Vec<TraceSummary>, ReadError> {
    let callers = canvas.code().callers_of(function);
    if callers.is_empty() {
        return Ok(Vec::new());
    }
    let filter = TraceFilter { handler_keys: callers, ..TraceFilter::default() };
    Ok(state.settled().await.traces(&canvas.name, &filter).await?)
}

/// A word for a POSIX shell: as it is when it is plainly safe, single-quoted otherwise.
fn shell_quote(text: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./:@%+,".contains(c);
    if !text.is_empty() && text.chars().all(plain) {
        return text.to_string();
    }
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// The trace's request as a `curl` command that sends it again to `server`
/// (the address the editor reached this server at, never one the trace
/// names: whoever sent the request chose its `Host`).
pub fn curl_command(trace: &Trace, server: &str) -> String {
    let request = &trace.request;
    let prefix = format!("/@{}", trace.canvas);
    let query: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(&request.query).finish();
    // Paths are stored as they came, percent-encoded (`%` stays); what a URL
    // cannot hold as it is (spaces, `#`, `?`, older traces' decoded text) is encoded.
    const NOT_IN_A_PATH: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
        .add(b' ')
        .add(b'"')
        .add(b'#')
        .add(b'<')
        .add(b'>')
        .add(b'?')
        .add(b'`')
        .add(b'{')
        .add(b'}');
    let path = percent_encoding::utf8_percent_encode(&request.path, NOT_IN_A_PATH).to_string();
    let url = if query.is_empty() {
        format!("http://{server}{prefix}{path}")
    } else {
        format!("http://{server}{prefix}{path}?{query}")
    };
    let mut command = format!("curl -X {} {}", shell_quote(&request.method), shell_quote(&url));
    const SKIPPED: [&str; 4] = ["host", "content-length", "user-agent", "accept"];
    for (name, value) in &request.headers {
        if !SKIPPED.contains(&name.to_lowercase().as_str()) {
            command += &format!(" -H {}", shell_quote(&format!("{name}: {value}")));
        }
    }
    if !request.body.is_empty() {
        // `--data-raw`: a body starting with `@` is text, not a file to upload.
        command += &format!(" --data-raw {}", shell_quote(&request.body));
    }
    command
}
