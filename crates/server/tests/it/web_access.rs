//! The access-management pages, driven through their forms.

use reqwest::StatusCode;

use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, TestApp};
use crate::web::WebSession;

#[tokio::test]
async fn doctors_link_trainees_grant_interns_and_break_the_glass_from_the_web() {
    let app = TestApp::spawn().await;
    // Frozen, so that the shift's end can be told to the minute.
    app.clock.freeze_at(app.clock.now());
    let (doctor_id, _) = app.doctor("dr.web-lead@example.org").await;
    let (patient_id, patient_token) = app.patient("webpat@example.org").await;
    app.join_care_team(&patient_id, &patient_token, &doctor_id)
        .await;
    let (stranger_id, _) = app.patient("stranger@example.org").await;
    app.staff("web-trainee@example.org", "trainee").await;
    app.staff("web-intern@example.org", "intern").await;
    let (er_id, _) = app.doctor("dr.er-web@example.org").await;

    let mut doctor = WebSession::new(&app);
    doctor.sign_in("dr.web-lead@example.org", PASSWORD).await;
    let chart = doctor.get(&format!("/patients/{patient_id}")).await;
    for action in ["trainees", "intern-grants"] {
        let action = format!("/patients/{patient_id}/{action}");
        assert!(chart.has_form(&action), "a form for {action} on the chart");
    }
    let csrf = chart.csrf();
    let linked = doctor
        .post(
            &format!("/patients/{patient_id}/trainees"),
            &[("csrf", &csrf), ("email", "web-trainee@example.org")],
        )
        .await;
    assert_eq!(
        linked.location(),
        Some(format!("/patients/{patient_id}?notice=trainee_linked#ties").as_str())
    );
    let wrong = doctor
        .post(
            &format!("/patients/{patient_id}/trainees"),
            &[("csrf", &csrf), ("email", "web-intern@example.org")],
        )
        .await;
    assert_eq!(
        wrong.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "an intern is not a trainee"
    );
    let granted = doctor
        .post(
            &format!("/patients/{patient_id}/intern-grants"),
            &[
                ("csrf", &csrf),
                ("email", "web-intern@example.org"),
                ("hours", "6"),
            ],
        )
        .await;
    assert_eq!(
        granted.location(),
        Some(format!("/patients/{patient_id}?notice=intern_granted#ties").as_str())
    );
    let dashboard = doctor.get("/doctor/dashboard").await;
    assert!(dashboard.html.contains("Test intern") && dashboard.html.contains("End now"));

    // The trainee reads the chart, notes included; the intern sees demographics only.
    let mut trainee = WebSession::new(&app);
    assert_eq!(
        trainee
            .sign_in("web-trainee@example.org", PASSWORD)
            .await
            .location(),
        Some("/staff/dashboard")
    );
    assert!(
        trainee
            .get("/staff/dashboard")
            .await
            .html
            .contains("Pat Patient")
    );
    assert!(
        trainee
            .get(&format!("/patients/{patient_id}"))
            .await
            .html
            .contains("Records")
    );
    let mut intern = WebSession::new(&app);
    intern.sign_in("web-intern@example.org", PASSWORD).await;
    let shift_end = (app.clock.now() + chrono::Duration::hours(6))
        .format("%-d %b %Y, %H:%M UTC")
        .to_string();
    let home = intern.get("/staff/dashboard").await;
    assert!(
        home.body().contains(&format!(
            "until your shift ends at <strong>{shift_end}</strong>"
        )),
        "the intern is told when their access ends"
    );
    let seen = intern.get(&format!("/patients/{patient_id}")).await;
    assert_eq!(seen.status, StatusCode::OK);
    assert!(seen.html.contains("not shown to interns"));
    assert_eq!(
        intern.get(&format!("/patients/{stranger_id}")).await.status,
        StatusCode::NOT_FOUND
    );

    // The doctor ends the grant; the intern is out at once.
    let page = doctor.get("/doctor/dashboard").await;
    let marker = "action=\"/intern-grants/";
    let start = page.html.find(marker).expect("an End button") + marker.len();
    let grant_id = &page.html[start..start + 36];
    let ended = doctor
        .post(
            &format!("/intern-grants/{grant_id}/end"),
            &[("csrf", &page.csrf())],
        )
        .await;
    assert_eq!(
        ended.location(),
        Some("/doctor/dashboard?notice=grant_ended")
    );
    assert_eq!(
        intern
            .get(&format!("/patients/{patient_id}"))
            .await
            .location(),
        Some("/login?notice=session_ended")
    );

    // Another doctor breaks the glass; the chart says so, and so does the patient's dashboard.
    let mut er = WebSession::new(&app);
    er.sign_in("dr.er-web@example.org", PASSWORD).await;
    let form = er.get("/doctor/dashboard").await;
    assert!(
        form.has_form("/emergency"),
        "the emergency form on the dashboard"
    );
    let short = er
        .post(
            "/emergency",
            &[
                ("csrf", &form.csrf()),
                ("patient", "webpat@example.org"),
                ("reason", "now"),
            ],
        )
        .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    let reason = "Collapsed in the waiting room, history needed";
    let opened = er
        .post(
            "/emergency",
            &[
                ("csrf", &form.csrf()),
                ("patient", "webpat@example.org"),
                ("reason", reason),
            ],
        )
        .await;
    assert_eq!(
        opened.location(),
        Some(format!("/patients/{patient_id}?notice=emergency_opened").as_str())
    );
    let chart = er.get(&format!("/patients/{patient_id}")).await;
    assert!(chart.html.contains("Emergency access.") && !chart.html.contains("Link a trainee"));
    let mut patient = WebSession::new(&app);
    patient.sign_in("webpat@example.org", PASSWORD).await;
    let mine = patient.get("/patient/dashboard").await;
    assert!(
        mine.html.contains("Who looked at your chart")
            && mine.html.contains("emergency")
            && mine.html.contains("Collapsed in the waiting room")
    );

    // The patient takes their doctor off the care team from their dashboard; the doctor loses
    // the chart at once. Then they choose another doctor by email.
    let remove = format!("/patients/{patient_id}/care-team/{doctor_id}/remove");
    assert!(mine.has_form(&remove), "a remove button per doctor");
    let removed = patient.post(&remove, &[("csrf", &mine.csrf())]).await;
    assert_eq!(
        removed.location(),
        Some("/patient/dashboard?notice=care_team_removed")
    );
    assert_eq!(
        doctor.get(&format!("/patients/{patient_id}")).await.status,
        StatusCode::NOT_FOUND
    );
    let add = format!("/patients/{patient_id}/care-team");
    assert!(mine.has_form(&add), "a form to add a doctor");
    let not_a_doctor = patient
        .post(
            &add,
            &[("csrf", &mine.csrf()), ("email", "web-trainee@example.org")],
        )
        .await;
    assert_eq!(not_a_doctor.status, StatusCode::UNPROCESSABLE_ENTITY);
    let added = patient
        .post(
            &add,
            &[("csrf", &mine.csrf()), ("email", "dr.er-web@example.org")],
        )
        .await;
    assert_eq!(
        added.location(),
        Some("/patient/dashboard?notice=care_team_added")
    );
    let mine = patient
        .get("/patient/dashboard?notice=care_team_added")
        .await;
    assert!(mine.body().contains("Doctor added to the care team."));
    assert!(
        mine.has_form(&format!("/patients/{patient_id}/care-team/{er_id}/remove")),
        "the new doctor is listed"
    );
}

#[tokio::test]
async fn admins_manage_accounts_grants_and_read_the_audit_trail_from_the_web() {
    let app = TestApp::spawn().await;
    let (patient_id, _) = app.patient("adminpat@example.org").await;
    let trainee_id = app.staff("adm-trainee@example.org", "trainee").await;
    let intern_id = app.staff("adm-intern@example.org", "intern").await;
    let mut admin = WebSession::new(&app);
    admin.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let panel = admin.get("/admin").await;
    for section in ["Intern grants", "Emergency accesses", "Deactivate"] {
        assert!(panel.body().contains(section), "{section} on the panel");
    }
    // Charts are listed with links, and found by part of the patient's name.
    let chart_link = format!("href=\"/patients/{patient_id}\"");
    assert!(
        panel.body().contains(&chart_link),
        "the panel links to charts"
    );
    let found = admin.get("/admin?patient=PAT+PAT").await;
    assert!(found.body().contains(&chart_link));
    let none = admin.get("/admin?patient=nobody-by-this-name").await;
    assert!(none.body().contains("No chart matches.") && !none.body().contains(&chart_link));
    let (status, charts) = app
        .get(
            "/api/v1/patients?q=pat%20pat",
            Some(&app.admin_token().await),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(charts["items"][0]["id"], patient_id.as_str(), "{charts}");
    let (status, _) = app
        .get(
            &format!("/api/v1/patients?q={}", "x".repeat(101)),
            Some(&app.admin_token().await),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // Finding a user among many: by part of the name or email, any case, and by role or status.
    let found = admin.get("/admin?q=ADM-TRAI&role=&status=").await;
    assert!(found.body().contains("adm-trainee@example.org"));
    assert!(!found.body().contains("adm-intern@example.org"));
    assert!(
        found.has_form("/admin/trainee-links"),
        "the forms stay whole"
    );
    let interns = admin.get("/admin?role=intern").await;
    assert!(interns.body().contains("adm-intern@example.org"));
    assert!(!interns.body().contains("adm-trainee@example.org"));
    let nobody = admin.get("/admin?q=50%25_off").await;
    assert!(
        nobody.body().contains("No user matches."),
        "wildcards are literal"
    );
    assert_eq!(
        admin.get("/admin?role=wizard").await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let admin_token = app.admin_token().await;
    let (status, page) = app
        .get(
            "/api/v1/users?q=adm-INTERN&status=active",
            Some(&admin_token),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["items"].as_array().map(Vec::len), Some(1), "{page}");
    assert_eq!(page["items"][0]["id"], intern_id.as_str());
    let long = "x".repeat(101);
    for bad in ["role=wizard", "status=asleep", &format!("q={long}")] {
        let (status, _) = app
            .get(&format!("/api/v1/users?{bad}"), Some(&admin_token))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    let (_, me) = app.get("/api/v1/auth/me", Some(&admin_token)).await;
    let own = format!("/admin/users/{}/deactivate", me["id"].as_str().expect("id"));
    assert!(!panel.has_form(&own), "no button to lock oneself out");
    assert!(panel.has_form(&format!("/admin/users/{trainee_id}/deactivate")));
    for action in [
        "/admin/users",
        "/admin/care-team",
        "/admin/trainee-links",
        "/admin/intern-grants",
        "/admin/password-reset",
    ] {
        assert!(panel.has_form(action), "a form for {action} on the panel");
    }
    let csrf = panel.csrf();

    let linked = admin
        .post(
            "/admin/trainee-links",
            &[
                ("csrf", &csrf),
                ("patient_id", &patient_id),
                ("user_id", &trainee_id),
            ],
        )
        .await;
    assert_eq!(linked.location(), Some("/admin?notice=trainee_linked"));
    let chart = admin.get(&format!("/patients/{patient_id}")).await;
    let add_doctor = format!("/patients/{patient_id}/care-team");
    assert!(
        chart.has_form(&add_doctor),
        "admins add doctors from the chart"
    );
    let (doctor_id, _) = app.doctor("adm-doctor@example.org").await;
    let added = admin
        .post(
            &add_doctor,
            &[("csrf", &csrf), ("email", "adm-doctor@example.org")],
        )
        .await;
    assert_eq!(
        added.location(),
        Some(format!("/patients/{patient_id}?notice=care_team_added").as_str())
    );
    let chart = admin.get(&format!("/patients/{patient_id}")).await;
    assert!(chart.has_form(&format!(
        "/patients/{patient_id}/care-team/{doctor_id}/remove"
    )));
    let unlink = format!("/patients/{patient_id}/trainees/{trainee_id}/remove");
    assert!(chart.has_form(&unlink), "an unlink button per trainee");
    assert!(chart.body().contains("Test trainee"));
    let unlinked = admin.post(&unlink, &[("csrf", &csrf)]).await;
    assert_eq!(
        unlinked.location(),
        Some(format!("/patients/{patient_id}?notice=trainee_unlinked").as_str())
    );
    let chart = admin.get(&format!("/patients/{patient_id}")).await;
    assert!(!chart.has_form(&unlink), "no longer linked");
    let granted = admin
        .post(
            "/admin/intern-grants",
            &[
                ("csrf", &csrf),
                ("patient_id", &patient_id),
                ("user_id", &intern_id),
                ("hours", "2"),
            ],
        )
        .await;
    assert_eq!(granted.location(), Some("/admin?notice=intern_granted"));
    let too_long = admin
        .post(
            "/admin/intern-grants",
            &[
                ("csrf", &csrf),
                ("patient_id", &patient_id),
                ("user_id", &intern_id),
                ("hours", "13"),
            ],
        )
        .await;
    assert_eq!(too_long.status, StatusCode::UNPROCESSABLE_ENTITY);

    let mut trainee = WebSession::new(&app);
    trainee.sign_in("adm-trainee@example.org", PASSWORD).await;
    let deactivated = admin
        .post(
            &format!("/admin/users/{trainee_id}/deactivate"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(
        deactivated.location(),
        Some("/admin?notice=user_deactivated")
    );
    assert_eq!(
        trainee.get("/staff/dashboard").await.location(),
        Some("/login?notice=session_ended"),
        "signed out at once"
    );
    let reactivated = admin
        .post(
            &format!("/admin/users/{trainee_id}/reactivate"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(
        reactivated.location(),
        Some("/admin?notice=user_reactivated")
    );
    let reset = admin
        .post(
            "/admin/password-reset",
            &[
                ("csrf", &csrf),
                ("user_id", &trainee_id),
                ("password", "a new trainee passphrase"),
            ],
        )
        .await;
    assert_eq!(reset.location(), Some("/admin?notice=password_reset"));
    assert_eq!(
        trainee
            .sign_in("adm-trainee@example.org", "a new trainee passphrase")
            .await
            .location(),
        Some("/staff/dashboard")
    );

    let trail = admin
        .get(&format!("/audit?actor_id={trainee_id}&action=auth.login"))
        .await;
    assert_eq!(trail.status, StatusCode::OK);
    assert!(trail.html.contains("auth.login") && trail.html.contains("Test trainee"));
    for bad in ["since=last-tuesday", "outcome=maybe", "limit=many"] {
        let page = admin.get(&format!("/audit?{bad}")).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert!(
            page.body().contains("quote this reference"),
            "an error page: {bad}"
        );
    }
    assert_eq!(
        trainee.get("/audit").await.location(),
        Some("/staff/dashboard"),
        "not for trainees"
    );
}

#[tokio::test]
async fn anyone_changes_their_own_password_from_the_web() {
    let app = TestApp::spawn().await;
    app.patient("self-service@example.org").await;
    let mut web = WebSession::new(&app);
    web.sign_in("self-service@example.org", PASSWORD).await;
    let mut other_device = WebSession::new(&app);
    other_device
        .sign_in("self-service@example.org", PASSWORD)
        .await;
    let page = web.get("/account/password").await;
    let wrong = web
        .post(
            "/account/password",
            &[
                ("csrf", &page.csrf()),
                ("current_password", "not it at all"),
                ("new_password", "another passphrase here"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let done = web
        .post(
            "/account/password",
            &[
                ("csrf", &page.csrf()),
                ("current_password", PASSWORD),
                ("new_password", "another passphrase here"),
            ],
        )
        .await;
    assert_eq!(
        done.location(),
        Some("/account/password?notice=password_changed")
    );
    assert_eq!(
        web.get("/patient/dashboard").await.status,
        StatusCode::OK,
        "this session stays"
    );
    assert_eq!(
        other_device.get("/patient/dashboard").await.location(),
        Some("/login?notice=session_ended")
    );
}
