//! The code editor: a textarea over its highlighted copy, line numbers on
//! the left, live values and diagnostics on the right of each line, and the
//! value of the expression under the cursor below, with the loop iteration
//! to show.

use crate::api::{Diagnostic, Expression};
use crate::highlight;
use crate::state::{Canvas, Selection};
use crate::text;
use leptos::html;
use leptos::prelude::*;

/// What is written after the end of a line.
#[derive(Debug, Clone, PartialEq)]
struct Annotation {
    line: usize,
    /// Characters in the line: the annotation starts a little after them.
    column: usize,
    text: String,
    error: bool,
}

#[component]
pub fn Editor() -> impl IntoView {
    let canvas = expect_context::<Canvas>();
    let textarea: NodeRef<html::Textarea> = NodeRef::new();
    let diagnostics = Memo::new(move |_| current_diagnostics(canvas));
    let html = Memo::new(move |_| {
        let marked: Vec<(usize, usize)> =
            diagnostics.with(|d| d.iter().map(|d| (d.span.range().start, d.span.range().end)).collect());
        canvas.source.with(|source| highlight::to_html(source, &marked))
    });
    // Characters in each line: the editor's height and width, and where annotations start.
    let line_widths = Memo::new(move |_| {
        canvas.source.with(|source| source.split('\n').map(|line| line.chars().count()).collect::<Vec<_>>())
    });
    let line_count = Memo::new(move |_| line_widths.with(Vec::len));
    let widest = Memo::new(move |_| line_widths.with(|widths| widths.iter().copied().max().unwrap_or(0)));
    let annotations = Memo::new(move |_| line_widths.with(|widths| annotations(canvas, &diagnostics.get(), widths)));
    let stale =
        move || canvas.live.with(|live| live.as_ref().is_some_and(|(analysed, _)| *analysed != canvas.source.get()));

    let update_cursor = move || {
        if let Some(area) = textarea.get() {
            let utf16 = area.selection_start().ok().flatten().unwrap_or(0) as usize;
            canvas.cursor.set(canvas.source.with_untracked(|source| text::byte_offset(source, utf16)));
        }
    };
    let on_keydown = move |event: web_sys::KeyboardEvent| {
        // Tab indents instead of leaving the editor.
        if event.key() == "Tab" && !event.ctrl_key() && !event.alt_key() {
            event.prevent_default();
            if let Some(area) = textarea.get() {
                let start = area.selection_start().ok().flatten().unwrap_or(0);
                let end = area.selection_end().ok().flatten().unwrap_or(start);
                let _ = area.set_range_text_with_start_and_end("  ", start, end);
                let _ = area.set_selection_range(start + 2, start + 2);
                canvas.source.set(area.value());
                update_cursor();
            }
        }
    };
    let header = move || {
        let toplevel = canvas.open_toplevel();
        let title = match (canvas.selection.get(), &toplevel) {
            (Selection::New, _) => "New toplevel".to_string(),
            (_, Some(toplevel)) => toplevel.key.clone().unwrap_or_default(),
            _ => String::new(),
        };
        let state = if canvas.dirty() {
            ("unsaved", "changed")
        } else if toplevel.as_ref().is_some_and(|t| t.draft.is_some()) {
            ("draft — the live version serves", "draft")
        } else {
            ("live", "live")
        };
        view! {
            <div class="editor-header">
                <h2 class="key">{title}</h2>
                <span class=format!("badge {}", state.1) id="code-state">{state.0}</span>
                <span class="spacer"></span>
                <button class="primary" id="save" on:click=move |_| canvas.save()>"Save"</button>
                <button id="replay" on:click=move |_| canvas.replay() disabled=move || canvas.trace_id.get().is_none()>
                    "Replay trace"
                </button>
            </div>
        }
    };

    view! {
        <section class="editor-pane">
            {header}
            <div class="editor-scroll">
                <div class="editor" style:height=move || format!("calc({} * var(--line) + 16px)", line_count.get() + 1)>
                    <div class="gutter">
                        {move || (1..=line_count.get()).map(|n| view! { <div>{n}</div> }).collect_view()}
                    </div>
                    <div class="code" style:min-width=move || format!("calc({}ch + 24px)", widest.get() + 2)>
                        <pre class="highlight" aria-hidden="true" inner_html=move || html.get()></pre>
                        <div class="values" class:stale=stale>
                            <For each=move || annotations.get() key=|a| (a.line, a.column, a.text.clone(), a.error) let:annotation>
                                <div
                                    class="value"
                                    class:error=annotation.error
                                    style:top=format!("calc({} * var(--line) + 8px)", annotation.line)
                                    style:left=format!("calc({}ch + 12px)", annotation.column + 3)
                                    title=annotation.text.clone()
                                >
                                    {annotation.text.clone()}
                                </div>
                            </For>
                        </div>
                        <textarea
                            id="code"
                            node_ref=textarea
                            spellcheck="false"
                            autocomplete="off"
                            autocapitalize="off"
                            wrap="off"
                            prop:value=move || canvas.source.get()
                            on:input=move |event| {
                                canvas.source.set(event_target_value(&event));
                                update_cursor();
                            }
                            on:click=move |_| update_cursor()
                            on:keyup=move |_| update_cursor()
                            on:keydown=on_keydown
                        ></textarea>
                    </div>
                </div>
            </div>
            <ValueUnderCursor/>
            <DiagnosticList diagnostics=diagnostics textarea=textarea/>
        </section>
    }
}

/// The diagnostics of the editor's text: from the newest analysis, or the
/// stored draft's before the first one.
fn current_diagnostics(canvas: Canvas) -> Vec<Diagnostic> {
    let toplevel_id = match canvas.selection.get() {
        Selection::Toplevel(id) => id,
        Selection::New => crate::api::NEW_TOPLEVEL,
        _ => return Vec::new(),
    };
    let analysed = canvas.live.with(|live| {
        live.as_ref().map(|(_, values)| {
            values.diagnostics.iter().filter(|d| d.toplevel_id == toplevel_id).cloned().collect::<Vec<_>>()
        })
    });
    analysed.unwrap_or_else(|| canvas.open_toplevel().map(|t| t.diagnostics).unwrap_or_default())
}

/// Values beside `let` lines (in the chosen iteration) and diagnostics
/// beside the lines they are on.
fn annotations(canvas: Canvas, diagnostics: &[Diagnostic], widths: &[usize]) -> Vec<Annotation> {
    let iteration = canvas.iteration.get();
    let column = |line: usize| widths.get(line).copied().unwrap_or(0);
    let mut shown = Vec::new();
    canvas.live.with(|live| {
        let Some((analysed, values)) = live else { return };
        for let_line in text::let_lines(analysed) {
            if let Some(value) = text::let_value(&values.expressions, &let_line, iteration) {
                let text = format!("{} = {value}", let_line.name);
                shown.push(Annotation { line: let_line.line, column: column(let_line.line), text, error: false });
            }
        }
    });
    for diagnostic in diagnostics {
        let line = diagnostic.start.line.saturating_sub(1);
        shown.retain(|annotation| annotation.line != line);
        let text = format!("✖ {}", diagnostic.message);
        shown.push(Annotation { line, column: column(line), text, error: true });
    }
    shown
}

#[component]
fn ValueUnderCursor() -> impl IntoView {
    let canvas = expect_context::<Canvas>();
    let under_cursor = Memo::new(move |_| {
        let cursor = canvas.cursor.get();
        canvas.live.with(|live| {
            let (analysed, values) = live.as_ref()?;
            let expression: Expression = text::expression_at(&values.expressions, cursor)?.clone();
            let code = analysed.get(expression.range()).map(|code| text::shortened(code, 48))?;
            Some((code, expression))
        })
    });
    let failure = move || canvas.live.with(|live| live.as_ref()?.1.failure.as_ref().map(|f| f.message.clone()));
    view! {
        <div class="value-bar" id="value-under-cursor">
            {move || match under_cursor.get() {
                None if canvas.trace_id.get().is_none() => {
                    view! { <span class="muted">"Select a trace to see live values."</span> }.into_any()
                }
                None => view! { <span class="muted">"Put the cursor in an expression to see its value."</span> }.into_any(),
                Some((code, expression)) => {
                    let count = expression.values.len();
                    let iteration = canvas.iteration.get().min(count.saturating_sub(1));
                    let value = text::value_in(&expression, iteration).unwrap_or("(not evaluated)").to_string();
                    let more = expression.truncated;
                    view! {
                        <code class="expression">{code}</code>
                        <span class="arrow">"→"</span>
                        <code class="live-value" title=value.clone()>{value.clone()}</code>
                        <Show when=move || { count > 1 }>
                            <span class="iterations" title="this expression ran more than once: choose which run to see">
                                <button class="ghost" on:click=move |_| canvas.iteration.update(|i| *i = iteration.saturating_sub(1))>"‹"</button>
                                <input
                                    type="range"
                                    min="0"
                                    max=count.saturating_sub(1).to_string()
                                    prop:value=iteration.to_string()
                                    on:input=move |event| canvas.iteration.set(event_target_value(&event).parse().unwrap_or(0))
                                />
                                <button class="ghost" on:click=move |_| canvas.iteration.set((iteration + 1).min(count - 1))>"›"</button>
                                <span class="muted">
                                    {format!("run {} of {count}{}", iteration + 1, if more { "+" } else { "" })}
                                </span>
                            </span>
                        </Show>
                    }
                    .into_any()
                }
            }}
            {move || failure().map(|message| view! { <div class="failure">"✖ " {message}</div> })}
        </div>
    }
}

#[component]
fn DiagnosticList(diagnostics: Memo<Vec<Diagnostic>>, textarea: NodeRef<html::Textarea>) -> impl IntoView {
    let canvas = expect_context::<Canvas>();
    let jump = move |offset: usize| {
        if let Some(area) = textarea.get() {
            let at = canvas.source.with_untracked(|source| text::utf16_offset(source, offset)) as u32;
            let _ = area.focus();
            let _ = area.set_selection_range(at, at);
            canvas.cursor.set(offset);
        }
    };
    view! {
        <ul class="diagnostics" id="diagnostics">
            <For each=move || diagnostics.get() key=|d| (d.span.start, d.span.end, d.message.clone()) let:diagnostic>
                <li class=diagnostic.severity.as_str() on:click=move |_| jump(diagnostic.span.range().start)>
                    <span class="where">{format!("{}:{}", diagnostic.start.line, diagnostic.start.column)}</span>
                    {diagnostic.message.clone()}
                    {diagnostic.label.clone().map(|label| view! { <span class="muted">" — " {label}</span> })}
                </li>
            </For>
        </ul>
    }
}
