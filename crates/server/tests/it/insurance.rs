//! The insurer's eligibility service, played by a real HTTP server (wiremock) that answers,
//! fails, hangs past the timeout and recovers. A booking never fails because of it: when it
//! cannot answer, the visit is booked pending verification and the background job asks again.
//! The breaker opens above half failures, fails fast while open (the insurer hears nothing),
//! half-opens after 10 s of the application's clock and closes on a good answer.

use std::time::{Duration, Instant};

use medvault_store::AuditFilter;
use reqwest::StatusCode;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::appointments::{Clinics, booking, clinics, slots_at};
use crate::helpers::{PASSWORD, TestApp, TestDb};

async fn insurer_answers(insurer: &MockServer, response: ResponseTemplate) {
    insurer.reset().await;
    Mock::given(method("POST"))
        .and(path("/eligibility"))
        .respond_with(response)
        .mount(insurer)
        .await;
}

/// Books the next free slot for the patient; the visit as answered, and how long it took.
async fn book(
    app: &TestApp,
    c: &Clinics,
    (chart, token): (&str, &str),
    slots: &mut Vec<Value>,
) -> (Value, Duration) {
    let slot = slots.remove(0);
    let started = Instant::now();
    let (status, visit) = app
        .post(
            "/api/v1/appointments",
            Some(token),
            &booking(c, chart, &c.clinic, &slot["start"]),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "the insurer never fails a booking: {visit}"
    );
    (visit, started.elapsed())
}

async fn metrics(app: &TestApp) -> String {
    app.http
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text")
}

#[tokio::test]
async fn bookings_never_wait_on_a_failing_insurer_and_pending_ones_are_verified_later() {
    let insurer = MockServer::start().await;
    let app = TestApp::spawn_with(
        TestDb::new(),
        &[
            ("MEDVAULT_INSURANCE_URL", &insurer.uri()),
            ("MEDVAULT_INSURANCE_TIMEOUT_MS", "300"),
        ],
    )
    .await;
    let c = clinics(&app, "insured").await;
    let (chart, patient) = app.patient("insured@example.org").await;
    let (status, coverage) = app
        .put(
            &format!("/api/v1/patients/{chart}/coverage"),
            Some(&patient),
            &json!({"payer": "Acme Health", "member_id": "ACME-42", "plan": "Gold"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{coverage}");
    let mut slots = slots_at(&app, &c, &c.clinic).await;
    let who = (chart.as_str(), patient.as_str());

    // Covered: verified at booking. The insurer is told the payer, the member number and the
    // visit's date on the clinic's calendar, and nothing else.
    insurer_answers(
        &insurer,
        ResponseTemplate::new(200)
            .set_body_json(json!({"eligible": true, "reason": "active plan"})),
    )
    .await;
    let (visit, _) = book(&app, &c, who, &mut slots).await;
    assert_eq!(visit["eligibility"]["status"], "verified", "{visit}");
    assert_eq!(visit["eligibility"]["reason"], "active plan");
    assert!(visit["eligibility"]["checked_at"].is_string());
    let sent: Value = insurer.received_requests().await.expect("recorded")[0]
        .body_json()
        .expect("json");
    assert_eq!(
        sent,
        json!({"payer": "Acme Health", "member_id": "ACME-42",
            "service_date": visit["local_start"].as_str().map(|t| &t[..10])})
    );

    // Not covered: said so, with the insurer's reason.
    insurer_answers(
        &insurer,
        ResponseTemplate::new(200)
            .set_body_json(json!({"eligible": false, "reason": "plan lapsed"})),
    )
    .await;
    let (visit, _) = book(&app, &c, who, &mut slots).await;
    assert_eq!(visit["eligibility"]["status"], "not_covered");
    assert_eq!(visit["eligibility"]["reason"], "plan lapsed");

    // Failing: booked, pending. After three failures in five calls the breaker opens.
    insurer_answers(&insurer, ResponseTemplate::new(500)).await;
    let mut pending = Vec::new();
    for _ in 0..3 {
        let (visit, _) = book(&app, &c, who, &mut slots).await;
        assert_eq!(visit["eligibility"]["status"], "pending", "{visit}");
        pending.push(visit["id"].as_str().expect("id").to_owned());
    }
    assert_eq!(
        insurer.received_requests().await.expect("recorded").len(),
        3
    );
    assert!(
        metrics(&app)
            .await
            .contains(r#"medvault_outside_breaker_state{service="insurance"} 2"#),
        "open"
    );

    // Open: bookings fail fast, still pending, and the insurer hears nothing.
    let (visit, _) = book(&app, &c, who, &mut slots).await;
    assert_eq!(visit["eligibility"]["status"], "pending");
    assert!(
        visit["eligibility"]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("failing")),
        "{visit}"
    );
    assert_eq!(
        insurer.received_requests().await.expect("recorded").len(),
        3
    );
    pending.push(visit["id"].as_str().expect("id").to_owned());

    // Ten seconds on, one trial call: the insurer hangs past the timeout, and it opens again.
    insurer_answers(
        &insurer,
        ResponseTemplate::new(200)
            .set_body_json(json!({"eligible": true}))
            .set_delay(Duration::from_secs(3)),
    )
    .await;
    app.clock.advance(chrono::Duration::seconds(10));
    let (visit, took) = book(&app, &c, who, &mut slots).await;
    assert_eq!(visit["eligibility"]["status"], "pending");
    assert!(took < Duration::from_secs(2), "{took:?}");
    pending.push(visit["id"].as_str().expect("id").to_owned());

    // It recovers; ten seconds on, the trial succeeds and the breaker closes.
    insurer_answers(
        &insurer,
        ResponseTemplate::new(200).set_body_json(json!({"eligible": true})),
    )
    .await;
    app.clock.advance(chrono::Duration::seconds(10));
    let (visit, _) = book(&app, &c, who, &mut slots).await;
    assert_eq!(visit["eligibility"]["status"], "verified", "{visit}");
    assert!(
        metrics(&app)
            .await
            .contains(r#"medvault_outside_breaker_state{service="insurance"} 0"#),
        "closed"
    );

    // The job asks again about every pending visit once its wait is over.
    app.clock.advance(chrono::Duration::hours(2));
    let patient = app.login("insured@example.org", PASSWORD).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    for id in &pending {
        loop {
            let (_, visit) = app
                .get(&format!("/api/v1/appointments/{id}"), Some(&patient))
                .await;
            if visit["eligibility"]["status"] == "verified" {
                break;
            }
            assert!(Instant::now() < deadline, "still pending: {visit}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    // Every call that reached the insurer is a disclosure in the trail.
    let disclosed = app
        .audit(AuditFilter {
            actions: vec!["eligibility.disclose".into()],
            patient_id: Some(chart.parse().expect("id")),
            ..AuditFilter::default()
        })
        .await;
    let calls = insurer.received_requests().await.expect("recorded").len();
    assert_eq!(
        disclosed.len(),
        2 + 3 + 1 + calls,
        "two answered, three failed, one timed out, and the calls since"
    );
    assert!(
        metrics(&app)
            .await
            .contains(r#"medvault_eligibility_checks_total{outcome="pending"}"#)
    );
}
