//! Records are amended, never erased: versions named by `If-Match`, a history of who changed
//! what, and records marked entered in error that stay in the chart.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, answer, error_code};

/// Sends `body` to a record's `path` with `If-Match: "version"` (none when `None`).
async fn change(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    version: Option<i64>,
    body: &Value,
) -> (StatusCode, Value) {
    let mut request = app
        .http
        .request(method, app.url(path))
        .bearer_auth(token)
        .json(body);
    if let Some(version) = version {
        request = request.header("if-match", format!("\"{version}\""));
    }
    answer(request.send().await.expect("sent")).await
}

/// A chart with a care team of two doctors, and a record by the first: (record id, first
/// doctor's token, second doctor's token, patient's token).
async fn a_record(app: &TestApp) -> (String, String, String, String) {
    let (first_id, first) = app.doctor("dr.first@example.org").await;
    let (second_id, second) = app.doctor("dr.second@example.org").await;
    let (chart, patient) = app.patient("pat@example.org").await;
    app.join_care_team(&chart, &patient, &first_id).await;
    app.join_care_team(&chart, &patient, &second_id).await;
    let (status, record) = app
        .post(
            &format!("/api/v1/patients/{chart}/records"),
            Some(&first),
            &json!({"kind": "diagnosis", "title": "Asthma", "notes": "Mild, intermittent."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{record}");
    assert_eq!(record["kind"], "diagnosis");
    assert_eq!(record["status"], "final");
    assert_eq!(record["author_name"], "Dr. Test");
    let id = record["id"].as_str().expect("id").to_owned();
    (id, first, second, patient)
}

#[tokio::test]
async fn another_care_team_doctor_amends_and_the_history_keeps_every_version() {
    let app = TestApp::spawn().await;
    let (id, first, second, patient) = a_record(&app).await;
    let path = format!("/api/v1/records/{id}");
    let put = reqwest::Method::PUT;
    let text = json!({"kind": "diagnosis", "title": "Asthma", "notes": "Moderate, persistent."});

    let (status, body) = change(&app, put.clone(), &path, &second, None, &text).await;
    assert_eq!(status, StatusCode::PRECONDITION_REQUIRED);
    assert_eq!(error_code(&body), "precondition_required");

    let (status, amended) = change(&app, put.clone(), &path, &second, Some(1), &text).await;
    assert_eq!(status, StatusCode::OK, "{amended}");
    assert_eq!(amended["version"], 2);
    assert_eq!(amended["status"], "amended");
    assert_eq!(amended["notes"], "Moderate, persistent.");
    assert!(amended["updated_by"].is_string());

    // The author, made on the version they read, is told it changed since.
    let stale = json!({"title": "Asthma", "notes": "Resolved."});
    let (status, body) = change(&app, put.clone(), &path, &first, Some(1), &stale).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(error_code(&body), "version_mismatch");

    // The patient reads the history: who wrote each version, and what each changed.
    let (status, history) = app.get(&format!("{path}/history"), Some(&patient)).await;
    assert_eq!(status, StatusCode::OK, "{history}");
    let items = history["items"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["version"], 1);
    assert_eq!(items[0]["notes"], "Mild, intermittent.");
    assert_eq!(items[0]["changed"], json!([]));
    assert_eq!(items[1]["version"], 2);
    assert_eq!(items[1]["changed"], json!(["notes", "status"]));
    assert_ne!(items[0]["written_by"], items[1]["written_by"]);

    // Every change and every read of the history is in the trail, once.
    let acts = |action: &'static str| {
        let app = &app;
        async move {
            let filter = medvault_store::AuditFilter {
                actions: vec![action.to_owned()],
                ..Default::default()
            };
            app.audit(filter).await.len()
        }
    };
    assert_eq!(acts("record.amend").await, 1);
    assert_eq!(acts("record.history").await, 1);
}

#[tokio::test]
async fn two_amendments_made_on_one_version_at_once_give_one_success_and_one_refusal() {
    let app = TestApp::spawn().await;
    let (id, first, second, _) = a_record(&app).await;
    let path = format!("/api/v1/records/{id}");
    let (one, two) = (
        json!({"title": "Asthma", "notes": "From the first."}),
        json!({"title": "Asthma", "notes": "From the second."}),
    );
    let ((a, _), (b, _)) = tokio::join!(
        change(&app, reqwest::Method::PUT, &path, &first, Some(1), &one),
        change(&app, reqwest::Method::PUT, &path, &second, Some(1), &two),
    );
    let mut statuses = [a, b];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::PRECONDITION_FAILED]);
    let (_, history) = app.get(&format!("{path}/history"), Some(&first)).await;
    assert_eq!(
        history["items"].as_array().map(Vec::len),
        Some(2),
        "one version replaced, once"
    );
}

#[tokio::test]
async fn a_record_entered_in_error_stays_marked_and_is_not_amended_again() {
    let app = TestApp::spawn().await;
    let (id, first, _, patient) = a_record(&app).await;
    let path = format!("/api/v1/records/{id}/entered-in-error");
    let post = reqwest::Method::POST;

    let (status, body) = change(
        &app,
        post.clone(),
        &path,
        &first,
        Some(1),
        &json!({"reason": "no"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["field"], "reason");

    let reason = json!({"reason": "Written into the wrong chart"});
    let (status, marked) = change(&app, post.clone(), &path, &patient, Some(1), &reason).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a patient reads, not marks: {marked}"
    );
    let (status, marked) = change(&app, post.clone(), &path, &first, Some(1), &reason).await;
    assert_eq!(status, StatusCode::OK, "{marked}");
    assert_eq!(marked["status"], "entered-in-error");
    assert_eq!(marked["status_reason"], "Written into the wrong chart");
    assert_eq!(marked["notes"], "Mild, intermittent.", "the text stays");

    let amend = json!({"title": "Asthma", "notes": "Edited after all."});
    let (status, body) = change(
        &app,
        reqwest::Method::PUT,
        &format!("/api/v1/records/{id}"),
        &first,
        Some(2),
        &amend,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(error_code(&body), "entered_in_error");

    // Still listed in the chart, marked, for the patient too.
    let (_, read) = app
        .get(&format!("/api/v1/records/{id}"), Some(&patient))
        .await;
    assert_eq!(read["status"], "entered-in-error");
}

#[tokio::test]
async fn on_the_web_a_record_page_shows_its_history_and_amends_it() {
    let app = TestApp::spawn().await;
    let (id, _, _, _) = a_record(&app).await;
    let mut web = crate::web::WebSession::new(&app);
    web.sign_in("dr.second@example.org", crate::helpers::PASSWORD)
        .await;
    let page = web.get(&format!("/records/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.has_form(&format!("/records/{id}")));
    assert!(page.body().contains("Dr. Test"), "the author is named");
    let saved = web
        .post(
            &format!("/records/{id}"),
            &[
                ("csrf", &page.csrf()),
                ("version", "1"),
                ("kind", "procedure"),
                ("title", "Spirometry"),
                ("notes", "FEV1 82% predicted."),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let after = web.get(saved.location().expect("onward")).await;
    assert!(after.body().contains("Version 2: Spirometry"));
    assert!(after.body().contains("Version 1: Asthma"));
    assert!(after.body().contains("changed kind, title, notes, status"));

    // A second save from the page as it was is refused, and what was typed stays.
    let stale = web
        .post(
            &format!("/records/{id}"),
            &[
                ("csrf", &page.csrf()),
                ("version", "1"),
                ("title", "Spirometry"),
                ("notes", "A different reading typed meanwhile."),
            ],
        )
        .await;
    assert_eq!(stale.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(stale.body().contains("Someone changed this record"));
    assert!(
        stale
            .body()
            .contains("A different reading typed meanwhile.")
    );
}
