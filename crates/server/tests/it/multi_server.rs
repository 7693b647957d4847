//! Two servers on one database: what one writes the other reads, and a logout through one ends
//! the session on the other (at once on SQLite, within milliseconds on PostgreSQL).

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, error_code};

#[tokio::test]
async fn two_servers_share_one_database() {
    let first = TestApp::spawn().await;
    let second = TestApp::spawn_with(first.db.clone(), &[]).await;
    assert_ne!(first.base, second.base);

    let (doctor_id, doctor_on_first) = first.doctor("dr.shared@example.org").await;
    let (patient_id, patient_on_second) = second.patient("shared@example.org").await;
    second
        .join_care_team(&patient_id, &patient_on_second, &doctor_id)
        .await;

    let (status, record) = first
        .post(
            &format!("/api/v1/patients/{patient_id}/records"),
            Some(&doctor_on_first),
            &json!({"title": "Written on one", "notes": "Read on the other"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, read) = second
        .get(
            &format!("/api/v1/records/{}", record["id"].as_str().expect("id")),
            Some(&patient_on_second),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(read["notes"], "Read on the other");

    // A token from one server works on the other, until it is logged out anywhere.
    let (status, _) = second.get("/api/v1/auth/me", Some(&doctor_on_first)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = first
        .post("/api/v1/auth/logout", Some(&doctor_on_first), &json!({}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    second
        .honoured_after_end("/api/v1/auth/me", &doctor_on_first)
        .await;
    let (status, error) = second.get("/api/v1/auth/me", Some(&doctor_on_first)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&error), "unauthenticated");
}

#[tokio::test]
async fn concurrent_writes_through_two_servers_all_land() {
    let first = TestApp::spawn().await;
    let second = TestApp::spawn_with(first.db.clone(), &[]).await;
    let (doctor_id, doctor) = first.doctor("dr.busy@example.org").await;
    let (patient_id, patient) = first.patient("busy@example.org").await;
    first
        .join_care_team(&patient_id, &patient, &doctor_id)
        .await;
    let path = format!("/api/v1/patients/{patient_id}/records");
    let mut writes = tokio::task::JoinSet::new();
    for n in 0..20 {
        let server = if n % 2 == 0 { &first } else { &second };
        let request = server
            .http
            .post(server.url(&path))
            .bearer_auth(&doctor)
            .json(&json!({"title": format!("Note {n}"), "notes": "concurrent"}));
        writes.spawn(async move { request.send().await.map(|response| response.status()) });
    }
    while let Some(joined) = writes.join_next().await {
        let status = joined.expect("task").expect("response");
        assert_eq!(status, StatusCode::CREATED);
    }
    let (_, list) = second
        .get(&format!("{path}?limit=50"), Some(&patient))
        .await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(20));
    // Audit entries appended through both servers at once still form one unbroken chain.
    let check = first
        .state
        .read(|conn| Ok(medvault_store::repo::audit::verify(conn)?))
        .await
        .expect("verify");
    assert!(
        matches!(check, medvault_store::ChainCheck::Intact { entries } if entries > 20),
        "{check:?}"
    );
}

#[tokio::test]
async fn the_secret_is_rotated_without_signing_anyone_out() {
    let first = TestApp::spawn().await;
    first
        .register("rotate@example.org", "Rota", "patient")
        .await;
    let token = first.login("rotate@example.org", PASSWORD).await;
    let (old, new) = (
        crate::helpers::SECRET,
        "a brand new secret of at least thirty-two characters",
    );
    let rotated = TestApp::spawn_with(
        first.db.clone(),
        &[("MEDVAULT_SECRET", new), ("MEDVAULT_PREVIOUS_SECRETS", old)],
    )
    .await;
    let (status, me) = rotated.get("/api/v1/auth/me", Some(&token)).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "a token signed before the rotation: {me}"
    );
    let fresh = rotated.login("rotate@example.org", PASSWORD).await;
    assert_eq!(
        rotated.get("/api/v1/auth/me", Some(&fresh)).await.0,
        StatusCode::OK
    );
    // Once the old secret is dropped, what it signed is no longer accepted.
    let dropped = TestApp::spawn_with(first.db.clone(), &[("MEDVAULT_SECRET", new)]).await;
    assert_eq!(
        dropped.get("/api/v1/auth/me", Some(&token)).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        dropped.get("/api/v1/auth/me", Some(&fresh)).await.0,
        StatusCode::OK
    );
}
