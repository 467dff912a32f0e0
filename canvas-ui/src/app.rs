//! The page: top bar, sidebar, the middle (editor or another view) and the
//! right-hand panel; the event stream and the keyboard shortcuts.

use crate::api::{Api, Event, Severity, Toplevel, ToplevelKind};
use crate::editor::Editor;
use crate::panels::{Datastore, Logs, NotFoundView, RightPanel, TraceDots, Welcome};
use crate::state::{Canvas, Selection};
use gloam_api::TraceKey;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

/// The canvas named by the page's address (`/_gloam/canvas/NAME`) with the
/// token from its `#token=` fragment. The token is kept for this tab only
/// (session storage, so a reload keeps it) and taken out of the address bar:
/// user handlers are served from the same origin, and a page of theirs in
/// another tab can read local storage and history, not this tab's session.
pub fn api_from_location() -> Api {
    let location = window().location();
    let path = location.pathname().unwrap_or_default();
    let encoded = path.trim_end_matches('/').rsplit('/').next().unwrap_or_default().to_string();
    let canvas = js_sys::decode_uri_component(&encoded).map(String::from).unwrap_or(encoded);
    let hash = location.hash().unwrap_or_default();
    let token = match hash.strip_prefix("#token=") {
        Some(token) if !token.is_empty() => {
            remember_token(&canvas, token);
            if let Ok(history) = window().history() {
                let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&path));
            }
            token.to_string()
        }
        _ => session_storage()
            .and_then(|storage| storage.get_item(&token_key(&canvas)).ok().flatten())
            .unwrap_or_default(),
    };
    Api { canvas, token }
}

fn session_storage() -> Option<web_sys::Storage> {
    window().session_storage().ok().flatten()
}

fn token_key(canvas: &str) -> String {
    format!("gloam-token:{canvas}")
}

fn remember_token(canvas: &str, token: &str) {
    if let Some(storage) = session_storage() {
        let _ = storage.set_item(&token_key(canvas), token);
    }
}

#[component]
pub fn App() -> impl IntoView {
    let canvas = Canvas::new(api_from_location());
    provide_context(canvas);
    canvas.reload();
    listen_to_events(canvas);
    keyboard_shortcuts(canvas);
    warn_before_leaving(canvas);
    Effect::new(move |_| {
        // Any change of text, trace or toplevel: analyse again after a pause.
        canvas.source.track();
        canvas.trace_id.track();
        canvas.selection.track();
        canvas.analyse_soon();
    });
    view! {
        <div class="app">
            <TopBar/>
            <Show when=move || canvas.unauthorised.get()>
                <TokenPrompt/>
            </Show>
            <Sidebar/>
            <main class="middle">{move || middle(canvas.selection.get())}</main>
            <RightPanel/>
        </div>
    }
}

fn middle(selection: Selection) -> AnyView {
    match selection {
        Selection::Welcome => view! { <Welcome/> }.into_any(),
        Selection::Toplevel(_) | Selection::New => view! { <TraceDots/> <Editor/> <Datastore/> }.into_any(),
        Selection::NotFound(key) => view! { <NotFoundView key=key/> }.into_any(),
        Selection::Logs => view! { <Logs/> }.into_any(),
    }
}

#[component]
fn TopBar() -> impl IntoView {
    let canvas = expect_context::<Canvas>();
    let theme = RwSignal::new(initial_theme());
    Effect::new(move |_| {
        let chosen = theme.get();
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("data-theme", chosen);
        }
        if let Ok(Some(storage)) = window().local_storage() {
            let _ = storage.set_item("gloam-theme", chosen);
        }
    });
    let summary = move || {
        canvas.summary.with(|summary| {
            summary.as_ref().map(|s| format!("{} · code v{} · handlers run {}", s.name, s.version, s.engine))
        })
    };
    view! {
        <header class="topbar">
            <span class="logo">"◐ Gloam"</span>
            <span class="canvas-name">{summary}</span>
            <span class="notice" class:error=move || canvas.notice.with(|n| n.as_ref().is_some_and(|n| n.error))>
                {move || canvas.notice.with(|n| n.as_ref().map(|n| n.text.clone()))}
            </span>
            <span class="spacer"></span>
            <span class="hint">"Ctrl+S save · Ctrl+Enter replay · Alt+↑/↓ traces"</span>
            <span
                class="connection"
                class:online=move || canvas.connected.get()
                title=move || if canvas.connected.get() { "receiving traces as they arrive" } else { "reconnecting…" }
            >
                "●"
            </span>
            <button
                class="ghost"
                id="theme"
                on:click=move |_| theme.update(|t| *t = if *t == "dark" { "light" } else { "dark" })
            >
                {move || if theme.get() == "dark" { "☀ Light" } else { "☾ Dark" }}
            </button>
        </header>
    }
}

fn initial_theme() -> &'static str {
    let stored = window().local_storage().ok().flatten().and_then(|s| s.get_item("gloam-theme").ok().flatten());
    let prefers_light =
        window().match_media("(prefers-color-scheme: light)").ok().flatten().is_some_and(|query| query.matches());
    match stored.as_deref() {
        Some("light") => "light",
        Some("dark") => "dark",
        _ if prefers_light => "light",
        _ => "dark",
    }
}

#[component]
fn TokenPrompt() -> impl IntoView {
    let canvas = expect_context::<Canvas>();
    let entered = RwSignal::new(String::new());
    // Everything (the event stream too) starts again with the new token.
    let use_token = move |_| {
        remember_token(&canvas.api.with_value(|api| api.canvas.clone()), entered.get_untracked().trim());
        let _ = window().location().reload();
    };
    view! {
        <div class="overlay">
            <div class="dialog">
                <h2>"This canvas needs its token"</h2>
                <p>
                    "Open the address " <code>"gloam serve"</code>
                    " printed for this canvas, or paste the canvas's token here."
                </p>
                <input
                    id="token"
                    type="password"
                    placeholder="token"
                    on:input=move |ev| entered.set(event_target_value(&ev))
                />
                <button class="primary" on:click=use_token>"Open"</button>
            </div>
        </div>
    }
}

/// The sidebar lists every kind of toplevel, in `ToplevelKind::ALL`'s order,
/// then the drafts whose declaration does not parse (they have no kind yet).
const UNPARSED: &str = "unparsed";

#[component]
fn Sidebar() -> impl IntoView {
    let canvas = expect_context::<Canvas>();
    let of_kind = move |kind: &'static str| {
        canvas.summary.with(|summary| {
            let mut listed: Vec<Toplevel> = summary
                .iter()
                .flat_map(|s| s.toplevels.iter())
                .filter(|t| t.kind.map_or(UNPARSED, ToplevelKind::as_str) == kind)
                .cloned()
                .collect();
            listed.sort_by(|a, b| a.key.cmp(&b.key));
            listed
        })
    };
    let kinds = ToplevelKind::ALL.into_iter().map(|kind| (kind.as_str(), kind.heading()));
    let sections = kinds
        .chain([(UNPARSED, "Drafts that do not parse")])
        .map(|(kind, heading)| {
            view! {
                <section class:hidden=move || kind == UNPARSED && of_kind(kind).is_empty()>
                    <h3>{heading}</h3>
                    <For each=move || of_kind(kind) key=|t| (t.id, t.key.clone(), t.draft.is_some()) let:toplevel>
                        <ToplevelEntry toplevel=toplevel/>
                    </For>
                </section>
            }
        })
        .collect_view();
    let not_found = move || canvas.summary.with(|s| s.as_ref().map(|s| s.not_found.clone()).unwrap_or_default());
    view! {
        <nav class="sidebar">
            <button class="primary wide" id="new-toplevel" on:click=move |_| canvas.select(Selection::New)>
                "+ New"
            </button>
            <section class="not-found">
                <h3>"404s " <span class="muted">"— requests no handler serves"</span></h3>
                <For each=not_found key=|entry| (entry.key.clone(), entry.count) let:entry>
                    <Entry selection=Selection::NotFound(entry.key.clone()) key=entry.key.clone()>
                        <span class=format!("method {}", entry.method.to_lowercase())>{entry.method.clone()}</span>
                        <span class="path">{entry.path.clone()}</span>
                        <span class="count">{entry.count}</span>
                    </Entry>
                </For>
                <Show when=move || not_found().is_empty()>
                    <p class="muted empty">"None yet. Requests to unknown paths show up here."</p>
                </Show>
            </section>
            {sections}
            <section>
                <Entry selection=Selection::Logs key="logs".to_string()>
                    <span class="kind">"log"</span>
                    <span class="path">"Logs"</span>
                </Entry>
            </section>
        </nav>
    }
}

#[component]
fn ToplevelEntry(toplevel: Toplevel) -> impl IntoView {
    let id = toplevel.id;
    let key = toplevel.key.clone().unwrap_or_else(|| format!("toplevel {id}"));
    let (method, path) = match toplevel.trace_key() {
        Some(TraceKey::Handler { method, route }) => (Some(method), route),
        _ => (None, key.clone()),
    };
    let errors = toplevel.diagnostics.iter().filter(|d| d.severity == Severity::Error).count();
    view! {
        <Entry selection=Selection::Toplevel(id) key=key>
            {method.map(|m| view! { <span class=format!("method {}", m.to_lowercase())>{m.clone()}</span> })}
            <span class="path">{path}</span>
            {toplevel.draft.is_some().then(|| {
                let title = format!("a draft with {errors} error(s); the live version serves");
                view! { <span class="badge draft" title=title>"draft"</span> }
            })}
        </Entry>
    }
}

/// A sidebar row: opens `selection`, highlighted while it is open; `key`
/// names it in the page (`data-key`, what the browser test looks for).
#[component]
fn Entry(selection: Selection, key: String, children: Children) -> impl IntoView {
    let canvas = expect_context::<Canvas>();
    let chosen = selection.clone();
    view! {
        <button
            class="entry"
            class:selected=move || canvas.selection.get() == selection
            data-key=key
            on:click=move |_| canvas.select(chosen.clone())
        >
            {children()}
        </button>
    }
}

/// Subscribes to the canvas's events (server-sent events; the browser
/// reconnects by itself when the stream drops).
fn listen_to_events(canvas: Canvas) {
    let url = canvas.api.with_value(|api| api.events_url());
    let Ok(source) = web_sys::EventSource::new(&url) else {
        canvas.say("this browser cannot receive events: traces will not appear by themselves");
        return;
    };
    // After a dropped stream, what happened meanwhile is fetched again.
    let opened_before = StoredValue::new(false);
    let on_open = Closure::<dyn FnMut()>::new(move || {
        canvas.connected.set(true);
        if opened_before.get_value() {
            canvas.reload();
            canvas.load_traces();
        }
        opened_before.set_value(true);
    });
    source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    on_open.forget();
    let on_error = Closure::<dyn FnMut()>::new(move || canvas.connected.set(false));
    source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    on_error.forget();
    for name in ["trace", "not_found", "code"] {
        let on_event = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |message: web_sys::MessageEvent| {
            let data = message.data().as_string().unwrap_or_default();
            match serde_json::from_str::<Event>(&data) {
                Ok(event) => canvas.on_event(event),
                Err(error) => canvas.say(format!("an event was not understood: {error}")),
            }
        });
        let _ = source.add_event_listener_with_callback(name, on_event.as_ref().unchecked_ref());
        on_event.forget();
    }
    let on_lagged = Closure::<dyn FnMut()>::new(move || {
        canvas.reload();
        canvas.load_traces();
    });
    let _ = source.add_event_listener_with_callback("lagged", on_lagged.as_ref().unchecked_ref());
    on_lagged.forget();
}

/// Closing or reloading the tab with unsaved changes asks first (the
/// browser's own dialog).
fn warn_before_leaving(canvas: Canvas) {
    let handle = window_event_listener(leptos::ev::beforeunload, move |event| {
        if canvas.unsaved_edits() {
            event.prevent_default();
            event.set_return_value("");
        }
    });
    std::mem::forget(handle);
}

fn keyboard_shortcuts(canvas: Canvas) {
    let handle = window_event_listener(leptos::ev::keydown, move |event| {
        let command = event.ctrl_key() || event.meta_key();
        match event.key().to_lowercase().as_str() {
            "s" if command => {
                event.prevent_default();
                if matches!(canvas.selection.get_untracked(), Selection::Toplevel(_) | Selection::New) {
                    canvas.save();
                }
            }
            "enter" if command => {
                event.prevent_default();
                canvas.replay();
            }
            "arrowup" if event.alt_key() => {
                event.prevent_default();
                canvas.step_trace(-1);
            }
            "arrowdown" if event.alt_key() => {
                event.prevent_default();
                canvas.step_trace(1);
            }
            _ => {}
        }
    });
    // The page lives as long as the app: the listener stays.
    std::mem::forget(handle);
}
