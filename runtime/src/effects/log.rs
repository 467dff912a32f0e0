//! `Log.info`, `Log.warn`, `Log.error`: lines kept in the run's trace (per
//! run; the recording wrapper keeps them out of the trace's effects).

use gloam_interpreter::effects::LogCall;
use gloam_trace_store::LogLine;

/// The trace's log line for a call.
pub fn line(call: LogCall) -> LogLine {
    LogLine { level: call.level.as_str().to_string(), message: call.message }
}
