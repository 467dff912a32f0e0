//! [`MemoryEffects`]: every effect against in-memory state, for tests and the CLI.

use super::{Effect, EffectCall, EffectError, EffectRecord, Effects, datastore_key};
use crate::value::{SecretText, Value};
use crate::wire;
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

fn decode_row(row: &str) -> Result<Value, EffectError> {
    wire::decode_text(row.as_bytes()).map_err(EffectError::Stored)
}

impl MemoryEffects {
    /// xorshift64*: deterministic, so tests and examples are repeatable.
    fn next_random(&mut self) -> u64 {
        let mut x = self.random_state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.random_state = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn uuid(&mut self) -> String {
        let high = self.next_random();
        let low = self.next_random();
        let bytes: Vec<u8> = high.to_be_bytes().into_iter().chain(low.to_be_bytes()).collect();
        let hex: String = bytes
            .iter()
            .enumerate()
            .map(|(i, byte)| match i {
                6 => format!("{:02x}", (byte & 0x0f) | 0x40),
                8 => format!("{:02x}", (byte & 0x3f) | 0x80),
                _ => format!("{byte:02x}"),
            })
            .collect();
        format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
    }

    fn answer(&mut self, effect: Effect) -> Result<Value, EffectError> {
        match effect {
            Effect::DbGet { store, key } => {
                let key = datastore_key(&key)?;
                let row = self.datastores.get(&store).and_then(|rows| rows.get(key));
                Ok(Value::option(row.map(|row| decode_row(row)).transpose()?))
            }
            Effect::DbSet { store, key, value } => {
                let key = datastore_key(&key)?.to_string();
                let row = wire::encode_text(&value).map_err(EffectError::Stored)?;
                self.datastores.entry(store).or_default().insert(key, row);
                Ok(Value::Unit)
            }
            Effect::DbDelete { store, key } => {
                let key = datastore_key(&key)?;
                if let Some(rows) = self.datastores.get_mut(&store) {
                    rows.remove(key);
                }
                Ok(Value::Unit)
            }
            Effect::DbGetAll { store } => {
                let rows = self.datastores.get(&store).into_iter().flat_map(|rows| rows.values());
                Ok(Value::list(rows.map(|row| decode_row(row)).collect::<Result<_, _>>()?))
            }
            Effect::DbKeys { store } => {
                let rows = self.datastores.get(&store);
                let keys = rows.map(|rows| rows.keys().map(|k| Value::string(k.as_str())).collect());
                Ok(Value::list(keys.unwrap_or_default()))
            }
            Effect::HttpRequest(request) => {
                let key = format!("{} {}", request.method, request.url);
                Ok(match self.http.get(&key) {
                    Some(Ok(response)) => Value::ok(response.clone()),
                    Some(Err(message)) => Value::error(Value::string(message.as_str())),
                    None => Value::error(Value::string(format!("no network: {key} is not stubbed"))),
                })
            }
            Effect::HttpUnfilled { message } => Ok(Value::error(Value::string(message))),
            Effect::TimeNow => Ok(Value::Int(self.now_ms)),
            Effect::RandomInt { low, high } => {
                if low > high {
                    return Err(EffectError::EmptyRange { low, high });
                }
                let span = (high as i128 - low as i128 + 1) as u128;
                let offset = (self.next_random() as u128 % span) as i128;
                Ok(Value::Int((low as i128 + offset) as i64))
            }
            Effect::RandomFloat => Ok(Value::Float((self.next_random() >> 11) as f64 / (1u64 << 53) as f64)),
            Effect::RandomUuid => Ok(Value::string(self.uuid())),
            Effect::Log { level, message } => {
                self.logs.push((level.as_str().to_string(), message));
                Ok(Value::Unit)
            }
            Effect::SecretsGet { name } => {
                let secret = self.secrets.get(&name);
                Ok(Value::option(secret.map(|secret| Value::Secret(SecretText::new(secret.as_str())))))
            }
            Effect::QueueEmit { worker, event } => {
                self.emitted.push((worker, event));
                Ok(Value::Unit)
            }
        }
    }
}

impl Effects for MemoryEffects {
    fn perform(&mut self, call: &EffectCall, effect: Effect) -> Result<Value, EffectError> {
        let result = self.answer(effect);
        self.calls.push(EffectRecord { call: call.clone(), result: result.clone() });
        result
    }
}
