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
            actions: vec!["auth.login".into()],
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
            actions: vec!["auth.throttle".into()],
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
            actions: vec!["auth.throttle".into()],
            ..Default::default()
        })
        .await;
    assert!(blocks.is_empty(), "no block started");
}

/// Attempts counted in by a server that was then killed: never settled.
async fn leave_pending(app: &TestApp, account: &str, from: &str, attempts: usize) {
    let keys =
        medvault::auth::throttle::Keys::new(account, Some(from), app.state.config.login_limits);
    for _ in 0..attempts {
        let now = app.state.now();
        let keys = keys.clone();
        let admitted = app
            .state
            .write(move |conn| Ok(medvault::auth::throttle::admit(conn, &keys, now)?))
            .await
            .expect("admitted");
        assert!(admitted.is_ok());
    }
}

#[tokio::test]
async fn attempts_left_by_a_killed_server_lapse_within_seconds() {
    let app = behind_proxy().await;
    app.register("crash@example.org", "Crash", "patient").await;
    leave_pending(&app, "crash@example.org", "198.51.100.50", 5).await;
    // The five unsettled attempts fill the account's limit at that address for a moment...
    let (status, _) = answer_from(&app, "crash@example.org", PASSWORD, "198.51.100.50").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    // ...and no longer than a check may take.
    app.clock.advance(chrono::Duration::seconds(11));
    let (status, body) = answer_from(&app, "crash@example.org", PASSWORD, "198.51.100.50").await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn an_account_under_attack_from_many_addresses_still_lets_its_owner_in_from_home() {
    let app = behind_proxy().await;
    app.register("owner@example.org", "Owner", "patient").await;
    let (status, _) = answer_from(&app, "owner@example.org", PASSWORD, "198.51.100.60").await;
    assert_eq!(status, StatusCode::OK, "the owner signs in from home once");
    // Five wrong passwords from each of eleven addresses: the account-wide limit (50) is reached.
    for n in 0..11 {
        let attempts = (0..5)
            .map(|k| {
                (
                    "owner@example.org".to_owned(),
                    format!("guess {n} {k} wrong"),
                )
            })
            .collect();
        storm(&app, attempts, &format!("203.0.113.{}", 100 + n)).await;
    }
    let (status, _) = answer_from(&app, "owner@example.org", PASSWORD, "192.0.2.200").await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "a new place waits out the block"
    );
    let (status, body) = answer_from(&app, "owner@example.org", PASSWORD, "198.51.100.60").await;
    assert_eq!(status, StatusCode::OK, "home is known: {body}");
    // Guesses from home are still bound by the account-at-address limit.
    let attempts = (0..20)
        .map(|k| ("owner@example.org".to_owned(), format!("home guess {k}")))
        .collect();
    let (unauthorized, _, _) = storm(&app, attempts, "198.51.100.60").await;
    assert!(unauthorized <= 5, "{unauthorized}");
}

#[tokio::test]
async fn one_ipv6_64_counts_as_one_address() {
    let app = behind_proxy().await;
    let mut unauthorized = 0;
    for n in 0..40 {
        let (status, _) = answer_from(
            &app,
            &format!("sprayed{n}@example.org"),
            "a wrong password!",
            &format!("2001:db8:5:6::{:x}", n + 1),
        )
        .await;
        match status {
            StatusCode::UNAUTHORIZED => unauthorized += 1,
            StatusCode::TOO_MANY_REQUESTS => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(unauthorized, 20, "the per-address limit, across the /64");
    let (status, _) = answer_from(
        &app,
        "sprayed0@example.org",
        "a wrong password!",
        "2001:db8:5:7::1",
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the next /64 is another place"
    );
}

#[tokio::test]
async fn the_throttle_keeps_no_typed_text_and_forgets_old_counters() {
    let app = behind_proxy().await;
    let typed = format!("my password is hunter2 {}", "x".repeat(100_000));
    answer_from(&app, &typed, "whatever it is", "198.51.100.70").await;
    let keys: Vec<String> = app
        .state
        .read(|conn| {
            use diesel::prelude::*;
            Ok(medvault_store::schema::login_throttle::table
                .select(medvault_store::schema::login_throttle::key)
                .load::<String>(conn)
                .map_err(medvault_store::StoreError::from)?)
        })
        .await
        .expect("keys");
    assert_eq!(keys.len(), 3, "{keys:?}");
    assert!(
        keys.iter()
            .all(|key| !key.contains("hunter2") && key.len() < 100)
    );

    app.clock.advance(chrono::Duration::minutes(16));
    let now = app.state.now();
    let pruned = app
        .state
        .write(move |conn| Ok(medvault::auth::throttle::prune(conn, now)?))
        .await
        .expect("pruned");
    assert_eq!(pruned, 3);
}

#[tokio::test]
async fn wrong_current_passwords_count_against_the_account() {
    let app = behind_proxy().await;
    app.register("changer@example.org", "Changer", "patient")
        .await;
    let token = app.login("changer@example.org", PASSWORD).await;
    let mut statuses = Vec::new();
    for n in 0..8 {
        let response = app
            .http
            .post(app.url("/api/v1/auth/password"))
            .bearer_auth(&token)
            .header("x-forwarded-for", "198.51.100.80")
            .json(&json!({"current_password": format!("not it {n} at all"), "new_password": "a brand new passphrase"}))
            .send()
            .await
            .expect("sent");
        statuses.push(response.status());
    }
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::UNAUTHORIZED)
            .count(),
        5,
        "{statuses:?}"
    );
    assert!(
        statuses[5..]
            .iter()
            .all(|s| *s == StatusCode::TOO_MANY_REQUESTS)
    );
}
