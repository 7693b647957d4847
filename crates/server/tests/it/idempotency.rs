//! `Idempotency-Key` on creates: a retried create gets the first answer, never a second row;
//! fifty at once make one; a key reused for another request is refused; a failed create does
//! not use its key up.

use medvault_store::AuditFilter;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, answer, error_code};

async fn post_with_key(
    app: &TestApp,
    path: &str,
    token: &str,
    key: &str,
    body: &Value,
) -> (StatusCode, Value, bool) {
    let response = app
        .http
        .post(app.url(path))
        .bearer_auth(token)
        .header("idempotency-key", key)
        .json(body)
        .send()
        .await
        .expect("sent");
    let replayed = response.headers().contains_key("idempotent-replayed");
    let (status, body) = answer(response).await;
    (status, body, replayed)
}

#[tokio::test]
async fn fifty_concurrent_creates_with_one_key_make_one_row() {
    let app = TestApp::spawn().await;
    let (doctor_id, doctor) = app.doctor("dr.once@example.org").await;
    let (chart, patient) = app.patient("once@example.org").await;
    app.join_care_team(&chart, &patient, &doctor_id).await;
    let path = format!("/api/v1/patients/{chart}/allergies");
    let body = json!({"substance": "Latex", "severity": "mild"});

    let key = "8f14e45f-ceea-467f-a8f0-7f0d2f0e5b1a";
    let mut attempts = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let request = app
            .http
            .post(app.url(&path))
            .bearer_auth(&doctor)
            .header("idempotency-key", key)
            .json(&body);
        attempts.spawn(async move {
            let response = request.send().await.expect("sent");
            let replayed = response.headers().contains_key("idempotent-replayed");
            let (status, body) = answer(response).await;
            (status, body, replayed)
        });
    }
    let answers = attempts.join_all().await;
    let ids: std::collections::BTreeSet<String> = answers
        .iter()
        .map(|(status, body, _)| {
            assert_eq!(*status, StatusCode::CREATED, "{body}");
            body["id"].as_str().expect("id").to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 1, "every answer names the one allergy");
    assert_eq!(
        answers.iter().filter(|(_, _, replayed)| !replayed).count(),
        1
    );
    let (_, listed) = app.get(&path, Some(&doctor)).await;
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(1), "one row");
    let repeats = app
        .audit(AuditFilter {
            actions: vec!["request.repeat".into()],
            ..Default::default()
        })
        .await;
    assert_eq!(repeats.len(), 49, "each repeat is audited once");
}

#[tokio::test]
async fn a_key_answers_its_own_request_only_and_a_failure_does_not_use_it_up() {
    let app = TestApp::spawn().await;
    let (_, doctor) = app.doctor("dr.keys@example.org").await;
    let chart = |name: &str| json!({"name": name, "birth_date": "1990-04-01", "sex": "female"});

    // A failed create leaves the key unused: the corrected request goes ahead with it.
    let (status, _, _) = post_with_key(
        &app,
        "/api/v1/patients",
        &doctor,
        "k-1",
        &json!({"name": ""}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, first, replayed) =
        post_with_key(&app, "/api/v1/patients", &doctor, "k-1", &chart("Ada Key")).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert!(!replayed);
    let (status, again, replayed) =
        post_with_key(&app, "/api/v1/patients", &doctor, "k-1", &chart("Ada Key")).await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(replayed);
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["mrn"], first["mrn"]);

    // The same key for another request is refused; another caller's keys are their own.
    let (status, reused, _) =
        post_with_key(&app, "/api/v1/patients", &doctor, "k-1", &chart("Bea Key")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(error_code(&reused), "idempotency_key_reused");
    let (_, other_doctor) = app.doctor("dr.keys2@example.org").await;
    let (status, theirs, replayed) = post_with_key(
        &app,
        "/api/v1/patients",
        &other_doctor,
        "k-1",
        &chart("Ada Key"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(!replayed);
    assert_ne!(theirs["id"], first["id"]);

    for bad in ["", &"x".repeat(256), "has space"] {
        let (status, refused, _) =
            post_with_key(&app, "/api/v1/patients", &doctor, bad, &chart("Cy Key")).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad:?}: {refused}"
        );
        assert_eq!(refused["error"]["field"], "Idempotency-Key");
    }
    let (_, mine) = app.get("/api/v1/patients", Some(&doctor)).await;
    assert_eq!(
        mine["items"].as_array().map(Vec::len),
        Some(1),
        "one chart made"
    );
}
