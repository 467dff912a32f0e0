//! [`TraceEffects`]: effects answered from a stored trace, for replay and
//! live values; the calls a trace does not answer go to a read-only
//! [`HostEffects`], which records every call.

use super::{AsyncEffects, EffectFuture, Host, HostEffects, Mode};
use crate::budget::RunBudget;
use gloam_interpreter::effects::{Effect, EffectError};
use gloam_interpreter::{EffectCall, Effects, Value, wire};
use gloam_trace_store::RecordedEffect;

/// What to do with a call the trace did not record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unrecorded {
    /// Stop with a "not recorded" error (a deterministic replay).
    Fail,
    /// Perform reads for real; skip writes; refuse outbound calls (live values).
    ReadOnly,
}

/// Effects answered from a stored trace: the n-th call of a function gets the
/// result its n-th recorded call got (the call site is preferred, so edits
/// that add calls elsewhere do not shift the answers).
pub struct TraceEffects {
    recorded: Vec<RecordedEffect>,
    used: Vec<bool>,
    unrecorded: Unrecorded,
    /// Performs what is not taken from the trace, and records every call.
    pub host: HostEffects,
}

impl TraceEffects {
    pub fn new(
        recorded: Vec<RecordedEffect>,
        unrecorded: Unrecorded,
        host: &Host,
        canvas: &str,
        budget: RunBudget,
    ) -> TraceEffects {
        let used = vec![false; recorded.len()];
        TraceEffects { recorded, used, unrecorded, host: HostEffects::new(host, canvas, Mode::ReadOnly, budget) }
    }

    fn take(&mut self, call: &EffectCall) -> Option<Result<serde_json::Value, String>> {
        let name = call.builtin.name();
        let unused = |index: &usize| !self.used[*index];
        let candidates = || (0..self.recorded.len()).filter(unused).filter(|&i| self.recorded[i].function == name);
        let index = candidates().find(|&i| self.recorded[i].site == call.site.0).or_else(|| candidates().next())?;
        self.used[index] = true;
        Some(self.recorded[index].result.clone())
    }

    /// The recorded answer to a call, `None` when the host must perform it.
    fn recorded(&mut self, call: &EffectCall) -> Option<Result<Value, EffectError>> {
        if call.builtin.traits().replays_live {
            return None;
        }
        match self.take(call) {
            Some(Ok(json)) => Some(wire::decode(&json).map_err(EffectError::Recorded)),
            Some(Err(message)) => Some(Err(EffectError::Recorded(message))),
            None if self.unrecorded == Unrecorded::ReadOnly => None,
            None => Some(Err(EffectError::NotRecorded { function: call.builtin.name() })),
        }
    }

    async fn answer(&mut self, call: &EffectCall, effect: Effect) -> Result<Value, EffectError> {
        let recorded = self.recorded(call);
        self.host.answer(call, effect, recorded).await
    }
}

impl Effects for TraceEffects {
    fn perform(&mut self, call: &EffectCall, effect: Effect) -> Result<Value, EffectError> {
        self.host.handle.clone().block_on(self.answer(call, effect))
    }
}

impl AsyncEffects for TraceEffects {
    fn perform<'a>(&'a mut self, call: &'a EffectCall, effect: Effect) -> EffectFuture<'a> {
        Box::pin(self.answer(call, effect))
    }
}
