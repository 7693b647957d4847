//! Traces (a build with the `otlp` feature): the real binary sends its spans over OTLP/HTTP to a
//! receiver played by a real HTTP server in the test. A request's span joins the caller's trace,
//! its database work and outside calls are its children, the outside service is handed the
//! trace, a lab report's reading is a trace of its own, every log line of the request carries the
//! trace id, and no span carries a name, an address, a password or a token.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use opentelemetry_proto::tonic::trace::v1::Span;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use prost::Message;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::{PASSWORD, TestDb};
use crate::process::{Server, call, chart_with_doctor};

/// An OTLP/HTTP receiver: what it was sent, span by span, and the services that sent them.
#[derive(Clone, Default)]
struct Receiver {
    spans: Arc<Mutex<Vec<Span>>>,
    services: Arc<Mutex<Vec<String>>>,
}

impl Receiver {
    /// Listens on a free loopback port; answers its address.
    async fn start(&self) -> String {
        let kept = self.clone();
        let app = axum::Router::new().route(
            "/v1/traces",
            axum::routing::post(move |body: Bytes| async move {
                let sent = ExportTraceServiceRequest::decode(body).expect("OTLP protobuf");
                for resource in sent.resource_spans {
                    let service = resource
                        .resource
                        .iter()
                        .flat_map(|r| &r.attributes)
                        .find(|a| a.key == "service.name")
                        .and_then(|a| text(a.value.as_ref()?.value.as_ref()?))
                        .unwrap_or_default();
                    kept.services.lock().unwrap().push(service);
                    for scope in resource.scope_spans {
                        kept.spans.lock().unwrap().extend(scope.spans);
                    }
                }
                // An empty ExportTraceServiceResponse: everything was taken.
                ([("content-type", "application/x-protobuf")], Vec::new())
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port");
        let address = listener.local_addr().expect("address");
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{address}")
    }

    /// Waits (10 s at most) for a span that `wanted` picks.
    async fn span(&self, what: &str, wanted: impl Fn(&Span) -> bool) -> Span {
        let started = Instant::now();
        loop {
            if let Some(span) = self.spans.lock().unwrap().iter().find(|s| wanted(s)) {
                return span.clone();
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "no span {what} arrived"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The spans whose parent is `parent`.
    fn children(&self, parent: &Span) -> Vec<Span> {
        self.spans
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.trace_id == parent.trace_id && s.parent_span_id == parent.span_id)
            .cloned()
            .collect()
    }
}

fn text(value: &AnyValue) -> Option<String> {
    match value {
        AnyValue::StringValue(text) => Some(text.clone()),
        _ => None,
    }
}

fn attribute(span: &Span, key: &str) -> Option<AnyValue> {
    span.attributes
        .iter()
        .find(|a| a.key == key)
        .and_then(|a| a.value.as_ref()?.value.clone())
}

fn names(spans: &[Span]) -> Vec<&str> {
    spans.iter().map(|s| s.name.as_str()).collect()
}

#[tokio::test]
async fn requests_jobs_and_outside_calls_arrive_as_traces_with_their_parents() {
    let receiver = Receiver::default();
    let collector = receiver.start().await;
    let summariser = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/summarise"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"summary": "Stable.", "suggestions": []})),
        )
        .mount(&summariser)
        .await;
    let db = TestDb::new();
    let server = Server::start_with(
        &db,
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &collector),
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
            ("MEDVAULT_LOG", "info"),
            ("MEDVAULT_AI_URL", &summariser.uri()),
        ],
    )
    .await;
    let (chart, patient, doctor) = chart_with_doctor(&server).await;

    // A caller that traces its own work sends its trace along.
    let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let caller_span = "00f067aa0ba902b7";
    let client = reqwest::Client::new();
    call(
        client
            .get(format!("{}/api/v1/patients/{chart}/summary", server.base))
            .bearer_auth(&doctor)
            .header("traceparent", format!("00-{trace}-{caller_span}-01"))
            .header("x-correlation-id", "traced-summary-1"),
    )
    .await;

    let request = receiver
        .span("for the summary request", |s| {
            hex(&s.trace_id) == trace && s.kind == SpanKind::Server as i32
        })
        .await;
    assert_eq!(request.name, "GET /api/v1/patients/{id}/summary");
    assert_eq!(
        hex(&request.parent_span_id),
        caller_span,
        "the caller's child"
    );
    assert_eq!(
        attribute(&request, "correlation_id"),
        Some(AnyValue::StringValue("traced-summary-1".into()))
    );
    assert_eq!(
        attribute(&request, "http.response.status_code"),
        Some(AnyValue::IntValue(200))
    );
    assert!(
        receiver
            .services
            .lock()
            .unwrap()
            .iter()
            .all(|s| s == "medvault")
    );

    // Its database work and the call to the summary service are its children.
    let children = receiver.children(&request);
    for expected in ["db read", "db audit append", "summary"] {
        assert!(
            names(&children).contains(&expected),
            "{expected} in {:?}",
            names(&children)
        );
    }
    let outside = children.iter().find(|s| s.name == "summary").unwrap();
    assert_eq!(outside.kind, SpanKind::Client as i32);
    // The service was handed the trace, with the outside call's span as its parent.
    let handed = summariser.received_requests().await.unwrap()[0]
        .headers
        .get("traceparent")
        .expect("a traceparent")
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        handed,
        format!("00-{trace}-{}-01", hex(&outside.span_id)),
        "the outside call's span is the service's parent"
    );

    // Every log line of the request carries its trace id.
    let lines: Vec<_> = server
        .log_lines()
        .into_iter()
        .filter(|line| line["span"]["correlation_id"] == "traced-summary-1")
        .collect();
    assert!(!lines.is_empty(), "the request was logged");
    assert!(
        lines.iter().all(|line| line["span"]["trace_id"] == trace),
        "{lines:?}"
    );

    // A lab report's reading: a trace of its own, its reading and its database work inside it.
    let (content_type, body) = crate::helpers::multipart(b"report.pdf", crate::lab_reports::REPORT);
    call(
        client
            .post(format!(
                "{}/api/v1/patients/{chart}/lab-reports",
                server.base
            ))
            .bearer_auth(&doctor)
            .header("content-type", content_type)
            .body(body),
    )
    .await;
    let job = receiver
        .span("for the report's reading", |s| {
            s.name == "lab report reading"
        })
        .await;
    assert!(job.parent_span_id.is_empty(), "a root of its own");
    let started = Instant::now();
    while !names(&receiver.children(&job)).contains(&"db group commit") {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no database work"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(names(&receiver.children(&job)).contains(&"text layer and OCR"));

    // Nothing anyone could be known by: no name, address, password or token.
    for span in receiver.spans.lock().unwrap().iter() {
        for attribute in &span.attributes {
            let shown = format!("{:?}", attribute.value);
            for secret in [
                "Pat Crash",
                "crash-pt@example.org",
                PASSWORD,
                &patient,
                &doctor,
            ] {
                assert!(
                    !shown.contains(secret),
                    "{} of {} shows {secret}",
                    attribute.key,
                    span.name
                );
            }
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
