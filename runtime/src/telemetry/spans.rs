//! The spans of Gloam's work, with OpenTelemetry's semantic conventions:
//! a request of user traffic (a server span), the run of its handler (or of
//! a worker or cron) below it, each effect call below the run (DB calls,
//! outbound HTTP as client spans), and code saves. Each instrumentation
//! point is one call here. With no OpenTelemetry layer and logs that leave
//! spans out, every span is disabled and costs next to nothing.

use super::metrics::{NOT_FOUND, histograms};
use super::{SPANS, with_trace_id};
use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use gloam_interpreter::effects::{Effect, EffectError, HttpCall};
use gloam_interpreter::{EffectCall, Value};
use gloam_trace_store::Backend;
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::{TraceContextExt, TraceId};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use std::net::SocketAddr;
use std::time::Duration;
use tracing::Span;
use tracing::field::Empty;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// The span of one request of user traffic, named `METHOD` until
/// [`record_response`] knows its route. With a valid W3C `traceparent` the
/// span continues the caller's trace; otherwise its trace id is the Gloam
/// trace id (a UUIDv7 is 16 bytes, as an OpenTelemetry trace id is). The
/// Gloam trace id is the attribute `gloam.trace_id` either way.
pub fn request_span(request: &Request, trace_id: uuid::Uuid) -> Span {
    let host = request.headers().get(header::HOST).and_then(|host| host.to_str().ok()).unwrap_or("");
    let (address, port) = match host.rsplit_once(':').and_then(|(name, port)| Some((name, port.parse::<u16>().ok()?))) {
        Some((name, port)) => (name, Some(port)),
        None => (host, None),
    };
    let client = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip());
    let user_agent = request.headers().get(header::USER_AGENT).and_then(|agent| agent.to_str().ok());
    let span = tracing::info_span!(
        target: SPANS,
        "request",
        otel.name = %request.method(),
        otel.kind = "server",
        otel.status_code = Empty,
        http.request.method = %request.method(),
        http.route = Empty,
        http.response.status_code = Empty,
        url.path = request.uri().path(),
        url.scheme = "http",
        server.address = address,
        server.port = port,
        client.address = client.map(tracing::field::display),
        user_agent.original = user_agent,
        gloam.trace_id = %trace_id,
        gloam.canvas = Empty,
        gloam.handler_key = Empty,
    );
    if span.is_disabled() {
        return span;
    }
    let parent = TraceContextPropagator::new().extract(&Headers(request.headers()));
    if parent.span().span_context().is_valid() {
        // A span of the caller's trace; the Gloam trace keeps its own id.
        let _ = span.set_parent(parent);
    } else {
        // Started now, on this thread, so that it takes the Gloam trace's id.
        with_trace_id(TraceId::from_bytes(*trace_id.as_bytes()), || span.context());
    }
    span
}

/// The span of a worker's or cron's run with its trace (`key` is the trace
/// key, `WORKER name` or `CRON name`). A root span whose trace id is the
/// Gloam trace's, linked to the span that caused it (the run that emitted
/// the event), if any.
pub fn job_span(canvas: &str, key: &str, trace_id: uuid::Uuid) -> Span {
    let cause = Span::current();
    let span = tracing::info_span!(
        target: SPANS,
        parent: None,
        "job",
        otel.name = key,
        otel.kind = "consumer",
        gloam.trace_id = %trace_id,
        gloam.canvas = canvas,
        gloam.handler_key = key,
    );
    if span.is_disabled() {
        return span;
    }
    span.follows_from(&cause);
    with_trace_id(TraceId::from_bytes(*trace_id.as_bytes()), || span.context());
    span
}

/// What a request turned out to be: its canvas, its trace key (a handler
/// key `GET /todos/:id` when `routed`, else a 404 key), how long it took.
/// Also counts it in the request latency histogram.
pub fn record_response(canvas: &str, key: &str, routed: bool, took: Duration) {
    histograms().requests.observe(&[canvas, if routed { key } else { NOT_FOUND }], took);
    let span = Span::current();
    if span.is_disabled() {
        return;
    }
    span.record("gloam.canvas", canvas);
    span.record("gloam.handler_key", key);
    // A handler key is `METHOD route`: the span's name by the conventions.
    if routed && let Some((_method, route)) = key.split_once(' ') {
        span.record("http.route", route);
        span.context().span().update_name(key.to_string());
    }
}

/// The status of a response, on its request span (5xx is an error).
pub fn record_status(span: &Span, status: u16) {
    // As an i64: the OpenTelemetry layer exports unsigned values as strings.
    span.record("http.response.status_code", i64::from(status));
    if status >= 500 {
        span.record("otel.status_code", "ERROR");
    }
}

/// The span of one run: `kind` is `handler`, `worker` or `cron`, `key` the
/// handler key or the worker's or cron's name. A child of the current span
/// (the request's, or none for background runs).
pub fn run_span(kind: &'static str, key: &str) -> Span {
    tracing::info_span!(
        target: SPANS,
        "run",
        otel.name = %format_args!("{kind} {key}"),
        otel.status_code = Empty,
        gloam.run = kind,
        gloam.handler_key = key,
        gloam.engine = Empty,
        error.message = Empty,
    )
}

/// What a run came to: the engine that ran it (the compiled engine's code
/// runs on the interpreter while it compiles), whether it failed.
pub fn record_run(span: &Span, engine: &'static str, failure: Option<&str>, took: Duration) {
    histograms().runs.observe(&[engine], took);
    span.record("gloam.engine", engine);
    if let Some(message) = failure {
        span.record("otel.status_code", "ERROR");
        span.record("error.message", message);
    }
}

/// The span of one effect call, a child of the current span (the run's).
/// DB calls carry the database conventions (`db.system.name`, the
/// operation, the datastore as the collection), outbound HTTP the client
/// conventions. A URL is recorded as written: for `Http.requestWithSecrets`
/// that is the template, with its `{{placeholders}}`, never the secrets.
pub fn effect_span(call: &EffectCall, effect: &Effect, database: Backend) -> Span {
    let name = call.builtin.name();
    let database = match database {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgresql",
    };
    match effect {
        Effect::Db(db) => {
            let collection = db.store();
            tracing::info_span!(
                target: SPANS,
                "effect",
                otel.name = %format_args!("{name} {collection}"),
                otel.kind = "client",
                otel.status_code = Empty,
                gloam.effect = name,
                db.system.name = database,
                db.operation.name = call.builtin.short_name(),
                db.collection.name = collection,
                error.message = Empty,
            )
        }
        Effect::Http(HttpCall::Send(request)) => {
            let url = without_credentials(&request.written_url);
            tracing::info_span!(
                target: SPANS,
                "effect",
                otel.name = request.method.as_str(),
                otel.kind = "client",
                otel.status_code = Empty,
                gloam.effect = name,
                http.request.method = request.method.as_str(),
                url.full = url.as_str(),
                http.response.status_code = Empty,
                error.message = Empty,
            )
        }
        _ => tracing::info_span!(
            target: SPANS,
            "effect",
            otel.name = name,
            otel.status_code = Empty,
            gloam.effect = name,
            error.message = Empty,
        ),
    }
}

/// What an effect call came to; also counts it in the effect latency
/// histogram. An outbound call's answer is `Ok(response)` or `Error(why)`.
pub fn record_effect(span: &Span, call: &EffectCall, result: &Result<Value, EffectError>, took: Duration) {
    histograms().effects.observe(&[call.builtin.name()], took);
    if span.is_disabled() {
        return;
    }
    let error_text;
    let failure = match result {
        Err(error) => {
            error_text = error.to_string();
            Some(error_text.as_str())
        }
        Ok(Value::Variant(variant)) if variant.case == "Error" => match variant.payload.first() {
            Some(Value::String(message)) => Some(message.as_ref()),
            _ => Some("Error"),
        },
        Ok(Value::Variant(variant)) if variant.case == "Ok" => {
            if let Some(Value::Record(response)) = variant.payload.first()
                && let Some((_, Value::Int(status))) = response.fields.iter().find(|(name, _)| name == "status")
            {
                span.record("http.response.status_code", status);
            }
            None
        }
        Ok(_) => None,
    };
    if let Some(message) = failure {
        span.record("otel.status_code", "ERROR");
        span.record("error.message", message);
    }
}

/// The span of a code change through the editor API (`save`, `delete`,
/// `push`, …) of a canvas.
pub fn save_span(canvas: &str, change: &'static str) -> Span {
    tracing::info_span!(target: SPANS, "gloam.save", gloam.canvas = canvas, gloam.change = change)
}

/// The W3C trace context headers of the current span (an outbound call's
/// effect span), for its request; none when spans are not exported or the
/// handler sets `traceparent` itself (`handler_headers`).
pub fn trace_headers(handler_headers: &[(String, String)]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let span = Span::current();
    let own = handler_headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("traceparent"));
    if !own && !span.is_disabled() {
        TraceContextPropagator::new().inject_context(&span.context(), &mut HeadersMut(&mut headers));
    }
    headers
}

/// A URL without the user name and password it may carry.
fn without_credentials(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if !parsed.username().is_empty() || parsed.password().is_some() => {
            let _ = parsed.set_username("");
            let _ = parsed.set_password(None);
            parsed.to_string()
        }
        _ => url.to_string(),
    }
}

/// Request headers as the propagator reads them.
struct Headers<'a>(&'a HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(HeaderName::as_str).collect()
    }
}

/// Outbound headers as the propagator writes them.
struct HeadersMut<'a>(&'a mut HeaderMap);

impl Injector for HeadersMut<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(key), HeaderValue::try_from(value)) {
            self.0.insert(name, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_credentials_only() {
        assert_eq!(without_credentials("https://ada:pw@api.example/x?q=1"), "https://api.example/x?q=1");
        assert_eq!(without_credentials("https://api.example/{{path}}"), "https://api.example/{{path}}");
        assert_eq!(without_credentials("{{target}}"), "{{target}}");
    }

    #[test]
    fn without_a_subscriber_no_trace_context_is_sent() {
        assert!(trace_headers(&[]).is_empty());
    }
}
