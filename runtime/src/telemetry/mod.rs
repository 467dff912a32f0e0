//! Logs, spans and metrics. `tracing` is the one instrumentation: the
//! subscriber is set up once, at the binary's edge ([`init`]), and writes
//! logs as text or JSON; with an OTLP endpoint the same spans are also
//! exported as OpenTelemetry spans ([`spans`]). [`metrics`] holds the
//! Prometheus histograms `/_gloam/metrics` shows.

pub mod metrics;
pub mod spans;

use opentelemetry::trace::{SpanId, TraceId, TracerProvider as _};
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{IdGenerator, RandomIdGenerator, SdkTracerProvider};
use std::cell::Cell;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::{EnvFilter, LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

pub use spans::{
    effect_span, job_span, record_effect, record_response, record_run, record_status, request_span, run_span,
    save_span, trace_headers,
};

/// The target of the request, run, effect and save spans. Logs leave them out
/// unless `RUST_LOG` names it; the OpenTelemetry layer always takes them.
pub const SPANS: &str = "gloam::spans";

/// What logs are written as (to stderr).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    /// Lines for people.
    #[default]
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// How the process reports what it does.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub log_format: LogFormat,
    /// The OTLP/HTTP base address (`http://collector:4318`); spans go to
    /// `{endpoint}/v1/traces`. No export when `None`.
    pub otlp_endpoint: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    #[error("cannot set up the OTLP exporter for {endpoint}: {source}")]
    Exporter { endpoint: String, source: opentelemetry_otlp::ExporterBuildError },
    #[error("a tracing subscriber is already installed")]
    AlreadyInstalled(#[from] tracing_subscriber::util::TryInitError),
}

/// Owns the exporter; [`Telemetry::shutdown`] sends what is left.
#[derive(Debug, Default)]
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Exports the spans not sent yet and stops the exporter (a graceful
    /// stop calls it last). Blocks until the export is done or has failed.
    pub fn shutdown(&self) {
        if let Some(provider) = &self.provider
            && let Err(error) = provider.shutdown()
        {
            tracing::warn!(%error, "the OpenTelemetry exporter did not shut down cleanly");
        }
    }
}

/// Installs the process's subscriber: logs filtered by `RUST_LOG` (default
/// `info`) in the chosen format, and the OpenTelemetry layer when an endpoint
/// is set. Called once, by the binary.
pub fn init(settings: &Settings) -> Result<Telemetry, TelemetryError> {
    // Spans are for export; in logs they would only repeat themselves on
    // every line (and cost a little on every request) unless asked for.
    let wanted = std::env::var(EnvFilter::DEFAULT_ENV).unwrap_or_else(|_| "info".into());
    let directives = if wanted.contains(SPANS) { wanted } else { format!("{wanted},{SPANS}=off") };
    let filter = EnvFilter::try_new(&directives).unwrap_or_else(|_| EnvFilter::new(format!("info,{SPANS}=off")));
    let logs = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let logs = match settings.log_format {
        LogFormat::Text => logs.boxed(),
        LogFormat::Json => logs.json().boxed(),
    };
    let (otel, provider) = match &settings.otlp_endpoint {
        Some(endpoint) => {
            let provider = exporting_provider(endpoint)?;
            (Some(otel_layer(&provider)), Some(provider))
        }
        None => (None, None),
    };
    tracing_subscriber::registry().with(logs.with_filter(filter)).with(otel).try_init()?;
    Ok(Telemetry { provider })
}

/// A tracer provider that batches spans to `{endpoint}/v1/traces` over
/// OTLP/HTTP (protobuf), as service `gloam`.
pub fn exporting_provider(endpoint: &str) -> Result<SdkTracerProvider, TelemetryError> {
    let traces = format!("{}/v1/traces", endpoint.trim_end_matches('/'));
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_endpoint(&traces)
        .build()
        .map_err(|source| TelemetryError::Exporter { endpoint: traces.clone(), source })?;
    let resource = Resource::builder()
        .with_service_name("gloam")
        .with_attribute(opentelemetry::KeyValue::new("service.version", env!("CARGO_PKG_VERSION")))
        .build();
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource)
        .with_id_generator(GloamIds)
        .build())
}

/// The layer that turns the [`SPANS`] spans (and warnings and errors, as
/// span events) into OpenTelemetry spans of `provider`.
pub fn otel_layer<S>(provider: &SdkTracerProvider) -> impl Layer<S> + Send + Sync + 'static
where
    S: tracing::Subscriber + for<'span> tracing_subscriber::registry::LookupSpan<'span> + Send + Sync,
{
    let exported = Targets::new().with_target(SPANS, LevelFilter::INFO).with_default(LevelFilter::WARN);
    tracing_opentelemetry::layer()
        .with_tracer(provider.tracer("gloam"))
        .with_location(false)
        .with_threads(false)
        .with_target(false)
        .with_level(false)
        .with_filter(exported)
}

thread_local! {
    /// The trace id the next root span started on this thread takes.
    static NEXT_TRACE_ID: Cell<Option<TraceId>> = const { Cell::new(None) };
}

/// Runs `start` (which starts a root span) so that the span's OpenTelemetry
/// trace id is `trace_id`: a Gloam trace and its exported trace share an id.
fn with_trace_id<T>(trace_id: TraceId, start: impl FnOnce() -> T) -> T {
    NEXT_TRACE_ID.set(Some(trace_id));
    let started = start();
    NEXT_TRACE_ID.set(None);
    started
}

/// Random ids, except for a root span started by [`with_trace_id`]: the
/// tracing layer builds spans itself, and the id generator is the SDK's one
/// place to choose a trace id.
#[derive(Debug)]
struct GloamIds;

impl IdGenerator for GloamIds {
    fn new_trace_id(&self) -> TraceId {
        NEXT_TRACE_ID.take().unwrap_or_else(|| RandomIdGenerator::default().new_trace_id())
    }

    fn new_span_id(&self) -> SpanId {
        RandomIdGenerator::default().new_span_id()
    }
}
