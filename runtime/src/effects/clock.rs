//! `Time.now`: the host's wall clock. Stateless (nothing per server or run).

use gloam_interpreter::Value;
use gloam_interpreter::effects::ClockCall;
use std::time::{SystemTime, UNIX_EPOCH};

pub fn perform(call: ClockCall) -> Value {
    match call {
        ClockCall::Now => Value::Int(now_ms()),
    }
}

/// Milliseconds since the Unix epoch (0 before it, `i64::MAX` past what an
/// `i64` holds).
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
}
