//! OpenTelemetry export against a real OTLP/HTTP receiver started in the
//! test: `gloam serve --otlp-endpoint` (the real binary) serves a handler
//! that writes a datastore and calls out; its spans, flushed when it stops,
//! are decoded from the protobuf the exporter sent. Also the Prometheus text
//! the server shows, parsed.

mod support;

use axum::body::Bytes;
use axum::http::HeaderMap;
use opentelemetry_proto::tonic::collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse};
use opentelemetry_proto::tonic::common::v1::{AnyValue, any_value};
use opentelemetry_proto::tonic::trace::v1::Span;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use prost::Message;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::binary::Server;

/// What the receiver was sent: export requests, and the headers of the
/// outbound calls the handler made to it.
#[derive(Default)]
struct Received {
    exports: Mutex<Vec<ExportTraceServiceRequest>>,
    upstream: Mutex<Vec<HeaderMap>>,
}

/// An OTLP/HTTP endpoint (`POST /v1/traces`) and the handler's upstream
/// (`GET /upstream`), on one loopback port.
async fn receiver() -> (String, Arc<Received>) {
    let received = Arc::new(Received::default());
    let (exports, upstream) = (received.clone(), received.clone());
    let app = axum::Router::new()
        .route(
            "/v1/traces",
            axum::routing::post(move |body: Bytes| async move {
                let request = ExportTraceServiceRequest::decode(body).expect("an OTLP trace export");
                exports.exports.lock().expect("lock").push(request);
                ([("content-type", "application/x-protobuf")], ExportTraceServiceResponse::default().encode_to_vec())
            }),
        )
        .route(
            "/upstream",
            axum::routing::get(move |headers: HeaderMap| async move {
                upstream.upstream.lock().expect("lock").push(headers);
                "pong"
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serves") });
    (address.to_string(), received)
}

fn attribute<'s>(span: &'s Span, key: &str) -> Option<&'s any_value::Value> {
    span.attributes.iter().find(|kv| kv.key == key).and_then(|kv| kv.value.as_ref()?.value.as_ref())
}

fn text<'s>(span: &'s Span, key: &str) -> &'s str {
    match attribute(span, key) {
        Some(any_value::Value::StringValue(text)) => text,
        other => panic!("span `{}`: {key} is {other:?}", span.name),
    }
}

fn int(span: &Span, key: &str) -> i64 {
    match attribute(span, key) {
        Some(any_value::Value::IntValue(value)) => *value,
        other => panic!("span `{}`: {key} is {other:?}", span.name),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The spans of one request: its own, its run's, its effects'.
struct RequestSpans<'a> {
    request: &'a Span,
    run: &'a Span,
    effects: Vec<&'a Span>,
}

fn spans_of<'a>(spans: &'a [Span], gloam_trace_id: &str) -> RequestSpans<'a> {
    let request = spans
        .iter()
        .find(|span| span.kind == SpanKind::Server as i32 && text(span, "gloam.trace_id") == gloam_trace_id)
        .unwrap_or_else(|| panic!("no request span of trace {gloam_trace_id}"));
    let children = |parent: &Span| -> Vec<&'a Span> {
        spans.iter().filter(|span| span.parent_span_id == parent.span_id && span.trace_id == parent.trace_id).collect()
    };
    let runs = children(request);
    assert_eq!(runs.len(), 1, "one run under the request");
    let run = runs[0];
    RequestSpans { request, run, effects: children(run) }
}

const HANDLER: &str = r#"db notes: String

handler GET /traced =
  DB.set(notes, "last", "seen")
  match Http.get("UPSTREAM") with
  | Ok(response) -> Http.text(response.body, 200)
  | Error(message) -> Http.text(message, 502)
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_are_exported_with_their_parents_ids_and_attributes() {
    let (address, received) = receiver().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let code = dir.path().join("traced");
    std::fs::create_dir(&code).expect("dir");
    let upstream = format!("http://{address}/upstream");
    std::fs::write(code.join("main.gloam"), HANDLER.replace("UPSTREAM", &upstream)).expect("write");
    let endpoint = format!("http://{address}");
    let mut server = Server::start(
        &dir.path().join("g.db"),
        &["--load", code.to_str().expect("path"), "--otlp-endpoint", &endpoint, "--allow-outbound", &address],
    );
    let client = reqwest::Client::new();
    let get = |path: &str, traceparent: Option<&str>| {
        let mut request = client.get(format!("{}{path}", server.address));
        if let Some(traceparent) = traceparent {
            request = request.header("traceparent", traceparent);
        }
        async move {
            let response = request.send().await.expect("response");
            assert_eq!(response.status(), 200);
            let trace_id = response.headers()["x-gloam-trace-id"].to_str().expect("id").to_string();
            assert_eq!(response.text().await.expect("body"), "pong");
            trace_id
        }
    };
    let caller_trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let caller_span = "00f067aa0ba902b7";
    let own = get("/traced", None).await;
    let continued = get("/traced", Some(&format!("00-{caller_trace}-{caller_span}-01"))).await;
    let malformed = get("/traced", Some("00-not-a-trace-01")).await;

    // The Prometheus text: valid, with the histograms and the counters per canvas.
    let metrics = client
        .get(format!("{}/_gloam/metrics", server.address))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    check_prometheus_text(&metrics);
    for line in [
        "gloam_requests_total{canvas=\"traced\"} 3",
        "gloam_request_duration_seconds_count{canvas=\"traced\",handler=\"GET /traced\"} 3",
        "gloam_effect_duration_seconds_count{function=\"DB.set\"} 3",
        "gloam_effect_duration_seconds_count{function=\"Http.get\"} 3",
    ] {
        assert!(metrics.lines().any(|sample| sample == line), "no `{line}` in\n{metrics}");
    }
    // The first runs may be the interpreter's, while the loaded code compiles.
    let runs: u64 = metrics
        .lines()
        .filter(|line| line.starts_with("gloam_run_duration_seconds_count{engine="))
        .filter_map(|line| line.rsplit_once(' ')?.1.parse::<u64>().ok())
        .sum();
    assert_eq!(runs, 3, "{metrics}");

    // A graceful stop flushes the spans not exported yet.
    assert!(server.terminate(Duration::from_secs(20)).is_some_and(|status| status.success()), "stops cleanly");
    let exports = received.exports.lock().expect("lock");
    let resource = exports[0].resource_spans[0].resource.as_ref().expect("a resource");
    let service = resource.attributes.iter().find(|kv| kv.key == "service.name").and_then(|kv| kv.value.clone());
    assert_eq!(service, Some(AnyValue { value: Some(any_value::Value::StringValue("gloam".into())) }));
    let spans: Vec<Span> = exports
        .iter()
        .flat_map(|export| &export.resource_spans)
        .flat_map(|resource| &resource.scope_spans)
        .flat_map(|scope| scope.spans.clone())
        .collect();

    // Without a traceparent: the OpenTelemetry trace id is the Gloam trace id.
    let first = spans_of(&spans, &own);
    assert_eq!(hex(&first.request.trace_id), own.replace('-', ""));
    assert!(first.request.parent_span_id.is_empty(), "a root span");
    assert_eq!(first.request.name, "GET /traced");
    assert_eq!(text(first.request, "http.request.method"), "GET");
    assert_eq!(text(first.request, "http.route"), "/traced");
    assert_eq!(text(first.request, "url.path"), "/traced");
    assert_eq!(int(first.request, "http.response.status_code"), 200);
    assert_eq!(text(first.request, "gloam.canvas"), "traced");
    assert_eq!(text(first.request, "gloam.handler_key"), "GET /traced");
    assert_eq!(first.run.name, "handler GET /traced");
    assert!(["compiled", "interpreter"].contains(&text(first.run, "gloam.engine")));

    let named = |name: &str| -> &Span {
        first.effects.iter().copied().find(|span| span.name == name).unwrap_or_else(|| panic!("no effect span {name}"))
    };
    let db = named("DB.set notes");
    assert_eq!(text(db, "db.system.name"), "sqlite");
    assert_eq!(text(db, "db.operation.name"), "set");
    assert_eq!(text(db, "db.collection.name"), "notes");
    let http = named("GET");
    assert_eq!(http.kind, SpanKind::Client as i32);
    assert_eq!(text(http, "http.request.method"), "GET");
    assert_eq!(text(http, "url.full"), upstream);
    assert_eq!(int(http, "http.response.status_code"), 200);

    // The outbound call carried the trace context of its own span.
    let upstream_calls = received.upstream.lock().expect("lock");
    let traceparent = |call: usize| upstream_calls[call]["traceparent"].to_str().expect("text").to_string();
    assert_eq!(traceparent(0), format!("00-{}-{}-01", own.replace('-', ""), hex(&http.span_id)));

    // With a traceparent: a span of the caller's trace, under the caller's span.
    let second = spans_of(&spans, &continued);
    assert_eq!(hex(&second.request.trace_id), caller_trace);
    assert_eq!(hex(&second.request.parent_span_id), caller_span);
    assert_eq!(second.effects.len(), 2, "the DB call and the outbound call");
    assert!(traceparent(1).starts_with(&format!("00-{caller_trace}-")), "{}", traceparent(1));

    // A malformed traceparent is ignored.
    let third = spans_of(&spans, &malformed);
    assert_eq!(hex(&third.request.trace_id), malformed.replace('-', ""));
    assert!(third.request.parent_span_id.is_empty());
}

/// Every line of the Prometheus text format is a comment (`# HELP`, `# TYPE`)
/// or a sample `name{label="value",…} number`, and a sample's metric was typed.
fn check_prometheus_text(text: &str) {
    let mut typed = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("a name and a type");
            assert!(["counter", "gauge", "histogram"].contains(&kind), "{line}");
            typed.push(name.to_string());
            continue;
        }
        if line.starts_with("# HELP ") {
            continue;
        }
        let name_end = line.find(['{', ' ']).unwrap_or_else(|| panic!("not a sample: {line}"));
        let name = &line[..name_end];
        assert!(
            !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "a metric name: {line}"
        );
        let mut rest = &line[name_end..];
        if let Some(labels) = rest.strip_prefix('{') {
            rest = check_labels(labels, line);
        }
        let value = rest.strip_prefix(' ').unwrap_or_else(|| panic!("a space before the value: {line}"));
        assert!(value == "+Inf" || value.parse::<f64>().is_ok(), "a number: {line}");
        let family = ["_bucket", "_sum", "_count"].iter().find_map(|suffix| name.strip_suffix(suffix));
        assert!(
            typed.iter().any(|typed| typed == name || Some(typed.as_str()) == family),
            "a sample of a metric without # TYPE: {line}"
        );
    }
}

/// Checks `label="value",…}` and returns what follows the `}`.
fn check_labels<'l>(mut labels: &'l str, line: &str) -> &'l str {
    loop {
        let (name, rest) = labels.split_once("=\"").unwrap_or_else(|| panic!("a label: {line}"));
        assert!(name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'), "a label name: {line}");
        let mut chars = rest.char_indices();
        let end = loop {
            match chars.next() {
                Some((_, '\\')) => {
                    let escaped = chars.next().map(|(_, c)| c);
                    assert!(matches!(escaped, Some('\\' | '"' | 'n')), "an escape: {line}");
                }
                Some((at, '"')) => break at,
                Some(_) => {}
                None => panic!("an unterminated label value: {line}"),
            }
        };
        let after = &rest[end + 1..];
        if let Some(next) = after.strip_prefix(',') {
            labels = next;
        } else {
            return after.strip_prefix('}').unwrap_or_else(|| panic!("labels end with }}: {line}"));
        }
    }
}
