//! The web UI over plain HTTP: forms, CSRF, cookies, headers. (`browser.rs` drives a real browser.)

use std::collections::BTreeMap;

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, send_file};

/// A browser-like client: keeps cookies, reads CSRF tokens off forms.
pub struct WebSession<'a> {
    app: &'a TestApp,
    cookies: BTreeMap<String, String>,
}

pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub html: String,
}

impl Page {
    pub fn location(&self) -> Option<&str> {
        self.headers.get(LOCATION).and_then(|v| v.to_str().ok())
    }

    pub fn csrf(&self) -> String {
        let marker = r#"name="csrf" value=""#;
        let start = self.html.find(marker).expect("a form with a CSRF field") + marker.len();
        let end = self.html[start..].find('"').expect("end of value");
        self.html[start..start + end].to_owned()
    }

    /// What the page shows: its `<body>`, not its `<head>`.
    pub fn body(&self) -> &str {
        let start = self.html.find("<body").expect("an HTML page");
        &self.html[start..]
    }

    /// Whether the page shows a form that posts to `action`.
    pub fn has_form(&self, action: &str) -> bool {
        self.body()
            .contains(&format!(r#"<form method="post" action="{action}""#))
    }
}

/// A page's title is text: markup there means a template put content in the wrong block.
fn assert_plain_title(html: &str) {
    if let Some(start) = html.find("<title>") {
        let title = &html[start + "<title>".len()..];
        let end = title.find("</title>").expect("a closed title");
        assert!(
            !title[..end].contains('<'),
            "markup in the title: {}",
            &title[..end]
        );
    }
}

impl<'a> WebSession<'a> {
    pub fn new(app: &'a TestApp) -> Self {
        WebSession {
            app,
            cookies: BTreeMap::new(),
        }
    }

    pub fn has_session_cookie(&self) -> bool {
        self.cookies.contains_key("mv_session")
    }

    pub fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn keep(&mut self, response: reqwest::Response) -> Page {
        for value in response.headers().get_all(SET_COOKIE) {
            let text = value.to_str().expect("ascii cookie");
            let pair = text.split(';').next().expect("name=value");
            let (name, value) = pair.split_once('=').expect("name=value");
            if value.is_empty() {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        let status = response.status();
        let headers = response.headers().clone();
        let html = response.text().await.expect("html");
        assert_plain_title(&html);
        Page {
            status,
            headers,
            html,
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        self.get_with(path, &[]).await
    }

    pub async fn get_with(&mut self, path: &str, headers: &[(&str, &str)]) -> Page {
        let mut request = self
            .app
            .http
            .get(self.app.url(path))
            .header("cookie", self.cookie_header());
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.expect("sent");
        self.keep(response).await
    }

    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let response = self
            .app
            .http
            .post(self.app.url(path))
            .header("cookie", self.cookie_header())
            .form(fields)
            .send()
            .await
            .expect("sent");
        self.keep(response).await
    }

    /// Signs in through the login form.
    pub async fn sign_in(&mut self, email: &str, password: &str) -> Page {
        let form = self.get("/login").await;
        let csrf = form.csrf();
        self.post(
            "/login",
            &[("csrf", &csrf), ("email", email), ("password", password)],
        )
        .await
    }
}

/// The HTML of `path` as seen by `email` (with the usual test password) signed in on the web.
pub async fn signed_in_page(app: &TestApp, email: &str, path: &str) -> String {
    let mut web = WebSession::new(app);
    let signed_in = web.sign_in(email, PASSWORD).await;
    assert_eq!(
        signed_in.status,
        StatusCode::SEE_OTHER,
        "{}",
        signed_in.html
    );
    let page = web.get(path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    page.html
}

#[tokio::test]
async fn register_sign_in_write_and_read_through_the_web_forms() {
    let app = TestApp::spawn().await;
    let (doctor_id, _) = app.doctor("dr.web@example.org").await;

    let mut patient = WebSession::new(&app);
    let form = patient.get("/register").await;
    let done = patient
        .post(
            "/register",
            &[
                ("csrf", &form.csrf()),
                ("name", "Wendy Web"),
                ("email", "wendy@example.org"),
                ("password", PASSWORD),
                ("role", "patient"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    let signed_in = patient.sign_in("wendy@example.org", PASSWORD).await;
    assert_eq!(signed_in.location(), Some("/patient/dashboard"));
    let session_cookie = signed_in
        .headers
        .get(SET_COOKIE)
        .expect("session cookie")
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(session_cookie.contains("HttpOnly") && session_cookie.contains("SameSite=Lax"));

    let token = app.login("wendy@example.org", PASSWORD).await;
    let (_, me) = app.get("/api/v1/auth/me", Some(&token)).await;
    let patient_id = me["patient_id"].as_str().expect("chart").to_owned();
    app.join_care_team(&patient_id, &token, &doctor_id).await;

    let mut doctor = WebSession::new(&app);
    assert_eq!(
        doctor
            .sign_in("dr.web@example.org", PASSWORD)
            .await
            .location(),
        Some("/doctor/dashboard")
    );
    let dashboard = doctor.get("/doctor/dashboard").await;
    assert!(
        dashboard.html.contains("Wendy Web"),
        "the patient is listed"
    );
    // The record is written from the chart, whose form names the patient beside its button.
    let chart = doctor.get(&format!("/patients/{patient_id}")).await;
    assert_eq!(chart.status, StatusCode::OK);
    assert!(
        chart
            .html
            .contains("Into the chart of <strong>Wendy Web</strong>"),
        "{}",
        chart.html
    );
    let created = doctor
        .post(
            &format!("/patients/{patient_id}/records"),
            &[
                ("csrf", &chart.csrf()),
                ("title", "Web visit"),
                ("notes", "Written in a browser form"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.html);
    assert_eq!(
        created.location(),
        Some(format!("/patients/{patient_id}?notice=record_created#records").as_str())
    );

    let mine = patient.get("/patient/dashboard").await;
    assert_eq!(mine.status, StatusCode::OK);
    assert!(mine.html.contains("Web visit") && mine.html.contains("Written in a browser form"));
    assert_eq!(mine.headers["cache-control"], "no-store");
    let csp = mine.headers["content-security-policy"]
        .to_str()
        .expect("ascii");
    assert!(
        csp.contains("frame-ancestors 'none'")
            && csp.contains("script-src 'self'")
            && !csp.contains("unsafe-inline")
    );
    assert_eq!(mine.headers["x-content-type-options"], "nosniff");
    assert_eq!(mine.headers["referrer-policy"], "same-origin");

    // Signing out ends the session: the old cookie no longer opens the dashboard.
    let stolen = patient.cookies.clone();
    let out = patient.post("/logout", &[("csrf", &mine.csrf())]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    patient.cookies = stolen;
    assert_eq!(
        patient.get("/patient/dashboard").await.location(),
        Some("/login?notice=session_ended")
    );
}

#[tokio::test]
async fn forms_without_the_right_csrf_value_are_refused() {
    let app = TestApp::spawn().await;
    app.register("csrf@example.org", "C", "patient").await;
    let mut web = WebSession::new(&app);
    web.get("/login").await;
    for token in ["", "forged-value"] {
        let page = web
            .post(
                "/login",
                &[
                    ("csrf", token),
                    ("email", "csrf@example.org"),
                    ("password", PASSWORD),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{token:?}");
        assert!(
            page.html.contains("reference"),
            "error pages carry the correlation id"
        );
    }
    // A form token from another browser does not match this browser's cookie.
    let mut other = WebSession::new(&app);
    let foreign = other.get("/login").await.csrf();
    let page = web
        .post(
            "/login",
            &[
                ("csrf", &foreign),
                ("email", "csrf@example.org"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    // A form with a field missing is a 4xx page, not a crash; one with no token is refused first.
    let token = web.get("/login").await.csrf();
    let page = web
        .post("/login", &[("csrf", &token), ("email", "csrf@example.org")])
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    let page = web.post("/login", &[("email", "csrf@example.org")]).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn tokens_are_bound_to_the_session_and_forms_only_come_from_this_site() {
    let app = TestApp::spawn().await;
    app.register("victim@example.org", "V", "patient").await;
    app.register("attacker@example.org", "A", "patient").await;
    let mut victim = WebSession::new(&app);
    let before = victim.get("/login").await.csrf();
    victim.sign_in("victim@example.org", PASSWORD).await;
    let signed_in = victim.get("/patient/dashboard").await.csrf();
    assert_ne!(before, signed_in, "signing in gives new tokens");

    // The attacker's own token, or one the victim's browser had before signing in, will not do:
    // a planted cookie cannot sign the victim out.
    let mut attacker = WebSession::new(&app);
    attacker.sign_in("attacker@example.org", PASSWORD).await;
    let theirs = attacker.get("/patient/dashboard").await.csrf();
    for token in [theirs.as_str(), before.as_str()] {
        let out = victim.post("/logout", &[("csrf", token)]).await;
        assert_eq!(out.status, StatusCode::FORBIDDEN);
    }
    assert_eq!(
        victim.get("/patient/dashboard").await.status,
        StatusCode::OK
    );

    // The right token from another origin is refused; from this one it works.
    let refused = app
        .http
        .post(app.url("/logout"))
        .header("cookie", victim.cookie_header())
        .header("origin", "https://evil.example")
        .form(&[("csrf", signed_in.as_str())])
        .send()
        .await
        .expect("sent");
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let ours = app.base.clone();
    let out = app
        .http
        .post(app.url("/logout"))
        .header("cookie", victim.cookie_header())
        .header("origin", ours)
        .form(&[("csrf", signed_in.as_str())])
        .send()
        .await
        .expect("sent");
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn pages_need_a_session_and_the_right_role() {
    let app = TestApp::spawn().await;
    let mut anonymous = WebSession::new(&app);
    for path in ["/doctor/dashboard", "/patient/dashboard", "/admin"] {
        assert_eq!(
            anonymous.get(path).await.location(),
            Some("/login"),
            "{path}"
        );
    }
    app.patient("role@example.org").await;
    let mut patient = WebSession::new(&app);
    patient.sign_in("role@example.org", PASSWORD).await;
    assert_eq!(
        patient.get("/admin").await.location(),
        Some("/patient/dashboard")
    );
    assert_eq!(
        patient.get("/doctor/dashboard").await.location(),
        Some("/patient/dashboard")
    );
    let missing = patient.get("/patients/not-an-id").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.html.contains("Not found"));
}

#[tokio::test]
async fn a_pending_doctor_is_told_so_on_the_sign_in_page() {
    let app = TestApp::spawn().await;
    app.post(
        "/api/v1/auth/register",
        None,
        &serde_json::json!({"email": "dr.wait@example.org", "password": PASSWORD, "name": "Dr. Wait", "role": "doctor"}),
    )
    .await;
    let mut web = WebSession::new(&app);
    let page = web.sign_in("dr.wait@example.org", PASSWORD).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.html.contains("waiting for an administrator"));

    let mut admin = WebSession::new(&app);
    admin
        .sign_in(crate::helpers::ADMIN_EMAIL, crate::helpers::ADMIN_PASSWORD)
        .await;
    let panel = admin.get("/admin").await;
    assert!(panel.html.contains("Dr. Wait") && panel.html.contains("Approve"));
}

#[tokio::test]
async fn over_tls_cookies_are_secure_and_host_prefixed() {
    let app = TestApp::spawn_with(
        crate::helpers::TestDb::new(),
        &[("MEDVAULT_SECURE_COOKIES", "true")],
    )
    .await;
    app.patient("tls@example.org").await;
    let mut web = WebSession::new(&app);
    let form = web.get("/login").await;
    let csrf_cookie = form
        .headers
        .get(SET_COOKIE)
        .expect("CSRF cookie")
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        csrf_cookie.starts_with("__Host-mv_csrf=") && csrf_cookie.contains("; Secure"),
        "{csrf_cookie}"
    );
    let signed_in = web
        .post(
            "/login",
            &[
                ("csrf", &form.csrf()),
                ("email", "tls@example.org"),
                ("password", PASSWORD),
            ],
        )
        .await;
    let session = signed_in
        .headers
        .get(SET_COOKIE)
        .expect("session cookie")
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        session.starts_with("__Host-mv_session=")
            && session.contains("; Secure")
            && session.contains("Path=/")
    );
    assert!(!session.contains("Domain"));
    assert_eq!(web.get("/patient/dashboard").await.status, StatusCode::OK);
}

#[tokio::test]
async fn the_chart_page_shows_the_newest_records_and_pages_back_through_older_ones() {
    let app = TestApp::spawn().await;
    let (doctor_id, doctor) = app.doctor("dr.pages@example.org").await;
    let (patient_id, patient) = app.patient("pages@example.org").await;
    app.join_care_team(&patient_id, &patient, &doctor_id).await;
    for n in 1..=53 {
        let (status, _) = app
            .post(
                &format!("/api/v1/patients/{patient_id}/records"),
                Some(&doctor),
                &serde_json::json!({"title": format!("Visit number {n}"), "notes": "Seen."}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let mut web = WebSession::new(&app);
    web.sign_in("dr.pages@example.org", PASSWORD).await;
    let chart = format!("/patients/{patient_id}");

    let newest = web.get(&chart).await;
    assert_eq!(newest.status, StatusCode::OK);
    let body = newest.body();
    assert_eq!(body.matches("<li class=\"record\">").count(), 50);
    assert!(body.contains("Visit number 53") && body.contains("Visit number 4<"));
    assert!(
        !body.contains("Visit number 3<"),
        "the oldest wait for the next page"
    );
    assert!(!body.contains("Newest records"));
    let marker = "?before=";
    let start = body.find(marker).expect("an Older records link") + marker.len();
    let before = &body[start..start + body[start..].find('#').expect("end of link")];

    let older = web.get(&format!("{chart}?before={before}")).await;
    assert_eq!(older.status, StatusCode::OK);
    let body = older.body();
    assert_eq!(body.matches("<li class=\"record\">").count(), 3);
    assert!(body.contains("Visit number 1<") && body.contains("Visit number 3<"));
    assert!(body.contains("Newest records") && !body.contains("Older records"));

    let refused = web.get(&format!("{chart}?before=not-a-record")).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body().contains("before"), "{}", refused.body());
}

/// Everyone tied to a chart, by name, each tie's earliest first: on PostgreSQL they come in the
/// chart's own row, as JSON, and on SQLite from a statement of their own.
#[tokio::test]
async fn the_chart_page_names_everyone_tied_to_the_chart() {
    let app = TestApp::spawn().await;
    let first = app
        .named("dr.first@example.org", "Ada First", "doctor")
        .await;
    let second = app
        .named("dr.second@example.org", "Bo Second", "doctor")
        .await;
    let trainee = app
        .named("trainee.tied@example.org", "Cy Trainee", "trainee")
        .await;
    // Who looks, last on the care team: the page's header names them too.
    let looking = app
        .named("dr.looking@example.org", "Ed Looking", "doctor")
        .await;
    let (chart, patient) = app.patient("tied@example.org").await;
    app.register("guardian.tied@example.org", "Di Guardian", "patient")
        .await;
    app.join_care_team(&chart, &patient, &first).await;
    app.join_care_team(&chart, &patient, &second).await;
    app.join_care_team(&chart, &patient, &looking).await;
    let doctor = app.login("dr.looking@example.org", PASSWORD).await;
    let api = |path: &str| format!("/api/v1/patients/{chart}/{path}");
    for (path, body) in [
        ("trainees", json!({"trainee_id": trainee})),
        ("guardians", json!({"email": "guardian.tied@example.org"})),
    ] {
        let (status, made) = app.post(&api(path), Some(&doctor), &body).await;
        assert_eq!(status, StatusCode::CREATED, "{path}: {made}");
    }

    let mut web = WebSession::new(&app);
    web.sign_in("dr.looking@example.org", PASSWORD).await;
    let page = web.get(&format!("/patients/{chart}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let at = |name: &str| {
        page.html
            .find(name)
            .unwrap_or_else(|| panic!("{name} missing: {}", page.html))
    };
    assert!(
        at("Ada First") < at("Bo Second"),
        "the earliest doctor first"
    );
    at("Cy Trainee");
    at("Di Guardian");
}

/// The chart page asks for a short list only when the chart holds something in it: each list
/// appears as soon as it does, one after the other, and an alert leaves once acknowledged.
#[tokio::test]
async fn the_chart_page_shows_each_list_once_it_holds_anything() {
    let app = TestApp::spawn().await;
    let (doctor_id, doctor) = app.doctor("dr.lists@example.org").await;
    let (chart, patient) = app.patient("lists@example.org").await;
    app.join_care_team(&chart, &patient, &doctor_id).await;
    let mut web = WebSession::new(&app);
    web.sign_in("dr.lists@example.org", PASSWORD).await;
    let chart_page = format!("/patients/{chart}");
    let api = |path: &str| format!("/api/v1/patients/{chart}/{path}");
    // Each list's entry, and what the page shows of it; a critical potassium raises an alert.
    let writes = [
        (
            "allergies",
            json!({"substance": "Latex", "severity": "mild"}),
            "Latex",
        ),
        ("problems", json!({"condition": "Asthma"}), "Asthma"),
        (
            "prescriptions",
            json!({"drug": "Metformin", "strength": "500 mg", "dose": "1 tablet",
                   "route": "oral", "frequency": "twice a day"}),
            "Metformin",
        ),
        (
            "lab-results",
            json!({"code": "2823-3", "value": 2.1, "collected_at": "2026-03-02T08:00:00Z"}),
            "Critical result:",
        ),
    ];
    let page = web.get(&chart_page).await;
    assert_eq!(page.status, StatusCode::OK);
    for text in writes
        .iter()
        .map(|w| w.2)
        .chain(["discharge.pdf", "Report sent"])
    {
        assert!(!page.html.contains(text), "{text} on an empty chart");
    }
    for (path, body, text) in &writes {
        let (status, made) = app.post(&api(path), Some(&doctor), body).await;
        assert_eq!(status, StatusCode::CREATED, "{path}: {made}");
        let page = web.get(&chart_page).await;
        assert!(page.html.contains(text), "{text} missing: {}", page.html);
    }
    let pdf = crate::files::PDF;
    let (status, file) = send_file(&app, &api("files"), &doctor, b"discharge.pdf", pdf).await;
    assert_eq!(status, StatusCode::CREATED, "{file}");
    assert!(web.get(&chart_page).await.html.contains("discharge.pdf"));
    let report = crate::lab_reports::REPORT;
    let (status, sent) = send_file(&app, &api("lab-reports"), &doctor, b"lab.pdf", report).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{sent}");
    assert!(web.get(&chart_page).await.html.contains("Report sent"));

    let (_, open) = app.get(&api("alerts"), Some(&doctor)).await;
    let alert = open[0]["id"].as_str().expect("an open alert");
    let acknowledge = format!("/api/v1/alerts/{alert}/acknowledge");
    let (status, _) = app.post(&acknowledge, Some(&doctor), &json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let deleted = format!("/api/v1/files/{}", file["id"].as_str().expect("an id"));
    assert_eq!(
        app.delete(&deleted, Some(&doctor)).await,
        StatusCode::NO_CONTENT
    );
    let page = web.get(&chart_page).await;
    assert!(!page.html.contains("Critical result:"), "{}", page.html);
    assert!(
        !page.html.contains("discharge.pdf"),
        "deleted, for a doctor"
    );
    assert!(page.html.contains("Latex") && page.html.contains("Report sent"));
}
