//! `Queue.emit`: events for workers, held per run and dispatched by the
//! server after it. Each takes a place in the canvas's queue (per canvas)
//! and counts against the run's lineage (per request chain).

use crate::budget::{QueuedEvent, RunBudget};
use gloam_interpreter::Value;
use gloam_interpreter::effects::{EffectError, QueueCall};

/// An event for a worker, holding its place in the canvas's queue.
#[derive(Debug)]
pub struct Emitted {
    pub worker: String,
    pub event: Value,
    pub place: QueuedEvent,
}

/// The event, once the canvas's queue and the run's lineage have room for it.
pub fn emit(budget: &RunBudget, call: QueueCall) -> Result<Emitted, EffectError> {
    let QueueCall::Emit { worker, event } = call;
    // The call's failure says "Queue.emit failed: " before the reason.
    let refused = |refused: crate::budget::Refused| EffectError::Refused(refused.to_string());
    let place = budget.canvas.queue_event().map_err(refused)?;
    budget.lineage.emit(budget.canvas.limits.events_per_request).map_err(refused)?;
    Ok(Emitted { worker, event, place })
}
