//! `Time.now`: the clock.

use super::arguments::Arguments;
use super::{EffectError, MemoryEffects};
use crate::value::Value;
use gloam_language::Builtin;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockCall {
    /// Milliseconds since the Unix epoch.
    Now,
}

pub(super) fn decode(args: &Arguments) -> Result<ClockCall, EffectError> {
    match args.0.builtin {
        Builtin::TimeNow => Ok(ClockCall::Now),
        _ => Err(args.not_an_effect()),
    }
}

impl MemoryEffects {
    /// A fixed clock.
    pub(super) fn clock(&mut self, call: ClockCall) -> Result<Value, EffectError> {
        match call {
            ClockCall::Now => Ok(Value::Int(self.now_ms)),
        }
    }
}
