//! The batching trace writer: requests hand traces over without waiting, one
//! task writes them in batches and applies retention. A full queue drops the
//! trace and counts it; nothing is lost silently.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use crate::{Retention, Store, Trace, TraceBudget, WriteOutcome, now_ms};

/// How often traces older than the retention age are swept from every
/// handler key, including keys that no longer receive traffic.
const SWEEP_INTERVAL: Duration = Duration::from_secs(60 * 60);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriterConfig {
    /// Traces that may wait in the queue; more are dropped.
    pub capacity: usize,
    /// Traces written per transaction, at most.
    pub batch: usize,
    /// Applied to a handler key in the batch that brings a tenth of `newest`
    /// new traces to it (see `Untrimmed`), and by age in the hourly sweep.
    pub retention: Retention,
    /// Bytes of traces (bodies, headers, effects, logs) that may wait in the
    /// queue; more are dropped, so large bodies cannot exhaust memory.
    pub max_bytes: usize,
    /// What each canvas's stored traces may take, enforced with every batch.
    pub budget: TraceBudget,
    /// Traces of one canvas that may wait in the queue, as a share of
    /// `capacity`: one canvas's flood cannot drop every other canvas's traces.
    pub canvas_share: Share,
}

/// A fraction, in percent (1–100).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Share(pub u8);

impl Share {
    fn of(self, whole: usize) -> usize {
        (whole * usize::from(self.0.clamp(1, 100)) / 100).max(1)
    }
}

impl Default for WriterConfig {
    fn default() -> WriterConfig {
        WriterConfig {
            capacity: 10_000,
            batch: 256,
            retention: Retention::default(),
            max_bytes: 256 * 1024 * 1024,
            budget: TraceBudget::default(),
            canvas_share: Share(50),
        }
    }
}

/// The writer's counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct WriterStats {
    /// Traces waiting in the queue now.
    pub queued: u64,
    /// Traces stored.
    pub written: u64,
    /// Traces refused because the queue was full (or the writer had stopped).
    pub dropped: u64,
    /// Batches whose write failed.
    pub failed_batches: u64,
    /// Traces lost in those batches.
    pub failed_traces: u64,
    /// Stored traces deleted because their canvas went over its byte budget.
    pub over_budget: u64,
    /// 404 keys dropped past the cap (their traces deleted, their requests counted).
    pub collapsed_not_found_keys: u64,
}

#[derive(Debug, Default)]
struct Counters {
    queued: AtomicU64,
    queued_bytes: AtomicU64,
    written: AtomicU64,
    dropped: AtomicU64,
    failed_batches: AtomicU64,
    failed_traces: AtomicU64,
    over_budget: AtomicU64,
    collapsed_not_found_keys: AtomicU64,
    /// Traces waiting, per canvas (only canvases with some).
    queued_per_canvas: std::sync::Mutex<HashMap<String, usize>>,
}

impl Counters {
    /// Counts a trace of `canvas` into the queue, unless the canvas has its share.
    fn enter(&self, canvas: &str, share: usize) -> bool {
        let mut queued = self.queued_per_canvas.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // On every request's path: the name is copied only for a canvas not in the map yet.
        if !queued.contains_key(canvas) {
            queued.insert(canvas.to_string(), 0);
        }
        let Some(waiting) = queued.get_mut(canvas) else { return false };
        if *waiting >= share {
            return false;
        }
        *waiting += 1;
        true
    }

    fn leave(&self, canvas: &str) {
        let mut queued = self.queued_per_canvas.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(waiting) = queued.get_mut(canvas) {
            *waiting -= 1;
            if *waiting == 0 {
                queued.remove(canvas);
            }
        }
    }
}

enum Message {
    /// A trace and its size, as `approximate_size` measured it.
    Trace(Box<Trace>, u64),
    /// Answered once every trace queued before it has been handled.
    Flush(oneshot::Sender<()>),
}

/// A handle on the writer task. Clones share the task; it ends, after
/// writing what is queued, when the last handle is dropped.
#[derive(Debug, Clone)]
pub struct TraceWriter {
    sender: mpsc::Sender<Message>,
    counters: Arc<Counters>,
    max_bytes: u64,
    canvas_share: usize,
}

impl TraceWriter {
    /// Spawns the writer task on the current tokio runtime (panics outside one).
    pub fn spawn(store: Store, config: WriterConfig) -> TraceWriter {
        let (sender, receiver) = mpsc::channel(config.capacity.max(1));
        let counters = Arc::new(Counters::default());
        tokio::spawn(run(store, config, receiver, Arc::clone(&counters)));
        TraceWriter {
            sender,
            counters,
            max_bytes: u64::try_from(config.max_bytes).unwrap_or(u64::MAX),
            canvas_share: config.canvas_share.of(config.capacity.max(1)),
        }
    }

    /// Queues a trace. Never blocks or awaits: when the queue is full (in
    /// traces or in bytes) the trace is dropped, counted, and false is returned.
    pub fn submit(&self, trace: Trace) -> bool {
        let size = approximate_size(&trace);
        let canvas = trace.canvas.clone();
        if !self.counters.enter(&canvas, self.canvas_share) {
            self.counters.dropped.fetch_add(1, Ordering::Relaxed);
            return false;
        }
        // Counted before sending so the task never takes them below zero.
        let bytes_before = self.counters.queued_bytes.fetch_add(size, Ordering::Relaxed);
        self.counters.queued.fetch_add(1, Ordering::Relaxed);
        let sent = bytes_before.saturating_add(size) <= self.max_bytes
            && self.sender.try_send(Message::Trace(Box::new(trace), size)).is_ok();
        if !sent {
            self.counters.queued_bytes.fetch_sub(size, Ordering::Relaxed);
            self.counters.queued.fetch_sub(1, Ordering::Relaxed);
            self.counters.leave(&canvas);
            self.counters.dropped.fetch_add(1, Ordering::Relaxed);
        }
        sent
    }

    pub fn stats(&self) -> WriterStats {
        let counters = &self.counters;
        WriterStats {
            queued: counters.queued.load(Ordering::Relaxed),
            written: counters.written.load(Ordering::Relaxed),
            dropped: counters.dropped.load(Ordering::Relaxed),
            failed_batches: counters.failed_batches.load(Ordering::Relaxed),
            failed_traces: counters.failed_traces.load(Ordering::Relaxed),
            over_budget: counters.over_budget.load(Ordering::Relaxed),
            collapsed_not_found_keys: counters.collapsed_not_found_keys.load(Ordering::Relaxed),
        }
    }

    /// Waits until every trace submitted before the call has been written
    /// (or its batch has failed).
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.sender.send(Message::Flush(done)).await.is_ok() {
            // An error means the task has ended, and with it all writing.
            let _ = wait.await;
        }
    }
}

async fn run(store: Store, config: WriterConfig, mut receiver: mpsc::Receiver<Message>, counters: Arc<Counters>) {
    let batch_size = config.batch.max(1);
    let mut batch: Vec<Trace> = Vec::with_capacity(batch_size);
    let mut flushes: Vec<oneshot::Sender<()>> = Vec::new();
    let mut untrimmed = Untrimmed::default();
    let mut next_sweep = Instant::now() + SWEEP_INTERVAL;
    loop {
        let first = tokio::select! {
            message = receiver.recv() => message,
            () = tokio::time::sleep_until(next_sweep) => {
                sweep(&store, config.retention).await;
                // Keys that stopped receiving traces are not kept for ever.
                untrimmed.0.clear();
                next_sweep = Instant::now() + SWEEP_INTERVAL;
                continue;
            }
        };
        let Some(first) = first else { break };
        let mut next = Some(first);
        while let Some(message) = next.take() {
            match message {
                Message::Trace(trace, size) => {
                    counters.queued.fetch_sub(1, Ordering::Relaxed);
                    counters.queued_bytes.fetch_sub(size, Ordering::Relaxed);
                    counters.leave(&trace.canvas);
                    batch.push(*trace);
                }
                // Stop here: the traces before the flush are all in this batch.
                Message::Flush(done) => {
                    flushes.push(done);
                    break;
                }
            }
            if batch.len() < batch_size {
                next = receiver.try_recv().ok();
            }
        }
        if !batch.is_empty() {
            let trim = untrimmed.add(&batch, config.retention);
            if write_batch(&store, &config, &batch, &trim, &counters).await {
                untrimmed.trimmed(&trim);
            }
            batch.clear();
        }
        for done in flushes.drain(..) {
            let _ = done.send(());
        }
    }
}

/// The bytes a trace holds in memory, near enough: its texts and the strings
/// in its effects.
fn approximate_size(trace: &Trace) -> u64 {
    fn json_size(value: &serde_json::Value) -> usize {
        match value {
            serde_json::Value::String(text) => text.len() + 8,
            serde_json::Value::Array(items) => items.iter().map(json_size).sum::<usize>() + 8,
            serde_json::Value::Object(fields) => fields.iter().map(|(k, v)| k.len() + json_size(v)).sum::<usize>() + 8,
            _ => 8,
        }
    }
    let pairs = |pairs: &[(String, String)]| pairs.iter().map(|(name, value)| name.len() + value.len()).sum::<usize>();
    let request = &trace.request;
    let effects: usize = trace
        .effects
        .iter()
        .map(|effect| {
            let result = match &effect.result {
                Ok(value) => json_size(value),
                Err(message) => message.len(),
            };
            effect.arguments.iter().map(json_size).sum::<usize>() + result + effect.function.len()
        })
        .sum();
    let size = 512
        + request.body.len()
        + request.path.len()
        + pairs(&request.query)
        + pairs(&request.headers)
        + trace.response.body.len()
        + pairs(&trace.response.headers)
        + effects
        + trace.logs.iter().map(|line| line.message.len() + line.level.len()).sum::<usize>()
        + trace.error.as_ref().map_or(0, String::len);
    u64::try_from(size).unwrap_or(u64::MAX)
}

/// Traces written per handler key since its retention was last applied.
/// Retention runs for a key once a tenth of its limit has come in, not after
/// every batch: a key keeps at most `newest + newest / 10` traces between
/// trims, and most batches delete nothing. Age is enforced by the sweep,
/// which also forgets these counts (so keys that stop, such as a scanner's
/// 404s, are not kept for ever; at worst a key is trimmed a little late).
#[derive(Default)]
struct Untrimmed(HashMap<(String, String), u32>);

impl Untrimmed {
    /// Counts a batch; returns the keys to trim with it.
    fn add(&mut self, batch: &[Trace], retention: Retention) -> Vec<(String, String)> {
        let threshold = (retention.newest / 10).max(1);
        let mut due = Vec::new();
        for trace in batch {
            let key = (trace.canvas.clone(), trace.handler_key.clone());
            let count = self.0.entry(key.clone()).or_default();
            *count += 1;
            if *count >= threshold {
                due.push(key);
            }
        }
        due.sort();
        due.dedup();
        due
    }

    /// Forgets the counts of keys whose retention was applied (the batch was written).
    fn trimmed(&mut self, keys: &[(String, String)]) {
        for key in keys {
            self.0.remove(key);
        }
    }
}

/// Writes a batch with its retention and budget; whether it was written.
async fn write_batch(
    store: &Store,
    config: &WriterConfig,
    batch: &[Trace],
    trim: &[(String, String)],
    counters: &Counters,
) -> bool {
    let count = batch.len() as u64;
    match store.write_traces(batch, trim, config.retention, config.budget, now_ms()).await {
        Ok(WriteOutcome { retained: _, over_budget, collapsed_keys }) => {
            counters.written.fetch_add(count, Ordering::Relaxed);
            counters.over_budget.fetch_add(over_budget, Ordering::Relaxed);
            counters.collapsed_not_found_keys.fetch_add(collapsed_keys, Ordering::Relaxed);
            true
        }
        Err(error) => {
            counters.failed_batches.fetch_add(1, Ordering::Relaxed);
            counters.failed_traces.fetch_add(count, Ordering::Relaxed);
            tracing::error!(%error, count, "trace writer: could not store a batch of traces");
            false
        }
    }
}

async fn sweep(store: &Store, retention: Retention) {
    if let Err(error) = store.delete_traces_before(now_ms().saturating_sub(retention.max_age_ms)).await {
        tracing::error!(%error, "trace writer: the sweep of old traces failed");
    }
}
