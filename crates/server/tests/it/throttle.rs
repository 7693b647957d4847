//! Login throttling: storms are refused cheaply and early; the real user still gets in.

use reqwest::StatusCode;
use serde_json::json;
use tokio::task::JoinSet;

use crate::helpers::{PASSWORD, TestApp, TestDb, error_code};

/// Addresses are taken from `X-Forwarded-For`, since every test request comes from 127.0.0.1.
async fn behind_proxy() -> TestApp {
    TestApp::spawn_with(TestDb::new(), &[("MEDVAULT_TRUSTED_PROXIES", "127.0.0.1")]).await
}

/// Sends sign-ins concurrently (16 at a time) and counts the statuses.
async fn storm(
    app: &TestApp,
    attempts: Vec<(String, String)>,
    from: &str,
) -> (usize, usize, Option<String>) {
    let (mut unauthorized, mut throttled, mut retry_after) = (0, 0, None);
    for chunk in attempts.chunks(16) {
        let mut set = JoinSet::new();
        for (email, password) in chunk {
            let request = app
                .http
                .post(app.url("/api/v1/auth/login"))
                .header("x-forwarded-for", from)
                .json(&json!({"email": email, "password": password}));
            set.spawn(async move { request.send().await });
        }
        while let Some(done) = set.join_next().await {
            let response = done.expect("task").expect("response");
            match response.status() {
                StatusCode::UNAUTHORIZED => unauthorized += 1,
                StatusCode::TOO_MANY_REQUESTS => {
                    throttled += 1;
                    let header = response
                        .headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned);
                    assert!(
                        header.is_some(),
                        "429 without Retry-After: {:?}",
                        response.headers()
                    );
                    retry_after = header;
                }
                other => panic!("unexpected status {other}"),
            }
        }
    }
    (unauthorized, throttled, retry_after)
}

#[tokio::test]
async fn ten_thousand_wrong_passwords_are_throttled_and_the_owner_still_gets_in() {
    let app = behind_proxy().await;
    app.register("target@example.org", "Target", "patient")
        .await;
    let attempts = (0..10_000)
        .map(|n| {
            (
                "target@example.org".to_owned(),
                format!("guess number {n:05}"),
            )
        })
        .collect();
    let (unauthorized, throttled, retry_after) = storm(&app, attempts, "203.0.113.66").await;
    assert!(
        unauthorized <= 10,
        "throttled after at most 10 failures, not {unauthorized}"
    );
    assert_eq!(unauthorized + throttled, 10_000);
    let seconds: i64 = retry_after
        .expect("Retry-After on 429")
        .parse()
        .expect("seconds");
    assert!((1..=900).contains(&seconds), "{seconds}");

    // Even the right password waits at the attacking address...
    let (status, error) = answer_from(&app, "target@example.org", PASSWORD, "203.0.113.66").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(error_code(&error), "too_many_attempts");
    // ...but the real user, from their own address, signs in.
    let (status, body) = answer_from(&app, "target@example.org", PASSWORD, "198.51.100.20").await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Each real failure is audited, with the address; no password is anywhere in the trail.
    let failures = app
        .audit(medvault_store::AuditFilter {
            action: Some("auth.login".into()),
            outcome: Some("failure".into()),
            ..Default::default()
        })
        .await;
    assert_eq!(failures.len(), unauthorized);
    assert!(
        failures
            .iter()
            .all(|e| e.entry.client_addr.as_deref() == Some("203.0.113.66"))
    );
    assert!(
        failures
            .iter()
            .all(|e| !format!("{e:?}").contains("guess number"))
    );
}

#[tokio::test]
async fn a_spray_across_a_thousand_accounts_from_one_address_is_throttled() {
    let app = behind_proxy().await;
    app.register("sprayed@example.org", "Sprayed", "patient")
        .await;
    let attempts = (0..1_000)
        .map(|n| (format!("user{n}@example.org"), "Spring2026!!".to_owned()))
        .collect();
    let (unauthorized, throttled, _) = storm(&app, attempts, "192.0.2.77").await;
    assert!(
        unauthorized <= 20,
        "throttled after at most 20 failures, not {unauthorized}"
    );
    assert_eq!(throttled, 1_000 - unauthorized);
    let (status, _) = answer_from(&app, "sprayed@example.org", PASSWORD, "198.51.100.21").await;
    assert_eq!(status, StatusCode::OK, "other addresses are unaffected");
    let started = app
        .audit(medvault_store::AuditFilter {
            action: Some("auth.throttle".into()),
            ..Default::default()
        })
        .await;
    assert!(!started.is_empty(), "the start of a block is audited");
}

async fn answer_from(
    app: &TestApp,
    email: &str,
    password: &str,
    from: &str,
) -> (StatusCode, serde_json::Value) {
    let response = app
        .http
        .post(app.url("/api/v1/auth/login"))
        .header("x-forwarded-for", from)
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .expect("sent");
    crate::helpers::answer(response).await
}

#[tokio::test]
async fn signing_in_correctly_again_and_again_is_never_throttled() {
    let app = behind_proxy().await;
    app.register("regular@example.org", "Regular", "patient")
        .await;
    for attempt in 0..25 {
        let (status, body) =
            answer_from(&app, "regular@example.org", PASSWORD, "198.51.100.30").await;
        assert_eq!(status, StatusCode::OK, "sign-in {attempt}: {body}");
    }
}

#[tokio::test]
async fn a_burst_of_right_passwords_waits_a_moment_at_most_and_is_never_blocked() {
    let app = behind_proxy().await;
    app.register("burst@example.org", "Burst", "patient").await;
    let mut set = JoinSet::new();
    for _ in 0..30 {
        let request = app
            .http
            .post(app.url("/api/v1/auth/login"))
            .header("x-forwarded-for", "198.51.100.40")
            .json(&json!({"email": "burst@example.org", "password": PASSWORD}));
        set.spawn(async move { request.send().await });
    }
    let (mut signed_in, mut waited) = (0, 0);
    while let Some(done) = set.join_next().await {
        let response = done.expect("task").expect("response");
        match response.status() {
            StatusCode::OK => signed_in += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                let retry = response.headers().get("retry-after").cloned();
                assert_eq!(retry.as_ref().and_then(|v| v.to_str().ok()), Some("1"));
                waited += 1;
            }
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!(signed_in + waited, 30);
    assert!(
        signed_in >= 5,
        "at least a limit's worth at once, not {signed_in}"
    );
    // No failure was counted: the same user at the same address signs in at once.
    let (status, body) = answer_from(&app, "burst@example.org", PASSWORD, "198.51.100.40").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let blocks = app
        .audit(medvault_store::AuditFilter {
            action: Some("auth.throttle".into()),
            ..Default::default()
        })
        .await;
    assert!(blocks.is_empty(), "no block started");
}
