//! Traces over OTLP/HTTP (protobuf), to the collector that `OTEL_EXPORTER_OTLP_ENDPOINT`
//! names. The exporter's other settings are OpenTelemetry's own variables, read by its SDK
//! (`OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_EXPORTER_OTLP_TIMEOUT`, `OTEL_BSP_SCHEDULE_DELAY`,
//! `OTEL_SERVICE_NAME`, …). A caller's W3C `traceparent` header makes a request's span a child
//! of the caller's, and outside calls carry this server's on to the service they reach.

use std::fmt::Display;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::http::HeaderMap;
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::{TraceContextExt, TracerProvider};
use opentelemetry_http::{HeaderExtractor, HeaderInjector};
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing::{Span, Subscriber};
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::registry::LookupSpan;

use super::Kind;
use crate::config::Config;

/// Whether traces are on: set once, when a collector is configured. Until then spans are named
/// for no one, and log lines carry no trace fields.
static ON: AtomicBool = AtomicBool::new(false);

/// The traces' provider, while they are on: dropped, it sends what it still holds.
pub struct Telemetry(Option<SdkTracerProvider>);

impl Drop for Telemetry {
    fn drop(&mut self) {
        if let Some(provider) = self.0.take()
            && let Err(error) = provider.shutdown()
        {
            eprintln!("medvault: the last spans were not sent: {error}");
        }
    }
}

/// The layer that turns MedVault's spans into OpenTelemetry spans, when traces are configured.
pub(super) fn layer<S>(config: &Config) -> anyhow::Result<(Option<impl Layer<S>>, Telemetry)>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let Some(endpoint) = &config.traces_endpoint else {
        return Ok((None, Telemetry(None)));
    };
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_endpoint(endpoint)
        .build()?;
    let mut resource = Resource::builder();
    if std::env::var_os("OTEL_SERVICE_NAME").is_none() {
        resource = resource.with_service_name("medvault");
    }
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource.build())
        .build();
    let spans = tracing_opentelemetry::layer()
        .with_tracer(provider.tracer("medvault"))
        .with_location(false)
        .with_threads(false)
        .with_target(false)
        // MedVault's own spans only, whatever the log level: a library's spans would be noise.
        .with_filter(filter_fn(|meta| {
            meta.is_span() && meta.target().starts_with("medvault")
        }));
    ON.store(true, Ordering::Relaxed);
    Ok((Some(spans), Telemetry(Some(provider))))
}

/// Names `span` in its trace and sets its kind; a request's span becomes the child of the
/// caller's when the caller sent a valid `traceparent`. The trace id goes into the span's
/// `trace_id` field, so that every log line within it carries it. The span must declare
/// `otel.name`, `otel.kind` and `trace_id` as empty fields, and not have been entered yet.
pub fn begin(span: &Span, name: impl Display, kind: Kind, caller: Option<&HeaderMap>) {
    if !ON.load(Ordering::Relaxed) {
        return;
    }
    if let Some(headers) = caller {
        let parent = TraceContextPropagator::new().extract(&HeaderExtractor(headers));
        if parent.span().span_context().is_valid() {
            // Refused only for a span already started, which `begin` is not given.
            let _ = span.set_parent(parent);
        }
    }
    span.record("otel.name", tracing::field::display(name));
    span.record(
        "otel.kind",
        match kind {
            Kind::Server => "server",
            Kind::Job => "internal",
        },
    );
    let context = span.context();
    let trace = context.span().span_context().trace_id();
    if trace != opentelemetry::trace::TraceId::INVALID {
        span.record("trace_id", tracing::field::display(trace));
    }
}

/// Marks a request's span with the status it was answered with, as an error when the server
/// failed (5xx).
pub fn answered(span: &Span, status: u16) {
    if !ON.load(Ordering::Relaxed) {
        return;
    }
    span.set_attribute("http.response.status_code", i64::from(status));
    if status >= 500 {
        span.set_status(opentelemetry::trace::Status::error("server error"));
    }
}

/// The `traceparent` (and `tracestate`) of the current span, for a call to an outside service.
pub fn outgoing_headers() -> HeaderMap {
    let mut headers = HeaderMap::new();
    if !ON.load(Ordering::Relaxed) {
        return headers;
    }
    TraceContextPropagator::new().inject_context(
        &Span::current().context(),
        &mut HeaderInjector(&mut headers),
    );
    headers
}
