//! Budgets that keep one canvas, or one request, from taking the whole
//! server: runs and outbound calls in flight per canvas, events waiting per
//! canvas, events emitted per originating request (transitively, through
//! workers), and the memory all runs together may hold.
//!
//! Each budget is checked where the thing is taken (a run starts, an
//! outbound call is made, `Queue.emit` is called), so what is refused is
//! refused with a message that says which budget and its size, in the trace of
//! the run that hit it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The sizes of the budgets; `Default` is what `gloam serve` uses unless told otherwise.
#[derive(Debug, Clone, Copy)]
pub struct BudgetLimits {
    /// Runs of one canvas at once (requests, workers, crons); a request
    /// beyond waits up to `run_wait`, then gets 503.
    pub runs_per_canvas: usize,
    /// How long a request waits for a run of its canvas to end.
    pub run_wait: Duration,
    /// Outbound `Http` calls of one canvas in flight; beyond, a call fails at once.
    pub outbound_per_canvas: usize,
    /// Events emitted but not yet run, per canvas; beyond, `Queue.emit` fails.
    pub queued_events_per_canvas: usize,
    /// Events one request may cause, through workers emitting to workers.
    pub events_per_request: usize,
    /// Once a request's client has gone away, how long its run may still
    /// wait on outbound calls.
    pub client_gone_grace: Duration,
}

impl Default for BudgetLimits {
    fn default() -> BudgetLimits {
        BudgetLimits {
            runs_per_canvas: 250,
            run_wait: Duration::from_secs(5),
            outbound_per_canvas: 100,
            queued_events_per_canvas: 1_000,
            events_per_request: 100,
            client_gone_grace: Duration::from_secs(5),
        }
    }
}

/// One canvas's share of the server.
#[derive(Debug)]
pub struct CanvasBudget {
    pub limits: BudgetLimits,
    runs: Arc<Semaphore>,
    outbound: Arc<Semaphore>,
    queued_events: Arc<AtomicUsize>,
}

/// Why a budget refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("the canvas has {0} runs in flight, its limit; try again shortly")]
    Runs(usize),
    #[error("the canvas has {0} outbound calls in flight, its limit")]
    Outbound(usize),
    #[error("the canvas has {0} events waiting for workers, its limit")]
    QueuedEvents(usize),
    #[error("the request that started this run has caused {0} events already, the limit per request")]
    EventsPerRequest(usize),
}

impl CanvasBudget {
    pub fn new(limits: BudgetLimits) -> CanvasBudget {
        CanvasBudget {
            limits,
            runs: Arc::new(Semaphore::new(limits.runs_per_canvas)),
            outbound: Arc::new(Semaphore::new(limits.outbound_per_canvas)),
            queued_events: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// A run slot, waiting at most `run_wait` for one.
    pub async fn run_for_request(&self) -> Result<OwnedSemaphorePermit, Refused> {
        let waited = tokio::time::timeout(self.limits.run_wait, self.runs.clone().acquire_owned()).await;
        match waited {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(Refused::Runs(self.limits.runs_per_canvas)),
        }
    }

    /// A run slot for a worker or cron: they wait as long as it takes (their
    /// number is bounded by the queued-events budget and the schedule).
    pub async fn run_in_background(&self) -> Option<OwnedSemaphorePermit> {
        self.runs.clone().acquire_owned().await.ok()
    }

    /// A place for one outbound call, or a refusal at once.
    pub fn outbound_call(&self) -> Result<OwnedSemaphorePermit, Refused> {
        self.outbound.clone().try_acquire_owned().map_err(|_| Refused::Outbound(self.limits.outbound_per_canvas))
    }

    /// Takes a place for an emitted event, given back when its worker run
    /// ends (or the event is dropped).
    pub fn queue_event(&self) -> Result<QueuedEvent, Refused> {
        let cap = self.limits.queued_events_per_canvas;
        let taken = self
            .queued_events
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |queued| (queued < cap).then_some(queued + 1));
        match taken {
            Ok(_) => Ok(QueuedEvent(self.queued_events.clone())),
            Err(_) => Err(Refused::QueuedEvents(cap)),
        }
    }

    /// Events waiting for workers now.
    pub fn queued_events(&self) -> usize {
        self.queued_events.load(Ordering::Acquire)
    }
}

/// An event's place in its canvas's queue; given back on drop.
#[derive(Debug)]
pub struct QueuedEvent(Arc<AtomicUsize>);

impl Drop for QueuedEvent {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The runs a request caused: the request's own, then workers on the events
/// it emitted, and so on. Shared along the chain, so the budget is for the
/// whole tree of runs, not each link.
#[derive(Debug, Clone, Default)]
pub struct Lineage {
    /// Worker runs between the request and this run.
    pub depth: u32,
    emitted: Arc<AtomicUsize>,
}

impl Lineage {
    /// The lineage of a run on an event of this run.
    pub fn child(&self) -> Lineage {
        Lineage { depth: self.depth + 1, emitted: self.emitted.clone() }
    }

    /// Counts one more event emitted in the tree, unless it is over `cap`.
    pub fn emit(&self, cap: usize) -> Result<(), Refused> {
        self.emitted
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |emitted| (emitted < cap).then_some(emitted + 1))
            .map(drop)
            .map_err(|_| Refused::EventsPerRequest(cap))
    }
}

/// What one run may take: its canvas's budget, its request's, and whether
/// the client that started it is still there.
#[derive(Debug, Clone)]
pub struct RunBudget {
    pub canvas: Arc<CanvasBudget>,
    pub lineage: Lineage,
    /// Cancelled when the client of the originating request went away; a
    /// run no client waits for (a worker, a cron, a replay) has one never cancelled.
    pub client_gone: tokio_util::sync::CancellationToken,
    /// Where its outbound calls may go: the server's policy and the canvas's allow-list.
    pub outbound: Arc<crate::outbound::OutboundClient>,
}

impl RunBudget {
    /// Resolves `client_gone_grace` after the client went away; never if it stays.
    pub async fn given_up(&self) {
        self.client_gone.cancelled().await;
        tokio::time::sleep(self.canvas.limits.client_gone_grace).await;
    }
}

/// Memory all runs together may hold: compiled runs take from it as their
/// linear memory grows; interpreter runs take their whole cap when they start.
#[derive(Debug)]
pub struct MemoryPool {
    limit: usize,
    used: AtomicUsize,
}

impl MemoryPool {
    pub fn new(limit: usize) -> MemoryPool {
        MemoryPool { limit, used: AtomicUsize::new(0) }
    }

    /// Half of the machine's memory (at least 1 GiB; 8 GiB when it cannot be read).
    pub fn default_limit() -> usize {
        const GIB: usize = 1024 * 1024 * 1024;
        let total = std::fs::read_to_string("/proc/meminfo").ok().and_then(|info| {
            let line = info.lines().find(|line| line.starts_with("MemTotal:"))?;
            let kib: usize = line.split_whitespace().nth(1)?.parse().ok()?;
            kib.checked_mul(1024)
        });
        total.map_or(8 * GIB, |bytes| (bytes / 2).max(GIB))
    }

    pub fn limit(&self) -> usize {
        self.limit
    }

    pub fn used(&self) -> usize {
        self.used.load(Ordering::Acquire)
    }

    /// Takes `bytes`, unless that would pass the limit.
    pub fn take(&self, bytes: usize) -> bool {
        self.used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                used.checked_add(bytes).filter(|total| *total <= self.limit)
            })
            .is_ok()
    }

    pub fn give_back(&self, bytes: usize) {
        self.used.fetch_sub(bytes, Ordering::AcqRel);
    }

    /// Takes `bytes` until the reservation is dropped.
    pub fn reserve(self: &Arc<Self>, bytes: usize) -> Option<Reservation> {
        self.take(bytes).then(|| Reservation { pool: self.clone(), bytes })
    }

    /// What a run that found the pool empty is told.
    pub fn exhausted(&self) -> String {
        format!("the server's memory for runs is all in use ({} MiB across all runs); try again", self.limit >> 20)
    }
}

/// Memory taken from a pool; given back on drop.
#[derive(Debug)]
pub struct Reservation {
    pool: Arc<MemoryPool>,
    bytes: usize,
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.pool.give_back(self.bytes);
    }
}

impl Default for MemoryPool {
    fn default() -> MemoryPool {
        MemoryPool::new(MemoryPool::default_limit())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queued_events_are_given_back_on_drop() {
        let budget = CanvasBudget::new(BudgetLimits { queued_events_per_canvas: 2, ..BudgetLimits::default() });
        let first = budget.queue_event().expect("room for one");
        let _second = budget.queue_event().expect("room for two");
        assert_eq!(budget.queue_event().unwrap_err(), Refused::QueuedEvents(2));
        drop(first);
        assert!(budget.queue_event().is_ok());
    }

    #[test]
    fn a_lineage_shares_its_count_with_its_children() {
        let root = Lineage::default();
        let child = root.child().child();
        assert_eq!(child.depth, 2);
        root.emit(2).expect("first");
        child.emit(2).expect("second");
        assert_eq!(root.emit(2).unwrap_err(), Refused::EventsPerRequest(2));
    }

    #[test]
    fn the_pool_refuses_past_its_limit() {
        let pool = MemoryPool::new(100);
        assert!(pool.take(60));
        assert!(!pool.take(41));
        pool.give_back(60);
        assert!(pool.take(100));
        assert!(!pool.take(usize::MAX));
    }
}
