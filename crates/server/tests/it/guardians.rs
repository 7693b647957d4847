//! Guardians: a patient account (a parent) that sees and manages a dependent's chart as its
//! patient would, and nobody else's; made and ended by the care team or an admin, audited.

use medvault_store::AuditFilter;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, error_code};
use crate::web::{WebSession, signed_in_page};

#[tokio::test]
async fn a_guardian_manages_the_dependents_chart_and_no_other() {
    let app = TestApp::spawn().await;
    let (doctor_id, doctor) = app.doctor("dr.family@example.org").await;
    let (child, child_token) = app.patient("child@example.org").await;
    let (parent_chart, parent) = app.patient("parent@example.org").await;
    let (stranger, _) = app.patient("stranger@example.org").await;
    app.join_care_team(&child, &child_token, &doctor_id).await;
    let (_, me) = app.get("/api/v1/auth/me", Some(&parent)).await;
    let parent_id = me["id"].as_str().expect("user id").to_owned();

    // Before: the parent is a stranger to the child's chart.
    let chart = format!("/api/v1/patients/{child}");
    assert_eq!(
        app.get(&chart, Some(&parent)).await.0,
        StatusCode::NOT_FOUND
    );

    // A patient cannot make themselves (or anyone) a guardian; the care team can.
    let guardians = format!("/api/v1/patients/{child}/guardians");
    let body = json!({"email": "parent@example.org"});
    let (status, _) = app.post(&guardians, Some(&parent), &body).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.post(&guardians, Some(&child_token), &body).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    for (refused, field) in [
        (json!({"email": "child@example.org"}), "email"),
        (json!({"guardian_id": doctor_id}), "guardian_id"),
        (json!({}), "guardian_id"),
    ] {
        let (status, answer) = app.post(&guardians, Some(&doctor), &refused).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
        assert_eq!(error_code(&answer), "invalid_input", "{answer}");
        assert_eq!(answer["error"]["field"], field, "{answer}");
    }
    let (status, added) = app.post(&guardians, Some(&doctor), &body).await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    assert_eq!(added["guardian_id"], parent_id.as_str());

    // Now the parent reads and manages the child's chart as the child would.
    let (status, read) = app.get(&chart, Some(&parent)).await;
    assert_eq!(status, StatusCode::OK, "{read}");
    let (status, listed) = app.get(&guardians, Some(&parent)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed["items"][0]["user_id"], parent_id.as_str());
    let (status, _) = app.get(&format!("{chart}/records"), Some(&parent)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, copy) = app.get(&format!("{chart}/export"), Some(&parent)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(copy["guardians"][0]["user_id"], parent_id.as_str());
    let version = read["version"].as_i64().expect("version");
    let edited = app
        .http
        .patch(app.url(&chart))
        .bearer_auth(&parent)
        .header("if-match", format!("\"{version}\""))
        .json(&json!({"city": "Tartu"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(edited.status(), StatusCode::OK);
    // ... but what only the care team changes stays theirs, and another chart stays closed.
    let (status, _) = app
        .post(
            &format!("{chart}/allergies"),
            Some(&parent),
            &json!({"substance": "Peanut"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.get(&format!("/api/v1/patients/{stranger}"), Some(&parent))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let (_, mine) = app.get("/api/v1/patients", Some(&parent)).await;
    let mut ids: Vec<&str> = mine["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|chart| chart["id"].as_str().expect("id"))
        .collect();
    ids.sort_unstable();
    let mut expected = vec![child.as_str(), parent_chart.as_str()];
    expected.sort_unstable();
    assert_eq!(ids, expected, "their own chart and their dependent's");

    // The child's access report names the parent as their guardian, not as "another patient".
    let (status, report) = app
        .get(&format!("{chart}/access-report"), Some(&child_token))
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert!(
        report["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|item| item["actor_name"] == "Pat Patient (guardian)"),
        "{report}"
    );

    // The parent's page lists the child's chart; the chart's page names the guardian.
    let home = signed_in_page(&app, "parent@example.org", "/patient/dashboard").await;
    assert!(home.contains("Charts you look after"), "{home}");
    assert!(home.contains(&format!("/patients/{child}")), "{home}");
    let page = signed_in_page(&app, "parent@example.org", &format!("/patients/{child}")).await;
    assert!(page.contains("Guardians"), "{page}");
    let copy = signed_in_page(
        &app,
        "parent@example.org",
        &format!("/patients/{child}/copy"),
    )
    .await;
    assert!(copy.contains("The whole chart, as of"), "{copy}");
    assert!(
        copy.contains("Tartu"),
        "the copy holds the chart's details: {copy}"
    );

    // Ended: the access ends at once; each act is in the trail, once.
    let ended = app
        .delete(&format!("{guardians}/{parent_id}"), Some(&doctor))
        .await;
    assert_eq!(ended, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get(&chart, Some(&parent)).await.0,
        StatusCode::NOT_FOUND
    );
    for action in ["guardian.add", "guardian.end"] {
        let entries = app
            .audit(AuditFilter {
                actions: vec![action.into()],
                outcome: Some("success".into()),
                ..Default::default()
            })
            .await;
        assert_eq!(entries.len(), 1, "{action}");
        let entry = &entries[0].entry;
        assert_eq!(entry.patient_id.as_deref(), Some(child.as_str()));
        assert_eq!(entry.resource_id.as_deref(), Some(parent_id.as_str()));
    }
}

#[tokio::test]
async fn a_care_team_doctor_adds_a_guardian_from_the_chart_page() {
    let app = TestApp::spawn().await;
    let (doctor_id, _) = app.doctor("dr.page@example.org").await;
    let (child, child_token) = app.patient("kid@example.org").await;
    app.patient("mum@example.org").await;
    app.join_care_team(&child, &child_token, &doctor_id).await;

    let mut web = WebSession::new(&app);
    web.sign_in("dr.page@example.org", crate::helpers::PASSWORD)
        .await;
    let page = web.get(&format!("/patients/{child}")).await;
    let action = format!("/patients/{child}/guardians");
    assert!(page.has_form(&action), "{}", page.html);
    let csrf = page.csrf();
    let refused = web
        .post(
            &action,
            &[("csrf", &csrf), ("email", "dr.page@example.org")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body().contains("is not an active patient account"),
        "{}",
        refused.html
    );
    let added = web
        .post(&action, &[("csrf", &csrf), ("email", "mum@example.org")])
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.html);
    let page = web.get(added.location().expect("onward")).await;
    assert!(page.body().contains("Guardian added"), "{}", page.html);
    assert!(page.body().contains("Pat Patient"), "{}", page.html);
}
