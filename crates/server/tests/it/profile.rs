//! A chart's profile: record numbers, contact details, search, and edits that name the version
//! they were made on.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, answer, error_code};
use crate::web::WebSession;

/// Sends a profile edit with `If-Match: "version"` (none when `None`).
async fn patch(
    app: &TestApp,
    patient: &str,
    token: &str,
    version: Option<i64>,
    body: &Value,
) -> (StatusCode, Option<String>, Value) {
    let mut request = app
        .http
        .patch(app.url(&format!("/api/v1/patients/{patient}")))
        .bearer_auth(token)
        .json(body);
    if let Some(version) = version {
        request = request.header("if-match", format!("\"{version}\""));
    }
    let response = request.send().await.expect("sent");
    let etag = response
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let (status, body) = answer(response).await;
    (status, etag, body)
}

async fn updates_of(app: &TestApp, patient: &str, outcome: &str) -> usize {
    let filter = medvault_store::AuditFilter {
        patient_id: Some(patient.parse().expect("id")),
        actions: vec!["patient.update".to_owned()],
        outcome: Some(outcome.to_owned()),
        ..Default::default()
    };
    app.audit(filter).await.len()
}

#[tokio::test]
async fn every_chart_gets_the_next_record_number_and_keeps_its_whole_profile() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let full = json!({
        "name": "Ana Lima", "birth_date": "1984-03-09", "sex": "female",
        "phone": "+351 21 000 0000", "email": "Ana.Lima@Example.org",
        "address_line": "Rua Augusta 10\n2º Esq", "city": "Lisboa", "region": "Lisboa",
        "postal_code": "1100-053", "country": "Portugal",
        "emergency_contact_name": "Rui Lima", "emergency_contact_relationship": "brother",
        "emergency_contact_phone": "+351 91 000 0000", "preferred_language": "pt_pt"
    });
    let (status, ana) = app.post("/api/v1/patients", Some(&admin), &full).await;
    assert_eq!(status, StatusCode::CREATED, "{ana}");
    let (_, ben) = app
        .post(
            "/api/v1/patients",
            Some(&admin),
            &json!({"name": "Ben Ode"}),
        )
        .await;
    let number = |chart: &Value| -> i64 {
        let mrn = chart["mrn"].as_str().expect("mrn");
        assert!(
            mrn.len() >= 9 && mrn.starts_with("MV-"),
            "record number {mrn}"
        );
        mrn[3..].parse().expect("digits")
    };
    assert_eq!(number(&ben), number(&ana) + 1, "numbers are given in order");
    assert_eq!(ana["preferred_language"], "pt-PT");
    assert_eq!(ana["postal_code"], "1100-053");
    assert_eq!(ana["address_line"], "Rua Augusta 10\n2º Esq");
    assert_eq!(ana["version"], 1);
    assert!(ben["city"].is_null() && ben["birth_date"].is_null());

    let id = ana["id"].as_str().expect("id");
    let response = app
        .http
        .get(app.url(&format!("/api/v1/patients/{id}")))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("sent");
    assert_eq!(
        response.headers().get("etag").and_then(|v| v.to_str().ok()),
        Some("\"1\"")
    );
    let (_, read) = answer(response).await;
    assert_eq!(read["emergency_contact_name"], "Rui Lima");
    assert_eq!(read["mrn"], ana["mrn"]);

    // Search by record number (as printed, or its digits), birth date and name, each alone or
    // together; a number typed badly is the caller's mistake, named.
    let found = |query: String| {
        let admin = admin.clone();
        let app = &app;
        async move {
            let (status, page) = app
                .get(&format!("/api/v1/patients?{query}"), Some(&admin))
                .await;
            assert_eq!(status, StatusCode::OK, "{query}: {page}");
            page["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|chart| chart["name"].as_str().expect("name").to_owned())
                .collect::<Vec<_>>()
        }
    };
    let mrn = ana["mrn"].as_str().expect("mrn");
    assert_eq!(found(format!("mrn={mrn}")).await, ["Ana Lima"]);
    let digits = number(&ana).to_string();
    assert_eq!(found(format!("mrn={digits}")).await, ["Ana Lima"]);
    assert_eq!(found("birth_date=1984-03-09".into()).await, ["Ana Lima"]);
    assert_eq!(
        found("q=lima&birth_date=1984-03-09".into()).await,
        ["Ana Lima"]
    );
    assert!(found("q=ben&birth_date=1984-03-09".into()).await.is_empty());
    let (status, body) = app.get("/api/v1/patients?mrn=MV-12x", Some(&admin)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["field"], "mrn");
    let (status, body) = app
        .get("/api/v1/patients?birth_date=09/03/1984", Some(&admin))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["field"], "birth_date");

    // A doctor finds only the charts of their care team, whatever the search.
    let (_, doctor) = app.doctor("dr.search@example.org").await;
    let (status, page) = app
        .get(&format!("/api/v1/patients?mrn={mrn}"), Some(&doctor))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["items"], json!([]));
}

#[tokio::test]
async fn an_edit_names_the_version_it_was_made_on() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let (_, chart) = app
        .post(
            "/api/v1/patients",
            Some(&admin),
            &json!({"name": "Cleo Vance", "phone": "555 0100", "city": "Leeds"}),
        )
        .await;
    let id = chart["id"].as_str().expect("id");

    let (status, _, body) = patch(&app, id, &admin, None, &json!({"city": "York"})).await;
    assert_eq!(status, StatusCode::PRECONDITION_REQUIRED);
    assert_eq!(error_code(&body), "precondition_required");

    let (status, etag, edited) = patch(
        &app,
        id,
        &admin,
        Some(1),
        &json!({"city": "York", "phone": null, "preferred_language": "en-gb"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(etag.as_deref(), Some("\"2\""));
    assert_eq!(edited["version"], 2);
    assert_eq!(edited["city"], "York");
    assert!(edited["phone"].is_null(), "null clears a field");
    assert_eq!(edited["name"], "Cleo Vance", "a field left out stays");
    assert_eq!(edited["preferred_language"], "en-GB");

    // Made on version 1, which is no longer current: refused, with the current ETag.
    let (status, etag, body) = patch(&app, id, &admin, Some(1), &json!({"city": "Hull"})).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(error_code(&body), "version_mismatch");
    assert_eq!(etag.as_deref(), Some("\"2\""));

    for (body, field) in [
        (json!({"name": null}), "name"),
        (json!({"sex": "f"}), "sex"),
        (
            json!({"emergency_contact_phone": "ring ring"}),
            "emergency_contact_phone",
        ),
        (json!({"postal_code": "<b>"}), "postal_code"),
        (json!({}), "profile"),
        (json!({"mrn": "MV-000001"}), "mrn"),
    ] {
        let (status, _, refused) = patch(&app, id, &admin, Some(2), &body).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {refused}"
        );
        assert_eq!(refused["error"]["field"], field, "{body}: {refused}");
    }
    let (_, read) = app
        .get(&format!("/api/v1/patients/{id}"), Some(&admin))
        .await;
    assert_eq!(read["version"], 2, "refused edits change nothing");
    assert_eq!(read["city"], "York");
    assert_eq!(updates_of(&app, id, "success").await, 1);
}

#[tokio::test]
async fn two_edits_made_on_one_version_at_once_give_one_success_and_one_refusal() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let (_, chart) = app
        .post(
            "/api/v1/patients",
            Some(&admin),
            &json!({"name": "Dee Race"}),
        )
        .await;
    let id = chart["id"].as_str().expect("id");
    let (oslo, bergen) = (json!({"city": "Oslo"}), json!({"city": "Bergen"}));
    let first = patch(&app, id, &admin, Some(1), &oslo);
    let second = patch(&app, id, &admin, Some(1), &bergen);
    let ((one, _, _), (two, _, _)) = tokio::join!(first, second);
    let mut statuses = [one, two];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::PRECONDITION_FAILED]);
    let (_, read) = app
        .get(&format!("/api/v1/patients/{id}"), Some(&admin))
        .await;
    assert_eq!(read["version"], 2);
    assert_eq!(updates_of(&app, id, "success").await, 1);
}

#[tokio::test]
async fn a_patient_keeps_their_contact_details_but_not_who_they_are_on_record() {
    let app = TestApp::spawn().await;
    let (chart, patient) = app.patient("eve@example.org").await;
    let (status, _, edited) = patch(
        &app,
        &chart,
        &patient,
        Some(1),
        &json!({"phone": "555 0199", "emergency_contact_name": "Mo", "emergency_contact_phone": "555 0198"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(edited["emergency_contact_name"], "Mo");

    let (status, _, refused) = patch(
        &app,
        &chart,
        &patient,
        Some(2),
        &json!({"birth_date": "1990-01-01"}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    assert_eq!(updates_of(&app, &chart, "success").await, 1);
    assert_eq!(updates_of(&app, &chart, "denied").await, 1);

    // A care-team doctor may change both.
    let (doctor_id, doctor) = app.doctor("dr.fox@example.org").await;
    app.join_care_team(&chart, &patient, &doctor_id).await;
    let (status, _, edited) = patch(
        &app,
        &chart,
        &doctor,
        Some(2),
        &json!({"name": "Eve Adams", "birth_date": "1990-01-01"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(edited["phone"], "555 0199");
}

#[tokio::test]
async fn on_the_web_a_doctor_opens_a_chart_and_a_stale_edit_keeps_what_was_typed() {
    let app = TestApp::spawn().await;
    app.doctor("dr.web@example.org").await;
    let mut web = WebSession::new(&app);
    web.sign_in("dr.web@example.org", crate::helpers::PASSWORD)
        .await;
    let form = web.get("/patients/new").await;
    assert_eq!(form.status, StatusCode::OK);
    let csrf = form.csrf();
    let opened = web
        .post(
            "/patients",
            &[
                ("csrf", &csrf),
                ("name", "Finn Hale"),
                ("birth_date", "2001-07-04"),
                ("sex", "male"),
                ("city", "Cork"),
                ("preferred_language", "ga"),
            ],
        )
        .await;
    assert_eq!(opened.status, StatusCode::SEE_OTHER);
    let to = opened.location().expect("onward").to_owned();
    let chart_page = web.get(&to).await;
    assert!(chart_page.body().contains("Finn Hale"));
    assert!(chart_page.body().contains("Cork"));
    assert!(
        chart_page.body().contains("MV-"),
        "the record number is shown"
    );
    let id = to
        .trim_start_matches("/patients/")
        .split('?')
        .next()
        .expect("id")
        .to_owned();

    // The doctor opens the form; meanwhile the chart is changed through the API.
    let edit = web.get(&format!("/patients/{id}/profile")).await;
    assert_eq!(edit.status, StatusCode::OK);
    assert!(edit.body().contains(r#"name="version" value="1""#));
    let admin = app.admin_token().await;
    let (status, _, _) = patch(&app, &id, &admin, Some(1), &json!({"city": "Galway"})).await;
    assert_eq!(status, StatusCode::OK);
    let stale = web
        .post(
            &format!("/patients/{id}/profile"),
            &[
                ("csrf", &edit.csrf()),
                ("version", "1"),
                ("name", "Finn Hale"),
                ("city", "Kinsale"),
            ],
        )
        .await;
    assert_eq!(stale.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(stale.body().contains("Someone changed these details"));
    assert!(
        stale.body().contains(r#"value="Kinsale""#),
        "what was typed stays"
    );
    assert!(stale.body().contains(r#"name="version" value="2""#));

    // Saved again, knowingly, on the current version.
    let saved = web
        .post(
            &format!("/patients/{id}/profile"),
            &[
                ("csrf", &edit.csrf()),
                ("version", "2"),
                ("name", "Finn Hale"),
                ("city", "Kinsale"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let (_, read) = app
        .get(&format!("/api/v1/patients/{id}"), Some(&admin))
        .await;
    assert_eq!(read["city"], "Kinsale");
    assert_eq!(read["version"], 3);
}
