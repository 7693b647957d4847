//! A patient's access report: one line per act, in words, naming staff and never other patients,
//! with full pages while more remain.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp};
use crate::web::WebSession;

async fn report(app: &TestApp, chart: &str, token: &str, query: &str) -> Value {
    let (status, body) = app
        .get(
            &format!("/api/v1/patients/{chart}/access-report{query}"),
            Some(token),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

fn items(body: &Value) -> &Vec<Value> {
    body["items"].as_array().expect("items")
}

#[tokio::test]
async fn one_chart_view_is_one_entry_and_one_line_in_words() {
    let app = TestApp::spawn().await;
    let (doctor_id, _) = app.doctor("dr.view@example.org").await;
    let (chart, patient) = app.patient("viewed@example.org").await;
    app.join_care_team(&chart, &patient, &doctor_id).await;
    let before = app
        .audit(medvault_store::AuditFilter::default())
        .await
        .len();

    let mut doctor = WebSession::new(&app);
    doctor.sign_in("dr.view@example.org", PASSWORD).await;
    let page = doctor.get(&format!("/patients/{chart}")).await;
    assert_eq!(page.status, StatusCode::OK);

    let trail = app.audit(medvault_store::AuditFilter::default()).await;
    let about_chart: Vec<_> = trail[..trail.len() - before]
        .iter()
        .filter(|row| row.entry.patient_id.as_deref() == Some(chart.as_str()))
        .collect();
    assert_eq!(about_chart.len(), 1, "one view, one entry: {about_chart:?}");
    assert_eq!(about_chart[0].entry.action, "chart.view");

    let body = report(&app, &chart, &patient, "").await;
    let views: Vec<_> = items(&body)
        .iter()
        .filter(|item| item["action"] == "chart.view")
        .collect();
    assert_eq!(views.len(), 1, "{body}");
    assert_eq!(views[0]["summary"], "Dr. Test viewed your chart");
    assert_eq!(views[0]["actor_id"], doctor_id.as_str());

    // The patient's own page says the same, with a time the browser shows in its own zone.
    let mut own = WebSession::new(&app);
    own.sign_in("viewed@example.org", PASSWORD).await;
    let dashboard = own.get("/patient/dashboard").await;
    assert_eq!(
        dashboard
            .body()
            .matches("Dr. Test viewed your chart")
            .count(),
        1,
        "{}",
        dashboard.body()
    );
    assert!(dashboard.body().contains("data-local"));
}

#[tokio::test]
async fn another_patient_is_never_named_in_a_report() {
    let app = TestApp::spawn().await;
    let (chart, patient) = app.patient("named@example.org").await;
    app.register("nosy@example.org", "Nora Nosy", "patient")
        .await;
    let nosy = app.login("nosy@example.org", PASSWORD).await;
    let (_, me) = app.get("/api/v1/auth/me", Some(&nosy)).await;
    let nosy_id = me["id"].as_str().expect("id").to_owned();
    let (status, _) = app
        .get(&format!("/api/v1/patients/{chart}"), Some(&nosy))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let body = report(&app, &chart, &patient, "").await;
    let refused = items(&body)
        .iter()
        .find(|item| item["outcome"] == "denied")
        .unwrap_or_else(|| panic!("the refusal is reported: {body}"));
    assert_eq!(
        refused["summary"],
        "Another patient's account tried to view your details and was refused"
    );
    assert!(refused["actor_id"].is_null());
    let text = body.to_string();
    assert!(!text.contains("Nora") && !text.contains(&nosy_id), "{text}");

    let mut own = WebSession::new(&app);
    own.sign_in("named@example.org", PASSWORD).await;
    let dashboard = own.get("/patient/dashboard").await;
    assert!(
        dashboard
            .body()
            .contains("Another patient&#39;s account tried to view your details and was refused")
    );
    assert!(!dashboard.body().contains("Nora"));
}

#[tokio::test]
async fn report_pages_are_full_while_more_entries_remain() {
    let app = TestApp::spawn().await;
    let (doctor_id, doctor) = app.doctor("dr.pages@example.org").await;
    let (chart, patient) = app.patient("paged@example.org").await;
    app.join_care_team(&chart, &patient, &doctor_id).await;
    // The patient's own reads, which the report leaves out, between the doctor's.
    for _ in 0..3 {
        app.get(&format!("/api/v1/patients/{chart}"), Some(&doctor))
            .await;
        for _ in 0..3 {
            app.get(&format!("/api/v1/patients/{chart}"), Some(&patient))
                .await;
        }
    }
    let mut seen = 0;
    let mut query = "?limit=2".to_owned();
    loop {
        let body = report(&app, &chart, &patient, &query).await;
        let page = items(&body);
        assert!(!page.is_empty(), "an empty page before the end: {body}");
        assert!(page.iter().all(|item| item["actor_id"] != json!(null)));
        seen += page.len();
        match body["next"].as_str() {
            Some(next) => {
                assert_eq!(page.len(), 2, "a short page before the end: {body}");
                query = format!("?limit=2&cursor={next}");
            }
            None => break,
        }
    }
    // The patient's own acts (adding the doctor, reading) are left out: the doctor's three remain.
    assert_eq!(seen, 3);
}

#[tokio::test]
async fn every_landing_page_is_one_audited_act() {
    let app = TestApp::spawn().await;
    let (doctor_id, _) = app.doctor("dr.landing@example.org").await;
    let (chart, patient) = app.patient("landing@example.org").await;
    app.join_care_team(&chart, &patient, &doctor_id).await;
    app.staff("trainee.landing@example.org", "trainee").await;
    let pages = [
        (
            crate::helpers::ADMIN_EMAIL,
            crate::helpers::ADMIN_PASSWORD,
            "/admin",
            "dashboard.view",
        ),
        (
            "dr.landing@example.org",
            PASSWORD,
            "/doctor/dashboard",
            "dashboard.view",
        ),
        (
            "trainee.landing@example.org",
            PASSWORD,
            "/staff/dashboard",
            "dashboard.view",
        ),
        (
            "landing@example.org",
            PASSWORD,
            "/patient/dashboard",
            "chart.view",
        ),
    ];
    for (email, password, page, action) in pages {
        let mut web = WebSession::new(&app);
        web.sign_in(email, password).await;
        let before = app.audit(medvault_store::AuditFilter::default()).await;
        let newest = before.first().map(|row| row.id);
        assert_eq!(web.get(page).await.status, StatusCode::OK);
        let after = app.audit(medvault_store::AuditFilter::default()).await;
        let new: Vec<_> = after.iter().filter(|row| Some(row.id) > newest).collect();
        assert_eq!(new.len(), 1, "{page}: {new:?}");
        assert_eq!(new[0].entry.action, action, "{page}");
    }
}
