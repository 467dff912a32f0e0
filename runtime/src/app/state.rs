//! What the server holds: the store, the trace writer, the engine, and each
//! canvas's live code behind an atomic pointer.

use super::rate::{RateLimiters, RateLimits};
use crate::budget::{BudgetLimits, CanvasBudget, Lineage, MemoryPool, RunBudget};
use crate::canvas::{CanvasCode, ToplevelSource};
use crate::effects::Host;
use crate::engine::{Engine, EngineKind, Prepared};
use crate::outbound::{AllowedHost, OutboundClient, OutboundPolicy};
use crate::redact::Redaction;
use crate::sandbox::{SandboxError, SandboxLimits};
use crate::telemetry::metrics::CanvasCounter;
use arc_swap::ArcSwap;
use dashmap::DashMap;
use gloam_interpreter::Limits;
use gloam_trace_store::{
    CodeChange, CodeStore, DataStore, Retention, SecretStore, Store, StoreError, TraceBudget, TraceStore, TraceWriter,
    WriterConfig,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::{Mutex, broadcast};
use tokio_util::sync::CancellationToken;

/// Server settings; `Config::default()` is what `gloam serve` uses unless told otherwise.
#[derive(Debug, Clone)]
pub struct Config {
    /// Larger request bodies are refused with 413 (and traced without the body).
    pub max_body_bytes: usize,
    /// Time a client has to send a request's whole body; slower gets 408.
    pub body_timeout: Duration,
    pub retention: Retention,
    pub limits: Limits,
    /// Whole-call timeout of outbound `Http` effects.
    pub outbound_timeout: Duration,
    /// Where outbound `Http` effects may go.
    pub outbound: OutboundPolicy,
    /// Traces waiting to be written; beyond it they are dropped and counted.
    pub trace_queue: usize,
    /// What each canvas's stored traces may take (bytes, distinct 404 keys).
    pub trace_budget: TraceBudget,
    /// Applied to every trace before it is stored.
    pub redaction: Redaction,
    /// What runs handlers, workers and crons.
    pub engine: EngineKind,
    /// Memory of one compiled run (its values), in bytes.
    pub max_memory_bytes: usize,
    /// Wall-clock time of one compiled run, effects included.
    pub time_limit: Duration,
    /// How long start-up waits for one canvas's code to load.
    pub load_timeout: Duration,
    /// Memory all runs together may hold, in bytes.
    pub total_memory_bytes: usize,
    /// Each canvas's share of the server, and each request's.
    pub budgets: BudgetLimits,
    /// Request rate limits.
    pub rates: RateLimits,
    /// Whether served requests become traces. Off, the canvas shows no new
    /// traces or 404s: for measuring what recording costs.
    pub record_traces: bool,
}

impl Config {
    /// The sandbox's limits for one run, taking memory from `pool`.
    pub fn sandbox_limits(&self, pool: Arc<MemoryPool>) -> SandboxLimits {
        SandboxLimits {
            steps: self.limits,
            memory_bytes: self.max_memory_bytes,
            time: self.time_limit,
            pool: Some(pool),
        }
    }
}

impl Default for Config {
    fn default() -> Config {
        Config {
            max_body_bytes: 1024 * 1024,
            body_timeout: Duration::from_secs(30),
            retention: Retention::default(),
            limits: Limits::default(),
            outbound_timeout: Duration::from_secs(10),
            outbound: OutboundPolicy::default(),
            trace_queue: 10_000,
            trace_budget: TraceBudget::default(),
            redaction: Redaction::default(),
            engine: EngineKind::default(),
            max_memory_bytes: SandboxLimits::default().memory_bytes,
            time_limit: SandboxLimits::default().time,
            load_timeout: Duration::from_secs(30),
            total_memory_bytes: MemoryPool::default_limit(),
            budgets: BudgetLimits::default(),
            rates: RateLimits::default(),
            record_traces: true,
        }
    }
}

/// Pushed to editors as server-sent events.
pub use gloam_api::Event;

/// One canvas being served.
pub struct CanvasRuntime {
    pub name: String,
    pub token: String,
    code: ArcSwap<Prepared>,
    /// Serialises code changes, so each is checked against the code it replaces.
    pub(crate) edits: Mutex<()>,
    pub events: broadcast::Sender<Event>,
    /// Its share of the server: runs, outbound calls, queued events.
    pub budget: Arc<CanvasBudget>,
    /// Why its traffic cannot be served yet (code still loading at start).
    pub unavailable: arc_swap::ArcSwapOption<String>,
    /// Its outbound client: the server's, or one with its own allow-list too.
    outbound: ArcSwap<OutboundClient>,
}

impl CanvasRuntime {
    /// What a run of this canvas may take. `client_gone` is the client's of a
    /// request; runs no client waits for get one never cancelled.
    pub fn run_budget(&self, lineage: Lineage, client_gone: Option<CancellationToken>) -> RunBudget {
        RunBudget {
            canvas: self.budget.clone(),
            lineage,
            client_gone: client_gone.unwrap_or_default(),
            outbound: self.outbound.load_full(),
        }
    }

    /// The live code. Requests take this once and use it to the end, so a
    /// swap in the middle of a request is never half seen.
    pub fn code(&self) -> Arc<Prepared> {
        self.code.load_full()
    }

    pub(crate) fn swap(&self, code: impl Into<Prepared>) {
        self.code.store(Arc::new(code.into()));
    }

    pub(crate) fn publish(&self, event: Event) {
        // No subscriber is not an error.
        let _ = self.events.send(event);
    }
}

/// Counters exposed on `/_gloam/metrics`, per canvas (requests that named
/// no canvas count under `_none`).
#[derive(Debug, Default)]
pub struct Metrics {
    pub requests: CanvasCounter,
    pub not_found: CanvasCounter,
    pub handler_errors: CanvasCounter,
    pub rejected: CanvasCounter,
    /// Connections answered 503 because a connection cap was reached.
    pub refused_connections: AtomicU64,
}

impl Metrics {
    pub(crate) fn count(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn count_refused_connection(&self) {
        Metrics::count(&self.refused_connections);
    }
}

pub struct Shared {
    /// The whole store: for the canvases themselves (create, load, follow
    /// other nodes' changes, outbound lists, cron claims). Services use the
    /// narrow view of their concern below.
    pub store: Store,
    /// Code history: saves, pushes, rollbacks, versions.
    pub code: CodeStore,
    /// Stored traces and the 404 list (writing goes through `writer`).
    pub traces: TraceStore,
    /// Datastore rows, as the editor reads them (runs reach them through `host`).
    pub data: DataStore,
    /// Secrets and their audit log, as the editor API manages them.
    pub secrets: SecretStore,
    pub writer: TraceWriter,
    pub host: Host,
    pub engine: Arc<Engine>,
    pub config: Config,
    pub metrics: Metrics,
    pub rates: RateLimiters,
    canvases: DashMap<String, Arc<CanvasRuntime>>,
    /// Set once when the server begins to stop: event streams end, the
    /// listener stops accepting.
    stopping: tokio::sync::watch::Sender<bool>,
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
            WriterConfig {
                capacity: config.trace_queue,
                retention: config.retention,
                budget: config.trace_budget,
                ..WriterConfig::default()
            },
        );
        let shared = Shared {
            host: Host::new(&store, config.outbound_timeout, config.outbound.clone())?,
            code: store.code(),
            traces: store.trace_store(),
            data: store.data(),
            secrets: store.secrets(),
            engine: Arc::new(Engine::new(
                config.engine,
                config.sandbox_limits(Arc::new(MemoryPool::new(config.total_memory_bytes))),
            )?),
            store,
            writer,
            rates: RateLimiters::new(config.rates),
            config,
            metrics: Metrics::default(),
            canvases: DashMap::new(),
            stopping: tokio::sync::watch::Sender::new(false),
        };
        let state = AppState(Arc::new(shared));
        tokio::spawn(forget_idle_clients(Arc::downgrade(&state.0)));
        for canvas in state.store.canvases().await? {
            state.load_at_start(canvas).await?;
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
            tracing::error!(%canvas, %error, "could not announce a code change to other nodes");
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
        self.load_outbound(&canvas).await
    }

    /// Reads a canvas's outbound allow-list from the store into its client.
    /// Hosts that no longer parse (none should: the API checks them) are skipped.
    pub(crate) async fn load_outbound(&self, canvas: &CanvasRuntime) -> Result<(), StoreError> {
        let hosts: Vec<AllowedHost> =
            self.store.outbound_allowed(&canvas.name).await?.iter().filter_map(|host| host.parse().ok()).collect();
        match self.host.outbound.allowing(hosts, self.host.outbound_timeout) {
            Ok(client) => canvas.outbound.store(Arc::new(client)),
            Err(error) => tracing::error!("canvas `{}`: cannot set up its outbound client: {error}", canvas.name),
        }
        Ok(())
    }

    /// Loads a canvas at start within `Config::load_timeout`. Code that takes
    /// longer (or crashes the analysis) does not keep the server from
    /// starting: the canvas answers 503 saying why until its code is loaded.
    async fn load_at_start(&self, canvas: gloam_trace_store::Canvas) -> Result<(), StoreError> {
        let loader = self.clone();
        let name = canvas.name.clone();
        let mut loading = tokio::spawn(async move { loader.load_code(&name).await });
        let unavailable = match tokio::time::timeout(self.config.load_timeout, &mut loading).await {
            Ok(Ok(loaded)) => {
                let runtime = self.register(canvas.name, canvas.token, loaded?);
                return self.load_outbound(&runtime).await;
            }
            Ok(Err(_crashed)) => "its code could not be loaded (the analysis crashed; the server log has the details)",
            Err(_elapsed) => "its code is still loading",
        };
        tracing::warn!("canvas `{}`: {unavailable}; serving 503 until it loads", canvas.name);
        let runtime = self.register(canvas.name, canvas.token, CanvasCode::assemble(0, Vec::new()));
        self.load_outbound(&runtime).await?;
        runtime.unavailable.store(Some(Arc::new(unavailable.to_string())));
        tokio::spawn(async move {
            let error = match loading.await {
                Ok(Ok(code)) => {
                    runtime.swap(code);
                    runtime.unavailable.store(None);
                    tracing::info!("canvas `{}` loaded", runtime.name);
                    return;
                }
                Ok(Err(error)) => error.to_string(),
                Err(crash) => crash.to_string(),
            };
            tracing::error!(canvas = %runtime.name, %error, "a canvas's code could not be loaded");
            let reason = "its code could not be loaded (the server log has the details)";
            runtime.unavailable.store(Some(Arc::new(reason.to_string())));
        });
        Ok(())
    }

    /// The live code of a canvas as stored, analysed and compiled (on a blocking thread).
    pub(crate) async fn load_code(&self, canvas: &str) -> Result<Prepared, StoreError> {
        let version = self.store.latest_version_id(canvas).await?;
        let sources = self.sources_at(canvas, version).await?;
        let engine = Arc::clone(&self.engine);
        let compiled = tokio::task::spawn_blocking(move || {
            let code = Prepared::from(CanvasCode::assemble(version, sources));
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
        let sources = self.sources_at(canvas, version).await?;
        Ok(CanvasCode::assemble(version, sources))
    }

    async fn sources_at(&self, canvas: &str, version: i64) -> Result<Vec<ToplevelSource>, StoreError> {
        Ok(self
            .store
            .code_at(canvas, version)
            .await?
            .into_iter()
            .map(|stored| ToplevelSource { toplevel_id: stored.toplevel_id, source: stored.source, file: stored.file })
            .collect())
    }

    /// The canvas's runtime; the one already registered when two callers race.
    fn register(&self, name: String, token: String, code: impl Into<Prepared>) -> Arc<CanvasRuntime> {
        let entry = self.canvases.entry(name.clone()).or_insert_with(|| {
            let (events, _) = broadcast::channel(1024);
            Arc::new(CanvasRuntime {
                name,
                token,
                code: ArcSwap::from_pointee(code.into()),
                edits: Mutex::new(()),
                events,
                budget: Arc::new(CanvasBudget::new(self.config.budgets)),
                unavailable: arc_swap::ArcSwapOption::empty(),
                outbound: ArcSwap::new(self.host.outbound.clone()),
            })
        });
        entry.value().clone()
    }

    /// Begins a graceful stop (see `stopping`).
    pub fn stop(&self) {
        self.stopping.send_replace(true);
    }

    /// Resolves once `stop` was called (at once if it already was).
    pub fn stopping(&self) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + 'static>> {
        let mut stopped = self.stopping.subscribe();
        Box::pin(async move {
            // An error means the sender is gone: the server is gone too.
            let _ = stopped.wait_for(|stopping| *stopping).await;
        })
    }

    /// The store once every trace submitted so far is written: for reads of
    /// traces that must see the requests just answered.
    pub async fn settled(&self) -> &TraceStore {
        self.writer.flush().await;
        &self.traces
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

/// Every minute, drops the rate limiters' state of clients gone quiet; ends with the server.
async fn forget_idle_clients(shared: std::sync::Weak<Shared>) {
    loop {
        tokio::time::sleep(Duration::from_secs(60)).await;
        let Some(shared) = shared.upgrade() else { return };
        shared.rates.forget_idle();
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
                    tracing::error!(%error, "cannot list canvases to catch up with other nodes");
                    continue;
                }
            },
        };
        for name in names {
            if let Err(error) = state.reload(&name).await {
                tracing::error!(canvas = %name, %error, "cannot load code changed on another node");
            }
        }
    }
}
