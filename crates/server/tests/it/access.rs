//! Callers without a right get 404 with nothing of the chart in the body, and each denial is
//! audited.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, error_code};

#[tokio::test]
async fn strangers_get_404_for_a_chart_and_its_records_and_each_denial_is_audited() {
    let app = TestApp::spawn().await;
    let (doctor_id, doctor) = app.doctor("dr.care@example.org").await;
    let (_, stranger_doctor) = app.doctor("dr.other@example.org").await;
    let (patient_id, patient) = app.patient("owner@example.org").await;
    let (_, other_patient) = app.patient("nosy@example.org").await;
    app.join_care_team(&patient_id, &patient, &doctor_id).await;
    let secret = "Diagnosis: very private condition";
    let records_path = format!("/api/v1/patients/{patient_id}/records");
    let (_, record) = app
        .post(
            &records_path,
            Some(&doctor),
            &json!({"title": "Private", "notes": secret}),
        )
        .await;
    let record_path = format!("/api/v1/records/{}", record["id"].as_str().expect("id"));
    let chart_path = format!("/api/v1/patients/{patient_id}");

    for (who, token) in [
        ("other doctor", &stranger_doctor),
        ("other patient", &other_patient),
    ] {
        for path in [&chart_path, &records_path, &record_path] {
            let (status, body) = app.get(path, Some(token)).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{who} GET {path}");
            assert_eq!(error_code(&body), "not_found");
            let text = body.to_string();
            assert!(
                !text.contains(secret) && !text.contains("Private") && !text.contains(&patient_id),
                "{who}: {text}"
            );
        }
        let (status, _) = app
            .post(
                &records_path,
                Some(token),
                &json!({"title": "x", "notes": "y"}),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{who} may not write");
        let (_, list) = app.get("/api/v1/patients", Some(token)).await;
        assert!(
            !list.to_string().contains(&patient_id),
            "{who} does not see the chart listed"
        );
    }

    // A chart or record that does not exist looks the same as one that is hidden.
    let (status, body) = app
        .get(
            &format!("/api/v1/records/{}", uuid::Uuid::now_v7()),
            Some(&stranger_doctor),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["message"], "not found");

    let denials = app
        .audit(medvault_store::AuditFilter {
            patient_id: Some(patient_id.parse().unwrap()),
            outcome: Some("denied".into()),
            ..Default::default()
        })
        .await;
    assert_eq!(
        denials.len(),
        8,
        "3 reads and 1 write by each of 2 strangers"
    );
    assert!(
        denials
            .iter()
            .all(|entry| entry.entry.actor_id.is_some() && entry.entry.actor_role.is_some())
    );
    assert!(
        denials
            .iter()
            .any(|entry| entry.entry.resource_id.as_deref() == record["id"].as_str())
    );
    // Ids only: nothing of the record's content in the trail.
    assert!(
        denials
            .iter()
            .all(|entry| !format!("{entry:?}").contains(secret))
    );

    // The patient may not add themselves a doctor's record (their own chart, so 403), nor may a
    // doctor manage care teams.
    let (status, _) = app
        .post(
            &records_path,
            Some(&patient),
            &json!({"title": "x", "notes": "y"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .post(
            &format!("{chart_path}/care-team"),
            Some(&stranger_doctor),
            &json!({"doctor_id": doctor_id}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn admins_see_every_chart_and_patients_only_their_own() {
    let app = TestApp::spawn().await;
    let (first, first_token) = app.patient("one@example.org").await;
    let (second, _) = app.patient("two@example.org").await;
    let admin = app.admin_token().await;
    let (_, all) = app.get("/api/v1/patients", Some(&admin)).await;
    let ids: Vec<&str> = all["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|p| p["id"].as_str())
        .collect();
    assert!(ids.contains(&first.as_str()) && ids.contains(&second.as_str()));
    let (_, own) = app.get("/api/v1/patients", Some(&first_token)).await;
    let own: Vec<&str> = own["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|p| p["id"].as_str())
        .collect();
    assert_eq!(own, [first.as_str()]);
    let (status, _) = app
        .get(&format!("/api/v1/patients/{second}"), Some(&admin))
        .await;
    assert_eq!(status, StatusCode::OK);
    // Searching by name stays within what the caller may see.
    let (_, found) = app.get("/api/v1/patients?q=PATIENT", Some(&admin)).await;
    assert_eq!(found["items"].as_array().map(Vec::len), Some(2), "{found}");
    let (_, found) = app
        .get("/api/v1/patients?q=patient", Some(&first_token))
        .await;
    assert_eq!(found["items"].as_array().map(Vec::len), Some(1), "{found}");
    assert_eq!(found["items"][0]["id"], first.as_str());
    let (_, doctor) = app.doctor("dr.searcher@example.org").await;
    let (_, found) = app.get("/api/v1/patients?q=pat", Some(&doctor)).await;
    assert_eq!(
        found["items"],
        serde_json::json!([]),
        "no chart in their care"
    );
}

#[tokio::test]
async fn care_teams_take_only_active_doctors() {
    let app = TestApp::spawn().await;
    let (patient_id, patient) = app.patient("choosy@example.org").await;
    let other_patient_user = app
        .register("notadoc@example.org", "Not A Doctor", "patient")
        .await;
    let path = format!("/api/v1/patients/{patient_id}/care-team");
    for doctor_id in [
        other_patient_user.as_str(),
        "not-an-id",
        &uuid::Uuid::now_v7().to_string(),
    ] {
        let (status, error) = app
            .post(&path, Some(&patient), &json!({"doctor_id": doctor_id}))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{doctor_id}");
        assert_eq!(error["error"]["field"], "doctor_id");
    }
}
