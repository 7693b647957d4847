//! The audit viewer: filters by a user's and a patient's name, by actions and by bare days,
//! shows names and words rather than ids and codes, and exports CSV.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, TestApp};
use crate::web::WebSession;

#[tokio::test]
async fn the_viewer_filters_by_names_actions_and_days_and_exports_csv() {
    let app = TestApp::spawn().await;
    let (doctor_id, doctor) = app.doctor("dr.audited@example.org").await;
    app.register("vera@example.org", "Vera Viewed", "patient")
        .await;
    let vera = app.login("vera@example.org", PASSWORD).await;
    let (_, me) = app.get("/api/v1/auth/me", Some(&vera)).await;
    let chart = me["patient_id"].as_str().expect("chart").to_owned();
    app.join_care_team(&chart, &vera, &doctor_id).await;
    let reason = "=HYPERLINK(\"http://evil.example\") emergency";
    app.get(&format!("/api/v1/patients/{chart}"), Some(&doctor))
        .await;
    let (status, _) = app
        .post(
            &format!("/api/v1/patients/{chart}/records"),
            Some(&doctor),
            &json!({"title": "Seen", "notes": "Fine"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, outsider) = app.doctor("dr.outsider@example.org").await;
    app.post(
        &format!("/api/v1/patients/{chart}/emergency-access"),
        Some(&outsider),
        &json!({ "reason": reason }),
    )
    .await;

    let mut admin = WebSession::new(&app);
    admin.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let today = app.clock.now().date().format("%Y-%m-%d").to_string();
    let page = admin
        .get(&format!(
            "/audit?user=DR.AUDITED&patient=vera&action=record.create&since={today}&until={today}"
        ))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let body = page.body();
    assert_eq!(
        body.matches("<tr>").count() - 1,
        1,
        "one entry matches: {body}"
    );
    assert!(
        body.contains("Dr. Test") && body.contains("Vera Viewed"),
        "names, not ids"
    );
    assert!(body.contains("added a record"), "the act in words");
    assert!(
        !body.contains(&chart),
        "the chart's id is not shown as the patient"
    );

    // A day before the entries finds none; an unknown action is refused, not ignored.
    let page = admin.get("/audit?since=2020-01-01&until=2020-01-01").await;
    assert!(page.body().contains("No entries match."));
    let page = admin.get("/audit?action=record.delete").await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    let admin_token = app.admin_token().await;
    let (status, found) = app
        .get(
            "/api/v1/audit?action=record.create,patient.read&user=dr.audited",
            Some(&admin_token),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{found}");
    let codes: Vec<&str> = found["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item["action"].as_str().expect("action"))
        .collect();
    assert_eq!(codes, ["record.create", "patient.read"]);

    let export = admin
        .get(&format!("/audit.csv?patient=vera&since={today}"))
        .await;
    assert_eq!(export.status, StatusCode::OK);
    assert!(
        export.headers["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("text/csv")
    );
    assert!(
        export.headers["content-disposition"]
            .to_str()
            .expect("ascii")
            .contains("attachment")
    );
    let csv = &export.html;
    assert!(csv.starts_with("id,at,actor_id,actor_name"), "{csv}");
    assert!(csv.contains("Vera Viewed") && csv.contains("record.create"));
    assert!(
        csv.contains("\"'=HYPERLINK(\"\"http://evil.example\"\") emergency\""),
        "a formula is defused: {csv}"
    );
    // Exporting is itself audited, once.
    let exports = app
        .audit(medvault_store::AuditFilter {
            actions: vec!["audit.export".into()],
            ..Default::default()
        })
        .await;
    assert_eq!(exports.len(), 1);

    // Patients do not read the trail.
    let mut patient = WebSession::new(&app);
    patient.sign_in("vera@example.org", PASSWORD).await;
    assert_eq!(
        patient.get("/audit.csv").await.location(),
        Some("/patient/dashboard")
    );
}
