use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{ADMIN_EMAIL, PASSWORD, TestApp, error_code};

#[tokio::test]
async fn register_login_me_logout_then_the_token_is_dead() {
    let app = TestApp::spawn().await;
    let body = json!({"email": "Ana@Example.org", "password": PASSWORD, "name": "Ana Silva", "role": "patient"});
    let (status, user) = app.post("/api/v1/auth/register", None, &body).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(user["email"], "Ana@Example.org");
    assert_eq!(user["name"], "Ana Silva");
    assert_eq!(user["role"], "patient");
    assert_eq!(user["status"], "active");

    // Emails are one account whatever their case.
    let token = app.login("ana@EXAMPLE.org", PASSWORD).await;
    let (status, me) = app.get("/api/v1/auth/me", Some(&token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["id"], user["id"]);
    assert_eq!(me["role"], "patient");
    assert!(me["patient_id"].is_string(), "a patient has a chart: {me}");

    let (status, _) = app
        .post("/api/v1/auth/logout", Some(&token), &json!({}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = app.get("/api/v1/auth/me", Some(&token)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&body), "unauthenticated");
}

#[tokio::test]
async fn the_same_email_in_another_case_or_unicode_form_is_taken() {
    let app = TestApp::spawn().await;
    app.register("josé@example.org", "José", "patient").await;
    let body = json!({"email": "JOSE\u{301}@example.org", "password": PASSWORD, "name": "Other", "role": "patient"});
    let (status, error) = app.post("/api/v1/auth/register", None, &body).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(error_code(&error), "email_taken");
}

#[tokio::test]
async fn wrong_password_and_unknown_user_answer_alike_and_are_audited() {
    let app = TestApp::spawn().await;
    app.register("kim@example.org", "Kim", "patient").await;
    let wrong = app
        .post(
            "/api/v1/auth/login",
            None,
            &json!({"email": "kim@example.org", "password": "not the password"}),
        )
        .await;
    let unknown = app
        .post(
            "/api/v1/auth/login",
            None,
            &json!({"email": "nobody@example.org", "password": "not the password"}),
        )
        .await;
    assert_eq!(wrong.0, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.0, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&wrong.1), "invalid_credentials");
    assert_eq!(wrong.1["error"]["message"], unknown.1["error"]["message"]);
    let failures = app
        .audit(medvault_store::AuditFilter {
            actions: vec!["auth.login".into()],
            outcome: Some("failure".into()),
            ..Default::default()
        })
        .await;
    assert_eq!(failures.len(), 2);
}

#[tokio::test]
async fn a_pending_doctor_cannot_sign_in_until_approved() {
    let app = TestApp::spawn().await;
    let body = json!({"email": "dr.who@example.org", "password": PASSWORD, "name": "Dr. Who", "role": "doctor"});
    let (status, doctor) = app.post("/api/v1/auth/register", None, &body).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(doctor["status"], "pending");

    let (status, error) = app
        .post(
            "/api/v1/auth/login",
            None,
            &json!({"email": "dr.who@example.org", "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error_code(&error), "account_pending");
    let refused = app
        .audit(medvault_store::AuditFilter {
            actions: vec!["auth.login".into()],
            outcome: Some("failure".into()),
            ..Default::default()
        })
        .await;
    assert_eq!(refused.len(), 1);
    assert_eq!(
        refused[0].entry.resource_id.as_deref(),
        doctor["id"].as_str(),
        "the refused account is named"
    );

    let admin = app.admin_token().await;
    let (status, approved) = app
        .post(
            &format!(
                "/api/v1/users/{}/approve",
                doctor["id"].as_str().expect("id")
            ),
            Some(&admin),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(approved["status"], "active");
    app.login("dr.who@example.org", PASSWORD).await;
}

#[tokio::test]
async fn open_registration_activates_doctors_at_once() {
    let app = TestApp::spawn_with(
        crate::helpers::TestDb::new(),
        &[("MEDVAULT_OPEN_REGISTRATION", "true")],
    )
    .await;
    let body = json!({"email": "dr.open@example.org", "password": PASSWORD, "name": "Dr. Open", "role": "doctor"});
    let (_, doctor) = app.post("/api/v1/auth/register", None, &body).await;
    assert_eq!(doctor["status"], "active");
}

#[tokio::test]
async fn only_admins_create_admins() {
    let app = TestApp::spawn().await;
    let (_, doctor) = app.doctor("dr.a@example.org").await;
    let (_, patient) = app.patient("pat@example.org").await;
    let new_admin =
        json!({"email": "boss@example.org", "password": PASSWORD, "name": "Boss", "role": "admin"});

    for token in [&doctor, &patient] {
        let (status, error) = app.post("/api/v1/users", Some(token), &new_admin).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(error_code(&error), "forbidden");
    }
    let (status, _) = app.post("/api/v1/users", None, &new_admin).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Nor can anyone register themselves as one.
    let (status, error) = app.post("/api/v1/auth/register", None, &new_admin).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error["error"]["field"], "role");

    let admin = app.admin_token().await;
    let (status, created) = app.post("/api/v1/users", Some(&admin), &new_admin).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(created["role"], "admin");
    assert_eq!(created["status"], "active");
    let boss = app.login("boss@example.org", PASSWORD).await;
    let (_, me) = app.get("/api/v1/auth/me", Some(&boss)).await;
    assert_eq!(me["role"], "admin");

    let denied = app
        .audit(medvault_store::AuditFilter {
            outcome: Some("denied".into()),
            actions: vec!["user.create".into()],
            ..Default::default()
        })
        .await;
    assert_eq!(denied.len(), 2, "each refused attempt is audited");
}

#[tokio::test]
async fn the_first_admin_is_created_once_from_the_environment() {
    let db = crate::helpers::TestDb::new();
    let first = TestApp::spawn_with(db.clone(), &[]).await;
    first.admin_token().await;
    // A second start with another password neither duplicates nor changes the admin.
    let second = TestApp::spawn_with(db, &[("ADMIN_PASSWORD", "another-admin-passphrase")]).await;
    second
        .login(ADMIN_EMAIL, crate::helpers::ADMIN_PASSWORD)
        .await;
    let admin = second.admin_token().await;
    let (_, users) = second.get("/api/v1/users", Some(&admin)).await;
    let admins = users["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|u| u["role"] == "admin")
        .count();
    assert_eq!(admins, 1);
}
