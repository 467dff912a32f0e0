//! The runtime's implementations of the interpreter's [`Effects`]: real
//! effects recorded into the trace ([`HostEffects`]), and effects answered from
//! a stored trace for replay and live values ([`TraceEffects`]).
//!
//! Both are asynchronous at heart ([`AsyncEffects`]): compiled handlers await
//! them from the sandbox and hold no thread while they wait. The interpreter
//! is synchronous; it runs on a blocking thread and its [`Effects`] calls wait
//! with `Handle::block_on`.

use crate::budget::{QueuedEvent, RunBudget};
use crate::outbound::{OutboundClient, OutboundPolicy, refusal_in};
use crate::redact::SecretValues;
use crate::telemetry;
use gloam_interpreter::effects::{OutboundRequest, datastore_key, outbound_request};
use gloam_interpreter::value::SecretText;
use gloam_interpreter::wire;
use gloam_interpreter::{EffectCall, Effects, Value};
use gloam_language::Builtin;
use gloam_trace_store::{LogLine, RecordedEffect, SecretAction, Store};
use rand::Rng;
use std::any::Any;
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::runtime::Handle;
use tracing::Instrument;

/// Outbound response bodies larger than this fail the call.
const MAX_OUTBOUND_BODY: usize = 10 * 1024 * 1024;

/// What effects can reach: the store and the server's outbound client (a
/// canvas with its own allow-list has its own client, in its `RunBudget`). One per server.
#[derive(Clone)]
pub struct Host {
    pub store: Store,
    pub outbound: Arc<OutboundClient>,
    pub outbound_timeout: Duration,
}

impl Host {
    /// Fails only when the HTTP client cannot be set up (no TLS backend).
    pub fn new(store: Store, outbound_timeout: Duration, policy: OutboundPolicy) -> Result<Host, reqwest::Error> {
        let outbound = Arc::new(OutboundClient::new(policy, outbound_timeout)?);
        Ok(Host { store, outbound, outbound_timeout })
    }
}

/// Whether writes and outbound calls happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Everything is performed: serving a request, or a replay asked to run live.
    Live,
    /// Reads only: writes are skipped (they return `()`), outbound calls fail.
    /// For live values, which must never repeat a write or a call.
    ReadOnly,
}

/// An effect call's answer, awaited.
pub type EffectFuture<'a> = Pin<Box<dyn Future<Output = Result<Value, String>> + Send + 'a>>;

/// Effects for compiled handlers: the same calls as [`Effects`], awaited.
pub trait AsyncEffects: Any + Send {
    fn call<'a>(&'a mut self, call: &'a EffectCall) -> EffectFuture<'a>;
}

/// Synchronous effects that answer at once (in memory), for compiled code.
pub struct Immediate<E>(pub E);

impl<E: Effects + Send + 'static> AsyncEffects for Immediate<E> {
    fn call<'a>(&'a mut self, call: &'a EffectCall) -> EffectFuture<'a> {
        Box::pin(std::future::ready(self.0.call(call)))
    }
}

/// An event for a worker, holding its place in the canvas's queue.
#[derive(Debug)]
pub struct Emitted {
    pub worker: String,
    pub event: Value,
    pub place: QueuedEvent,
}

/// Effects against the real store and network, each recorded.
pub struct HostEffects {
    host: Host,
    canvas: String,
    handle: Handle,
    mode: Mode,
    budget: RunBudget,
    pub recorded: Vec<RecordedEffect>,
    pub logs: Vec<LogLine>,
    /// Events for workers (`Queue.emit`), dispatched by the server after the request.
    pub emitted: Vec<Emitted>,
    /// The values of the secrets read, cut out of everything stored or shown.
    pub secrets: SecretValues,
    /// For a run the editor API started: each secret read is written to the
    /// audit log, with the editor's address when known.
    audit: Option<Option<String>>,
}

fn argument(call: &EffectCall, index: usize) -> Result<&Value, String> {
    call.arguments.get(index).ok_or_else(|| format!("{}: missing argument {}", call.builtin.name(), index + 1))
}

fn text(call: &EffectCall, index: usize) -> Result<&str, String> {
    match argument(call, index)? {
        Value::String(text) => Ok(text),
        other => {
            Err(format!("{}: argument {} should be a String, found {}", call.builtin.name(), index + 1, other.kind()))
        }
    }
}

fn datastore(call: &EffectCall) -> Result<&str, String> {
    match argument(call, 0)? {
        Value::Datastore(name) => Ok(name),
        other => Err(format!("{}: expected a datastore, found {}", call.builtin.name(), other.kind())),
    }
}

fn decode_row(text: &str) -> Result<Value, String> {
    wire::decode_text(text.as_bytes())
}

fn is_write(builtin: Builtin) -> bool {
    matches!(builtin, Builtin::DbSet | Builtin::DbDelete)
}

fn is_outbound(builtin: Builtin) -> bool {
    matches!(builtin, Builtin::HttpGet | Builtin::HttpPost | Builtin::HttpRequest | Builtin::HttpRequestWithSecrets)
}

/// Effects whose result is not taken from a trace on replay: logs and events
/// are captured again, secrets are read again (their values are not recorded).
fn is_replayed_live(builtin: Builtin) -> bool {
    matches!(
        builtin,
        Builtin::LogInfo | Builtin::LogWarn | Builtin::LogError | Builtin::SecretsGet | Builtin::QueueEmit
    )
}

impl HostEffects {
    /// Must be created inside the tokio runtime (it keeps its handle).
    pub fn new(host: &Host, canvas: &str, mode: Mode, budget: RunBudget) -> HostEffects {
        HostEffects {
            host: host.clone(),
            canvas: canvas.to_string(),
            handle: Handle::current(),
            mode,
            budget,
            recorded: Vec::new(),
            logs: Vec::new(),
            emitted: Vec::new(),
            secrets: SecretValues::default(),
            audit: None,
        }
    }

    /// Writes every secret this run reads to the audit log: the run was
    /// started through the editor API by `client`.
    pub fn audit_reads(&mut self, client: Option<String>) {
        self.audit = Some(client);
    }

    fn store_error(error: gloam_trace_store::StoreError) -> String {
        format!("the datastore is unavailable: {error}")
    }

    async fn perform(&mut self, call: &EffectCall) -> Result<Value, String> {
        let store = self.host.store.clone();
        let canvas = self.canvas.as_str();
        if self.mode == Mode::ReadOnly {
            if is_write(call.builtin) || call.builtin == Builtin::QueueEmit {
                return Ok(Value::Unit);
            }
            if is_outbound(call.builtin) {
                return Err(format!(
                    "{} was not recorded in this trace, and outbound calls are not made while analysing",
                    call.builtin.name()
                ));
            }
        }
        match call.builtin {
            Builtin::DbGet => {
                let row = store
                    .db_get(canvas, datastore(call)?, datastore_key(text(call, 1)?)?)
                    .await
                    .map_err(Self::store_error)?;
                Ok(Value::option(row.as_deref().map(decode_row).transpose()?))
            }
            Builtin::DbSet => {
                let row = wire::encode_text(argument(call, 2)?)?;
                store
                    .db_set(canvas, datastore(call)?, datastore_key(text(call, 1)?)?, &row)
                    .await
                    .map_err(Self::store_error)?;
                Ok(Value::Unit)
            }
            Builtin::DbDelete => {
                store
                    .db_delete(canvas, datastore(call)?, datastore_key(text(call, 1)?)?)
                    .await
                    .map_err(Self::store_error)?;
                Ok(Value::Unit)
            }
            Builtin::DbGetAll | Builtin::DbKeys => {
                let rows = store.db_rows(canvas, datastore(call)?).await.map_err(Self::store_error)?;
                let values = if call.builtin == Builtin::DbKeys {
                    rows.into_iter().map(|(key, _)| Value::string(key)).collect()
                } else {
                    rows.iter().map(|(_, row)| decode_row(row)).collect::<Result<Vec<Value>, String>>()?
                };
                Ok(Value::list(values))
            }
            Builtin::HttpRequestWithSecrets => {
                // Whatever the call gives back (a network error names its URL)
                // holds none of the secrets it was given.
                let mut used = SecretValues::default();
                if let Value::Dict(secrets) = argument(call, 3)? {
                    secrets.values().filter_map(secret_text).for_each(|secret| used.add(secret.expose()));
                }
                let scrubbed = |mut message: String| {
                    used.scrub(&mut message);
                    message
                };
                match outbound_request(call)? {
                    Ok(request) => match self.outbound(&request).await.map_err(scrubbed)? {
                        Value::Variant(variant) if variant.case == "Error" => match variant.payload.first() {
                            Some(Value::String(message)) => {
                                Ok(Value::error(Value::string(scrubbed(message.to_string()))))
                            }
                            _ => Ok(Value::Variant(variant)),
                        },
                        answer => Ok(answer),
                    },
                    Err(message) => Ok(Value::error(Value::string(message))),
                }
            }
            builtin if is_outbound(builtin) => match outbound_request(call)? {
                Ok(request) => self.outbound(&request).await,
                Err(message) => Ok(Value::error(Value::string(message))),
            },
            Builtin::TimeNow => Ok(Value::Int(gloam_trace_store::now_ms())),
            Builtin::RandomInt => {
                let (Value::Int(low), Value::Int(high)) = (argument(call, 0)?, argument(call, 1)?) else {
                    return Err("Random.int: expected Int arguments".into());
                };
                if low > high {
                    return Err(format!("Random.int: empty range: {low} > {high}"));
                }
                Ok(Value::Int(rand::rng().random_range(*low..=*high)))
            }
            Builtin::RandomFloat => Ok(Value::Float(rand::rng().random::<f64>())),
            Builtin::RandomUuid => Ok(Value::string(uuid::Uuid::new_v4().to_string())),
            Builtin::LogInfo | Builtin::LogWarn | Builtin::LogError => {
                let level = call.builtin.short_name().to_string();
                self.logs.push(LogLine { level, message: text(call, 0)?.to_string() });
                Ok(Value::Unit)
            }
            Builtin::SecretsGet => {
                let name = text(call, 0)?;
                let value = store.secret(canvas, name).await.map_err(Self::store_error)?;
                if let Some(value) = &value {
                    self.secrets.add(value);
                    if let Some(client) = &self.audit {
                        store
                            .audit_secret(canvas, name, SecretAction::Read, client.as_deref())
                            .await
                            .map_err(Self::store_error)?;
                    }
                }
                Ok(Value::option(value.map(|value| Value::Secret(SecretText::new(value)))))
            }
            Builtin::QueueEmit => {
                let Value::Worker(worker) = argument(call, 0)? else {
                    return Err("Queue.emit: expected a worker".into());
                };
                // The call's failure says "Queue.emit failed: " before the reason.
                let place = self.budget.canvas.queue_event().map_err(|refused| refused.to_string())?;
                let per_request = self.budget.canvas.limits.events_per_request;
                self.budget.lineage.emit(per_request).map_err(|refused| refused.to_string())?;
                let event = argument(call, 1)?.clone();
                self.emitted.push(Emitted { worker: worker.to_string(), event, place });
                Ok(Value::Unit)
            }
            other => Err(format!("{} is not an effect", other.name())),
        }
    }

    /// An outbound request. Network failures are the Gloam `Error` value, not a
    /// failure of the handler.
    async fn outbound(&self, request: &OutboundRequest) -> Result<Value, String> {
        let OutboundRequest { method, url, headers, body } = request;
        let method =
            reqwest::Method::from_bytes(method.as_bytes()).map_err(|_| format!("`{method}` is not an HTTP method"))?;
        // Refusals are `Error` values, like network failures: the handler decides what to answer.
        let refused = |why: String| Ok(Value::error(Value::string(format!("refused: {why}"))));
        let _in_flight = match self.budget.canvas.outbound_call() {
            Ok(permit) => permit,
            Err(over) => return refused(over.to_string()),
        };
        if let Ok(parsed) = reqwest::Url::parse(url)
            && let Err(policy) = self.budget.outbound.policy.check_target(&parsed).await
        {
            return refused(policy.to_string());
        }
        // The call's span as the callee's parent; a `traceparent` of the handler's own wins.
        let mut request = self.budget.outbound.http.request(method, url).headers(telemetry::trace_headers(headers));
        request = request.body(body.clone());
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let call = async move {
            let mut response = request.send().await.map_err(|error| describe_reqwest(&error))?;
            let status = response.status().as_u16();
            let headers: BTreeMap<String, Value> = response
                .headers()
                .iter()
                .filter_map(|(name, value)| Some((name.as_str().to_string(), Value::string(value.to_str().ok()?))))
                .collect();
            let too_large = || format!("the response body is larger than {MAX_OUTBOUND_BODY} bytes");
            if response.content_length().is_some_and(|length| length > MAX_OUTBOUND_BODY as u64) {
                return Err(too_large());
            }
            // Read as it comes, so a body without a length cannot grow past the limit.
            let mut bytes = Vec::new();
            while let Some(chunk) = response.chunk().await.map_err(|error| describe_reqwest(&error))? {
                if bytes.len() + chunk.len() > MAX_OUTBOUND_BODY {
                    return Err(too_large());
                }
                bytes.extend_from_slice(&chunk);
            }
            Ok(Value::record(
                "Http.Response",
                vec![
                    ("status".into(), Value::Int(i64::from(status))),
                    ("headers".into(), Value::dict(headers)),
                    ("body".into(), Value::string(String::from_utf8_lossy(&bytes).into_owned())),
                ],
            ))
        };
        let result = tokio::select! {
            result = call => result,
            () = self.budget.given_up() => return Err(format!(
                "stopped waiting for {url}: the client went away {} s ago",
                self.budget.canvas.limits.client_gone_grace.as_secs()
            )),
        };
        Ok(match result {
            Ok(response) => Value::ok(response),
            Err(message) => Value::error(Value::string(message)),
        })
    }

    fn record(&mut self, call: &EffectCall, result: &Result<Value, String>) {
        if matches!(call.builtin, Builtin::LogInfo | Builtin::LogWarn | Builtin::LogError) {
            return; // in the trace's logs already
        }
        // The stored form writes every Secret as `<secret>`: a call is
        // recorded as written, `Http.requestWithSecrets` with its templates.
        let arguments =
            call.arguments.iter().map(|value| wire::encode(value).unwrap_or_else(serde_json::Value::String)).collect();
        let result = match result {
            Ok(value) => wire::encode(value),
            Err(message) => Err(message.clone()),
        };
        self.recorded.push(RecordedEffect {
            site: call.site.0,
            function: call.builtin.name().to_string(),
            arguments,
            result,
        });
    }
}

fn secret_text(value: &Value) -> Option<&SecretText> {
    match value {
        Value::Secret(secret) => Some(secret),
        _ => None,
    }
}

fn describe_reqwest(error: &reqwest::Error) -> String {
    if let Some(refused) = refusal_in(error) {
        format!("refused: {refused}")
    } else if error.is_timeout() {
        format!("timed out: {error}")
    } else if error.is_connect() {
        format!("cannot connect: {error}")
    } else {
        error.to_string()
    }
}

impl HostEffects {
    async fn perform_and_record(&mut self, call: &EffectCall) -> Result<Value, String> {
        let span = telemetry::effect_span(call, self.host.store.backend());
        let started = std::time::Instant::now();
        let result = self.perform(call).instrument(span.clone()).await;
        telemetry::record_effect(&span, call, &result, started.elapsed());
        self.record(call, &result);
        result
    }
}

impl Effects for HostEffects {
    fn call(&mut self, call: &EffectCall) -> Result<Value, String> {
        self.handle.clone().block_on(self.perform_and_record(call))
    }
}

impl AsyncEffects for HostEffects {
    fn call<'a>(&'a mut self, call: &'a EffectCall) -> EffectFuture<'a> {
        Box::pin(self.perform_and_record(call))
    }
}

/// What to do with a call the trace did not record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unrecorded {
    /// Stop with a "not recorded" error (a deterministic replay).
    Fail,
    /// Perform reads for real; skip writes; refuse outbound calls (live values).
    ReadOnly,
}

/// Effects answered from a stored trace: the n-th call of a function gets the
/// result its n-th recorded call got (the call site is preferred, so edits
/// that add calls elsewhere do not shift the answers).
pub struct TraceEffects {
    recorded: Vec<RecordedEffect>,
    used: Vec<bool>,
    unrecorded: Unrecorded,
    /// Performs what is not taken from the trace, and records every call.
    pub host: HostEffects,
}

impl TraceEffects {
    pub fn new(
        recorded: Vec<RecordedEffect>,
        unrecorded: Unrecorded,
        host: &Host,
        canvas: &str,
        budget: RunBudget,
    ) -> TraceEffects {
        let used = vec![false; recorded.len()];
        TraceEffects { recorded, used, unrecorded, host: HostEffects::new(host, canvas, Mode::ReadOnly, budget) }
    }

    fn take(&mut self, call: &EffectCall) -> Option<Result<serde_json::Value, String>> {
        let name = call.builtin.name();
        let unused = |index: &usize| !self.used[*index];
        let candidates = || (0..self.recorded.len()).filter(unused).filter(|&i| self.recorded[i].function == name);
        let index = candidates().find(|&i| self.recorded[i].site == call.site.0).or_else(|| candidates().next())?;
        self.used[index] = true;
        Some(self.recorded[index].result.clone())
    }
}

impl TraceEffects {
    async fn answer(&mut self, call: &EffectCall) -> Result<Value, String> {
        if is_replayed_live(call.builtin) {
            return self.host.perform_and_record(call).await;
        }
        let result = match self.take(call) {
            Some(Ok(json)) => wire::decode(&json),
            Some(Err(message)) => Err(message),
            None if self.unrecorded == Unrecorded::ReadOnly => return self.host.perform_and_record(call).await,
            None => Err(format!(
                "{} was not recorded in this trace; replay with live effects to perform it",
                call.builtin.name()
            )),
        };
        self.host.record(call, &result);
        result
    }
}

impl Effects for TraceEffects {
    fn call(&mut self, call: &EffectCall) -> Result<Value, String> {
        self.host.handle.clone().block_on(self.answer(call))
    }
}

impl AsyncEffects for TraceEffects {
    fn call<'a>(&'a mut self, call: &'a EffectCall) -> EffectFuture<'a> {
        Box::pin(self.answer(call))
    }
}
