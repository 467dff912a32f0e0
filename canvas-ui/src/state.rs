//! The canvas's state, shared by every view as one `Copy` context of
//! signals, and the actions that change it (each one call or two to the
//! editor API).

use crate::api::{
    Api, ApiError, Event, LiveValues, Replay, Severity, Summary, TRACES_SHOWN, Toplevel, ToplevelKind, Trace,
    TraceSummary, VersionState,
};
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::time::Duration;

/// What the middle of the screen shows.
#[derive(Debug, Clone, PartialEq)]
pub enum Selection {
    Welcome,
    /// A toplevel in the editor (a datastore's also shows its rows).
    Toplevel(i64),
    /// A toplevel being written that was never saved.
    New,
    NotFound(String),
    Logs,
}

/// The right-hand panel's tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Trace,
    Replay,
    History,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub error: bool,
    pub text: String,
}

#[derive(Clone, Copy)]
pub struct Canvas {
    pub api: StoredValue<Api>,
    pub summary: RwSignal<Option<Summary>>,
    pub selection: RwSignal<Selection>,
    /// Traces of the selection, newest first.
    pub traces: RwSignal<Vec<TraceSummary>>,
    pub trace_id: RwSignal<Option<String>>,
    pub trace: RwSignal<Option<Trace>>,
    /// The editor's text, and the text it was loaded or last saved with.
    pub source: RwSignal<String>,
    pub saved_source: RwSignal<String>,
    /// The newest analysis and the text it was of.
    pub live: RwSignal<Option<(String, LiveValues)>>,
    /// Byte offset of the cursor in `source`.
    pub cursor: RwSignal<usize>,
    /// The loop iteration (or call) whose values are shown.
    pub iteration: RwSignal<usize>,
    pub replay: RwSignal<Option<Replay>>,
    pub tab: RwSignal<Tab>,
    pub notice: RwSignal<Option<Notice>>,
    /// The event stream is open.
    pub connected: RwSignal<bool>,
    /// The token was refused: the canvas asks for another.
    pub unauthorised: RwSignal<bool>,
    /// Counts traces that arrived: views of data (rows, logs) reload on it.
    pub arrivals: RwSignal<u64>,
    /// A save is on its way: another would race it.
    saving: RwSignal<bool>,
    analysis: StoredValue<Analysis>,
    not_found_refresh: StoredValue<Option<TimeoutHandle>>,
}

/// Live-value analyses: the pending timer, and a generation counter so an
/// answer to older text, another trace or another toplevel is dropped.
#[derive(Default)]
struct Analysis {
    timer: Option<TimeoutHandle>,
    generation: u64,
}

/// The pause after typing before the code is analysed again.
const ANALYSIS_DELAY: Duration = Duration::from_millis(30);
/// 404 events coalesce for this long before the list is reloaded (a scanner
/// sends many).
const NOT_FOUND_DELAY: Duration = Duration::from_millis(250);

/// Runs `then` after `delay`, cancelling what was scheduled in `timer` before.
fn debounce(timer: &mut Option<TimeoutHandle>, delay: Duration, then: impl FnOnce() + 'static) {
    if let Some(pending) = timer.take() {
        pending.clear();
    }
    *timer = set_timeout_with_handle(then, delay).ok();
}

impl Canvas {
    pub fn new(api: Api) -> Canvas {
        Canvas {
            api: StoredValue::new(api),
            summary: RwSignal::new(None),
            selection: RwSignal::new(Selection::Welcome),
            traces: RwSignal::new(Vec::new()),
            trace_id: RwSignal::new(None),
            trace: RwSignal::new(None),
            source: RwSignal::new(String::new()),
            saved_source: RwSignal::new(String::new()),
            live: RwSignal::new(None),
            cursor: RwSignal::new(0),
            iteration: RwSignal::new(0),
            replay: RwSignal::new(None),
            tab: RwSignal::new(Tab::Trace),
            notice: RwSignal::new(None),
            connected: RwSignal::new(false),
            unauthorised: RwSignal::new(false),
            arrivals: RwSignal::new(0),
            saving: RwSignal::new(false),
            analysis: StoredValue::new(Analysis::default()),
            not_found_refresh: StoredValue::new(None),
        }
    }

    pub fn say(self, text: impl Into<String>) {
        self.notice.set(Some(Notice { error: false, text: text.into() }));
    }

    pub fn complain(self, error: &ApiError) {
        if error.status == 401 {
            self.unauthorised.set(true);
        }
        self.notice.set(Some(Notice { error: true, text: error.to_string() }));
    }

    /// Runs an API call in the background; a failure becomes the notice.
    pub fn call<T: 'static>(
        self,
        request: impl AsyncFnOnce(Api) -> crate::api::Result<T> + 'static,
        then: impl FnOnce(T) + 'static,
    ) {
        let api = self.api.get_value();
        spawn_local(async move {
            match request(api).await {
                Ok(answer) => then(answer),
                Err(error) => self.complain(&error),
            }
        });
    }

    /// The open toplevel, as the summary has it.
    pub fn open_toplevel(self) -> Option<Toplevel> {
        let Selection::Toplevel(id) = self.selection.get() else { return None };
        self.summary.with(|summary| summary.as_ref()?.toplevels.iter().find(|t| t.id == id).cloned())
    }

    /// The editor has changes that are not saved.
    pub fn dirty(self) -> bool {
        self.source.with(|source| self.saved_source.with(|saved| source != saved))
    }

    fn dirty_untracked(self) -> bool {
        self.source.with_untracked(|source| self.saved_source.with_untracked(|saved| source != saved))
    }

    /// The editor is open and holds changes that are not saved.
    pub fn unsaved_edits(self) -> bool {
        matches!(self.selection.get_untracked(), Selection::Toplevel(_) | Selection::New) && self.dirty_untracked()
    }

    /// Drops the analysis shown and any on its way (another trace or
    /// toplevel is coming).
    fn forget_analysis(self) {
        self.analysis.update_value(|analysis| analysis.generation += 1);
        self.live.set(None);
    }

    /// Loads the canvas summary; the open toplevel follows a newer version
    /// unless the editor holds unsaved changes.
    pub fn reload(self) {
        self.call(
            async |api| api.summary().await,
            move |summary| {
                self.unauthorised.set(false);
                self.summary.set(Some(summary));
                if let Some(toplevel) = self.open_toplevel()
                    && !self.dirty_untracked()
                    && toplevel.source() != self.source.get_untracked()
                {
                    self.load_source(toplevel.source());
                }
            },
        );
    }

    fn load_source(self, source: &str) {
        self.source.set(source.to_string());
        self.saved_source.set(source.to_string());
    }

    /// Opens something else; unsaved changes are kept unless the user
    /// agrees to drop them.
    pub fn select(self, selection: Selection) {
        if self.selection.get_untracked() == selection {
            return;
        }
        if self.unsaved_edits() && !window().confirm_with_message("Drop the unsaved changes?").unwrap_or(false) {
            return;
        }
        self.forget_analysis();
        self.selection.set(selection.clone());
        self.replay.set(None);
        self.iteration.set(0);
        self.cursor.set(0);
        match &selection {
            Selection::Toplevel(_) => {
                let source = self.open_toplevel().map(|toplevel| toplevel.source().to_string()).unwrap_or_default();
                self.load_source(&source);
            }
            Selection::New => {
                // Unsaved from the start: the editor shows it as a change.
                self.load_source("");
                self.source.set(NEW_TOPLEVEL.to_string());
            }
            _ => {}
        }
        self.traces.set(Vec::new());
        self.select_trace(None);
        self.load_traces();
        self.tab.set(Tab::Trace);
    }

    /// Loads the traces of the selection and selects the newest.
    pub fn load_traces(self) {
        let selection = self.selection.get_untracked();
        let toplevel = self.open_toplevel();
        let function = toplevel.as_ref().filter(|t| t.kind == Some(ToplevelKind::Function)).and_then(|t| t.key.clone());
        let key = match &selection {
            Selection::NotFound(key) => Some(key.clone()),
            _ => toplevel.as_ref().and_then(Toplevel::trace_key).map(|key| key.to_string()),
        };
        if key.is_none() && function.is_none() {
            return;
        }
        self.call(
            async move |api| match (key, function) {
                (Some(key), _) => api.traces_of(&key).await,
                (None, Some(function)) => api.function_traces(&function).await,
                (None, None) => Ok(Vec::new()),
            },
            move |traces| {
                if self.selection.get_untracked() != selection {
                    return;
                }
                let newest = traces.first().map(|trace| trace.id.clone());
                // Traces that arrived as events while this list was on its way stay, once.
                self.traces.update(|shown| {
                    let arrived: Vec<TraceSummary> =
                        shown.drain(..).filter(|t| traces.iter().all(|listed| listed.id != t.id)).collect();
                    *shown = arrived.into_iter().chain(traces).take(TRACES_SHOWN).collect();
                });
                if self.trace_id.get_untracked().is_none() {
                    self.select_trace(newest);
                }
            },
        );
    }

    pub fn select_trace(self, id: Option<String>) {
        self.forget_analysis();
        self.trace_id.set(id.clone());
        self.trace.set(None);
        // A replay belongs to the trace it ran: the panel goes back to the request.
        self.replay.set(None);
        if self.tab.get_untracked() == Tab::Replay {
            self.tab.set(Tab::Trace);
        }
        self.iteration.set(0);
        let Some(id) = id else { return };
        self.call(
            async move |api| api.trace(&id).await,
            move |trace| {
                if self.trace_id.get_untracked().as_deref() == Some(trace.trace.id.as_str()) {
                    self.trace.set(Some(trace));
                }
            },
        );
    }

    /// Moves to a newer (`-1`) or older (`+1`) trace.
    pub fn step_trace(self, by: isize) {
        let traces = self.traces.get_untracked();
        let current = self.trace_id.get_untracked();
        let index = current.and_then(|id| traces.iter().position(|t| t.id == id));
        let next = match index {
            Some(index) => index.saturating_add_signed(by).min(traces.len().saturating_sub(1)),
            None => 0,
        };
        if let Some(trace) = traces.get(next) {
            self.select_trace(Some(trace.id.clone()));
        }
    }

    /// Analyses the editor's text against the selected trace after a pause
    /// in typing (without a trace: only its diagnostics).
    pub fn analyse_soon(self) {
        let toplevel_id = match self.selection.get_untracked() {
            Selection::Toplevel(id) => Some(id),
            Selection::New => None,
            _ => return,
        };
        self.analysis.update_value(|analysis| {
            debounce(&mut analysis.timer, ANALYSIS_DELAY, move || self.analyse(toplevel_id));
        });
    }

    fn analyse(self, toplevel_id: Option<i64>) {
        let source = self.source.get_untracked();
        let trace_id = self.trace_id.get_untracked();
        let generation = self.analysis.with_value(|analysis| analysis.generation) + 1;
        self.analysis.update_value(|analysis| analysis.generation = generation);
        let analysed = source.clone();
        self.call(
            async move |api| api.live_values(trace_id.as_deref(), toplevel_id, &source).await,
            move |values| {
                if self.analysis.with_value(|analysis| analysis.generation) == generation {
                    self.live.set(Some((analysed, values)));
                }
            },
        );
    }

    /// Saves the editor's text: live at once if the canvas type-checks with
    /// it, a draft otherwise.
    pub fn save(self) {
        if self.saving.get_untracked() {
            return;
        }
        self.saving.set(true);
        let source = self.source.get_untracked();
        let selection = self.selection.get_untracked();
        let saving = source.clone();
        let api = self.api.get_value();
        spawn_local(async move {
            let answer = match selection {
                Selection::Toplevel(id) => api.save(id, &source).await,
                _ => api.create(&source).await,
            };
            self.saving.set(false);
            match answer {
                Ok(saved) => self.saved(saved, saving),
                Err(error) => self.complain(&error),
            }
        });
    }

    fn saved(self, saved: crate::api::Saved, text: String) {
        self.saved_source.set(text);
        let errors = saved.diagnostics.iter().filter(|d| d.severity == Severity::Error).count();
        if saved.state == VersionState::Live {
            self.say(format!("Saved version {} — live now", saved.version.id));
        } else {
            let text = format!(
                "Saved version {} as a draft: {errors} error(s); the live version keeps serving",
                saved.version.id
            );
            self.notice.set(Some(Notice { error: true, text }));
        }
        self.after_change(saved.toplevel_id);
    }

    /// After a save, rollback or a new handler: the summary as stored, the
    /// toplevel opened; text typed meanwhile stays (unsaved).
    fn after_change(self, toplevel_id: i64) {
        let reopen = self.selection.get_untracked() != Selection::Toplevel(toplevel_id);
        let key_before = self.open_toplevel().and_then(|t| t.trace_key());
        self.call(
            async |api| api.summary().await,
            move |summary| {
                self.summary.set(Some(summary));
                if !reopen && self.open_toplevel().and_then(|t| t.trace_key()) != key_before {
                    // A handler whose route changed has other traces now.
                    self.traces.set(Vec::new());
                    self.select_trace(None);
                    self.load_traces();
                }
                if reopen {
                    // What was in the editor is stored now: nothing to drop.
                    self.saved_source.set(self.source.get_untracked());
                    self.select(Selection::Toplevel(toplevel_id));
                } else if let Some(toplevel) = self.open_toplevel()
                    && !self.dirty_untracked()
                {
                    self.load_source(toplevel.source());
                }
            },
        );
    }

    pub fn rollback(self, toplevel_id: i64, version: i64) {
        self.call(
            async move |api| api.rollback(toplevel_id, version).await,
            move |saved| {
                self.say(format!("Rolled back: version {} is {}", saved.version.id, saved.state));
                // The rolled-back text replaces the editor's, as asked.
                self.load_source(&saved.version.source);
                self.after_change(toplevel_id);
            },
        );
    }

    pub fn handler_from_404(self, key: String) {
        self.call(
            async move |api| api.handler_from_404(&key).await,
            move |saved| {
                self.say("Handler created: it answers 501 until you write it");
                self.after_change(saved.toplevel_id);
            },
        );
    }

    pub fn replay(self) {
        let Some(trace_id) = self.trace_id.get_untracked() else {
            self.say("Select a trace to replay");
            return;
        };
        if self.dirty() {
            self.say("Replays run the live code: save (Ctrl+S) to replay your changes");
        }
        self.tab.set(Tab::Replay);
        let replayed = trace_id.clone();
        self.call(
            async move |api| api.replay(&trace_id).await,
            move |replay| {
                // Only while its trace is still the selected one.
                if self.trace_id.get_untracked().as_deref() == Some(replayed.as_str()) {
                    self.replay.set(Some(replay));
                }
            },
        );
    }

    /// An event from the server: new traces appear as dots, code changes
    /// reload the summary.
    pub fn on_event(self, event: Event) {
        match event {
            Event::Trace { trace, not_found } => {
                self.arrivals.update(|count| *count += 1);
                if not_found {
                    self.not_found_refresh.update_value(|timer| {
                        debounce(timer, NOT_FOUND_DELAY, move || self.reload_not_found());
                    });
                }
                let selection = self.selection.get_untracked();
                let shown_key = match &selection {
                    Selection::NotFound(key) => Some(key.clone()),
                    _ => self.open_toplevel().and_then(|t| t.trace_key()).map(|key| key.to_string()),
                };
                if shown_key.as_deref() == Some(trace.handler_key.as_str()) {
                    let id = trace.id.clone();
                    self.traces.update(|traces| {
                        if traces.iter().all(|shown| shown.id != trace.id) {
                            traces.insert(0, trace);
                            traces.truncate(TRACES_SHOWN);
                        }
                    });
                    if self.trace_id.get_untracked().is_none() {
                        self.select_trace(Some(id));
                    }
                } else if self.open_toplevel().is_some_and(|t| t.kind == Some(ToplevelKind::Function)) {
                    self.load_traces();
                }
            }
            Event::Code { .. } => self.reload(),
        }
    }
}

impl Canvas {
    fn reload_not_found(self) {
        self.call(
            async |api| api.not_found().await,
            move |listed| {
                self.summary.update(|summary| {
                    if let Some(summary) = summary {
                        summary.not_found = listed;
                    }
                })
            },
        );
    }
}

/// What a new toplevel starts as.
pub const NEW_TOPLEVEL: &str = "handler GET /new =\n  Http.text(\"Hello\", 200)\n";
