//! `Http.get`, `Http.post`, `Http.request`, `Http.requestWithSecrets`:
//! outbound calls. A template's `{{name}}` placeholders are filled here,
//! from the secrets the call was given.

use super::arguments::Arguments;
use super::secrets::secret_in;
use super::{EffectError, MemoryEffects};
use crate::request::string_entries;
use crate::value::{Dict, SecretText, Value};
use gloam_language::Builtin;

#[derive(Debug, Clone, PartialEq)]
pub enum HttpCall {
    /// A request to send, its placeholders filled.
    Send(OutboundRequest),
    /// An `Http.requestWithSecrets` whose template names a secret it was not
    /// given: nothing is sent, the program gets this `Error` message.
    Unfilled { message: String },
}

/// An outbound call as it is sent: method, URL, headers and body, with any
/// placeholders filled.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboundRequest {
    pub method: String,
    pub url: String,
    /// The URL as the program wrote it: for `Http.requestWithSecrets` the
    /// template, which is what may be shown (logs, spans).
    pub written_url: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// The secrets given to fill placeholders: cut out of whatever the call
    /// answers (a network error names its URL).
    pub secrets: Vec<SecretText>,
}

impl OutboundRequest {
    fn new(method: &str, url: &str, headers: Vec<(String, String)>, body: &str) -> OutboundRequest {
        OutboundRequest {
            method: method.to_uppercase(),
            url: url.to_string(),
            written_url: url.to_string(),
            headers,
            body: body.to_string(),
            secrets: Vec::new(),
        }
    }
}

pub(super) fn decode(args: &Arguments) -> Result<HttpCall, EffectError> {
    let request = match args.0.builtin {
        Builtin::HttpGet => OutboundRequest::new("GET", args.text(0)?, Vec::new(), ""),
        Builtin::HttpPost => OutboundRequest::new("POST", args.text(0)?, Vec::new(), args.text(1)?),
        Builtin::HttpRequest => {
            OutboundRequest::new(args.text(0)?, args.text(1)?, string_entries(args.get(2)?), args.text(3)?)
        }
        Builtin::HttpRequestWithSecrets => return with_secrets(args),
        _ => return Err(args.not_an_effect()),
    };
    Ok(HttpCall::Send(request))
}

/// `Http.requestWithSecrets(method, url, headers, secrets, body)`.
fn with_secrets(args: &Arguments) -> Result<HttpCall, EffectError> {
    let secrets = args.dict(3)?;
    let fill = |template: &str| fill_placeholders(template, secrets);
    let filled = (|| {
        let headers = string_entries(args.get(2)?)
            .into_iter()
            .map(|(name, value)| Ok((name, fill(&value)?)))
            .collect::<Result<Vec<_>, Filled>>()?;
        let mut request = OutboundRequest::new(args.text(0)?, &fill(args.text(1)?)?, headers, &fill(args.text(4)?)?);
        request.written_url = args.text(1)?.to_string();
        Ok(request)
    })();
    match filled {
        Ok(mut request) => {
            request.secrets = secrets.values().filter_map(secret_in).collect();
            Ok(HttpCall::Send(request))
        }
        Err(Filled::Unknown(message)) => Ok(HttpCall::Unfilled { message }),
        Err(Filled::Argument(error)) => Err(error),
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

impl MemoryEffects {
    /// Canned responses by `"METHOD url"`; other requests fail.
    pub(super) fn http(&mut self, call: HttpCall) -> Result<Value, EffectError> {
        let request = match call {
            HttpCall::Send(request) => request,
            HttpCall::Unfilled { message } => return Ok(Value::error(Value::string(message))),
        };
        let key = format!("{} {}", request.method, request.url);
        Ok(match self.http.get(&key) {
            Some(Ok(response)) => Value::ok(response.clone()),
            Some(Err(message)) => Value::error(Value::string(message.as_str())),
            None => Value::error(Value::string(format!("no network: {key} is not stubbed"))),
        })
    }
}
