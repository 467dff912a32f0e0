//! Effects: the host calls a program makes (`DB`, `Http`, `Time.now`,
//! `Random`, `Log`, `Secrets`, `Queue`). The evaluator never performs one
//! itself; it asks an [`Effects`] implementation, which the runtime provides
//! to record a live call, replay a recorded one, or refuse one during analysis.
//!
//! One module per capability (`db`, `http`, `clock`, `random`, `log`,
//! `secrets`, `queue`) holds its typed call, the decoding of a call's
//! arguments into it, and its in-memory implementation ([`MemoryEffects`],
//! for tests and the CLI). A call is decoded once ([`EffectCall::decode`]);
//! implementations match on the [`Effect`]. Adding an effect to a capability
//! touches the stdlib table, this capability module and the runtime's.

mod arguments;
mod clock;
mod db;
mod error;
mod http;
mod log;
mod memory;
mod queue;
mod random;
mod secrets;

pub use clock::ClockCall;
pub use db::{DbCall, datastore_key};
pub use error::EffectError;
pub use http::{HttpCall, OutboundRequest};
pub use log::{LogCall, LogLevel};
pub use memory::MemoryEffects;
pub use queue::QueueCall;
pub use random::RandomCall;
pub use secrets::{SecretsCall, secret_in};

use crate::value::Value;
use arguments::Arguments;
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

/// One effect, its arguments decoded: which capability, and what of it.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Db(DbCall),
    Http(HttpCall),
    Clock(ClockCall),
    Random(RandomCall),
    Log(LogCall),
    Secrets(SecretsCall),
    Queue(QueueCall),
}

impl EffectCall {
    /// The effect this call asks for, by the capability its module in the
    /// table names. Fails only on arguments the checker would not let
    /// through, or a builtin that is not an effect.
    pub fn decode(&self) -> Result<Effect, EffectError> {
        let args = Arguments(self);
        Ok(match self.builtin.module() {
            "DB" => Effect::Db(db::decode(&args)?),
            "Http" => Effect::Http(http::decode(&args)?),
            "Time" => Effect::Clock(clock::decode(&args)?),
            "Random" => Effect::Random(random::decode(&args)?),
            "Log" => Effect::Log(log::decode(&args)?),
            "Secrets" => Effect::Secrets(secrets::decode(&args)?),
            "Queue" => Effect::Queue(queue::decode(&args)?),
            _ => return Err(args.not_an_effect()),
        })
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every effect in the table is decoded by its capability: with no
    /// arguments it fails on its arguments or decodes, never as unknown.
    #[test]
    fn every_effect_is_decoded_by_its_capability() {
        for builtin in Builtin::ALL.iter().copied().filter(|builtin| builtin.pure().is_none()) {
            let call = EffectCall { site: ExprId(0), builtin, arguments: Vec::new() };
            if let Err(error @ EffectError::NotAnEffect(_)) = call.decode() {
                panic!("{}: {error}", builtin.name());
            }
        }
    }
}
