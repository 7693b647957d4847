//! Slow and idle clients cannot hold the server: headers must arrive in time, and connections
//! are bounded.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::certificates;
use crate::helpers::{TestApp, TestDb};

async fn limited(max_connections: &str) -> TestApp {
    TestApp::spawn_with(
        TestDb::new(),
        &[
            ("MEDVAULT_MAX_CONNECTIONS", max_connections),
            ("MEDVAULT_HEADER_TIMEOUT_SECS", "1"),
        ],
    )
    .await
}

/// A connection that starts a request and never finishes its headers.
async fn slow_client(app: &TestApp) -> TcpStream {
    let address = app.base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).await.expect("connect");
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: medvault\r\nX-Slow: ")
        .await
        .expect("write");
    stream
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_cut_off() {
    let app = limited("64").await;
    let mut stream = slow_client(&app).await;
    let started = Instant::now();
    let mut rest = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut rest)).await;
    assert!(read.is_ok(), "the server never closed the connection");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn connections_are_bounded_and_a_flood_of_half_open_ones_does_not_stop_the_server() {
    let app = limited("4").await;
    let mut held = Vec::new();
    for _ in 0..20 {
        held.push(slow_client(&app).await);
    }
    // The first four take every slot; the rest, and a real request behind them, wait in the
    // queue. Slow clients are cut off in turn, and the real request is answered.
    let started = Instant::now();
    let answer = tokio::time::timeout(
        Duration::from_secs(30),
        app.http.get(app.url("/healthz")).send(),
    )
    .await
    .expect("answered in time")
    .expect("response");
    assert_eq!(answer.status(), StatusCode::OK);
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "answered before any slot was free: the bound did not hold"
    );
    drop(held);
}

/// Sends a whole request before reading anything, as simple clients do, and returns the answer.
async fn send_whole(app: &TestApp, request: &[u8]) -> String {
    let address = app.base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).await.expect("connect");
    stream
        .write_all(request)
        .await
        .expect("the whole request is taken");
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut answer))
        .await
        .expect("answered")
        .expect("read, not reset");
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn a_client_that_sends_a_huge_body_before_reading_gets_the_413() {
    let app = limited("64").await;
    let body = vec![b'a'; 5 * 1024 * 1024];
    let mut request = format!(
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: medvault\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(&body);
    let answer = send_whole(&app, &request).await;
    assert!(
        answer.starts_with("HTTP/1.1 413"),
        "{}",
        &answer[..answer.len().min(300)]
    );
    assert!(answer.contains(r#""code":"payload_too_large""#), "{answer}");
}

#[tokio::test]
async fn oversized_addresses_headers_and_undecodable_paths_get_the_error_shape() {
    let app = TestApp::spawn().await;
    let long = format!("/api/v1/patients?q={}", "a".repeat(10_000));
    let response = app.http.get(app.url(&long)).send().await.expect("sent");
    assert_eq!(response.status(), StatusCode::URI_TOO_LONG);
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    let (_, body) = crate::helpers::answer(response).await;
    assert_eq!(body["error"]["code"], "request_too_large");

    let response = app
        .http
        .get(app.url("/api/v1/auth/me"))
        .header("x-padding", "p".repeat(40_000))
        .send()
        .await
        .expect("sent");
    assert_eq!(
        response.status(),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
    );
    let (_, body) = crate::helpers::answer(response).await;
    assert_eq!(body["error"]["code"], "request_too_large");

    let (status, body) = app.get("/api/v1/patients/%FF%FE", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "not_found");
    let page = app
        .http
        .get(app.url("/patients/%C3%28"))
        .send()
        .await
        .expect("sent");
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    assert!(page.text().await.expect("text").contains("Not found"));
}

#[tokio::test]
async fn hsts_is_sent_only_when_served_over_tls() {
    let plain = TestApp::spawn().await;
    let response = plain
        .http
        .get(plain.url("/login"))
        .send()
        .await
        .expect("sent");
    assert!(
        response
            .headers()
            .get("strict-transport-security")
            .is_none()
    );
    let tls = TestApp::spawn_with(TestDb::new(), &[("MEDVAULT_SECURE_COOKIES", "true")]).await;
    let response = tls.http.get(tls.url("/login")).send().await.expect("sent");
    assert_eq!(
        response.headers()["strict-transport-security"],
        "max-age=63072000; includeSubDomains"
    );
}

#[tokio::test]
async fn https_is_served_from_the_configured_certificate_with_secure_cookies() {
    let folder = tempfile::tempdir().expect("a folder");
    certificates::authority(folder.path(), "authority");
    let (cert, key) = certificates::server(
        folder.path(),
        "authority",
        "server",
        "IP:127.0.0.1,DNS:localhost",
    );
    let app = TestApp::spawn_with(
        TestDb::new(),
        &[("MEDVAULT_TLS_CERT", &cert), ("MEDVAULT_TLS_KEY", &key)],
    )
    .await;
    let pem = std::fs::read(folder.path().join("authority.pem")).expect("certificate");
    let client = outbound::Client::builder()
        .add_root_certificate(outbound::Certificate::from_pem(&pem).expect("a certificate"))
        .redirect(outbound::redirect::Policy::none())
        .build()
        .expect("client");
    let secure = app.base.replace("http://", "https://");
    let response = client
        .get(format!("{secure}/login"))
        .send()
        .await
        .expect("served over TLS");
    assert_eq!(response.status().as_u16(), 200);
    assert!(response.headers().contains_key("strict-transport-security"));
    let cookie = response.headers()["set-cookie"].to_str().expect("text");
    assert!(cookie.contains("Secure"), "{cookie}");

    // Plain HTTP on the TLS port gets no answer; a client that does not trust the certificate
    // does not get through.
    assert!(app.http.get(app.url("/healthz")).send().await.is_err());
    let untrusting = outbound::Client::new();
    assert!(
        untrusting
            .get(format!("{secure}/healthz"))
            .send()
            .await
            .is_err()
    );

    // A key that is not the certificate's stops the start, naming the setting.
    let (_, other_key) = certificates::server(folder.path(), "authority", "other", "DNS:localhost");
    let refused = medvault::http::tls::acceptor(cert.as_ref(), other_key.as_ref())
        .err()
        .expect("refused");
    assert!(
        refused.to_string().contains("MEDVAULT_TLS_KEY"),
        "{refused}"
    );
}
