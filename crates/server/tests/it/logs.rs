//! The log: a JSON line per request with its correlation id and route template, and nothing
//! anyone could be known by, even at the most detailed level: no name, address, chart id,
//! password or token.

use serde_json::json;

use crate::helpers::{PASSWORD, TestDb};
use crate::process::{Server, chart_with_doctor};

#[tokio::test]
async fn every_request_is_logged_with_its_correlation_id_and_nothing_about_anyone() {
    let db = TestDb::new();
    let server = Server::start_with(&db, &[("MEDVAULT_LOG", "debug")]).await;
    let (chart, patient, doctor) = chart_with_doctor(&server).await;
    let client = reqwest::Client::new();
    let records = format!("{}/api/v1/patients/{chart}/records", server.base);
    let written = client
        .post(&records)
        .bearer_auth(&doctor)
        .header("x-correlation-id", "logged-write-1")
        .json(&json!({"title": "Chest pain", "notes": "Pat Crash reports chest pain."}))
        .send()
        .await
        .expect("answered");
    assert!(written.status().is_success());
    let read = client
        .get(&records)
        .bearer_auth(&patient)
        .header("x-correlation-id", "logged-read-1")
        .send()
        .await
        .expect("answered");
    assert!(read.status().is_success());
    let refused = client
        .post(format!("{}/api/v1/auth/login", server.base))
        .header("x-correlation-id", "logged-refusal-1")
        .json(&json!({"email": "crash-pt@example.org", "password": "not the password"}))
        .send()
        .await
        .expect("answered");
    assert_eq!(refused.status(), 401);

    let lines = server.log_lines();
    for (correlation, status) in [
        ("logged-write-1", 201),
        ("logged-read-1", 200),
        ("logged-refusal-1", 401),
    ] {
        let served = lines
            .iter()
            .find(|line| {
                line["span"]["correlation_id"] == correlation && line["message"] == "request served"
            })
            .unwrap_or_else(|| panic!("{correlation} was logged"));
        assert_eq!(served["status"], status, "{served}");
        assert!(
            served["span"]["route"]
                .as_str()
                .is_some_and(|route| route.starts_with("/api/v1/")),
            "{served}"
        );
    }
    let log = server.log();
    for secret in [
        "Pat Crash",
        "Chest pain",
        "crash-pt@example.org",
        PASSWORD,
        "not the password",
        &chart,
        &patient,
        &doctor,
    ] {
        assert!(!log.contains(secret), "the log shows {secret}");
    }
}
