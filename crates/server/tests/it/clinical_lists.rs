//! A chart's allergies and problem list: recorded by the care team with who and when, changed
//! by version, read by whoever reads the chart's records, never by interns.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, answer, error_code};

#[tokio::test]
async fn the_care_team_records_allergies_and_problems_and_changes_them_by_version() {
    let app = TestApp::spawn().await;
    let (doctor_id, doctor) = app.doctor("dr.list@example.org").await;
    let (chart, patient) = app.patient("lin@example.org").await;
    app.join_care_team(&chart, &patient, &doctor_id).await;

    let allergies = format!("/api/v1/patients/{chart}/allergies");
    let (status, allergy) = app
        .post(
            &allergies,
            Some(&doctor),
            &json!({"substance": "Amoxicillin", "reaction": "hives", "severity": "moderate"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{allergy}");
    assert_eq!(allergy["status"], "active");
    assert_eq!(allergy["recorded_by"], doctor_id.as_str());
    assert_eq!(allergy["recorded_by_name"], "Dr. Test");
    assert_eq!(allergy["version"], 1);

    for (body, field) in [
        (json!({"reaction": "hives"}), "substance"),
        (
            json!({"substance": "Nuts", "severity": "deadly"}),
            "severity",
        ),
        (json!({"substance": "Nuts", "status": "gone"}), "status"),
        (json!({"substance": "Nuts", "colour": "red"}), "colour"),
    ] {
        let (status, refused) = app.post(&allergies, Some(&doctor), &body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(refused["error"]["field"], field, "{body}: {refused}");
    }

    // Resolved, by version; the rest of it stays.
    let id = allergy["id"].as_str().expect("id");
    let patch = |version: Option<i64>, body: serde_json::Value| {
        let mut request = app
            .http
            .patch(app.url(&format!("/api/v1/allergies/{id}")))
            .bearer_auth(&doctor)
            .json(&body);
        if let Some(version) = version {
            request = request.header("if-match", format!("\"{version}\""));
        }
        async move { answer(request.send().await.expect("sent")).await }
    };
    let (status, body) = patch(None, json!({"status": "resolved"})).await;
    assert_eq!(status, StatusCode::PRECONDITION_REQUIRED);
    assert_eq!(error_code(&body), "precondition_required");
    let (status, resolved) = patch(Some(1), json!({"status": "resolved", "severity": null})).await;
    assert_eq!(status, StatusCode::OK, "{resolved}");
    assert_eq!(resolved["status"], "resolved");
    assert!(resolved["severity"].is_null(), "null clears it");
    assert_eq!(resolved["reaction"], "hives");
    assert_eq!(resolved["version"], 2);
    let (status, _) = patch(Some(1), json!({"status": "active"})).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);

    let problems = format!("/api/v1/patients/{chart}/problems");
    let (status, problem) = app
        .post(
            &problems,
            Some(&doctor),
            &json!({"condition": "Type 2 diabetes mellitus", "onset": "2019-03-01"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{problem}");
    assert_eq!(problem["onset"], "2019-03-01");
    let (status, refused) = app
        .post(
            &problems,
            Some(&doctor),
            &json!({"condition": "Gout", "onset": "2999-01-01"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused["error"]["field"], "onset");

    // The patient reads both lists; every read and write is in the trail.
    let (status, listed) = app.get(&allergies, Some(&patient)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(1));
    let (_, listed) = app.get(&problems, Some(&patient)).await;
    assert_eq!(listed["items"][0]["condition"], "Type 2 diabetes mellitus");
    for (action, count) in [
        ("allergy.record", 1),
        ("allergy.update", 1),
        ("allergy.list", 1),
        ("problem.record", 1),
        ("problem.list", 1),
    ] {
        let filter = medvault_store::AuditFilter {
            patient_id: Some(chart.parse().expect("id")),
            actions: vec![action.to_owned()],
            outcome: Some("success".to_owned()),
            ..Default::default()
        };
        assert_eq!(app.audit(filter).await.len(), count, "{action}");
    }
}

#[tokio::test]
async fn interns_see_the_chart_but_not_its_allergies_and_the_chart_page_shows_both_lists() {
    let app = TestApp::spawn().await;
    let (doctor_id, doctor) = app.doctor("dr.page@example.org").await;
    let (chart, patient) = app.patient("max@example.org").await;
    app.join_care_team(&chart, &patient, &doctor_id).await;
    let intern = app.staff("intern.max@example.org", "intern").await;
    let (status, _) = app
        .post(
            &format!("/api/v1/patients/{chart}/intern-grants"),
            Some(&doctor),
            &json!({"intern_id": intern, "hours": 4}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    app.post(
        &format!("/api/v1/patients/{chart}/allergies"),
        Some(&doctor),
        &json!({"substance": "Sulfamethoxazole", "severity": "severe"}),
    )
    .await;
    let intern_token = app
        .login("intern.max@example.org", crate::helpers::PASSWORD)
        .await;
    let (status, _) = app
        .get(&format!("/api/v1/patients/{chart}"), Some(&intern_token))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app
        .get(
            &format!("/api/v1/patients/{chart}/allergies"),
            Some(&intern_token),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(!body.to_string().contains("Sulfamethoxazole"));

    let page =
        crate::web::signed_in_page(&app, "dr.page@example.org", &format!("/patients/{chart}"))
            .await;
    assert!(page.contains("Sulfamethoxazole"));
    assert!(page.contains(r#"action="/patients/"#) && page.contains("/allergies\""));
    let intern_page = crate::web::signed_in_page(
        &app,
        "intern.max@example.org",
        &format!("/patients/{chart}"),
    )
    .await;
    assert!(
        !intern_page.contains("Sulfamethoxazole"),
        "no allergies for interns"
    );
}

#[tokio::test]
async fn the_patient_downloads_the_whole_chart_as_one_audited_export() {
    let app = TestApp::spawn().await;
    let (doctor_id, doctor) = app.doctor("dr.copy@example.org").await;
    let (chart, patient) = app.patient("kim@example.org").await;
    app.join_care_team(&chart, &patient, &doctor_id).await;
    app.post(
        &format!("/api/v1/patients/{chart}/allergies"),
        Some(&doctor),
        &json!({"substance": "Ibuprofen", "reaction": "wheeze"}),
    )
    .await;
    app.post(
        &format!("/api/v1/patients/{chart}/problems"),
        Some(&doctor),
        &json!({"condition": "Migraine"}),
    )
    .await;
    let (_, record) = app
        .post(
            &format!("/api/v1/patients/{chart}/records"),
            Some(&doctor),
            &json!({"title": "Visit", "notes": "First words."}),
        )
        .await;
    let record_id = record["id"].as_str().expect("id");
    let amended = app
        .http
        .put(app.url(&format!("/api/v1/records/{record_id}")))
        .bearer_auth(&doctor)
        .header("if-match", "\"1\"")
        .json(&json!({"title": "Visit", "notes": "Second words."}))
        .send()
        .await
        .expect("sent");
    assert_eq!(amended.status(), StatusCode::OK);

    let response = app
        .http
        .get(app.url(&format!("/api/v1/patients/{chart}/export")))
        .bearer_auth(&patient)
        .send()
        .await
        .expect("sent");
    let disposition = response
        .headers()
        .get("content-disposition")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let (status, copy) = answer(response).await;
    assert_eq!(status, StatusCode::OK, "{copy}");
    let mrn = copy["patient"]["mrn"].as_str().expect("mrn");
    assert_eq!(
        disposition,
        format!("attachment; filename=\"chart-{mrn}.json\"")
    );
    assert_eq!(copy["allergies"][0]["substance"], "Ibuprofen");
    assert_eq!(copy["problems"][0]["condition"], "Migraine");
    assert_eq!(copy["records"][0]["record"]["notes"], "Second words.");
    assert_eq!(copy["records"][0]["versions"][0]["notes"], "First words.");
    assert_eq!(copy["care_team"][0]["user_id"], doctor_id.as_str());

    let exports = medvault_store::AuditFilter {
        patient_id: Some(chart.parse().expect("id")),
        actions: vec!["chart.export".to_owned()],
        ..Default::default()
    };
    assert_eq!(app.audit(exports).await.len(), 1, "one export, one entry");

    let (_, stranger) = app.patient("someone@example.org").await;
    let (status, body) = app
        .get(&format!("/api/v1/patients/{chart}/export"), Some(&stranger))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!body.to_string().contains("Ibuprofen"));
}
