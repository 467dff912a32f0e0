//! `Queue.emit`: events for workers.

use super::arguments::Arguments;
use super::{EffectError, MemoryEffects};
use crate::value::Value;
use gloam_language::Builtin;

#[derive(Debug, Clone, PartialEq)]
pub enum QueueCall {
    Emit { worker: String, event: Value },
}

pub(super) fn decode(args: &Arguments) -> Result<QueueCall, EffectError> {
    match args.0.builtin {
        Builtin::QueueEmit => match args.get(0)? {
            Value::Worker(worker) => Ok(QueueCall::Emit { worker: worker.to_string(), event: args.get(1)?.clone() }),
            _ => Err(args.wrong(0, "a worker")),
        },
        _ => Err(args.not_an_effect()),
    }
}

impl MemoryEffects {
    /// Events are kept, not delivered.
    pub(super) fn queue(&mut self, call: QueueCall) -> Result<Value, EffectError> {
        match call {
            QueueCall::Emit { worker, event } => {
                self.emitted.push((worker, event));
                Ok(Value::Unit)
            }
        }
    }
}
