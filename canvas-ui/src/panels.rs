//! Everything beside the editor: the trace dots, the right-hand panel
//! (request and response, replay, history), the 404 view, the datastore and
//! log views, and the welcome page.

use crate::api::{Replay, Response, Row, ToplevelKind, TraceLogs, TraceSummary, Version};
use crate::state::{Canvas, Selection, Tab};
use leptos::prelude::*;

/// Time of day of a timestamp, in the browser's zone.
fn time_of(ms: i64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
    String::from(date.to_locale_time_string("en-GB"))
}

fn status_class(status: u16) -> &'static str {
    match status {
        200..=399 => "ok",
        400..=499 => "client-error",
        _ => "server-error",
    }
}

/// The selection's traces as dots, newest on the left.
#[component]
pub fn TraceDots() -> impl IntoView {
    let canvas = expect_context::<Canvas>();
    // Types and datastores never run: no traces to show.
    let runs = move || {
        !canvas.open_toplevel().is_some_and(|t| matches!(t.kind, Some(ToplevelKind::Type | ToplevelKind::Datastore)))
    };
    view! {
        <div class="trace-dots" id="trace-dots" class:hidden=move || !runs()>
            <span class="label">"Traces"</span>
            <For each=move || canvas.traces.get() key=|trace| trace.id.clone() let:trace>
                <TraceDot trace=trace/>
            </For>
            <Show when=move || canvas.traces.with(Vec::is_empty)>
                <span class="muted">"No requests yet — send one and it appears here."</span>
            </Show>
        </div>
    }
}

#[component]
fn TraceDot(trace: TraceSummary) -> impl IntoView {
    let canvas = expect_context::<Canvas>();
    let id = trace.id.clone();
    let selected = {
        let id = id.clone();
        move || canvas.trace_id.get().as_deref() == Some(id.as_str())
    };
    let title = format!(
        "{} {} → {} · {} · {:.1} ms{}",
        trace.method,
        trace.path,
        trace.status,
        time_of(trace.received_at_ms),
        trace.duration_us as f64 / 1000.0,
        trace.error.as_deref().map(|e| format!(" · {e}")).unwrap_or_default()
    );
    view! {
        <button
            class=format!("dot {}", status_class(trace.status))
            class:selected=selected
            title=title
            data-trace=id.clone()
            on:click=move |_| canvas.select_trace(Some(id.clone()))
        ></button>
    }
}

#[component]
pub fn RightPanel() -> impl IntoView {
    let canvas = expect_context::<Canvas>();
    let tab = move |which: Tab, label: &'static str, id: &'static str| {
        view! {
            <button class="tab" id=id class:active=move || canvas.tab.get() == which on:click=move |_| canvas.tab.set(which)>
                {label}
            </button>
        }
    };
    view! {
        <aside class="right">
            <div class="tabs">
                {tab(Tab::Trace, "Trace", "tab-trace")}
                {tab(Tab::Replay, "Replay", "tab-replay")}
                {tab(Tab::History, "History", "tab-history")}
            </div>
            <div class="panel">
                {move || match canvas.tab.get() {
                    Tab::Trace => view! { <TraceView/> }.into_any(),
                    Tab::Replay => view! { <ReplayView/> }.into_any(),
                    Tab::History => view! { <History/> }.into_any(),
                }}
            </div>
        </aside>
    }
}

fn headers_table(headers: Vec<(String, String)>) -> impl IntoView {
    (!headers.is_empty()).then(|| {
        view! {
            <table class="pairs">
                {headers
                    .into_iter()
                    .map(|(name, value)| view! { <tr><td class="name">{name}</td><td>{value}</td></tr> })
                    .collect_view()}
            </table>
        }
    })
}

fn response_view(response: Response, id: &'static str) -> impl IntoView {
    view! {
        <div class="response" id=id>
            <span class=format!("status {}", status_class(response.status))>{response.status}</span>
            {headers_table(response.headers)}
            <pre class="body">{response.body}</pre>
        </div>
    }
}

#[component]
fn TraceView() -> impl IntoView {
    let canvas = expect_context::<Canvas>();
    let draft_answer = move || {
        canvas.live.with(|live| {
            let (_, values) = live.as_ref()?;
            if let Some(failure) = &values.failure {
                let message = failure.message.clone();
                return Some(
                    view! { <h4>"With the code in the editor"</h4> <div class="failure">"✖ " {message}</div> }
                        .into_any(),
                );
            }
            let response = values.response.clone()?;
            Some(
                view! { <h4>"With the code in the editor"</h4> {response_view(response, "draft-response")} }.into_any(),
            )
        })
    };
    move || match canvas.trace.get() {
        None if canvas.trace_id.get().is_some() => view! { <p class="muted">"Loading the trace…"</p> }.into_any(),
        None => view! {
            <p class="muted">"No trace selected. Requests to this handler appear as dots above the editor."</p>
        }
        .into_any(),
        Some(shown) => {
            let (trace, effects_shown) = (shown.trace, shown.effects_shown);
            let request = trace.request;
            let query = (!request.query.is_empty()).then(|| {
                view! { <h4>"Query"</h4> {headers_table(request.query)} }
            });
            view! {
                <div class="trace" id="trace">
                    <h4>"Request " <span class="muted">{time_of(trace.received_at_ms)}</span></h4>
                    <div class="request-line"><span class="method">{request.method}</span> " " {request.path}</div>
                    {query}
                    <h4>"Headers"</h4>
                    {headers_table(request.headers)}
                    {(!request.body.is_empty()).then(|| view! { <h4>"Body"</h4> <pre class="body">{request.body}</pre> })}
                    <h4>"Response " <span class="muted">{format!("{:.1} ms, code v{}", trace.duration_us as f64 / 1000.0, trace.code_version)}</span></h4>
                    {response_view(trace.response, "recorded-response")}
                    {trace.error.map(|error| view! { <div class="failure">"✖ " {error}</div> })}
                    {draft_answer}
                    {(!trace.logs.is_empty()).then(|| view! {
                        <h4>"Logs"</h4>
                        <ul class="logs">
                            {trace.logs.into_iter().map(|line| view! { <li><span class="level">{line.level}</span> {line.message}</li> }).collect_view()}
                        </ul>
                    })}
                    {(!effects_shown.is_empty()).then(|| view! {
                        <h4>"Effects"</h4>
                        <ul class="effects">
                            {effects_shown.into_iter().map(|effect| view! {
                                <li><code>{format!("{}({})", effect.function, effect.arguments.join(", "))}</code> " → " <code>{effect.result}</code></li>
                            }).collect_view()}
                        </ul>
                    })}
                </div>
            }
            .into_any()
        }
    }
}

#[component]
fn ReplayView() -> impl IntoView {
    let canvas = expect_context::<Canvas>();
    move || {
        match canvas.replay.get() {
        None => view! {
            <p class="muted">"Replay runs the selected trace's request against the live code, with the effects it recorded. "
            <button id="replay-now" on:click=move |_| canvas.replay()>"Replay now"</button></p>
        }
        .into_any(),
        Some(replay) => replay_result(replay).into_any(),
    }
    }
}

fn replay_result(replay: Replay) -> impl IntoView {
    let verdict = if replay.same { "Same response as recorded" } else { "The response changed" };
    let status = replay.diff.status.map(|(old, new)| {
        view! {
            <div class="status-change">
                <span class=format!("status {}", status_class(old))>{old}</span> " → "
                <span class=format!("status {}", status_class(new))>{new}</span>
            </div>
        }
    });
    let diff_lines = |text: String| {
        text.lines()
            .map(|line| {
                let class = if line.starts_with("+++") || line.starts_with("---") {
                    "header"
                } else {
                    match line.chars().next() {
                        Some('+') => "added",
                        Some('-') => "removed",
                        Some('@') => "hunk",
                        _ => "",
                    }
                };
                view! { <div class=class>{line.to_string()}</div> }
            })
            .collect_view()
    };
    view! {
        <div class="replay" id="replay-result">
            <h4 class:changed=!replay.same>{verdict} <span class="muted">{format!(" (code v{})", replay.code_version)}</span></h4>
            {status}
            {replay.failure.map(|failure| view! { <div class="failure">"✖ " {failure}</div> })}
            {(!replay.diff.headers.is_empty()).then(|| view! { <h4>"Headers"</h4> <pre class="diff">{diff_lines(replay.diff.headers.join("\n"))}</pre> })}
            {(!replay.diff.body.is_empty()).then(|| view! { <h4>"Body"</h4> <pre class="diff" id="body-diff">{diff_lines(replay.diff.body)}</pre> })}
            <div class="side-by-side">
                <div><h4>"Recorded"</h4>{response_view(replay.recorded, "replay-recorded")}</div>
                <div><h4>"Replayed"</h4>{replay.replayed.map(|response| response_view(response, "replay-replayed"))}</div>
            </div>
        </div>
    }
}

#[component]
fn History() -> impl IntoView {
    let canvas = expect_context::<Canvas>();
    let versions = RwSignal::new(Vec::<Version>::new());
    let shown = RwSignal::new(None::<Version>);
    Effect::new(move |_| {
        let Selection::Toplevel(id) = canvas.selection.get() else { return };
        // A new version (a save, a rollback) reloads the list.
        canvas.summary.track();
        canvas.call(
            async move |api| api.versions(id).await,
            move |listed| {
                if canvas.selection.get_untracked() != Selection::Toplevel(id) {
                    return;
                }
                if shown.with_untracked(|v| v.as_ref().is_some_and(|v| listed.iter().all(|l| l.id != v.id))) {
                    shown.set(None);
                }
                versions.set(listed);
            },
        );
    });
    view! {
        <ul class="history" id="history">
            <For each=move || versions.get() key=|v| v.id let:version>
                {
                    let label = format!("v{} · {} · {}", version.id, version.state, time_of(version.created_at_ms));
                    let chosen = version.clone();
                    view! {
                        <li>
                            <button class="entry" on:click=move |_| shown.set(Some(chosen.clone()))>{label}</button>
                        </li>
                    }
                }
            </For>
        </ul>
        {move || shown.get().and_then(|version| {
            let id = version.id;
            let Selection::Toplevel(toplevel) = canvas.selection.get() else { return None };
            Some(view! {
                <div class="version">
                    <pre class="body">{version.source}</pre>
                    <button class="primary" on:click=move |_| canvas.rollback(toplevel, id)>{format!("Roll back to v{id}")}</button>
                </div>
            })
        })}
    }
}

/// A 404: its requests and the button that makes a handler of it.
#[component]
pub fn NotFoundView(key: String) -> impl IntoView {
    let canvas = expect_context::<Canvas>();
    let entry = {
        let key = key.clone();
        move || canvas.summary.with(|s| s.as_ref()?.not_found.iter().find(|e| e.key == key).cloned())
    };
    let create = move |_| canvas.handler_from_404(key.clone());
    view! {
        <section class="not-found-view">
            {move || entry().map(|entry| view! {
                <h2><span class=format!("method {}", entry.method.to_lowercase())>{entry.method.clone()}</span> " " {entry.path.clone()}</h2>
                <p class="muted">{format!("{} request(s) no handler serves; the last at {}.", entry.count, time_of(entry.last_seen_ms))}</p>
            })}
            <button class="primary" id="create-handler" on:click=create>"Create handler"</button>
            <p class="muted">"The new handler answers 501 until you write it; these requests become its traces."</p>
            <TraceDots/>
        </section>
    }
}

/// The rows of the open datastore, below its code; they follow the
/// requests that arrive.
#[component]
pub fn Datastore() -> impl IntoView {
    let canvas = expect_context::<Canvas>();
    let rows = RwSignal::new(None::<Vec<Row>>);
    let datastore = Memo::new(move |_| {
        canvas.open_toplevel().filter(|t| t.kind == Some(ToplevelKind::Datastore)).and_then(|t| t.key)
    });
    Effect::new(move |_| {
        canvas.arrivals.track();
        let Some(name) = datastore.get() else { return };
        let shown = name.clone();
        canvas.call(
            async move |api| api.rows(&name).await,
            move |listed| {
                if datastore.get_untracked().as_deref() == Some(shown.as_str()) {
                    rows.set(Some(listed));
                }
            },
        );
    });
    move || {
        datastore.get()?;
        let table = rows.get().map(|rows| {
            if rows.is_empty() {
                view! { <p class="muted">"No rows yet."</p> }.into_any()
            } else {
                view! {
                    <table class="rows">
                        <tr><th>"key"</th><th>"value"</th></tr>
                        {rows.into_iter().map(|row| view! { <tr><td><code>{row.key}</code></td><td><code>{row.value}</code></td></tr> }).collect_view()}
                    </table>
                }
                .into_any()
            }
        });
        Some(view! { <section class="table-view rows-below" id="datastore"><h4>"Rows"</h4>{table}</section> })
    }
}

#[component]
pub fn Logs() -> impl IntoView {
    let canvas = expect_context::<Canvas>();
    let entries = RwSignal::new(None::<Vec<TraceLogs>>);
    Effect::new(move |_| {
        canvas.arrivals.track();
        canvas.call(async |api| api.logs().await, move |listed| entries.set(Some(listed)));
    });
    view! {
        <section class="table-view" id="log-view">
            <h2>"Logs " <span class="muted">"— newest first"</span></h2>
            {move || entries.get().map(|entries| if entries.is_empty() {
                view! { <p class="muted">"Nothing logged yet. Handlers log with Log.info, Log.warn and Log.error."</p> }.into_any()
            } else {
                view! {
                    <table class="rows">
                        {entries.into_iter().flat_map(|entry| {
                            let when = time_of(entry.received_at_ms);
                            let key = entry.handler_key.clone();
                            entry.logs.into_iter().map(move |line| view! {
                                <tr>
                                    <td class="muted">{when.clone()}</td>
                                    <td><span class="level">{line.level}</span></td>
                                    <td><code>{key.clone()}</code></td>
                                    <td>{line.message}</td>
                                </tr>
                            })
                        }).collect_view()}
                    </table>
                }.into_any()
            })}
        </section>
    }
}

#[component]
pub fn Welcome() -> impl IntoView {
    let canvas = expect_context::<Canvas>();
    let name = canvas.api.with_value(|api| api.canvas.clone());
    let origin = window().location().origin().unwrap_or_default();
    let example = format!("curl -i '{origin}/@{name}/hello?name=Ada'");
    view! {
        <section class="welcome">
            <h2>"Send traffic first, write code second"</h2>
            <p>"Every request to this canvas is kept as a trace. Send one to a path no handler serves:"</p>
            <pre class="body">{example}</pre>
            <p>"It appears in the 404 list on the left; one click makes a handler from it. Then write the handler with the request in front of you: each " <code>"let"</code> " shows its value, and the value under the cursor shows below the editor. Saving puts it live at once."</p>
            <p class="muted">"Pick a handler on the left to edit it, or + New to write a function, a type, a datastore, a worker or a cron."</p>
        </section>
    }
}
