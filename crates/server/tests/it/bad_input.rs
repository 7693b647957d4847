//! Bad input never yields a 500: each case gets a 4xx with the error shape.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, error_code};

async fn send_raw(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    content_type: &str,
    body: Vec<u8>,
) -> (StatusCode, Value) {
    let mut request = app
        .http
        .post(app.url(path))
        .header("content-type", content_type)
        .body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    crate::helpers::answer(request.send().await.expect("sent")).await
}

#[tokio::test]
async fn malformed_bodies_get_4xx_in_the_error_shape() {
    let app = TestApp::spawn().await;
    let register = "/api/v1/auth/register";
    let cases: Vec<(&str, Vec<u8>, StatusCode, &str)> = vec![
        (
            "malformed JSON",
            b"{\"email\": ".to_vec(),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        (
            "not an object",
            b"[1, 2, 3]".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        ),
        (
            "missing fields",
            br#"{"email": "a@example.org"}"#.to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        ),
        (
            "wrong types",
            br#"{"email": 5, "password": [], "name": {}, "role": true}"#.to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        ),
        (
            "empty body",
            Vec::new(),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        (
            "invalid UTF-8",
            vec![b'{', 0xff, 0xfe, b'}'],
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
    ];
    for (what, body, status, code) in cases {
        let (got, error) = send_raw(&app, register, None, "application/json", body).await;
        assert_eq!(got, status, "{what}: {error}");
        assert_eq!(error_code(&error), code, "{what}");
    }
    let (status, error) = send_raw(&app, register, None, "text/plain", b"{}".to_vec()).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(error_code(&error), "unsupported_media_type");

    let huge = vec![b'a'; 10 * 1024 * 1024];
    let (status, error) = send_raw(&app, register, None, "application/json", huge).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error_code(&error), "payload_too_large");
}

#[tokio::test]
async fn invalid_values_name_their_field() {
    let app = TestApp::spawn().await;
    let valid =
        json!({"email": "v@example.org", "password": PASSWORD, "name": "Val", "role": "patient"});
    let with = |field: &str, value: Value| {
        let mut body = valid.clone();
        body[field] = value;
        body
    };
    let cases = [
        (with("role", json!("superuser")), "role"),
        (with("role", json!("admin")), "role"),
        (with("email", json!("not-an-email")), "email"),
        (with("email", json!("a@b")), "email"),
        (
            with("email", json!(format!("{}@example.org", "x".repeat(300)))),
            "email",
        ),
        (with("password", json!("x")), "password"),
        (with("password", json!("x".repeat(10_000))), "password"),
        (with("name", json!("")), "name"),
        (with("name", json!("n".repeat(201))), "name"),
        (with("name", json!("tab\u{0007}bell")), "name"),
    ];
    for (body, field) in cases {
        let (status, error) = app.post("/api/v1/auth/register", None, &body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {error}");
        assert_eq!(error_code(&error), "invalid_input");
        assert_eq!(error["error"]["field"], field);
    }
    // A 10,000-character password at sign-in is refused without hashing it.
    let (status, error) = app
        .post(
            "/api/v1/auth/login",
            None,
            &json!({"email": "v@example.org", "password": "x".repeat(10_000)}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&error), "invalid_credentials");
}

#[tokio::test]
async fn an_audit_filter_by_id_refuses_what_is_no_id() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    for field in ["actor_id", "patient_id"] {
        let (status, error) = app
            .get(&format!("/api/v1/audit?{field}=not-an-id"), Some(&admin))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {error}");
        assert_eq!(error["error"]["field"], field);
        let (status, _) = app
            .get(&format!("/api/v1/audit?{field}=%20"), Some(&admin))
            .await;
        assert_eq!(status, StatusCode::OK, "a blank {field} is no filter");
    }
}

#[tokio::test]
async fn sql_and_html_are_stored_verbatim_and_shown_escaped() {
    let app = TestApp::spawn().await;
    let (doctor_id, doctor) = app.doctor("dr.sql@example.org").await;
    let hostile_name = "Robert'); DROP TABLE users; -- <b>bold</b>";
    let body = json!({"email": "bobby@example.org", "password": PASSWORD, "name": hostile_name, "role": "patient"});
    let (status, user) = app.post("/api/v1/auth/register", None, &body).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(user["name"], hostile_name);
    let patient = app.login("bobby@example.org", PASSWORD).await;
    let (_, me) = app.get("/api/v1/auth/me", Some(&patient)).await;
    let patient_id = me["patient_id"].as_str().expect("chart").to_owned();
    app.join_care_team(&patient_id, &patient, &doctor_id).await;

    let title = "<script>alert('x')</script>";
    let notes = "' OR 1=1; DELETE FROM records; --\n<img src=x onerror=alert(1)>";
    let (status, record) = app
        .post(
            &format!("/api/v1/patients/{patient_id}/records"),
            Some(&doctor),
            &json!({"title": title, "notes": notes}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(record["title"], title);
    assert_eq!(record["notes"], notes);
    let (_, list) = app
        .get(
            &format!("/api/v1/patients/{patient_id}/records"),
            Some(&patient),
        )
        .await;
    assert_eq!(
        list["items"][0]["notes"], notes,
        "nothing was deleted or altered"
    );

    // The page that shows them escapes them: the text is there once unescaped, never as markup.
    let html = crate::web::signed_in_page(
        &app,
        "dr.sql@example.org",
        &format!("/patients/{patient_id}"),
    )
    .await;
    assert!(!html.contains("<script>alert"), "no live script");
    assert!(!html.contains("<img src=x"), "no live markup");
    assert!(!html.contains("<b>bold"), "no live markup");
    let text = unescape_html(&html);
    for shown in [
        title,
        "' OR 1=1; DELETE FROM records; --",
        "<img src=x onerror=alert(1)>",
        hostile_name,
    ] {
        assert!(text.contains(shown), "{shown:?} shown as text");
    }
}

#[tokio::test]
async fn markup_in_charts_reasons_and_filters_is_shown_as_text() {
    let app = TestApp::spawn().await;
    let (_, doctor) = app.doctor("dr.markup@example.org").await;
    let chart_name = "<b onmouseover=alert(1)>Eve</b> O'Brien; --";
    let (status, chart) = app
        .post(
            "/api/v1/patients",
            Some(&doctor),
            &json!({"name": chart_name, "birth_date": "1990-01-02", "sex": "female"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{chart}");
    assert_eq!(chart["name"], chart_name);
    let chart_id = chart["id"].as_str().expect("id").to_owned();

    let (_, stranger) = app.doctor("dr.er-markup@example.org").await;
    let reason = "<script>alert('reason')</script> unconscious, \"urgent\"";
    let (status, opened) = app
        .post(
            &format!("/api/v1/patients/{chart_id}/emergency-access"),
            Some(&stranger),
            &json!({"reason": reason}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{opened}");
    assert_eq!(opened["reason"], reason);

    let mut admin = crate::web::WebSession::new(&app);
    admin
        .sign_in(crate::helpers::ADMIN_EMAIL, crate::helpers::ADMIN_PASSWORD)
        .await;
    let filter = "<script>alert('filter')</script>";
    let pages = [
        admin.get("/admin").await,
        admin.get(&format!("/patients/{chart_id}")).await,
        admin
            .get(&format!(
                "/audit?user={}",
                filter.replace('<', "%3C").replace('>', "%3E")
            ))
            .await,
    ];
    for page in &pages {
        assert_eq!(page.status, StatusCode::OK);
        let body = page.body();
        assert!(!body.contains("<script>alert"), "no live script");
        assert!(!body.contains("<b onmouseover"), "no live markup");
    }
    assert!(
        unescape_html(pages[0].body()).contains(reason),
        "the reason, as text"
    );
    assert!(
        unescape_html(pages[1].body()).contains(chart_name),
        "the name, as text"
    );
    assert!(
        unescape_html(pages[2].body()).contains(filter),
        "the filter, as text"
    );
}

/// Decodes the character references an HTML escaper may produce.
fn unescape_html(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find('&') {
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let Some(end) = rest.find(';').filter(|end| *end <= 8) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..end];
        let decoded = match entity {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .map(|hex| u32::from_str_radix(hex, 16))
                .or_else(|| entity.strip_prefix('#').map(str::parse))
                .and_then(Result::ok)
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[tokio::test]
async fn unknown_routes_and_methods_get_the_error_shape() {
    let app = TestApp::spawn().await;
    let (status, error) = app.get("/api/v1/nothing-here", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&error), "not_found");
    let response = app
        .http
        .delete(app.url("/api/v1/auth/login"))
        .send()
        .await
        .expect("sent");
    let (status, error) = crate::helpers::answer(response).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(error_code(&error), "method_not_allowed");
    let (status, _) = app
        .get(
            "/api/v1/patients/not-a-uuid",
            Some(&app.admin_token().await),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    for token in ["garbage", "a.b.c", ""] {
        let (status, error) = app.get("/api/v1/auth/me", Some(token)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{token:?}");
        assert_eq!(error_code(&error), "unauthenticated");
    }
}

#[tokio::test]
async fn bodies_are_refused_in_plain_words_naming_the_field() {
    let app = TestApp::spawn().await;
    let register = "/api/v1/auth/register";
    let cases = [
        (
            json!({"email": "a@example.org", "password": PASSWORD, "name": "A"}),
            "role",
            "role is required",
        ),
        (
            json!({"email": 5, "password": PASSWORD, "name": "A", "role": "patient"}),
            "email",
            "email must be a string",
        ),
        (
            json!({"email": "a@example.org", "password": PASSWORD, "name": "A", "role": "patient", "admin": true}),
            "admin",
            "admin is not a field of this request; the fields are email, password, name, role",
        ),
    ];
    for (body, field, message) in cases {
        let (status, error) = app.post(register, None, &body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
        assert_eq!(error["error"]["field"], field, "{error}");
        assert_eq!(error["error"]["message"], message, "{error}");
        let said = error.to_string();
        assert!(
            !said.contains("line") && !said.contains("deserialize"),
            "{said}"
        );
    }
}

#[tokio::test]
async fn control_characters_are_refused_in_every_input_on_either_backend() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let (chart, patient) = app.patient("nul@example.org").await;
    for path in [
        "/api/v1/patients?q=a%00b",
        "/api/v1/users?q=a%00b",
        "/api/v1/audit?action=a%00b",
        "/api/v1/audit?actor_id=%1b",
    ] {
        let (status, error) = app.get(path, Some(&admin)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {error}");
        assert!(
            error["error"]["message"]
                .as_str()
                .is_some_and(|m| m.ends_with("must not contain control characters")),
            "{path}: {error}"
        );
    }
    let bodies = [
        (
            "/api/v1/auth/login".to_owned(),
            json!({"email": "nul@example.org\u{0}", "password": PASSWORD}),
            "email",
        ),
        (
            format!("/api/v1/patients/{chart}/records"),
            json!({"title": "T", "notes": "a\u{0}b"}),
            "notes",
        ),
        (
            format!("/api/v1/patients/{chart}/emergency-access"),
            json!({"reason": "unconscious patient \u{0} now"}),
            "reason",
        ),
    ];
    for (path, body, field) in bodies {
        let (status, error) = app.post(&path, Some(&admin), &body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {error}");
        assert_eq!(error["error"]["field"], field, "{path}");
    }
    // Line breaks and tabs in notes are text, and kept.
    let (status, record) = app
        .post(
            &format!("/api/v1/patients/{chart}/records"),
            Some(&admin),
            &json!({"title": "T", "notes": "one\n\ttwo\r\n"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{record}");
    assert_eq!(record["notes"], "one\n\ttwo");
    // Web forms and filters alike.
    let mut web = crate::web::WebSession::new(&app);
    web.sign_in("nul@example.org", PASSWORD).await;
    let page = web.get("/audit?action=a%00b").await;
    assert!(page.status.is_client_error() || page.status.is_redirection());
    let dashboard = web.get("/patient/dashboard").await;
    let added = web
        .post(
            &format!("/patients/{chart}/care-team"),
            &[
                ("csrf", &dashboard.csrf()),
                ("email", "dr\u{0}@example.org"),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(added.body().contains("must not contain control characters"));
    drop(patient);
}

#[tokio::test]
async fn the_last_page_has_no_next_and_patients_add_doctors_by_email() {
    let app = TestApp::spawn().await;
    let (doctor_id, _) = app.doctor("dr.mail@example.org").await;
    let (chart, patient) = app.patient("mail@example.org").await;
    let (status, added) = app
        .post(
            &format!("/api/v1/patients/{chart}/care-team"),
            Some(&patient),
            &json!({"email": "DR.Mail@example.org"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    assert_eq!(added["doctor_id"], doctor_id.as_str());
    for body in [
        json!({}),
        json!({"email": "dr.mail@example.org", "doctor_id": doctor_id}),
    ] {
        let (status, error) = app
            .post(
                &format!("/api/v1/patients/{chart}/care-team"),
                Some(&patient),
                &body,
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    }
    let (status, error) = app
        .post(
            &format!("/api/v1/patients/{chart}/care-team"),
            Some(&patient),
            &json!({"email": "nobody@example.org"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error["error"]["field"], "email");

    let (_, team) = app
        .get(
            &format!("/api/v1/patients/{chart}/care-team"),
            Some(&patient),
        )
        .await;
    assert_eq!(team["items"].as_array().map(Vec::len), Some(1), "{team}");
    let (_, page) = app.get("/api/v1/patients?limit=1", Some(&patient)).await;
    let fields = page.as_object().expect("object");
    assert!(
        !fields.contains_key("next"),
        "no next on the last page: {page}"
    );
}
