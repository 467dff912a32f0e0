//! [`MemoryEffects`]: every effect against in-memory state, for tests and
//! the CLI. Each capability's part is in its own module.

use super::{Effect, EffectCall, EffectError, EffectRecord, Effects};
use crate::value::Value;
use std::collections::BTreeMap;

/// Effects against in-memory state: datastores, a fixed clock, a seeded
/// random generator, canned outbound HTTP responses. Records every call.
#[derive(Debug, Clone)]
pub struct MemoryEffects {
    /// Rows in their stored form (`wire` text), as a real store keeps them,
    /// so a value that cannot be stored or read back fails here too.
    pub datastores: BTreeMap<String, BTreeMap<String, String>>,
    /// What `Time.now()` returns, in milliseconds since the epoch.
    pub now_ms: i64,
    pub random_state: u64,
    pub secrets: BTreeMap<String, String>,
    /// Canned outbound responses by `"METHOD url"`; other requests fail.
    pub http: BTreeMap<String, Result<Value, String>>,
    pub logs: Vec<(String, String)>,
    pub emitted: Vec<(String, Value)>,
    pub calls: Vec<EffectRecord>,
}

impl Default for MemoryEffects {
    fn default() -> MemoryEffects {
        MemoryEffects {
            datastores: BTreeMap::new(),
            now_ms: 1_767_225_600_000, // 2026-01-01T00:00:00Z
            random_state: 0x9E37_79B9_7F4A_7C15,
            secrets: BTreeMap::new(),
            http: BTreeMap::new(),
            logs: Vec::new(),
            emitted: Vec::new(),
            calls: Vec::new(),
        }
    }
}

impl Effects for MemoryEffects {
    fn perform(&mut self, call: &EffectCall, effect: Effect) -> Result<Value, EffectError> {
        let result = match effect {
            Effect::Db(call) => self.db(call),
            Effect::Http(call) => self.http(call),
            Effect::Clock(call) => self.clock(call),
            Effect::Random(call) => self.random(call),
            Effect::Log(call) => self.log(call),
            Effect::Secrets(call) => self.secrets(call),
            Effect::Queue(call) => self.queue(call),
        };
        self.calls.push(EffectRecord { call: call.clone(), result: result.clone() });
        result
    }
}
