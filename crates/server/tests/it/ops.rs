use reqwest::StatusCode;

use crate::helpers::{TestApp, error_code};

#[tokio::test]
async fn health_readiness_and_metrics() {
    let app = TestApp::spawn().await;
    let health = app
        .http
        .get(app.url("/healthz"))
        .send()
        .await
        .expect("sent");
    assert_eq!(health.status(), StatusCode::OK);
    let ready = app.http.get(app.url("/readyz")).send().await.expect("sent");
    assert_eq!(ready.status(), StatusCode::OK);
    app.get("/api/v1/auth/me", None).await;
    let metrics = app
        .http
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("text");
    assert!(metrics.contains("http_requests_total"), "{metrics}");
    assert!(
        metrics.contains(r#"route="/api/v1/auth/me""#),
        "labelled by route template"
    );
    assert!(metrics.contains("http_request_duration_seconds_bucket"));
    // The audit trail's group commits (their counts are the store's own tests' to check: the
    // recorder is shared by every server of this test process).
    for line in [
        r#"medvault_audit_groups_total{outcome="committed"} "#,
        r#"medvault_audit_groups_total{outcome="failed"} "#,
        "medvault_audit_group_units_total ",
    ] {
        assert!(metrics.contains(line), "{line} in {metrics}");
    }
}

#[tokio::test]
async fn correlation_ids_are_kept_when_well_formed_and_echoed_everywhere() {
    let app = TestApp::spawn().await;
    let response = app
        .http
        .get(app.url("/api/v1/auth/me"))
        .header("x-correlation-id", "support-ticket-4711")
        .send()
        .await
        .expect("sent");
    assert_eq!(
        response.headers()["x-correlation-id"],
        "support-ticket-4711"
    );
    let (_, body) = crate::helpers::answer(response).await;
    assert_eq!(error_code(&body), "unauthenticated");
    assert_eq!(body["error"]["correlation_id"], "support-ticket-4711");

    let response = app
        .http
        .get(app.url("/api/v1/auth/me"))
        .header("x-correlation-id", "bad id with spaces")
        .send()
        .await
        .expect("sent");
    let echoed = response.headers()["x-correlation-id"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert_ne!(echoed, "bad id with spaces");
    let (_, body) = crate::helpers::answer(response).await;
    assert_eq!(body["error"]["correlation_id"], echoed.as_str());
}

#[tokio::test]
async fn the_openapi_document_describes_the_stable_core() {
    let app = TestApp::spawn().await;
    let (status, doc) = app.get("/api/openapi.json", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1"))
    );
    let paths = doc["paths"].as_object().expect("paths");
    for (path, method) in [
        ("/api/v1/auth/register", "post"),
        ("/api/v1/auth/login", "post"),
        ("/api/v1/auth/logout", "post"),
        ("/api/v1/auth/me", "get"),
        ("/api/v1/users", "post"),
        ("/api/v1/users/{id}/approve", "post"),
        ("/api/v1/patients", "get"),
        ("/api/v1/patients", "post"),
        ("/api/v1/patients/{id}", "get"),
        ("/api/v1/patients/{id}/care-team", "post"),
        ("/api/v1/patients/{id}/records", "post"),
        ("/api/v1/patients/{id}/records", "get"),
        ("/api/v1/records/{id}", "get"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} missing"
        );
    }
    // The rules on values are in the document, for clients to check before they send.
    let register = &doc["components"]["schemas"]["RegisterBody"]["properties"];
    assert_eq!(register["password"]["minLength"], 12, "{register}");
    assert_eq!(register["password"]["maxLength"], 256);
    let list = &paths["/api/v1/patients"]["get"]["parameters"];
    let limit = list
        .as_array()
        .and_then(|params| params.iter().find(|p| p["name"] == "limit"))
        .expect("a limit parameter");
    assert_eq!(limit["schema"]["maximum"], 200, "{limit}");
    let docs = app.http.get(app.url("/docs")).send().await.expect("sent");
    assert_eq!(docs.status(), StatusCode::OK);
    let page = docs.text().await.expect("text");
    assert!(
        page.contains("/static/swagger-ui/swagger-ui-bundle.js"),
        "served locally, no CDN"
    );
    assert!(!page.contains("https://"), "no internet needed");
    let bundle = app
        .http
        .get(app.url("/static/swagger-ui/swagger-ui-bundle.js"))
        .send()
        .await
        .expect("sent");
    assert_eq!(bundle.status(), StatusCode::OK);
}

#[tokio::test]
async fn metrics_can_be_kept_to_a_scraper_with_a_token() {
    let app = TestApp::spawn_with(
        crate::helpers::TestDb::new(),
        &[("MEDVAULT_METRICS_TOKEN", "a scraper's token of some length")],
    )
    .await;
    let scrape = |token: Option<&'static str>| {
        let mut request = app.http.get(app.url("/metrics"));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    assert_eq!(
        scrape(None).await.expect("sent").status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        scrape(Some("a guess")).await.expect("sent").status(),
        StatusCode::UNAUTHORIZED
    );
    let answer = scrape(Some("a scraper's token of some length"))
        .await
        .expect("sent");
    assert_eq!(answer.status(), StatusCode::OK);
    assert!(
        answer
            .text()
            .await
            .expect("text")
            .contains("http_requests_total")
    );
}
