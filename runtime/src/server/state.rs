//! What the server holds: the store, the trace writer, the engine, and each
//! canvas's live code behind an atomic pointer.

use crate::canvas::{CanvasCode, ToplevelSource};
use crate::effects::Host;
use crate::engine::{Engine, EngineKind};
use crate::redact::Redaction;
use crate::sandbox::{SandboxError, SandboxLimits};
use arc_swap::ArcSwap;
use dashmap::DashMap;
use gloam_interpreter::Limits;
use gloam_trace_store::{CodeChange, Retention, Store, StoreError, TraceSummary, TraceWriter, WriterConfig};
use serde::Serialize;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::{Mutex, broadcast};

/// Server settings; `Config::default()` is what `gloam serve` uses unless told otherwise.
#[derive(Debug, Clone)]
pub struct Config {
    /// Larger request bodies are refused with 413 (and traced without the body).
    pub max_body_bytes: usize,
    pub retention: Retention,
    pub limits: Limits,
    /// Whole-call timeout of outbound `Http` effects.
    pub outbound_timeout: Duration,
    /// Traces waiting to be written; beyond it they are dropped and counted.
    pub trace_queue: usize,
    /// Applied to every trace before it is stored.
    pub redaction: Redaction,
    /// What runs handlers, workers and crons.
    pub engine: EngineKind,
    /// Memory of one compiled run (its values), in bytes.
    pub max_memory_bytes: usize,
    /// Wall-clock time of one compiled run, effects included.
    pub time_limit: Duration,
    /// Whether served requests become traces. Off, the canvas shows no new
    /// traces or 404s: for measuring what recording costs.
    pub record_traces: bool,
}

impl Config {
    /// The sandbox's limits for one run.
    pub fn sandbox_limits(&self) -> SandboxLimits {
        SandboxLimits { steps: self.limits, memory_bytes: self.max_memory_bytes, time: self.time_limit }
    }
}

impl Default for Config {
    fn default() -> Config {
        Config {
            max_body_bytes: 1024 * 1024,
            retention: Retention::default(),
            limits: Limits::default(),
            outbound_timeout: Duration::from_secs(10),
            trace_queue: 10_000,
            redaction: Redaction::default(),
            engine: EngineKind::default(),
            max_memory_bytes: SandboxLimits::default().memory_bytes,
            time_limit: SandboxLimits::default().time,
            record_traces: true,
        }
    }
}

/// Pushed to editors as server-sent events.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// A request was served (or not: `handler_key` is a 404 key then).
    Trace { trace: TraceSummary, not_found: bool },
    /// A toplevel changed: a live version, a draft, a deletion.
    Code { toplevel_id: i64, version_id: i64, state: gloam_trace_store::VersionState },
}

/// One canvas being served.
pub struct CanvasRuntime {
    pub name: String,
    pub token: String,
    code: ArcSwap<CanvasCode>,
    /// Serialises code changes, so each is checked against the code it replaces.
    pub(crate) edits: Mutex<()>,
    pub events: broadcast::Sender<Event>,
}

impl CanvasRuntime {
    /// The live code. Requests take this once and use it to the end, so a
    /// swap in the middle of a request is never half seen.
    pub fn code(&self) -> Arc<CanvasCode> {
        self.code.load_full()
    }

    pub(crate) fn swap(&self, code: CanvasCode) {
        self.code.store(Arc::new(code));
    }

    pub(crate) fn publish(&self, event: Event) {
        // No subscriber is not an error.
        let _ = self.events.send(event);
    }
}

/// Counters exposed on `/_gloam/metrics`.
#[derive(Debug, Default)]
pub struct Metrics {
    pub requests: AtomicU64,
    pub not_found: AtomicU64,
    pub handler_errors: AtomicU64,
    pub rejected: AtomicU64,
}

impl Metrics {
    pub(crate) fn count(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

pub struct Shared {
    pub store: Store,
    pub writer: TraceWriter,
    pub host: Host,
    pub engine: Arc<Engine>,
    pub config: Config,
    pub metrics: Metrics,
    canvases: DashMap<String, Arc<CanvasRuntime>>,
}

/// The server's state, cheap to clone into every handler.
#[derive(Clone)]
pub struct AppState(pub Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// Why a server could not start.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot set up the HTTP client for outbound calls: {0}")]
    HttpClient(#[from] reqwest::Error),
    #[error(transparent)]
    Sandbox(#[from] SandboxError),
}

/// Canvas names are host-name labels: `NAME.localhost` selects one.
pub fn valid_canvas_name(name: &str) -> bool {
    (1..=63).contains(&name.len())
        && name.bytes().all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

impl AppState {
    /// Loads every canvas of the store and starts the trace writer. Must run
    /// inside the tokio runtime.
    pub async fn open(store: Store, config: Config) -> Result<AppState, OpenError> {
        let writer = TraceWriter::spawn(
            store.clone(),
            WriterConfig { capacity: config.trace_queue, retention: config.retention, ..WriterConfig::default() },
        );
        let shared = Shared {
            host: Host::new(store.clone(), config.outbound_timeout)?,
            engine: Arc::new(Engine::new(config.engine, config.sandbox_limits())?),
            store,
            writer,
            config,
            metrics: Metrics::default(),
            canvases: DashMap::new(),
        };
        let state = AppState(Arc::new(shared));
        for canvas in state.store.canvases().await? {
            let code = state.load_code(&canvas.name).await?;
            state.register(canvas.name, canvas.token, code);
        }
        if let Some(changes) = state.store.code_changes().await? {
            tokio::spawn(follow_code_changes(state.clone(), changes));
        }
        Ok(state)
    }

    /// Tells other nodes on the same store that a canvas's code changed. The
    /// change is stored and live here already, so a failure is only logged.
    pub(crate) async fn announce(&self, canvas: &str) {
        if let Err(error) = self.store.announce_code_change(canvas).await {
            eprintln!("gloam: could not announce the code change of canvas `{canvas}` to other nodes: {error}");
        }
    }

    /// Brings a canvas's live code up to the store's (a change made on another
    /// node), registering the canvas when it is new here.
    async fn reload(&self, name: &str) -> Result<(), StoreError> {
        let Some(canvas) = self.canvas(name) else {
            if let Some(canvas) = self.store.canvas(name).await? {
                let code = self.load_code(name).await?;
                self.register(canvas.name, canvas.token, code);
            }
            return Ok(());
        };
        let _edit = canvas.edits.lock().await;
        if self.store.latest_version_id(name).await? != canvas.code().version {
            canvas.swap(self.load_code(name).await?);
        }
        Ok(())
    }

    /// The live code of a canvas as stored, compiled (on a blocking thread).
    pub(crate) async fn load_code(&self, canvas: &str) -> Result<CanvasCode, StoreError> {
        let version = self.store.latest_version_id(canvas).await?;
        let code = self.code_at(canvas, version).await?;
        let engine = Arc::clone(&self.engine);
        let compiled = tokio::task::spawn_blocking(move || {
            engine.prepare(&code);
            code
        })
        .await;
        // `prepare` does not panic (a compiler panic is a failed compile); a
        // task cancelled by the runtime's shutdown panics here as it would have there.
        Ok(compiled.unwrap_or_else(|error| std::panic::resume_unwind(error.into_panic())))
    }

    /// A canvas's code as it was served at a version.
    pub(crate) async fn code_at(&self, canvas: &str, version: i64) -> Result<CanvasCode, StoreError> {
        let sources = self
            .store
            .code_at(canvas, version)
            .await?
            .into_iter()
            .map(|stored| ToplevelSource { toplevel_id: stored.toplevel_id, source: stored.source, file: stored.file })
            .collect();
        Ok(CanvasCode::assemble(version, sources))
    }

    /// The canvas's runtime; the one already registered when two callers race.
    fn register(&self, name: String, token: String, code: CanvasCode) -> Arc<CanvasRuntime> {
        let entry = self.canvases.entry(name.clone()).or_insert_with(|| {
            let (events, _) = broadcast::channel(1024);
            Arc::new(CanvasRuntime { name, token, code: ArcSwap::from_pointee(code), edits: Mutex::new(()), events })
        });
        entry.value().clone()
    }

    /// The store once every trace submitted so far is written: for reads of
    /// traces that must see the requests just answered.
    pub async fn settled(&self) -> &Store {
        self.writer.flush().await;
        &self.store
    }

    pub fn canvas(&self, name: &str) -> Option<Arc<CanvasRuntime>> {
        self.canvases.get(name).map(|entry| entry.value().clone())
    }

    pub fn canvas_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.canvases.iter().map(|entry| entry.key().clone()).collect();
        names.sort();
        names
    }

    /// The canvas of that name, created (empty, with a new token) when missing.
    pub async fn ensure_canvas(&self, name: &str) -> Result<Arc<CanvasRuntime>, StoreError> {
        if let Some(canvas) = self.canvas(name) {
            return Ok(canvas);
        }
        let canvas = self.store.create_canvas(name).await?;
        let runtime = self.register(canvas.name, canvas.token, CanvasCode::assemble(0, Vec::new()));
        self.announce(name).await;
        Ok(runtime)
    }
}

/// Keeps this node's code in step with changes announced by any node.
async fn follow_code_changes(state: AppState, mut changes: tokio::sync::mpsc::Receiver<CodeChange>) {
    while let Some(change) = changes.recv().await {
        let names = match change {
            CodeChange::Canvas(name) => vec![name],
            CodeChange::Everything => match state.store.canvases().await {
                Ok(canvases) => canvases.into_iter().map(|canvas| canvas.name).collect(),
                Err(error) => {
                    eprintln!("gloam: cannot list canvases to catch up with other nodes: {error}");
                    continue;
                }
            },
        };
        for name in names {
            if let Err(error) = state.reload(&name).await {
                eprintln!("gloam: cannot load the code of canvas `{name}` changed on another node: {error}");
            }
        }
    }
}
