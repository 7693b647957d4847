//! The summary service, played by a real HTTP server in the test (wiremock): its summary is
//! shown when it answers; when it fails, hangs past the timeout, or its breaker is open, the
//! built-in summary is shown with the reason, and the request never fails. The breaker opens
//! above half failures, fails fast while open, half-opens after 10 s of the application's clock
//! and closes on a good answer. Only the least data leaves, and every sending is audited.

use std::time::{Duration, Instant};

use medvault_store::AuditFilter;
use reqwest::StatusCode;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::{TestApp, TestDb};

async fn answers(service: &MockServer, response: ResponseTemplate) {
    service.reset().await;
    Mock::given(method("POST"))
        .and(path("/summarise"))
        .respond_with(response)
        .mount(service)
        .await;
}

async fn summary(app: &TestApp, chart: &str, token: &str) -> Value {
    let (status, body) = app
        .get(&format!("/api/v1/patients/{chart}/summary"), Some(token))
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "a failing service never fails the summary: {body}"
    );
    body["narrative"].clone()
}

#[tokio::test]
async fn the_summary_service_is_used_when_it_answers_and_never_needed() {
    let service = MockServer::start().await;
    let app = TestApp::spawn_with(
        TestDb::new(),
        &[
            ("MEDVAULT_AI_URL", &service.uri()),
            ("MEDVAULT_AI_TIMEOUT_MS", "500"),
        ],
    )
    .await;
    let (doctor_id, doctor) = app.doctor("dr.assist@example.org").await;
    let (chart, patient) = app.patient("assist@example.org").await;
    app.join_care_team(&chart, &patient, &doctor_id).await;
    let base = format!("/api/v1/patients/{chart}");
    app.post(
        &format!("{base}/problems"),
        Some(&doctor),
        &json!({"condition": "Hypertension"}),
    )
    .await;
    app.post(
        &format!("{base}/lab-results"),
        Some(&doctor),
        &json!({"code": "2823-3", "value": 5.6, "collected_at": "2026-03-02"}),
    )
    .await;

    // It answers: its summary is shown, and it was sent no name, id or date.
    answers(
        &service,
        ResponseTemplate::new(200).set_body_json(json!({"summary": "Hypertension; potassium a little high.", "suggestions": ["Repeat potassium"]})),
    )
    .await;
    let shown = summary(&app, &chart, &doctor).await;
    assert_eq!(shown["source"], "service", "{shown}");
    assert_eq!(shown["suggestions"][0], "Repeat potassium");
    let sent: Value = service.received_requests().await.unwrap()[0]
        .body_json()
        .unwrap();
    assert_eq!(sent["contract"], "medvault.summary.v1");
    assert_eq!(sent["problems"], json!(["Hypertension"]));
    assert_eq!(sent["abnormal_results"][0]["flag"], "high");
    let text = sent.to_string();
    for private in [chart.as_str(), "assist@example.org", "2026-03-02"] {
        assert!(!text.contains(private), "{private} was sent: {text}");
    }

    // It fails, then hangs past the timeout: the built-in summary, with the reason, in time.
    answers(&service, ResponseTemplate::new(500)).await;
    let shown = summary(&app, &chart, &patient).await;
    assert_eq!(shown["source"], "built-in");
    assert_eq!(shown["fallback"], "the summary service could not be used");
    assert!(shown["text"].as_str().unwrap().contains("Hypertension"));
    summary(&app, &chart, &patient).await;
    answers(
        &service,
        ResponseTemplate::new(200).set_delay(Duration::from_secs(3)),
    )
    .await;
    let started = Instant::now();
    let shown = summary(&app, &chart, &doctor).await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        shown["fallback"],
        "the summary service did not answer in time"
    );

    // Three failures in four calls: open. It fails fast and the service hears nothing.
    answers(
        &service,
        ResponseTemplate::new(200).set_body_json(json!({"summary": "Back."})),
    )
    .await;
    let shown = summary(&app, &chart, &doctor).await;
    assert_eq!(
        shown["fallback"],
        "the summary service is failing; not called for now"
    );
    assert!(service.received_requests().await.unwrap().is_empty());

    // Ten seconds on, one trial goes through, succeeds, and the breaker closes.
    app.clock.advance(chrono::Duration::seconds(10));
    let shown = summary(&app, &chart, &doctor).await;
    assert_eq!(shown["source"], "service", "{shown}");
    summary(&app, &chart, &doctor).await;
    assert_eq!(
        service.received_requests().await.unwrap().len(),
        2,
        "closed again"
    );

    // Every sending was a disclosure in the trail: 6 calls made, 3 of them failed.
    let disclosed = app
        .audit(AuditFilter {
            actions: vec!["summary.disclose".into()],
            ..AuditFilter::default()
        })
        .await;
    assert_eq!(disclosed.len(), 6);
    assert_eq!(
        disclosed
            .iter()
            .filter(|e| e.entry.outcome == "failure")
            .count(),
        3
    );
}
