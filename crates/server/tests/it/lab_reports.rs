//! Lab reports: sent as a chart file, read by a durable job into draft rows, reviewed by a
//! care-team doctor, and only then in the chart. The report is another lab's layout printed by
//! Chromium (the reader's own fixture), read from its text layer, so these run without OCR.

use std::time::{Duration, Instant};

use medvault_store::AuditFilter;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestDb, error_code, send_file};

pub const REPORT: &[u8] = include_bytes!("../../../ingest/tests/fixtures/outside-layout.pdf");

pub async fn send(app: &TestApp, chart: &str, token: &str, content: &[u8]) -> (StatusCode, Value) {
    let path = format!("/api/v1/patients/{chart}/lab-reports");
    send_file(app, &path, token, b"westgate.pdf", content).await
}

/// Waits (up to 60 s) for the report to leave the queue and its reading.
pub async fn settled(app: &TestApp, token: &str, id: &str) -> Value {
    let started = Instant::now();
    loop {
        let (status, report) = app
            .get(&format!("/api/v1/lab-reports/{id}"), Some(token))
            .await;
        assert_eq!(status, StatusCode::OK, "{report}");
        if !matches!(report["status"].as_str(), Some("queued" | "reading")) {
            return report;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "still {report}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn doctor_and_chart(app: &TestApp, tag: &str) -> (String, String, String) {
    let (doctor_id, doctor) = app.doctor(&format!("dr.{tag}@example.org")).await;
    let (chart, patient) = app.patient(&format!("{tag}@example.org")).await;
    app.join_care_team(&chart, &patient, &doctor_id).await;
    (chart, doctor, patient)
}

#[tokio::test]
async fn a_report_is_read_reviewed_and_only_its_confirmed_rows_enter_the_chart() {
    let app = TestApp::spawn().await;
    let (chart, doctor, patient) = doctor_and_chart(&app, "reports").await;
    let (status, sent) = send(&app, &chart, &doctor, REPORT).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{sent}");
    assert_eq!(sent["status"], "queued");
    assert_eq!(sent["patient_provided"], false);
    let id = sent["id"].as_str().unwrap().to_owned();

    let read = settled(&app, &doctor, &id).await;
    assert_eq!(read["status"], "review", "{read}");
    assert_eq!(read["text_source"], "text-layer");
    assert_eq!(read["document_kind"], "lab-report");
    let rows = read["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 13, "{read}");
    assert_eq!(rows[1]["draft"]["code"], "2823-3");
    assert_eq!(rows[1]["draft"]["value"]["value"], 5.6);
    assert_eq!(rows[1]["draft"]["flag"]["value"], "high");
    assert!(rows[1]["draft"]["value"]["confidence"].as_f64().unwrap() > 0.9);

    // The patient sees no drafts of a report they did not send, and no results yet.
    let (status, _) = app
        .get(&format!("/api/v1/lab-reports/{id}"), Some(&patient))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let results = format!("/api/v1/patients/{chart}/lab-results");
    let (_, before) = app.get(&results, Some(&patient)).await;
    assert_eq!(before["items"].as_array().unwrap().len(), 0);

    // The doctor corrects the sodium, rejects the urea, and confirms the potassium.
    let review = format!("/api/v1/lab-reports/{id}/review");
    let decisions = json!({
        "collected_at": "2026-03-02T07:55:00Z",
        "rows": [
            {"n": 0, "decision": "confirm", "value": "140"},
            {"n": 1, "decision": "confirm"},
            {"n": 2, "decision": "reject"},
        ]
    });
    let (status, reviewed) = app.post(&review, Some(&doctor), &decisions).await;
    assert_eq!(status, StatusCode::OK, "{reviewed}");
    assert_eq!(reviewed["status"], "review", "ten rows wait");
    let (_, after) = app.get(&results, Some(&patient)).await;
    let items = after["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{after}");
    let sodium = items.iter().find(|r| r["code"] == "2951-2").unwrap();
    assert_eq!(sodium["value"], 140.0);
    assert_eq!(sodium["source"], "report");
    let potassium = items.iter().find(|r| r["code"] == "2823-3").unwrap();
    assert_eq!(potassium["interpretation"], "high");
    assert_eq!(potassium["reference_high"], 5.3);

    // A row decided twice is a conflict; a bad correction names its row and field.
    let (status, again) = app
        .post(
            &review,
            Some(&doctor),
            &json!({"collected_at": "2026-03-02", "rows": [{"n": 2, "decision": "confirm"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    assert_eq!(error_code(&again), "row_already_reviewed");
    let (status, bad) = app
        .post(&review, Some(&doctor), &json!({"collected_at": "2026-03-02", "rows": [{"n": 3, "decision": "confirm", "value": ""}]}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    assert!(
        bad["error"]["message"]
            .as_str()
            .unwrap()
            .contains("rows.3.value"),
        "{bad}"
    );

    // The rest are rejected: the review is done.
    let rest: Vec<Value> = (3..13)
        .map(|n| json!({"n": n, "decision": "reject"}))
        .collect();
    let (status, done) = app
        .post(
            &review,
            Some(&doctor),
            &json!({"collected_at": "2026-03-02", "rows": rest}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["status"], "done");
    assert!(done["reviewed_by"].is_string());

    // Read once by MedVault itself, reviewed twice (the refused attempts changed nothing).
    let entries = app
        .audit(AuditFilter {
            patient_id: Some(chart.parse().unwrap()),
            ..AuditFilter::default()
        })
        .await;
    let count = |action: &str, outcome: &str| {
        entries
            .iter()
            .filter(|e| e.entry.action == action && e.entry.outcome == outcome)
            .count()
    };
    assert_eq!(count("lab_report.send", "success"), 1);
    assert_eq!(count("lab_report.read", "success"), 1);
    assert_eq!(count("lab_report.review", "success"), 2);
    assert!(
        entries
            .iter()
            .any(|e| e.entry.action == "lab_report.read" && e.entry.actor_id.is_none())
    );
}

#[tokio::test]
async fn a_patient_sends_their_own_report_and_only_the_care_team_reviews_it() {
    let app = TestApp::spawn().await;
    let (chart, _doctor, patient) = doctor_and_chart(&app, "own-report").await;
    let (status, sent) = send(&app, &chart, &patient, REPORT).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{sent}");
    assert_eq!(sent["patient_provided"], true);
    let id = sent["id"].as_str().unwrap().to_owned();
    // They follow their own report's progress, without its drafts.
    let read = settled(&app, &patient, &id).await;
    assert_eq!(read["status"], "review");
    assert!(read["rows"].is_null(), "{read}");
    let (status, refused) = app
        .post(
            &format!("/api/v1/lab-reports/{id}/review"),
            Some(&patient),
            &json!({"collected_at": "2026-03-02", "rows": [{"n": 0, "decision": "confirm"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    // Another patient does not learn the report exists.
    let (_, stranger) = app.patient("stranger@example.org").await;
    let (status, _) = app
        .get(&format!("/api/v1/lab-reports/{id}"), Some(&stranger))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, listed) = app
        .get(
            &format!("/api/v1/patients/{chart}/lab-reports"),
            Some(&patient),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn an_unreadable_report_fails_with_its_reason() {
    let app = TestApp::spawn().await;
    let (chart, doctor, _) = doctor_and_chart(&app, "broken-report").await;
    let damaged = b"%PDF-1.7\n\x00\x01this is no PDF inside\n%%EOF\n";
    let (status, sent) = send(&app, &chart, &doctor, damaged).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{sent}");
    let id = sent["id"].as_str().unwrap();
    let read = settled(&app, &doctor, id).await;
    assert_eq!(read["status"], "failed", "{read}");
    assert_eq!(read["error"]["code"], "corrupt_pdf");
    assert_eq!(read["attempts"], 1, "a damaged file is not tried again");
    assert!(
        read["error"]["message"]
            .as_str()
            .unwrap()
            .contains("damaged")
    );
}

#[tokio::test]
async fn a_report_whose_reader_died_is_read_once_its_lease_lapses() {
    let db = TestDb::new();
    let app = TestApp::spawn_with(db.clone(), &[("MEDVAULT_LAB_WORKERS", "0")]).await;
    let (chart, doctor, _) = doctor_and_chart(&app, "orphan").await;
    let (_, sent) = send(&app, &chart, &doctor, REPORT).await;
    let id: medvault_domain::LabReportId = sent["id"].as_str().unwrap().parse().unwrap();
    let patient: medvault_domain::PatientId = chart.parse().unwrap();
    // A server claimed it and died: its lease runs another second.
    let now = app.clock.now();
    let claimed = app
        .state
        .write(move |conn| {
            let until = now + chrono::Duration::seconds(1);
            Ok(medvault_store::repo::lab_reports::claim(
                conn,
                patient,
                id,
                "server-gone",
                now,
                until,
            )?)
        })
        .await
        .unwrap();
    assert!(claimed);
    let reader = TestApp::spawn_full(db, &[], app.clock.clone()).await;
    let (_, reading) = app
        .get(&format!("/api/v1/lab-reports/{id}"), Some(&doctor))
        .await;
    assert_eq!(reading["status"], "reading");
    app.clock.advance(chrono::Duration::seconds(2));
    let read = settled(&reader, &doctor, &id.to_string()).await;
    assert_eq!(read["status"], "review", "{read}");
    assert_eq!(read["attempts"], 2);
}

#[tokio::test]
async fn two_servers_never_read_one_report_twice() {
    let app = TestApp::spawn_with(TestDb::new(), &[("MEDVAULT_LAB_WORKERS", "2")]).await;
    let twin = app.twin().await;
    let (chart, doctor, _) = doctor_and_chart(&app, "twice").await;
    let mut ids = Vec::new();
    for _ in 0..6 {
        let (status, sent) = send(&app, &chart, &doctor, REPORT).await;
        assert_eq!(status, StatusCode::ACCEPTED);
        ids.push(sent["id"].as_str().unwrap().to_owned());
    }
    for id in &ids {
        let read = settled(&twin, &doctor, id).await;
        assert_eq!(read["status"], "review");
        assert_eq!(read["attempts"], 1, "read once: {read}");
    }
    let reads = app
        .audit(AuditFilter {
            actions: vec!["lab_report.read".into()],
            ..AuditFilter::default()
        })
        .await;
    assert_eq!(reads.len(), 6);
}

#[tokio::test]
async fn insights_and_the_summary_explain_themselves() {
    let app = TestApp::spawn().await;
    let (chart, doctor, patient) = doctor_and_chart(&app, "insights").await;
    // A woman of 50 (the chart's sex and birth date are the rules' too).
    let profile = format!("/api/v1/patients/{chart}");
    let edited = app
        .http
        .patch(app.url(&profile))
        .bearer_auth(&doctor)
        .header("if-match", "\"1\"")
        .json(&json!({"sex": "female", "birth_date": "1976-01-15"}))
        .send()
        .await
        .unwrap();
    assert_eq!(edited.status(), StatusCode::OK, "{:?}", edited.text().await);
    let results = format!("/api/v1/patients/{chart}/lab-results");
    for (code, value, at) in [
        ("2823-3", 4.4, "2026-03-01T08:00:00Z"),
        ("2823-3", 6.9, "2026-03-02T08:00:00Z"),
        ("2160-0", 1.0, "2026-03-02T08:00:00Z"),
        ("4548-4", 6.8, "2026-03-02T08:00:00Z"),
    ] {
        let (status, body) = app
            .post(
                &results,
                Some(&doctor),
                &json!({"code": code, "value": value, "collected_at": at}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let (status, found) = app
        .get(&format!("/api/v1/patients/{chart}/insights"), Some(&doctor))
        .await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(found["kind"], "advice");
    let insights = found["insights"].as_array().unwrap();
    assert_eq!(insights[0]["rule"], "critical-value", "{found}");
    assert_eq!(insights[0]["severity"], "critical");
    assert!(
        insights[0]["guideline"]
            .as_str()
            .unwrap()
            .contains("critical")
    );
    let egfr = insights
        .iter()
        .find(|i| i["rule"] == "egfr-ckd-epi-2021")
        .unwrap();
    assert_eq!(egfr["derived"]["value"], 69.0, "{egfr}");
    assert_eq!(egfr["version"], 1);
    assert!(insights.iter().any(|i| i["rule"] == "hba1c-diabetes"));
    assert!(insights.iter().any(|i| i["rule"] == "meaningful-change"));
    assert_eq!(found["rules"].as_array().map(Vec::len), Some(13));
    // Advice is the clinical team's: the patient reads their summary instead.
    let (status, _) = app
        .get(
            &format!("/api/v1/patients/{chart}/insights"),
            Some(&patient),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, summary) = app
        .get(&format!("/api/v1/patients/{chart}/summary"), Some(&patient))
        .await;
    assert_eq!(status, StatusCode::OK, "{summary}");
    let abnormal = summary["abnormal_results"].as_array().unwrap();
    let potassium = abnormal
        .iter()
        .find(|a| a["latest"]["code"] == "2823-3")
        .unwrap();
    assert_eq!(potassium["trend"], "rising");
    assert_eq!(potassium["previous"]["value"], 4.4);
}

#[tokio::test]
async fn a_critical_result_raises_an_alert_until_a_doctor_acknowledges_it() {
    let app = TestApp::spawn().await;
    let (chart, doctor, patient) = doctor_and_chart(&app, "alerts").await;
    let results = format!("/api/v1/patients/{chart}/lab-results");
    for value in [4.4, 2.1] {
        let body =
            json!({"code": "2823-3", "value": value, "collected_at": "2026-03-02T08:00:00Z"});
        let (status, made) = app.post(&results, Some(&doctor), &body).await;
        assert_eq!(status, StatusCode::CREATED, "{made}");
    }
    let alerts = format!("/api/v1/patients/{chart}/alerts");
    let (status, open) = app.get(&alerts, Some(&doctor)).await;
    assert_eq!(status, StatusCode::OK, "{open}");
    let open = open.as_array().unwrap();
    assert_eq!(open.len(), 1, "only the critical one: {open:?}");
    assert_eq!(
        open[0]["title"],
        "Potassium 2.1 mmol/L is below the critical limit of 2.8 mmol/L"
    );
    let id = open[0]["id"].as_str().unwrap();
    let acknowledge = format!("/api/v1/alerts/{id}/acknowledge");
    let (status, _) = app.post(&acknowledge, Some(&patient), &json!({})).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a patient does not acknowledge"
    );
    let (status, done) = app.post(&acknowledge, Some(&doctor), &json!({})).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert!(done["acknowledged_at"].is_string());
    let (status, again) = app.post(&acknowledge, Some(&doctor), &json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(error_code(&again), "already_acknowledged");
    let (_, open) = app.get(&alerts, Some(&doctor)).await;
    assert_eq!(open.as_array().map(Vec::len), Some(0));
    let acknowledged = app
        .audit(AuditFilter {
            actions: vec!["alert.acknowledge".into()],
            outcome: Some("success".into()),
            ..AuditFilter::default()
        })
        .await;
    assert_eq!(acknowledged.len(), 1);
}
