//! Code changes: save, delete, rollback, push. Each is checked against the
//! canvas's live code; only a canvas that type-checks as a whole goes live.
//! A change is stored (durably) before it is swapped in and acknowledged.

use super::state::{AppState, CanvasRuntime, Event};
use crate::canvas::{self, CanvasCode, ToplevelDiagnostic, ToplevelSource};
use crate::engine::Prepared;
use crate::telemetry;
use gloam_trace_store::{CodeVersion, NewVersion, NotFoundList, StoreError, VersionState};
use std::collections::BTreeMap;
use tracing::Instrument;

/// Why a code change was not made.
#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    /// The change is malformed: not one declaration, a deletion rolled back to, …
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotFound(String),
    /// The change would leave code that does not type-check.
    #[error("{message}")]
    Rejected { message: String, diagnostics: Vec<ToplevelDiagnostic> },
    /// The store refused it; `StoreError::Conflict` when another node changed the canvas first.
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Crashed(String),
}

/// The id a new toplevel is checked under before the store gives it one.
pub const NEW_TOPLEVEL: i64 = 0;

/// The file a toplevel goes to when none is named.
pub const DEFAULT_FILE: &str = "main.gloam";

/// A canvas file is a plain `.gloam` file name: no folders, so a pull can
/// never write outside the folder it is given.
pub fn valid_file_name(name: &str) -> bool {
    name.len() > ".gloam".len() && name.ends_with(".gloam") && !name.contains(['/', '\\']) && !name.starts_with('.')
}

/// What a save, a deletion or a rollback stored, with the server's diagnostics.
pub type Saved = gloam_api::Saved<ToplevelDiagnostic>;

pub use gloam_api::Pushed;

fn own_diagnostics(diagnostics: &[ToplevelDiagnostic], toplevel_id: i64) -> serde_json::Value {
    let own: Vec<&ToplevelDiagnostic> = diagnostics.iter().filter(|d| d.toplevel_id == toplevel_id).collect();
    serde_json::to_value(own).unwrap_or_default()
}

/// Runs a code change (an expression that checks against `canvas.code()`)
/// under the canvas's edit lock. When another node changed the canvas first
/// (the store refuses a change based on an old version), this node catches up
/// and the change is checked again. A macro, not a function taking an async
/// closure, because such closures' futures cannot be shown to be `Send`.
macro_rules! on_latest_code {
    ($state:expr, $canvas:expr, $change:expr) => {{
        let _edit = $canvas.edits.lock().await;
        let mut retries = 0;
        loop {
            match $change {
                Err(ChangeError::Store(StoreError::Conflict { .. })) if retries < 3 => {
                    retries += 1;
                    $canvas.swap($state.load_code(&$canvas.name).await?);
                }
                result => break result,
            }
        }
    }};
}

/// Analyses changed code on a blocking thread (a large canvas takes a
/// while). It is compiled once it is live (`go_live`).
async fn analysed(change: impl FnOnce() -> CanvasCode + Send + 'static) -> Result<CanvasCode, ChangeError> {
    tokio::task::spawn_blocking(change)
        .await
        .map_err(|error| ChangeError::Crashed(format!("analysis crashed: {error}")))
}

/// Saves a toplevel's new source (`toplevel_id: None` creates one).
pub async fn save(
    state: &AppState,
    canvas: &CanvasRuntime,
    toplevel_id: Option<i64>,
    source: String,
    file: Option<String>,
) -> Result<Saved, ChangeError> {
    let span = telemetry::save_span(&canvas.name, "save");
    on_latest_code!(
        state,
        canvas,
        save_once(state, canvas, toplevel_id, source.clone(), file.clone()).instrument(span.clone()).await
    )
}

async fn save_once(
    state: &AppState,
    canvas: &CanvasRuntime,
    toplevel_id: Option<i64>,
    source: String,
    file: Option<String>,
) -> Result<Saved, ChangeError> {
    let declaration = canvas::declaration(&source).map_err(|error| ChangeError::Invalid(error.to_string()))?;
    let current = canvas.code();
    // A toplevel that is not live may still have drafts: ask the store then.
    if let Some(id) = toplevel_id
        && current.source_of(id).is_none()
        && state.code.history(&canvas.name, id).await?.is_empty()
    {
        return Err(ChangeError::NotFound(format!("no toplevel {id} in canvas `{}`", canvas.name)));
    }
    let checked_id = toplevel_id.unwrap_or(NEW_TOPLEVEL);
    let file = file
        .or_else(|| current.source_of(checked_id).map(|existing| existing.file.clone()))
        .unwrap_or_else(|| DEFAULT_FILE.to_string());
    let edited = ToplevelSource { toplevel_id: checked_id, source: source.clone(), file: file.clone() };
    let based_on = current.clone();
    let mut candidate = analysed(move || based_on.with_toplevel(checked_id, Some(edited))).await?;
    let live = declaration.is_some() && !candidate.has_errors();
    let mut diagnostics = candidate.diagnostics();
    let new_version = NewVersion {
        toplevel_id,
        diagnostics: own_diagnostics(&diagnostics, checked_id),
        source,
        state: if live { VersionState::Live } else { VersionState::Draft },
        key: declaration.as_ref().map(|decl| decl.key.clone()),
        kind: declaration.as_ref().map(|decl| decl.kind.to_string()),
        file,
    };
    let version = store_one(state, &canvas.name, new_version, current.version).await?;
    let stored_id = version.toplevel_id;
    for diagnostic in &mut diagnostics {
        if diagnostic.toplevel_id == checked_id {
            diagnostic.toplevel_id = stored_id;
        }
    }
    if live {
        candidate.renumber(checked_id, stored_id);
        candidate.version = version.id;
        go_live(state, canvas, candidate).await;
    }
    canvas.publish(Event::Code { toplevel_id: stored_id, version_id: version.id, state: version.state });
    Ok(Saved { toplevel_id: stored_id, state: version.state, version, diagnostics })
}

async fn store_one(
    state: &AppState,
    canvas: &str,
    version: NewVersion,
    based_on: i64,
) -> Result<CodeVersion, ChangeError> {
    let mut stored = state.code.append_versions(canvas, vec![version], based_on).await?;
    stored.pop().ok_or_else(|| ChangeError::Crashed("the store returned no version".into()))
}

/// Makes stored, checked code live; tells the other nodes; moves the 404s it
/// now serves to their handlers. The change is live whatever happens after
/// the swap, so later failures are logged, not returned.
async fn go_live(state: &AppState, canvas: &CanvasRuntime, code: impl Into<Prepared>) {
    canvas.swap(code);
    state.engine.compile_soon(&canvas.code());
    state.announce(&canvas.name).await;
    // Not waiting for the trace queue: under load that would hold the save
    // back. 404s still queued move when the 404 list is next read.
    if let Err(error) = move_routed_404s(state, canvas).await {
        tracing::error!(canvas = %canvas.name, %error, "could not move the canvas's 404s to their handlers");
    }
}

/// The 404 list as the live code sees it. Entries that code routes now (a
/// handler went live, or a 404 was served just before it did) move, with
/// their traces, to the handler that serves them, and are left out.
pub async fn not_found(state: &AppState, canvas: &CanvasRuntime) -> Result<NotFoundList, StoreError> {
    state.writer.flush().await;
    move_routed_404s(state, canvas).await
}

/// The stored 404 list less the entries the live code routes, which move to
/// their handlers.
async fn move_routed_404s(state: &AppState, canvas: &CanvasRuntime) -> Result<NotFoundList, StoreError> {
    let code = canvas.code();
    let mut list = state.traces.not_found_list(&canvas.name).await?;
    let mut remaining = Vec::new();
    for entry in std::mem::take(&mut list.keys) {
        match code.route(&entry.method, &entry.path) {
            Some(handler) => {
                let key = crate::canvas::handler_key(handler);
                state.traces.rekey_traces(&canvas.name, &entry.key, &key).await?;
            }
            None => remaining.push(entry),
        }
    }
    list.keys = remaining;
    Ok(list)
}

/// Turns an entry of the 404 list into a handler: a skeleton that answers
/// 501 until it is written.
pub async fn handler_from_404(state: &AppState, canvas: &CanvasRuntime, key: &str) -> Result<Saved, ChangeError> {
    let listed = not_found(state, canvas).await?.keys;
    let Some(entry) = listed.into_iter().find(|entry| entry.key == key) else {
        return Err(ChangeError::NotFound(format!("`{key}` is not in the 404 list of canvas `{}`", canvas.name)));
    };
    let source = handler_skeleton(&entry.method, &entry.path)?;
    save(state, canvas, None, source, None).await
}

/// The source of a new handler for a method and path that came from the
/// outside: both are checked, so no request can put code into the canvas.
fn handler_skeleton(method: &str, path: &str) -> Result<String, ChangeError> {
    if method.is_empty() || !method.bytes().all(|byte| byte.is_ascii_uppercase()) {
        return Err(ChangeError::Invalid(format!("`{method}` cannot be a handler's method")));
    }
    let unsafe_char = |c: char| c.is_whitespace() || c.is_control() || "$={}\"\\`?#".contains(c);
    if !path.starts_with('/') || path.chars().any(unsafe_char) {
        return Err(ChangeError::Invalid(format!(
            "`{path}` cannot be a route as it is (it has a space, a control character or one of $ = {{ }} \" \\ ` ? #); \
             create the handler with a route of your own"
        )));
    }
    Ok(format!("handler {method} {path} =\n  Http.text(\"{method} {path} has a handler now; write its code\", 501)\n"))
}

/// Deletes a toplevel, unless the rest of the canvas needs it.
pub async fn delete(state: &AppState, canvas: &CanvasRuntime, toplevel_id: i64) -> Result<CodeVersion, ChangeError> {
    let span = telemetry::save_span(&canvas.name, "delete");
    on_latest_code!(state, canvas, delete_once(state, canvas, toplevel_id).instrument(span.clone()).await)
}

async fn delete_once(state: &AppState, canvas: &CanvasRuntime, toplevel_id: i64) -> Result<CodeVersion, ChangeError> {
    let current = canvas.code();
    let existing = match current.source_of(toplevel_id) {
        Some(live) => live.clone(),
        // A toplevel that never went live (a draft) can be deleted too.
        None => match state.code.history(&canvas.name, toplevel_id).await?.into_iter().next() {
            Some(newest) if newest.state != VersionState::Deleted => {
                ToplevelSource { toplevel_id, source: newest.source, file: newest.file }
            }
            _ => return Err(ChangeError::NotFound(format!("no toplevel {toplevel_id} in canvas `{}`", canvas.name))),
        },
    };
    let based_on = current.clone();
    let mut candidate = analysed(move || based_on.with_toplevel(toplevel_id, None)).await?;
    if candidate.has_errors() {
        return Err(ChangeError::Rejected {
            message: format!("deleting toplevel {toplevel_id} would break the rest of the canvas"),
            diagnostics: candidate.diagnostics(),
        });
    }
    let declaration = canvas::declaration(&existing.source).ok().flatten();
    let version = store_one(
        state,
        &canvas.name,
        NewVersion {
            toplevel_id: Some(toplevel_id),
            source: existing.source,
            state: VersionState::Deleted,
            key: declaration.as_ref().map(|decl| decl.key.clone()),
            kind: declaration.map(|decl| decl.kind.to_string()),
            file: existing.file,
            diagnostics: serde_json::json!([]),
        },
        current.version,
    )
    .await?;
    candidate.version = version.id;
    go_live(state, canvas, candidate).await;
    canvas.publish(Event::Code { toplevel_id, version_id: version.id, state: version.state });
    Ok(version)
}

/// Saves an old version's source as the newest version of its toplevel.
pub async fn rollback(
    state: &AppState,
    canvas: &CanvasRuntime,
    toplevel_id: i64,
    version_id: i64,
) -> Result<Saved, ChangeError> {
    let version = state.code.version(&canvas.name, version_id).await?;
    let Some(version) = version.filter(|version| version.toplevel_id == toplevel_id) else {
        return Err(ChangeError::NotFound(format!("toplevel {toplevel_id} has no version {version_id}")));
    };
    if version.state == VersionState::Deleted {
        return Err(ChangeError::Invalid(format!("version {version_id} is a deletion; roll back to one with code")));
    }
    save(state, canvas, Some(toplevel_id), version.source, Some(version.file)).await
}

/// Makes the canvas's code exactly these files: declarations are matched to
/// toplevels by key; new ones are created, changed ones get a version, missing
/// ones are deleted. All or nothing: if the result does not type-check,
/// nothing is stored.
pub async fn push(
    state: &AppState,
    canvas: &CanvasRuntime,
    files: BTreeMap<String, String>,
) -> Result<Pushed, ChangeError> {
    let span = telemetry::save_span(&canvas.name, "push");
    on_latest_code!(state, canvas, push_once(state, canvas, &files).instrument(span.clone()).await)
}

async fn push_once(
    state: &AppState,
    canvas: &CanvasRuntime,
    files: &BTreeMap<String, String>,
) -> Result<Pushed, ChangeError> {
    let current = canvas.code();
    let existing: BTreeMap<String, (&ToplevelSource, &'static str)> = current
        .sources()
        .filter_map(|source| {
            let declaration = current.declaration_of(source.toplevel_id)?;
            Some((declaration.key, (source, declaration.kind)))
        })
        .collect();
    let mut sources = Vec::new();
    let mut versions = Vec::new();
    let mut pushed = Pushed::default();
    let mut next_new_id = -1;
    for (file, text) in files {
        for source in canvas::split_declarations(text) {
            let declaration = canvas::declaration(&source)
                .map_err(|error| ChangeError::Invalid(format!("{file}: {error}")))?
                .ok_or_else(|| ChangeError::Invalid(format!("{file}: `{source}` is not a declaration")))?;
            let old = existing.get(&declaration.key).map(|(old, _)| *old);
            let toplevel_id = old.map_or_else(
                || {
                    next_new_id -= 1;
                    next_new_id
                },
                |old| old.toplevel_id,
            );
            if old.is_some_and(|old| old.source == source && &old.file == file) {
                pushed.unchanged += 1;
            } else {
                if old.is_some() { &mut pushed.updated } else { &mut pushed.created }.push(declaration.key.clone());
                versions.push(NewVersion {
                    toplevel_id: old.map(|old| old.toplevel_id),
                    source: source.clone(),
                    state: VersionState::Live,
                    key: Some(declaration.key),
                    kind: Some(declaration.kind.to_string()),
                    file: file.clone(),
                    diagnostics: serde_json::json!([]),
                });
            }
            sources.push(ToplevelSource { toplevel_id, source, file: file.clone() });
        }
    }
    let kept: Vec<i64> = sources.iter().map(|source| source.toplevel_id).collect();
    for (key, (old, kind)) in &existing {
        if !kept.contains(&old.toplevel_id) {
            pushed.deleted.push(key.clone());
            versions.push(NewVersion {
                toplevel_id: Some(old.toplevel_id),
                source: old.source.clone(),
                state: VersionState::Deleted,
                key: Some(key.clone()),
                kind: Some(kind.to_string()),
                file: old.file.clone(),
                diagnostics: serde_json::json!([]),
            });
        }
    }
    let version = current.version;
    let candidate = analysed(move || CanvasCode::assemble(version, sources)).await?;
    if candidate.has_errors() {
        return Err(ChangeError::Rejected {
            message: "the pushed code does not type-check; nothing was stored".into(),
            diagnostics: candidate.diagnostics(),
        });
    }
    let stored = state.code.append_versions(&canvas.name, versions, current.version).await?;
    let code = state.load_code(&canvas.name).await?;
    pushed.version = code.version;
    go_live(state, canvas, code).await;
    for version in stored {
        canvas.publish(Event::Code { toplevel_id: version.toplevel_id, version_id: version.id, state: version.state });
    }
    Ok(pushed)
}

/// A canvas's live code as files, for `gloam pull`.
pub fn files(code: &CanvasCode) -> BTreeMap<String, String> {
    let mut files: BTreeMap<String, String> = BTreeMap::new();
    for source in code.sources() {
        let text = files.entry(source.file.clone()).or_default();
        if !text.is_empty() {
            text.push('\n');
        }
        *text += source.source.trim_end();
        text.push('\n');
    }
    files
}
