//! Effects: the host calls a program makes (`DB`, `Http`, `Time.now`,
//! `Random`, `Log`, `Secrets`, `Queue`). The evaluator never performs one
//! itself; it asks an [`Effects`] implementation, which the runtime provides
//! to record a live call, replay a recorded one, or refuse one during analysis.
//! A call is decoded once into a typed [`Effect`] ([`EffectCall::decode`]);
//! implementations match on that. [`MemoryEffects`] is a complete in-memory
//! implementation for tests and the CLI.

mod decode;
mod error;
mod memory;

pub use decode::{Effect, LogLevel, OutboundRequest, datastore_key, secret_in};
pub use error::EffectError;
pub use memory::MemoryEffects;

use crate::value::Value;
use gloam_language::Builtin;
use gloam_language::ast::ExprId;

/// One effect call, as the evaluator makes it: what a trace records.
#[derive(Debug, Clone, PartialEq)]
pub struct EffectCall {
    /// The call expression.
    pub site: ExprId,
    pub builtin: Builtin,
    pub arguments: Vec<Value>,
}

pub trait Effects {
    /// Performs an effect. `call` is the call as made (for recording and
    /// replay); `effect` is its decoded meaning.
    fn perform(&mut self, call: &EffectCall, effect: Effect) -> Result<Value, EffectError>;

    /// What the evaluator calls: the call decoded once and performed. An
    /// `Err` stops evaluation with that message.
    fn call(&mut self, call: &EffectCall) -> Result<Value, String> {
        call.decode().and_then(|effect| self.perform(call, effect)).map_err(|error| error.to_string())
    }
}

/// A recorded call and what it returned.
#[derive(Debug, Clone, PartialEq)]
pub struct EffectRecord {
    pub call: EffectCall,
    pub result: Result<Value, EffectError>,
}
