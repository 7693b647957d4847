//! Trainees, interns and emergency access, with the clock moved forward where time matters.

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, error_code};

/// A doctor with one patient in their care: (doctor token, patient chart id, patient token).
async fn doctor_with_patient(app: &TestApp) -> (String, String, String) {
    let (doctor_id, doctor) = app.doctor("dr.lead@example.org").await;
    let (patient_id, patient) = app.patient("cared@example.org").await;
    app.join_care_team(&patient_id, &patient, &doctor_id).await;
    let (status, _) = app
        .post(
            &format!("/api/v1/patients/{patient_id}/records"),
            Some(&doctor),
            &json!({"title": "Note", "notes": "Clinical detail"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    (doctor, patient_id, patient)
}

#[tokio::test]
async fn a_linked_trainee_reads_the_chart_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let (doctor, patient_id, _) = doctor_with_patient(&app).await;
    let (other_id, _) = app.patient("other@example.org").await;
    let trainee_id = app.staff("trainee@example.org", "trainee").await;
    let trainee = app.login("trainee@example.org", PASSWORD).await;
    let chart = format!("/api/v1/patients/{patient_id}");
    assert_eq!(
        app.get(&chart, Some(&trainee)).await.0,
        StatusCode::NOT_FOUND,
        "not linked yet"
    );

    let (status, _) = app
        .post(
            &format!("{chart}/trainees"),
            Some(&doctor),
            &json!({"trainee_id": trainee_id}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(app.get(&chart, Some(&trainee)).await.0, StatusCode::OK);
    let (status, records) = app.get(&format!("{chart}/records"), Some(&trainee)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(records["items"][0]["notes"], "Clinical detail");
    let (_, list) = app.get("/api/v1/patients", Some(&trainee)).await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1));

    let (status, _) = app
        .post(
            &format!("{chart}/records"),
            Some(&trainee),
            &json!({"title": "t", "notes": "n"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "trainees write nothing (the chart is theirs to read, so 403)"
    );
    assert_eq!(
        app.get(&format!("/api/v1/patients/{other_id}"), Some(&trainee))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    // Only an intern gets grants and only a trainee gets links.
    let (status, error) = app
        .post(
            &format!("{chart}/intern-grants"),
            Some(&doctor),
            &json!({"intern_id": trainee_id}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error["error"]["field"], "intern_id");
    // A doctor off the care team cannot link anyone.
    let (_, stranger) = app.doctor("dr.far@example.org").await;
    let (status, _) = app
        .post(
            &format!("{chart}/trainees"),
            Some(&stranger),
            &json!({"trainee_id": trainee_id}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_intern_grant_works_until_its_end_and_not_one_second_after() {
    // Tokens outlive the shift here, so that the grant is what ends the session.
    let app = TestApp::spawn_with(
        crate::helpers::TestDb::new(),
        &[("MEDVAULT_TOKEN_TTL_SECS", "86400")],
    )
    .await;
    let (doctor, patient_id, _) = doctor_with_patient(&app).await;
    let intern_id = app.staff("intern@example.org", "intern").await;
    let (status, error) = app
        .post(
            "/api/v1/auth/login",
            None,
            &json!({"email": "intern@example.org", "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no grant, no sign-in");
    assert_eq!(error_code(&error), "no_active_grant");

    let chart = format!("/api/v1/patients/{patient_id}");
    for hours in [0.0, -1.0, 12.5, 1e300, f64::MAX] {
        let (status, _) = app
            .post(
                &format!("{chart}/intern-grants"),
                Some(&doctor),
                &json!({"intern_id": intern_id, "hours": hours}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{hours} hours");
    }
    let (status, grant) = app
        .post(
            &format!("{chart}/intern-grants"),
            Some(&doctor),
            &json!({"intern_id": intern_id, "hours": 8}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{grant}");
    let intern = app.login("intern@example.org", PASSWORD).await;
    let (status, shown) = app.get(&chart, Some(&intern)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(shown["id"], patient_id.as_str());
    // Demographics only: never the clinical notes.
    let (status, body) = app.get(&format!("{chart}/records"), Some(&intern)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(!body.to_string().contains("Clinical detail"));

    let ends_at = chrono::DateTime::parse_from_rfc3339(grant["ends_at"].as_str().expect("end"))
        .expect("time")
        .naive_utc();
    // Exactly one second before the end, then one second after: the clock stands still between.
    app.clock.freeze_at(ends_at - Duration::seconds(1));
    assert_eq!(
        app.get(&chart, Some(&intern)).await.0,
        StatusCode::OK,
        "one second before the end"
    );
    app.clock.advance(Duration::seconds(2));
    let (status, error) = app.get(&chart, Some(&intern)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "one second after the end");
    assert_eq!(error_code(&error), "unauthenticated");
}

#[tokio::test]
async fn exit_ends_an_intern_grant_at_once_on_every_server() {
    let first = TestApp::spawn().await;
    let second = first.twin().await;
    let (doctor, patient_id, _) = doctor_with_patient(&first).await;
    let intern_id = first.staff("shift@example.org", "intern").await;
    let chart = format!("/api/v1/patients/{patient_id}");
    let (_, grant) = first
        .post(
            &format!("{chart}/intern-grants"),
            Some(&doctor),
            &json!({"intern_id": intern_id, "hours": 4}),
        )
        .await;
    let intern_on_second = second.login("shift@example.org", PASSWORD).await;
    assert_eq!(
        second.get(&chart, Some(&intern_on_second)).await.0,
        StatusCode::OK
    );

    let (status, ended) = first
        .post(
            &format!(
                "/api/v1/intern-grants/{}/end",
                grant["id"].as_str().expect("id")
            ),
            Some(&doctor),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(ended["ended_at"].is_string());
    second.honoured_after_end(&chart, &intern_on_second).await;

    // A new grant lets them back in; deactivating the account ends it again, at once.
    first
        .post(
            &format!("{chart}/intern-grants"),
            Some(&doctor),
            &json!({"intern_id": intern_id, "hours": 4}),
        )
        .await;
    let again = second.login("shift@example.org", PASSWORD).await;
    assert_eq!(second.get(&chart, Some(&again)).await.0, StatusCode::OK);
    let admin = first.admin_token().await;
    let (status, _) = first
        .post(
            &format!("/api/v1/users/{intern_id}/deactivate"),
            Some(&admin),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    second.honoured_after_end(&chart, &again).await;
    let (_, grants) = first.get("/api/v1/intern-grants", Some(&admin)).await;
    assert!(
        grants["items"]
            .as_array()
            .expect("grants")
            .iter()
            .all(|g| g["ended_at"].is_string())
    );
}

#[tokio::test]
async fn emergency_access_opens_a_chart_for_a_while_and_is_flagged_everywhere() {
    let app = TestApp::spawn().await;
    let (_, patient_id, patient) = doctor_with_patient(&app).await;
    let (er_doctor_id, er_doctor) = app.doctor("dr.er@example.org").await;
    let chart = format!("/api/v1/patients/{patient_id}");
    assert_eq!(
        app.get(&chart, Some(&er_doctor)).await.0,
        StatusCode::NOT_FOUND
    );

    let (status, error) = app
        .post(
            &format!("{chart}/emergency-access"),
            Some(&er_doctor),
            &json!({"reason": "urgent"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a reason must say why"
    );
    assert_eq!(error["error"]["field"], "reason");
    let reason = "Unconscious in the emergency room, allergies unknown";
    let (status, opened) = app
        .post(
            &format!("{chart}/emergency-access"),
            Some(&er_doctor),
            &json!({"reason": reason}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{opened}");
    assert_eq!(app.get(&chart, Some(&er_doctor)).await.0, StatusCode::OK);
    let (status, records) = app.get(&format!("{chart}/records"), Some(&er_doctor)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(records["items"][0]["notes"], "Clinical detail");

    // Flagged in the trail, with the reason where it was given.
    let flagged = app
        .audit(medvault_store::AuditFilter {
            actor_id: Some(er_doctor_id.parse().unwrap()),
            outcome: Some("success".into()),
            ..Default::default()
        })
        .await;
    let chart_reads: Vec<_> = flagged
        .iter()
        .filter(|e| e.entry.patient_id.as_deref() == Some(patient_id.as_str()))
        .collect();
    assert_eq!(chart_reads.len(), 3, "the opening and two reads");
    assert!(chart_reads.iter().all(|e| e.entry.emergency));
    assert!(
        chart_reads
            .iter()
            .any(|e| e.entry.reason.as_deref() == Some(reason))
    );

    // Admins see it; the patient sees it in their access report.
    let admin = app.admin_token().await;
    let (_, accesses) = app.get("/api/v1/emergency-accesses", Some(&admin)).await;
    assert_eq!(accesses["items"][0]["reason"], reason);
    let (status, report) = app
        .get(&format!("{chart}/access-report"), Some(&patient))
        .await;
    assert_eq!(status, StatusCode::OK);
    let by_er: Vec<_> = report["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|i| i["actor_id"] == er_doctor_id.as_str())
        .collect();
    assert!(by_er.iter().all(|i| i["actor_name"] == "Dr. Test"));
    let (denied, granted): (Vec<&serde_json::Value>, Vec<&serde_json::Value>) = by_er
        .iter()
        .copied()
        .partition(|i| i["outcome"] == "denied");
    assert_eq!(
        denied.len(),
        1,
        "the refused look before the glass was broken"
    );
    assert!(granted.iter().all(|i| i["emergency"] == true));
    assert!(granted.iter().any(|i| i["action"] == "record.list"));

    // It ends by itself.
    app.clock.advance(Duration::minutes(61));
    let er_doctor = app.login("dr.er@example.org", PASSWORD).await;
    assert_eq!(
        app.get(&chart, Some(&er_doctor)).await.0,
        StatusCode::NOT_FOUND
    );
    let patient = app.login("cared@example.org", PASSWORD).await;
    // Patients, trainees and admins cannot break the glass: on their own chart a patient is told
    // it is open to them already, on another's that there is no such chart.
    let (status, _) = app
        .post(
            &format!("{chart}/emergency-access"),
            Some(&patient),
            &json!({"reason": reason}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (_, stranger) = app.patient("stranger.glass@example.org").await;
    let (status, _) = app
        .post(
            &format!("{chart}/emergency-access"),
            Some(&stranger),
            &json!({"reason": reason}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// The user ids listed under `path` (a care team, a chart's trainees).
async fn member_ids(app: &TestApp, path: &str, token: &str) -> Vec<String> {
    let (status, body) = app.get(path, Some(token)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|member| member["user_id"].as_str().expect("user_id").to_owned())
        .collect()
}

#[tokio::test]
async fn unlinking_a_trainee_or_leaving_a_care_team_ends_access_at_once_on_every_server() {
    let app = TestApp::spawn().await;
    let other_server = app.twin().await;
    let (doctor, patient_id, patient) = doctor_with_patient(&app).await;
    let (_, me) = app.get("/api/v1/auth/me", Some(&doctor)).await;
    let doctor_id = me["id"].as_str().expect("id").to_owned();
    let trainee_id = app.staff("unlinked@example.org", "trainee").await;
    let trainee = app.login("unlinked@example.org", PASSWORD).await;
    let chart = format!("/api/v1/patients/{patient_id}");
    let (status, _) = app
        .post(
            &format!("{chart}/trainees"),
            Some(&doctor),
            &json!({"trainee_id": trainee_id}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        member_ids(&app, &format!("{chart}/trainees"), &doctor).await,
        vec![trainee_id.as_str()]
    );
    assert_eq!(
        other_server.get(&chart, Some(&trainee)).await.0,
        StatusCode::OK
    );

    // The trainee cannot unlink themselves; the care-team doctor can, and it holds everywhere.
    let unlink = format!("{chart}/trainees/{trainee_id}");
    assert_eq!(
        app.delete(&unlink, Some(&trainee)).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.delete(&unlink, Some(&doctor)).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        other_server.get(&chart, Some(&trainee)).await.0,
        StatusCode::NOT_FOUND
    );
    assert!(
        member_ids(&app, &format!("{chart}/trainees"), &doctor)
            .await
            .is_empty()
    );
    assert_eq!(
        app.delete(&unlink, Some(&doctor)).await,
        StatusCode::NO_CONTENT,
        "unlinking again changes nothing"
    );

    // The patient takes the doctor off their care team: the doctor's access ends with it.
    assert_eq!(
        member_ids(&app, &format!("{chart}/care-team"), &patient).await,
        vec![doctor_id.as_str()]
    );
    let dashboard = || crate::web::signed_in_page(&app, "dr.lead@example.org", "/doctor/dashboard");
    assert!(
        dashboard().await.contains("Clinical detail"),
        "their record, listed"
    );
    let leave = format!("{chart}/care-team/{doctor_id}");
    assert_eq!(
        app.delete(&leave, Some(&doctor)).await,
        StatusCode::FORBIDDEN,
        "a doctor does not decide who treats the patient"
    );
    assert_eq!(
        app.delete(&leave, Some(&patient)).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        other_server
            .get(&format!("{chart}/records"), Some(&doctor))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert!(
        member_ids(&app, &format!("{chart}/care-team"), &patient)
            .await
            .is_empty()
    );
    assert!(
        !dashboard().await.contains("Clinical detail"),
        "records they wrote leave their dashboard with the patient"
    );
    for action in ["trainee.unlink", "care_team.remove"] {
        let entries = app
            .audit(medvault_store::AuditFilter {
                actions: vec![action.into()],
                patient_id: Some(patient_id.parse().unwrap()),
                ..Default::default()
            })
            .await;
        assert!(!entries.is_empty(), "{action} audited");
    }
}
