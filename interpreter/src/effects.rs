//! Effects: the host calls a program makes (`DB`, `Http`, `Time.now`,
//! `Random`, `Log`, `Secrets`, `Queue`). The evaluator never performs one
//! itself; it asks an [`Effects`] implementation, which the runtime provides
//! to record a live call, replay a recorded one, or refuse one during analysis.
//! [`MemoryEffects`] is a complete in-memory implementation for tests and the CLI.

use crate::request::string_entries;
use crate::value::{SecretText, Value};
use crate::wire;
use gloam_language::Builtin;
use gloam_language::ast::ExprId;
use std::collections::BTreeMap;

/// One effect call, as the evaluator makes it.
#[derive(Debug, Clone, PartialEq)]
pub struct EffectCall {
    /// The call expression.
    pub site: ExprId,
    pub builtin: Builtin,
    pub arguments: Vec<Value>,
}

pub trait Effects {
    /// Performs an effect. An `Err` stops evaluation with that message.
    fn call(&mut self, call: &EffectCall) -> Result<Value, String>;
}

/// A recorded call and what it returned.
#[derive(Debug, Clone, PartialEq)]
pub struct EffectRecord {
    pub call: EffectCall,
    pub result: Result<Value, String>,
}

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

/// A datastore key as every store can keep it: PostgreSQL text holds no
/// NUL, so no store takes one (the stores must agree).
pub fn datastore_key(key: &str) -> Result<&str, String> {
    match key.contains('\0') {
        true => Err("a datastore key cannot contain the NUL character (U+0000)".into()),
        false => Ok(key),
    }
}

fn text(value: &Value) -> Result<&str, String> {
    match value {
        Value::String(text) => Ok(text),
        other => Err(format!("expected a String argument, found {}", other.kind())),
    }
}

/// An outbound call as it is sent: method, URL, headers and body, with any
/// placeholders filled.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboundRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// What an `Http` effect call sends. The inner `Err` is a placeholder naming
/// no secret given: the program's `Error` value.
pub fn outbound_request(call: &EffectCall) -> Result<Result<OutboundRequest, String>, String> {
    let args = &call.arguments;
    let arg = |i: usize| args.get(i).ok_or_else(|| format!("{}: missing argument {}", call.builtin.name(), i + 1));
    let request = |method: &str, url: &str, headers: Vec<(String, String)>, body: &str| OutboundRequest {
        method: method.to_uppercase(),
        url: url.to_string(),
        headers,
        body: body.to_string(),
    };
    Ok(Ok(match call.builtin {
        Builtin::HttpGet => request("GET", text(arg(0)?)?, Vec::new(), ""),
        Builtin::HttpPost => request("POST", text(arg(0)?)?, Vec::new(), text(arg(1)?)?),
        Builtin::HttpRequest => request(text(arg(0)?)?, text(arg(1)?)?, string_entries(arg(2)?), text(arg(3)?)?),
        Builtin::HttpRequestWithSecrets => {
            let Value::Dict(secrets) = arg(3)? else { return Err("expected a Dict of Secrets".into()) };
            let fill = |template: &str| fill_placeholders(template, secrets);
            let filled = (|| {
                let headers = string_entries(arg(2)?)
                    .into_iter()
                    .map(|(name, value)| Ok((name, fill(&value)?)))
                    .collect::<Result<Vec<_>, String>>()?;
                Ok(request(text(arg(0)?)?, &fill(text(arg(1)?)?)?, headers, &fill(text(arg(4)?)?)?))
            })();
            return Ok(filled);
        }
        other => return Err(format!("{} is not an outbound call", other.name())),
    }))
}

/// `template` with each `{{name}}` replaced by the value of the secret
/// `name`; a name that is not in `secrets` is an error naming those that are.
pub fn fill_placeholders(template: &str, secrets: &crate::value::Dict) -> Result<String, String> {
    let mut filled = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let Some(length) = rest[start + 2..].find("}}") else { break };
        let name = rest[start + 2..start + 2 + length].trim();
        let Some(Value::Secret(secret)) = secrets.get(name) else {
            let given: Vec<String> = secrets.keys().map(|key| format!("`{key}`")).collect();
            let given = if given.is_empty() { "none".to_string() } else { given.join(", ") };
            return Err(format!("`{{{{{name}}}}}` names no secret given to Http.requestWithSecrets (given: {given})"));
        };
        filled.push_str(&rest[..start]);
        filled.push_str(secret.expose());
        rest = &rest[start + 4 + length..];
    }
    filled.push_str(rest);
    Ok(filled)
}

fn datastore(value: &Value) -> Result<&str, String> {
    match value {
        Value::Datastore(name) => Ok(name),
        other => Err(format!("expected a datastore, found {}", other.kind())),
    }
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

    fn perform(&mut self, call: &EffectCall) -> Result<Value, String> {
        let args = &call.arguments;
        let arg = |i: usize| args.get(i).ok_or_else(|| format!("missing argument {}", i + 1));
        match call.builtin {
            Builtin::DbGet => {
                let key = datastore_key(text(arg(1)?)?)?;
                let store = self.datastores.get(datastore(arg(0)?)?);
                let row = store.and_then(|rows| rows.get(key));
                Ok(Value::option(row.map(|row| wire::decode_text(row.as_bytes())).transpose()?))
            }
            Builtin::DbSet => {
                let name = datastore(arg(0)?)?.to_string();
                let key = datastore_key(text(arg(1)?)?)?.to_string();
                let row = wire::encode_text(arg(2)?)?;
                self.datastores.entry(name).or_default().insert(key, row);
                Ok(Value::Unit)
            }
            Builtin::DbDelete => {
                let key = datastore_key(text(arg(1)?)?)?.to_string();
                if let Some(rows) = self.datastores.get_mut(datastore(arg(0)?)?) {
                    rows.remove(&key);
                }
                Ok(Value::Unit)
            }
            Builtin::DbGetAll => {
                let rows = self.datastores.get(datastore(arg(0)?)?).into_iter().flat_map(|rows| rows.values());
                Ok(Value::list(rows.map(|row| wire::decode_text(row.as_bytes())).collect::<Result<_, _>>()?))
            }
            Builtin::DbKeys => {
                let rows = self.datastores.get(datastore(arg(0)?)?);
                let keys = rows.map(|rows| rows.keys().map(|k| Value::string(k.as_str())).collect());
                Ok(Value::list(keys.unwrap_or_default()))
            }
            Builtin::HttpGet | Builtin::HttpPost | Builtin::HttpRequest | Builtin::HttpRequestWithSecrets => {
                let request = match outbound_request(call)? {
                    Ok(request) => request,
                    Err(message) => return Ok(Value::error(Value::string(message))),
                };
                let key = format!("{} {}", request.method, request.url);
                Ok(match self.http.get(&key) {
                    Some(Ok(response)) => Value::ok(response.clone()),
                    Some(Err(message)) => Value::error(Value::string(message.as_str())),
                    None => Value::error(Value::string(format!("no network: {key} is not stubbed"))),
                })
            }
            Builtin::TimeNow => Ok(Value::Int(self.now_ms)),
            Builtin::RandomInt => {
                let (Value::Int(low), Value::Int(high)) = (arg(0)?, arg(1)?) else {
                    return Err("expected Int arguments".into());
                };
                if low > high {
                    return Err(format!("empty range: {low} > {high}"));
                }
                let span = (*high as i128 - *low as i128 + 1) as u128;
                let offset = (self.next_random() as u128 % span) as i128;
                Ok(Value::Int((*low as i128 + offset) as i64))
            }
            Builtin::RandomFloat => Ok(Value::Float((self.next_random() >> 11) as f64 / (1u64 << 53) as f64)),
            Builtin::RandomUuid => {
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
                Ok(Value::string(format!(
                    "{}-{}-{}-{}-{}",
                    &hex[0..8],
                    &hex[8..12],
                    &hex[12..16],
                    &hex[16..20],
                    &hex[20..32]
                )))
            }
            Builtin::LogInfo | Builtin::LogWarn | Builtin::LogError => {
                let level = call.builtin.short_name().to_string();
                self.logs.push((level, text(arg(0)?)?.to_string()));
                Ok(Value::Unit)
            }
            Builtin::SecretsGet => {
                let secret = self.secrets.get(text(arg(0)?)?);
                Ok(Value::option(secret.map(|secret| Value::Secret(SecretText::new(secret.as_str())))))
            }
            Builtin::QueueEmit => {
                let Value::Worker(worker) = arg(0)? else { return Err("expected a worker".into()) };
                self.emitted.push((worker.to_string(), arg(1)?.clone()));
                Ok(Value::Unit)
            }
            other => Err(format!("{} is not an effect", other.name())),
        }
    }
}

impl Effects for MemoryEffects {
    fn call(&mut self, call: &EffectCall) -> Result<Value, String> {
        let result = self.perform(call);
        self.calls.push(EffectRecord { call: call.clone(), result: result.clone() });
        result
    }
}
