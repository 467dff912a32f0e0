//! An effect call's arguments decoded once into a typed [`Effect`], so
//! every implementation matches on meaning instead of on argument positions.

use super::{EffectCall, EffectError};
use crate::request::string_entries;
use crate::value::{Dict, SecretText, Value};
use gloam_language::Builtin;

/// One effect, its arguments decoded.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    DbGet {
        store: String,
        key: String,
    },
    DbSet {
        store: String,
        key: String,
        value: Value,
    },
    DbDelete {
        store: String,
        key: String,
    },
    DbGetAll {
        store: String,
    },
    DbKeys {
        store: String,
    },
    /// An outbound call, its placeholders filled.
    HttpRequest(OutboundRequest),
    /// An `Http.requestWithSecrets` whose template names a secret it was not
    /// given: nothing is sent, the program gets this `Error` message.
    HttpUnfilled {
        message: String,
    },
    TimeNow,
    RandomInt {
        low: i64,
        high: i64,
    },
    RandomFloat,
    RandomUuid,
    Log {
        level: LogLevel,
        message: String,
    },
    SecretsGet {
        name: String,
    },
    QueueEmit {
        worker: String,
        event: Value,
    },
}

/// An outbound call as it is sent: method, URL, headers and body, with any
/// placeholders filled.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboundRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// The secrets given to fill placeholders: cut out of whatever the call
    /// answers (a network error names its URL).
    pub secrets: Vec<SecretText>,
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

/// A datastore key as every store can keep it: PostgreSQL text holds no
/// NUL, so no store takes one (the stores must agree).
pub fn datastore_key(key: &str) -> Result<&str, EffectError> {
    match key.contains('\0') {
        true => Err(EffectError::NulKey),
        false => Ok(key),
    }
}

/// The call's arguments, read by position with errors naming the function.
struct Arguments<'a>(&'a EffectCall);

impl<'a> Arguments<'a> {
    fn get(&self, index: usize) -> Result<&'a Value, EffectError> {
        let function = self.0.builtin.name();
        self.0.arguments.get(index).ok_or(EffectError::MissingArgument { function, position: index + 1 })
    }

    fn wrong(&self, index: usize, expected: &'static str) -> EffectError {
        let found = self.0.arguments.get(index).map_or("nothing", Value::kind);
        EffectError::WrongArgument { function: self.0.builtin.name(), position: index + 1, expected, found }
    }

    fn text(&self, index: usize) -> Result<&'a str, EffectError> {
        match self.get(index)? {
            Value::String(text) => Ok(text),
            _ => Err(self.wrong(index, "a String")),
        }
    }

    fn int(&self, index: usize) -> Result<i64, EffectError> {
        match self.get(index)? {
            Value::Int(value) => Ok(*value),
            _ => Err(self.wrong(index, "an Int")),
        }
    }

    fn store(&self) -> Result<String, EffectError> {
        match self.get(0)? {
            Value::Datastore(name) => Ok(name.to_string()),
            _ => Err(self.wrong(0, "a datastore")),
        }
    }

    fn dict(&self, index: usize) -> Result<&'a Dict, EffectError> {
        match self.get(index)? {
            Value::Dict(entries) => Ok(entries),
            _ => Err(self.wrong(index, "a Dict")),
        }
    }
}

impl EffectCall {
    /// The effect this call asks for. Fails only on arguments the checker
    /// would not let through (or a builtin that is not an effect).
    pub fn decode(&self) -> Result<Effect, EffectError> {
        let args = Arguments(self);
        let request = |method: &str, url: &str, headers, body: &str| OutboundRequest {
            method: method.to_uppercase(),
            url: url.to_string(),
            headers,
            body: body.to_string(),
            secrets: Vec::new(),
        };
        Ok(match self.builtin {
            Builtin::DbGet => Effect::DbGet { store: args.store()?, key: args.text(1)?.to_string() },
            Builtin::DbSet => {
                Effect::DbSet { store: args.store()?, key: args.text(1)?.to_string(), value: args.get(2)?.clone() }
            }
            Builtin::DbDelete => Effect::DbDelete { store: args.store()?, key: args.text(1)?.to_string() },
            Builtin::DbGetAll => Effect::DbGetAll { store: args.store()? },
            Builtin::DbKeys => Effect::DbKeys { store: args.store()? },
            Builtin::HttpGet => Effect::HttpRequest(request("GET", args.text(0)?, Vec::new(), "")),
            Builtin::HttpPost => Effect::HttpRequest(request("POST", args.text(0)?, Vec::new(), args.text(1)?)),
            Builtin::HttpRequest => {
                Effect::HttpRequest(request(args.text(0)?, args.text(1)?, string_entries(args.get(2)?), args.text(3)?))
            }
            Builtin::HttpRequestWithSecrets => {
                let secrets = args.dict(3)?;
                let fill = |template: &str| fill_placeholders(template, secrets);
                let filled = (|| {
                    let headers = string_entries(args.get(2)?)
                        .into_iter()
                        .map(|(name, value)| Ok((name, fill(&value)?)))
                        .collect::<Result<Vec<_>, Filled>>()?;
                    Ok(request(args.text(0)?, &fill(args.text(1)?)?, headers, &fill(args.text(4)?)?))
                })();
                match filled {
                    Ok(mut request) => {
                        request.secrets = secrets.values().filter_map(secret_in).collect();
                        Effect::HttpRequest(request)
                    }
                    Err(Filled::Unknown(message)) => Effect::HttpUnfilled { message },
                    Err(Filled::Argument(error)) => return Err(error),
                }
            }
            Builtin::TimeNow => Effect::TimeNow,
            Builtin::RandomInt => Effect::RandomInt { low: args.int(0)?, high: args.int(1)? },
            Builtin::RandomFloat => Effect::RandomFloat,
            Builtin::RandomUuid => Effect::RandomUuid,
            Builtin::LogInfo => Effect::Log { level: LogLevel::Info, message: args.text(0)?.to_string() },
            Builtin::LogWarn => Effect::Log { level: LogLevel::Warn, message: args.text(0)?.to_string() },
            Builtin::LogError => Effect::Log { level: LogLevel::Error, message: args.text(0)?.to_string() },
            Builtin::SecretsGet => Effect::SecretsGet { name: args.text(0)?.to_string() },
            Builtin::QueueEmit => match args.get(0)? {
                Value::Worker(worker) => Effect::QueueEmit { worker: worker.to_string(), event: args.get(1)?.clone() },
                _ => return Err(args.wrong(0, "a worker")),
            },
            other => return Err(EffectError::NotAnEffect(other.name())),
        })
    }
}

/// The secret a value is, if it is one.
pub fn secret_in(value: &Value) -> Option<SecretText> {
    match value {
        Value::Secret(secret) => Some(secret.clone()),
        _ => None,
    }
}

/// Why a template could not be filled.
enum Filled {
    /// A placeholder names no secret given: the program's `Error` value.
    Unknown(String),
    Argument(EffectError),
}

impl From<EffectError> for Filled {
    fn from(error: EffectError) -> Filled {
        Filled::Argument(error)
    }
}

/// `template` with each `{{name}}` replaced by the value of the secret
/// `name`; a name that is not in `secrets` is an error naming those that are.
fn fill_placeholders(template: &str, secrets: &Dict) -> Result<String, Filled> {
    let mut filled = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let Some(length) = rest[start + 2..].find("}}") else { break };
        let name = rest[start + 2..start + 2 + length].trim();
        let Some(Value::Secret(secret)) = secrets.get(name) else {
            let given: Vec<String> = secrets.keys().map(|key| format!("`{key}`")).collect();
            let given = if given.is_empty() { "none".to_string() } else { given.join(", ") };
            return Err(Filled::Unknown(format!(
                "`{{{{{name}}}}}` names no secret given to Http.requestWithSecrets (given: {given})"
            )));
        };
        filled.push_str(&rest[..start]);
        filled.push_str(secret.expose());
        rest = &rest[start + 4 + length..];
    }
    filled.push_str(rest);
    Ok(filled)
}
