//! `Log.info`, `Log.warn`, `Log.error`: lines for the run's trace.

use super::arguments::Arguments;
use super::{EffectError, MemoryEffects};
use crate::value::Value;
use gloam_language::Builtin;

#[derive(Debug, Clone, PartialEq)]
pub struct LogCall {
    pub level: LogLevel,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    Info,
    Warn,
    Error,
}

impl LogLevel {
    /// As the trace's log lines write it.
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Info => "info",
            LogLevel::Warn => "warn",
            LogLevel::Error => "error",
        }
    }
}

pub(super) fn decode(args: &Arguments) -> Result<LogCall, EffectError> {
    let level = match args.0.builtin {
        Builtin::LogInfo => LogLevel::Info,
        Builtin::LogWarn => LogLevel::Warn,
        Builtin::LogError => LogLevel::Error,
        _ => return Err(args.not_an_effect()),
    };
    Ok(LogCall { level, message: args.text(0)?.to_string() })
}

impl MemoryEffects {
    pub(super) fn log(&mut self, call: LogCall) -> Result<Value, EffectError> {
        self.logs.push((call.level.as_str().to_string(), call.message));
        Ok(Value::Unit)
    }
}
