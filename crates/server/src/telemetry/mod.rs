//! Logs: JSON lines on stdout, one field set per request span (correlation id, method, route
//! template, and the trace id when traces are on). Traces (a build with the `otlp` feature):
//! a span per request, with child spans for its database work, lab report reading and outside
//! calls, sent over OTLP/HTTP. Nothing logged or traced carries PHI, a password or a token:
//! spans carry route templates, ids of no one, and durations.

use tracing::Subscriber;
use tracing_subscriber::filter::{EnvFilter, FilterExt, filter_fn};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{Layer, fmt};

use crate::config::{Config, LogFormat};

#[cfg(feature = "otlp")]
mod traces;
#[cfg(not(feature = "otlp"))]
#[path = "no_traces.rs"]
mod traces;

pub use traces::{Telemetry, answered, begin, outgoing_headers};

/// The target of spans that only traces show: a log line inside one still carries the fields
/// of the request (or job) around it.
pub const TRACE_ONLY: &str = "medvault::trace";

/// How a span stands in a trace: what it is named there, and its kind.
#[derive(Clone, Copy)]
pub enum Kind {
    /// A request from a client.
    Server,
    /// Work this server starts itself, such as reading a lab report.
    Job,
}

/// Starts the logs and, if `OTEL_EXPORTER_OTLP_ENDPOINT` is set, the traces. Keep what it
/// returns until the process ends: dropping it sends the spans still waiting.
pub fn init(config: &Config) -> anyhow::Result<Telemetry> {
    let (traces, telemetry) = traces::layer(config)?;
    // A second init (tests start many servers in one process) keeps the first subscriber.
    let _ = tracing_subscriber::registry()
        .with(logs(config.log_format))
        .with(traces)
        .try_init();
    Ok(telemetry)
}

/// The log lines: what `MEDVAULT_LOG` lets through (`info` by default), in `format`.
fn logs<S>(format: LogFormat) -> impl Layer<S>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let filter = EnvFilter::try_from_env("MEDVAULT_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let not_trace_only = filter_fn(|meta| meta.target() != TRACE_ONLY);
    let lines = fmt::layer().with_target(false);
    let lines = match format {
        LogFormat::Json => lines
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .boxed(),
        LogFormat::Pretty => lines.boxed(),
    };
    lines.with_filter(filter.and(not_trace_only))
}
