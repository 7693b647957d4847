//! One log line, one span and two metrics per request, labelled by the route template
//! (`/api/v1/records/{id}`), never the raw path: paths and query strings may carry ids and
//! search terms.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

use super::correlation::CorrelationId;
use crate::telemetry::{self, Kind};

pub async fn middleware(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let correlation_id = request
        .extensions()
        .get::<CorrelationId>()
        .map_or_else(String::new, |id| id.0.clone());
    let span = tracing::info_span!(
        "request",
        %correlation_id,
        %method,
        %route,
        trace_id = tracing::field::Empty,
        otel.name = tracing::field::Empty,
        otel.kind = tracing::field::Empty,
    );
    telemetry::begin(
        &span,
        format_args!("{method} {route}"),
        Kind::Server,
        Some(request.headers()),
    );
    let response = next.run(request).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    telemetry::answered(&span, status);
    span.in_scope(|| {
        tracing::info!(
            status,
            latency_ms = elapsed.as_secs_f64() * 1000.0,
            "request served"
        );
    });
    let labels = [
        ("method", method),
        ("route", route),
        ("status", status.to_string()),
    ];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels).record(elapsed.as_secs_f64());
    response
}
