//! Prescriptions: a care-team doctor prescribes; a drug matching a recorded allergy (by name or
//! class) is held until the warning is acknowledged; statuses move forward only, with a reason
//! to stop; interns never see them.

use medvault_store::AuditFilter;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, answer, error_code};
use crate::web::WebSession;

fn penicillin() -> Value {
    json!({
        "drug": "Penicillin V",
        "strength": "250 mg",
        "dose": "1 tablet",
        "route": "oral",
        "frequency": "four times a day",
        "duration": "10 days",
        "quantity": "40 tablets",
    })
}

#[tokio::test]
async fn a_penicillin_for_a_patient_allergic_to_amoxicillin_is_held_until_acknowledged() {
    let app = TestApp::spawn().await;
    let (doctor_id, doctor) = app.doctor("dr.rx@example.org").await;
    let (chart, patient) = app.patient("rx@example.org").await;
    app.join_care_team(&chart, &patient, &doctor_id).await;
    let (status, _) = app
        .post(
            &format!("/api/v1/patients/{chart}/allergies"),
            Some(&doctor),
            &json!({"substance": "Amoxicillin", "reaction": "anaphylaxis", "severity": "severe"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);

    let prescriptions = format!("/api/v1/patients/{chart}/prescriptions");
    let (status, held) = app.post(&prescriptions, Some(&doctor), &penicillin()).await;
    assert_eq!(status, StatusCode::CONFLICT, "{held}");
    assert_eq!(error_code(&held), "allergy_warning");
    let warnings = held["error"]["warnings"].as_array().expect("warnings");
    assert_eq!(warnings.len(), 1, "{held}");
    assert_eq!(warnings[0]["substance"], "Amoxicillin");
    assert!(
        warnings[0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("penicillins")),
        "{held}"
    );
    let (_, listed) = app.get(&prescriptions, Some(&doctor)).await;
    assert_eq!(listed["items"], json!([]), "nothing was prescribed");

    let mut acknowledged = penicillin();
    acknowledged["acknowledge_allergy_warnings"] = json!(true);
    let (status, made) = app.post(&prescriptions, Some(&doctor), &acknowledged).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    assert_eq!(made["status"], "active");
    assert_eq!(made["prescribed_by"], doctor_id.as_str());
    assert_eq!(made["prescribed_by_name"], "Dr. Test");
    assert_eq!(
        made["acknowledged_warnings"].as_array().map(Vec::len),
        Some(1)
    );
    let entries = app
        .audit(AuditFilter {
            actions: vec!["prescription.create".into()],
            outcome: Some("success".into()),
            ..Default::default()
        })
        .await;
    assert_eq!(entries.len(), 1);
    assert!(
        entries[0]
            .entry
            .reason
            .as_deref()
            .is_some_and(|r| r.starts_with("allergy warning acknowledged")),
        "{:?}",
        entries[0].entry.reason
    );

    // A drug with no allergy behind it needs no acknowledgement.
    let metformin =
        json!({"drug": "Metformin", "dose": "500 mg", "route": "oral", "frequency": "twice a day"});
    let (status, plain) = app.post(&prescriptions, Some(&doctor), &metformin).await;
    assert_eq!(status, StatusCode::CREATED, "{plain}");
    assert_eq!(plain["acknowledged_warnings"], json!([]));

    // The patient reads them, a page at a time; the chart's copy holds them.
    let (status, theirs) = app.get(&prescriptions, Some(&patient)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(theirs["items"].as_array().map(Vec::len), Some(2));
    let (_, first) = app
        .get(&format!("{prescriptions}?limit=1"), Some(&patient))
        .await;
    assert_eq!(first["items"][0]["drug"], "Metformin", "newest first");
    let next = first["next"].as_str().expect("a second page");
    let (_, second) = app
        .get(
            &format!("{prescriptions}?limit=1&cursor={next}"),
            Some(&patient),
        )
        .await;
    assert_eq!(second["items"][0]["drug"], "Penicillin V");
    assert!(second["next"].is_null());
    let (status, _) = app
        .get(&format!("{prescriptions}?limit=201"), Some(&patient))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "pages are capped");
    let (_, copy) = app
        .get(&format!("/api/v1/patients/{chart}/export"), Some(&patient))
        .await;
    assert_eq!(copy["prescriptions"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn prescriptions_are_checked_field_by_field_and_change_status_forward_only() {
    let app = TestApp::spawn().await;
    let (doctor_id, doctor) = app.doctor("dr.status@example.org").await;
    let (chart, patient) = app.patient("status@example.org").await;
    app.join_care_team(&chart, &patient, &doctor_id).await;
    let prescriptions = format!("/api/v1/patients/{chart}/prescriptions");

    for (change, field) in [
        (json!({"route": "by mouth"}), "route"),
        (json!({"drug": "  "}), "drug"),
        (json!({"dose": ""}), "dose"),
        (json!({"colour": "blue"}), "colour"),
    ] {
        let mut body = penicillin();
        for (key, value) in change.as_object().expect("object") {
            body[key] = value.clone();
        }
        let (status, refused) = app.post(&prescriptions, Some(&doctor), &body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(refused["error"]["field"], field, "{refused}");
    }
    let admin = app.admin_token().await;
    let (status, _) = app.post(&prescriptions, Some(&admin), &penicillin()).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "an administrator does not prescribe"
    );

    let (_, made) = app.post(&prescriptions, Some(&doctor), &penicillin()).await;
    let id = made["id"].as_str().expect("id").to_owned();
    let patch = |version: Option<i64>, body: Value| {
        let mut request = app
            .http
            .patch(app.url(&format!("/api/v1/prescriptions/{id}")))
            .bearer_auth(&doctor)
            .json(&body);
        if let Some(version) = version {
            request = request.header("if-match", format!("\"{version}\""));
        }
        async move { answer(request.send().await.expect("sent")).await }
    };
    let (status, _) = patch(None, json!({"status": "stopped", "reason": "Rash"})).await;
    assert_eq!(status, StatusCode::PRECONDITION_REQUIRED);
    let (status, refused) = patch(Some(1), json!({"status": "stopped"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused["error"]["field"], "reason");
    // Two changes on the same version: one is made, the other is told it came too late.
    let (first, second) = tokio::join!(
        patch(
            Some(1),
            json!({"status": "stopped", "reason": "Rash on day two"})
        ),
        patch(Some(1), json!({"status": "completed"})),
    );
    let mut statuses = [first.0, second.0];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::PRECONDITION_FAILED]);
    let (_, now) = app
        .get(
            &format!("/api/v1/patients/{chart}/prescriptions"),
            Some(&doctor),
        )
        .await;
    let current = &now["items"][0];
    assert_eq!(current["version"], 2);
    let (status, refused) = patch(Some(2), json!({"status": "active"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["error"]["field"], "status");
    let (status, in_error) = patch(
        Some(2),
        json!({"status": "entered-in-error", "reason": "Wrong patient"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{in_error}");
    assert_eq!(in_error["status"], "entered-in-error");
    assert_eq!(in_error["status_reason"], "Wrong patient");
    assert_eq!(in_error["version"], 3);
}

#[tokio::test]
async fn interns_never_see_prescriptions() {
    let app = TestApp::spawn().await;
    let (doctor_id, doctor) = app.doctor("dr.intern@example.org").await;
    let (chart, patient) = app.patient("hidden@example.org").await;
    app.join_care_team(&chart, &patient, &doctor_id).await;
    let mut body = penicillin();
    body["drug"] = json!("Secretol");
    let prescriptions = format!("/api/v1/patients/{chart}/prescriptions");
    let (status, _) = app.post(&prescriptions, Some(&doctor), &body).await;
    assert_eq!(status, StatusCode::CREATED);
    let intern_id = app.staff("intern.rx@example.org", "intern").await;
    let (status, _) = app
        .post(
            &format!("/api/v1/patients/{chart}/intern-grants"),
            Some(&doctor),
            &json!({"intern_id": intern_id}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let intern = app.login("intern.rx@example.org", PASSWORD).await;
    let (status, refused) = app.get(&prescriptions, Some(&intern)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(!refused.to_string().contains("Secretol"));
    let (status, chart_read) = app
        .get(&format!("/api/v1/patients/{chart}"), Some(&intern))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(!chart_read.to_string().contains("Secretol"));
    let mut web = WebSession::new(&app);
    web.sign_in("intern.rx@example.org", PASSWORD).await;
    let page = web.get(&format!("/patients/{chart}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body().contains("Secretol"), "{}", page.html);
}

#[tokio::test]
async fn the_chart_page_asks_for_the_acknowledgement_and_keeps_what_was_typed() {
    let app = TestApp::spawn().await;
    let (doctor_id, doctor) = app.doctor("dr.page.rx@example.org").await;
    let (chart, patient) = app.patient("page.rx@example.org").await;
    app.join_care_team(&chart, &patient, &doctor_id).await;
    app.post(
        &format!("/api/v1/patients/{chart}/allergies"),
        Some(&doctor),
        &json!({"substance": "Sulfa drugs"}),
    )
    .await;

    let mut web = WebSession::new(&app);
    web.sign_in("dr.page.rx@example.org", PASSWORD).await;
    let page = web.get(&format!("/patients/{chart}")).await;
    let action = format!("/patients/{chart}/prescriptions");
    assert!(page.has_form(&action), "{}", page.html);
    assert!(!page.body().contains(r#"name="acknowledge""#));
    let csrf = page.csrf();
    let fields = [
        ("csrf", csrf.as_str()),
        ("drug", "Co-trimoxazole"),
        ("strength", "960 mg"),
        ("dose", "1 tablet"),
        ("route", "oral"),
        ("frequency", "twice a day"),
    ];
    let held = web.post(&action, &fields).await;
    assert_eq!(held.status, StatusCode::CONFLICT);
    assert!(held.body().contains("sulfonamides"), "{}", held.html);
    assert!(
        held.body().contains(r#"name="acknowledge""#),
        "{}",
        held.html
    );
    assert!(
        held.body().contains(r#"value="960 mg""#),
        "what was typed is kept"
    );

    let mut acknowledged = fields.to_vec();
    acknowledged.push(("acknowledge", "yes"));
    let made = web.post(&action, &acknowledged).await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.html);
    let page = web.get(made.location().expect("onward")).await;
    assert!(page.body().contains("Prescribed."), "{}", page.html);
    assert!(
        page.body().contains("Co-trimoxazole 960 mg"),
        "{}",
        page.html
    );
    assert!(
        page.body().contains("Allergy warning acknowledged"),
        "{}",
        page.html
    );
}
