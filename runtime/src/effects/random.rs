//! `Random.int`, `Random.float`, `Random.uuid`: the thread's random
//! generator, seeded by the OS. Stateless (nothing per server or run).

use gloam_interpreter::Value;
use gloam_interpreter::effects::{EffectError, RandomCall};
use rand::Rng;

pub fn perform(call: RandomCall) -> Result<Value, EffectError> {
    match call {
        RandomCall::Int { low, high } => int(low, high),
        RandomCall::Float => Ok(float()),
        RandomCall::Uuid => Ok(uuid()),
    }
}

/// Uniform in `low..=high`.
fn int(low: i64, high: i64) -> Result<Value, EffectError> {
    if low > high {
        return Err(EffectError::EmptyRange { low, high });
    }
    Ok(Value::Int(rand::rng().random_range(low..=high)))
}

/// Uniform in `[0, 1)`.
fn float() -> Value {
    Value::Float(rand::rng().random::<f64>())
}

/// A version 4 UUID.
fn uuid() -> Value {
    Value::string(uuid::Uuid::new_v4().to_string())
}
