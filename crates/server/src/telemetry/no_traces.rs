//! A build without the `otlp` feature: no traces, and a clear refusal of a configuration that
//! asks for them.

use std::fmt::Display;

use axum::http::HeaderMap;
use tracing::{Span, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::Identity;
use tracing_subscriber::registry::LookupSpan;

use super::Kind;
use crate::config::Config;

pub struct Telemetry;

pub(super) fn layer<S>(config: &Config) -> anyhow::Result<(impl Layer<S>, Telemetry)>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    if config.traces_endpoint.is_some() {
        anyhow::bail!(
            "OTEL_EXPORTER_OTLP_ENDPOINT is set, but this MedVault was built without traces: \
             build it with `--features otlp`"
        );
    }
    Ok((Identity::new(), Telemetry))
}

/// Without traces, a span has no trace to join.
pub fn begin(_span: &Span, _name: impl Display, _kind: Kind, _caller: Option<&HeaderMap>) {}

/// Without traces, there is no span to mark.
pub fn answered(_span: &Span, _status: u16) {}

/// Without traces, an outside call carries no trace context.
pub fn outgoing_headers() -> HeaderMap {
    HeaderMap::new()
}
