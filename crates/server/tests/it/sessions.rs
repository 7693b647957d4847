//! Web session timeouts, and the account changes that end sessions at once.

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::json;

use medvault::auth::live::REMEMBER_FOR;

use crate::helpers::{PASSWORD, TestApp, error_code};
use crate::web::WebSession;

#[tokio::test]
async fn web_sessions_end_after_thirty_idle_minutes_and_polling_does_not_count() {
    let app = TestApp::spawn().await;
    app.patient("idle@example.org").await;
    let mut web = WebSession::new(&app);
    web.sign_in("idle@example.org", PASSWORD).await;

    app.clock.advance(Duration::minutes(29));
    assert_eq!(
        web.get("/patient/dashboard").await.status,
        StatusCode::OK,
        "29 idle minutes are fine"
    );
    // A page polling in the background does not keep the session alive: 30 minutes after the
    // last real request, the poll itself finds it over.
    let mut polls = Vec::new();
    for _ in 0..3 {
        app.clock.advance(Duration::minutes(10));
        let polled = web
            .get_with("/patient/dashboard", &[("x-medvault-background", "1")])
            .await;
        polls.push(polled.status);
        if polled.status != StatusCode::OK {
            assert_eq!(polled.location(), Some("/login?notice=session_ended"));
            break;
        }
    }
    assert_eq!(
        polls,
        [StatusCode::OK, StatusCode::OK, StatusCode::SEE_OTHER],
        "alive at 10 and 20 minutes of polling, over at 30"
    );
    // The dead cookie is dropped, and the sign-in page says why it is back.
    assert!(!web.has_session_cookie(), "the cookie is cleared");
    assert_eq!(
        web.get("/patient/dashboard").await.location(),
        Some("/login")
    );
    let login = web.get("/login?notice=session_ended").await;
    assert!(login.body().contains("Your session has ended"));
}

#[tokio::test]
async fn web_sessions_end_twelve_hours_after_sign_in_however_active() {
    let app = TestApp::spawn().await;
    app.patient("busy-bee@example.org").await;
    let mut web = WebSession::new(&app);
    web.sign_in("busy-bee@example.org", PASSWORD).await;
    for _ in 0..(11 * 3 + 2) {
        app.clock.advance(Duration::minutes(20));
        assert_eq!(web.get("/patient/dashboard").await.status, StatusCode::OK);
    }
    app.clock.advance(Duration::minutes(20));
    assert_eq!(
        web.get("/patient/dashboard").await.location(),
        Some("/login?notice=session_ended"),
        "past 12 hours"
    );
}

#[tokio::test]
async fn changing_a_password_ends_every_other_session_at_once() {
    let app = TestApp::spawn().await;
    app.patient("pw@example.org").await;
    let here = app.login("pw@example.org", PASSWORD).await;
    let elsewhere = app.login("pw@example.org", PASSWORD).await;
    let new_password = "a brand new passphrase";

    let wrong = json!({"current_password": "not the password", "new_password": new_password});
    let (status, error) = app.post("/api/v1/auth/password", Some(&here), &wrong).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&error), "invalid_credentials");
    let weak = json!({"current_password": PASSWORD, "new_password": "short"});
    assert_eq!(
        app.post("/api/v1/auth/password", Some(&here), &weak)
            .await
            .0,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    let change = json!({"current_password": PASSWORD, "new_password": new_password});
    assert_eq!(
        app.post("/api/v1/auth/password", Some(&here), &change)
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get("/api/v1/auth/me", Some(&here)).await.0,
        StatusCode::OK,
        "this session stays"
    );
    assert_eq!(
        app.get("/api/v1/auth/me", Some(&elsewhere)).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (status, _) = app
        .post(
            "/api/v1/auth/login",
            None,
            &json!({"email": "pw@example.org", "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the old password is gone");
    app.login("pw@example.org", new_password).await;
}

#[tokio::test]
async fn deactivation_and_password_resets_end_sessions_everywhere() {
    let first = TestApp::spawn().await;
    let second = first.twin().await;
    let (doctor_id, _) = first.doctor("dr.leaving@example.org").await;
    let on_second = second.login("dr.leaving@example.org", PASSWORD).await;
    let admin = first.admin_token().await;

    let (status, user) = first
        .post(
            &format!("/api/v1/users/{doctor_id}/deactivate"),
            Some(&admin),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(user["status"], "deactivated");
    assert_eq!(
        second.get("/api/v1/auth/me", Some(&on_second)).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (status, error) = second
        .post(
            "/api/v1/auth/login",
            None,
            &json!({"email": "dr.leaving@example.org", "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error_code(&error), "account_deactivated");

    let (status, _) = first
        .post(
            &format!("/api/v1/users/{doctor_id}/reactivate"),
            Some(&admin),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let back = second.login("dr.leaving@example.org", PASSWORD).await;
    let reset = json!({"password": "reset by the admin 2026"});
    let (status, _) = first
        .post(
            &format!("/api/v1/users/{doctor_id}/password"),
            Some(&admin),
            &reset,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        second.get("/api/v1/auth/me", Some(&back)).await.0,
        StatusCode::UNAUTHORIZED
    );
    second
        .login("dr.leaving@example.org", "reset by the admin 2026")
        .await;

    // Admins cannot lock themselves out, and nobody else may do any of this.
    let (_, me) = first.get("/api/v1/auth/me", Some(&admin)).await;
    let (status, error) = first
        .post(
            &format!(
                "/api/v1/users/{}/deactivate",
                me["id"].as_str().expect("id")
            ),
            Some(&admin),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(error_code(&error), "cannot_deactivate_self");
    // Nor reset their own password without the current one: a stolen session cannot keep the
    // account that way.
    let (status, error) = first
        .post(
            &format!("/api/v1/users/{}/password", me["id"].as_str().expect("id")),
            Some(&admin),
            &json!({"password": "taken over by a thief"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(error_code(&error), "own_password");
    first
        .login(crate::helpers::ADMIN_EMAIL, crate::helpers::ADMIN_PASSWORD)
        .await;
    let (_, patient) = first.patient("p@example.org").await;
    for path in ["deactivate", "reactivate"] {
        let (status, _) = first
            .post(
                &format!("/api/v1/users/{doctor_id}/{path}"),
                Some(&patient),
                &json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    assert_eq!(
        first
            .post(
                &format!("/api/v1/users/{doctor_id}/password"),
                Some(&patient),
                &reset
            )
            .await
            .0,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn the_audit_viewer_filters_and_shows_each_role_only_its_share() {
    let app = TestApp::spawn().await;
    let (doctor_id, doctor) = app.doctor("dr.view@example.org").await;
    let (mine, mine_token) = app.patient("mine@example.org").await;
    let (theirs, _) = app.patient("theirs@example.org").await;
    app.join_care_team(&mine, &mine_token, &doctor_id).await;
    app.get(&format!("/api/v1/patients/{mine}"), Some(&doctor))
        .await;
    app.get(&format!("/api/v1/patients/{theirs}"), Some(&doctor))
        .await;
    let admin = app.admin_token().await;

    let (status, all) = app
        .get(
            &format!("/api/v1/audit?actor_id={doctor_id}&outcome=denied"),
            Some(&admin),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let items = all["items"].as_array().expect("items");
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["patient_id"], theirs.as_str());
    assert_eq!(items[0]["action"], "patient.read");
    let (_, reads) = app
        .get(
            &format!("/api/v1/audit?patient_id={mine}&action=patient.read"),
            Some(&admin),
        )
        .await;
    assert_eq!(reads["items"].as_array().map(Vec::len), Some(1));
    let later = (app.clock.now() + Duration::hours(1))
        .and_utc()
        .to_rfc3339();
    let (_, none) = app
        .get(
            &format!("/api/v1/audit?since={}", later.replace('+', "%2B")),
            Some(&admin),
        )
        .await;
    assert_eq!(none["items"].as_array().map(Vec::len), Some(0));
    let (_, page) = app.get("/api/v1/audit?limit=2", Some(&admin)).await;
    let (_, next) = app
        .get(
            &format!(
                "/api/v1/audit?limit=2&cursor={}",
                page["next"].as_str().expect("more")
            ),
            Some(&admin),
        )
        .await;
    assert!(next["items"][0]["id"].as_i64() < page["items"][1]["id"].as_i64());

    // A doctor sees their patients' entries only.
    let (status, own) = app.get("/api/v1/audit", Some(&doctor)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        own["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|e| e["patient_id"] == mine.as_str())
    );
    assert_eq!(
        app.get(&format!("/api/v1/audit?patient_id={theirs}"), Some(&doctor))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    // Patients read their access report, not the trail.
    assert_eq!(
        app.get("/api/v1/audit", Some(&mine_token)).await.0,
        StatusCode::FORBIDDEN
    );
    let (status, report) = app
        .get(
            &format!("/api/v1/patients/{mine}/access-report"),
            Some(&mine_token),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        report["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|i| i["actor_id"] == doctor_id.as_str())
    );
    assert_eq!(
        app.get(
            &format!("/api/v1/patients/{theirs}/access-report"),
            Some(&mine_token)
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );

    for bad in [
        "?since=yesterday",
        "?until=2026-13-45",
        "?limit=0",
        "?cursor=abc",
        "?limit=many",
        "?outcome=maybe",
    ] {
        let (status, error) = app.get(&format!("/api/v1/audit{bad}"), Some(&admin)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert_eq!(error_code(&error), "invalid_input");
    }
}

/// Ends every session in the database directly, as no server would: no word of it goes out.
async fn end_sessions_unannounced(app: &TestApp) {
    use diesel::RunQueryDsl;
    let ended = app
        .state
        .store
        .read(|conn| {
            diesel::sql_query("UPDATE sessions SET revoked_at = CURRENT_TIMESTAMP")
                .execute(conn)
                .map_err(medvault_store::StoreError::from)
        })
        .expect("sessions ended");
    assert!(ended > 0);
}

#[tokio::test]
async fn a_server_honours_a_session_ended_elsewhere_for_milliseconds_and_never_past_its_trust_period()
 {
    let first = TestApp::spawn().await;
    let second = first.twin().await;
    let me = "/api/v1/auth/me";

    // Word of a sign-out through one server reaches the other within milliseconds.
    let (_, token) = first.doctor("dr.away@example.org").await;
    assert_eq!(second.get(me, Some(&token)).await.0, StatusCode::OK);
    let (status, _) = first
        .post("/api/v1/auth/logout", Some(&token), &json!({}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let late = second.honoured_after_end(me, &token).await;
    assert!(
        late < REMEMBER_FOR / 2,
        "heard of the sign-out after {late:?}"
    );

    // Even when no word comes at all, a remembered session is trusted no longer than the
    // trust period: it is honoured for a while (it was remembered), then refused.
    let token = first.login("dr.away@example.org", PASSWORD).await;
    assert_eq!(second.get(me, Some(&token)).await.0, StatusCode::OK);
    end_sessions_unannounced(&first).await;
    let late = second.honoured_after_end(me, &token).await;
    assert!(late > REMEMBER_FOR / 4, "it was remembered: {late:?}");
}
