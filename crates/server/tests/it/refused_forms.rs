//! A refused form is shown again on its page, with the navigation, what was typed (never a
//! password) and the refusal beside it.

use reqwest::StatusCode;

use crate::helpers::{PASSWORD, TestApp};
use crate::web::WebSession;

#[tokio::test]
async fn a_refused_emergency_access_keeps_the_patient_and_the_reason() {
    let app = TestApp::spawn().await;
    let (doctor_id, _) = app.doctor("dr.kept@example.org").await;
    let (chart, patient) = app.patient("kept@example.org").await;
    app.join_care_team(&chart, &patient, &doctor_id).await;
    app.patient("other.kept@example.org").await;
    let mut doctor = WebSession::new(&app);
    doctor.sign_in("dr.kept@example.org", PASSWORD).await;
    let csrf = doctor.get("/doctor/dashboard").await.csrf();

    let cases = [
        ("other.kept@example.org", "too short", "reason must say why"),
        (
            "nobody@example.org",
            "Unconscious in the emergency room",
            "patient is no patient&#39;s email or chart id here",
        ),
        (
            "kept@example.org",
            "Unconscious in the emergency room",
            "this chart is open to you already",
        ),
    ];
    for (patient, reason, said) in cases {
        let page = doctor
            .post(
                "/emergency",
                &[("csrf", &csrf), ("patient", patient), ("reason", reason)],
            )
            .await;
        assert!(page.status.is_client_error(), "{patient}: {}", page.status);
        let body = page.body();
        assert!(body.contains("Sign out"), "the page keeps its navigation");
        assert!(body.contains(said), "{patient}: {body}");
        assert!(
            body.contains(&format!(r#"name="patient" value="{patient}""#)),
            "{body}"
        );
        assert!(
            body.contains(&format!(r#"name="reason" value="{reason}""#)),
            "{body}"
        );
    }
}

#[tokio::test]
async fn a_refused_admin_form_keeps_what_was_typed_but_not_the_password() {
    let app = TestApp::spawn().await;
    app.register("taken@example.org", "Taken", "patient").await;
    let mut admin = WebSession::new(&app);
    admin
        .sign_in(crate::helpers::ADMIN_EMAIL, crate::helpers::ADMIN_PASSWORD)
        .await;
    let csrf = admin.get("/admin").await.csrf();
    let page = admin
        .post(
            "/admin/users",
            &[
                ("csrf", &csrf),
                ("name", "Dr. Second Try"),
                ("email", "taken@example.org"),
                ("password", "a perfectly good passphrase"),
                ("role", "doctor"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::CONFLICT);
    let body = page.body();
    assert!(body.contains("Not saved: an account with this email already exists"));
    assert!(body.contains(r#"name="name" value="Dr. Second Try""#));
    assert!(body.contains(r#"name="email" value="taken@example.org""#));
    assert!(body.contains("<option selected>doctor</option>"));
    assert!(!body.contains("a perfectly good passphrase"));
}

#[tokio::test]
async fn a_patient_adding_an_unknown_doctor_sees_why_on_their_page() {
    let app = TestApp::spawn().await;
    let (chart, _) = app.patient("adder@example.org").await;
    let mut patient = WebSession::new(&app);
    patient.sign_in("adder@example.org", PASSWORD).await;
    let csrf = patient.get("/patient/dashboard").await.csrf();
    let page = patient
        .post(
            &format!("/patients/{chart}/care-team"),
            &[("csrf", &csrf), ("email", "dr.nobody@example.org")],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    let body = page.body();
    assert!(body.contains("email is not an active doctor"), "{body}");
    assert!(body.contains(r#"value="dr.nobody@example.org""#), "{body}");
    assert!(
        body.contains("Who looked at your chart"),
        "the patient's own page"
    );
}
