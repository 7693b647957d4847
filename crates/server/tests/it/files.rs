//! Files: uploaded as a stream under a size limit, kept only when their content is an allowed
//! kind, stored encrypted under server-made names, checked on every download, deleted as a
//! recorded act an admin can undo for 30 days. Abuse is answered cleanly and leaves nothing.

use std::path::{Path, PathBuf};

use medvault_store::AuditFilter;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, TestDb, answer, error_code, multipart, send_file};
use crate::web::WebSession;

pub const PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";

async fn upload(
    app: &TestApp,
    chart: &str,
    token: &str,
    name: &[u8],
    content: &[u8],
) -> (StatusCode, Value) {
    let path = format!("/api/v1/patients/{chart}/files");
    send_file(app, &path, token, name, content).await
}

/// Every stored object under the file folder.
fn stored_objects(app: &TestApp) -> Vec<PathBuf> {
    fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, found);
            } else {
                found.push(path);
            }
        }
    }
    let mut found = Vec::new();
    walk(&app.db.dir.path().join("files"), &mut found);
    found
}

async fn doctor_and_chart(app: &TestApp, tag: &str) -> (String, String) {
    let (doctor_id, doctor) = app.doctor(&format!("dr.{tag}@example.org")).await;
    let (chart, patient) = app.patient(&format!("{tag}@example.org")).await;
    app.join_care_team(&chart, &patient, &doctor_id).await;
    (chart, doctor)
}

#[tokio::test]
async fn a_pdf_goes_in_encrypted_and_comes_back_whole_as_an_attachment() {
    let app = TestApp::spawn().await;
    let (chart, doctor) = doctor_and_chart(&app, "files").await;
    let (status, kept) = upload(&app, &chart, &doctor, b"lab report 03.pdf", PDF).await;
    assert_eq!(status, StatusCode::CREATED, "{kept}");
    assert_eq!(kept["content_type"], "application/pdf");
    assert_eq!(kept["name"], "lab report 03.pdf");
    assert_eq!(kept["size_bytes"], PDF.len());
    let id = kept["id"].as_str().expect("id");

    // Stored under a name the server made, and not as plaintext.
    let objects = stored_objects(&app);
    assert_eq!(objects.len(), 1);
    let stored_name = objects[0]
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    assert_eq!(
        stored_name,
        format!("{id}.test-1"),
        "a name the server made"
    );
    let on_disk = std::fs::read(&objects[0]).expect("stored");
    assert!(
        !on_disk.windows(8).any(|w| w == b"%PDF-1.4"),
        "encrypted at rest"
    );

    let response = app
        .http
        .get(app.url(&format!("/api/v1/files/{id}/content")))
        .bearer_auth(&doctor)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "application/pdf");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    let disposition = headers["content-disposition"].to_str().expect("ascii");
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    assert!(disposition.contains("lab report 03.pdf"), "{disposition}");
    assert_eq!(response.bytes().await.expect("body").as_ref(), PDF);

    // The patient reads their files; the list and the details say the same.
    let (_, patient) = (
        chart.clone(),
        app.login("files@example.org", PASSWORD).await,
    );
    let (status, listed) = app
        .get(&format!("/api/v1/patients/{chart}/files"), Some(&patient))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed["items"][0]["id"], id);
    let downloads = app
        .audit(AuditFilter {
            actions: vec!["file.download".into()],
            outcome: Some("success".into()),
            ..Default::default()
        })
        .await;
    assert_eq!(downloads.len(), 1, "audited once");
}

#[tokio::test]
async fn upload_abuse_is_answered_cleanly_and_leaves_nothing_behind() {
    let app = TestApp::spawn_with(TestDb::new(), &[("MEDVAULT_MAX_UPLOAD_BYTES", "4096")]).await;
    let (chart, doctor) = doctor_and_chart(&app, "abuse").await;
    let mut huge_png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    huge_png.extend(50_000u32.to_be_bytes());
    huge_png.extend(50_000u32.to_be_bytes());
    huge_png.extend([8, 2, 0, 0, 0]);
    let over_limit = {
        let mut bytes = PDF.to_vec();
        bytes.resize(4097, b' ');
        bytes
    };
    let cases: Vec<(&str, &[u8], Vec<u8>, StatusCode)> = vec![
        (
            "one byte over the limit",
            b"big.pdf",
            over_limit,
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
        (
            "HTML named .pdf",
            b"report.pdf",
            b"<!DOCTYPE html><html><script>alert(1)</script></html>".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            "SVG named .pdf",
            b"report.pdf",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            "a PDF and HTML polyglot",
            b"report.pdf",
            b"%PDF-1.4\n<html><body><script>alert(1)</script></body></html>\n%%EOF".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            "a path for a name",
            b"../../etc/passwd",
            PDF.to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        // The multipart parser refuses a part header with a NUL in it.
        (
            "a NUL in the name",
            b"report\0.pdf",
            PDF.to_vec(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "an empty file",
            b"empty.pdf",
            Vec::new(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "a PNG of 50,000 x 50,000 pixels",
            b"scan.png",
            huge_png,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "an executable",
            b"setup.pdf",
            b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
    ];
    for (what, name, content, expected) in cases {
        let (status, refused) = upload(&app, &chart, &doctor, name, &content).await;
        assert_eq!(status, expected, "{what}: {refused}");
        assert!(refused["error"]["code"].is_string(), "{what}: {refused}");
        let message = refused["error"]["message"].as_str().unwrap_or_default();
        assert!(
            !message.contains("multer") && !message.contains("Error("),
            "{what}: {message}"
        );
    }
    // A body that declares itself far over the limit is refused before it is read.
    let response = app
        .http
        .post(app.url(&format!("/api/v1/patients/{chart}/files")))
        .bearer_auth(&doctor)
        .header("content-type", "multipart/form-data; boundary=x")
        .body(vec![b'x'; 4 * 1024 * 1024])
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let (status, _) = app
        .post(
            &format!("/api/v1/patients/{chart}/files"),
            Some(&doctor),
            &json!({"file": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "JSON is not an upload");

    let (_, listed) = app
        .get(&format!("/api/v1/patients/{chart}/files"), Some(&doctor))
        .await;
    assert_eq!(listed["items"], json!([]), "no row");
    assert!(stored_objects(&app).is_empty(), "no file");
}

#[tokio::test]
async fn a_flipped_byte_is_an_integrity_error_and_an_audit_entry_never_bytes() {
    let app = TestApp::spawn().await;
    let (chart, doctor) = doctor_and_chart(&app, "flip").await;
    let (_, kept) = upload(
        &app,
        &chart,
        &doctor,
        b"note.txt",
        b"Potassium 4.1 mmol/L\n",
    )
    .await;
    assert_eq!(kept["content_type"], "text/plain; charset=utf-8");
    let id = kept["id"].as_str().expect("id");
    let object = stored_objects(&app).pop().expect("stored");
    let mut bytes = std::fs::read(&object).expect("read");
    bytes[3] ^= 0x01;
    std::fs::write(&object, bytes).expect("written");

    let response = app
        .http
        .get(app.url(&format!("/api/v1/files/{id}/content")))
        .bearer_auth(&doctor)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let (_, body) = answer(response).await;
    assert_eq!(error_code(&body), "file_integrity");
    assert!(!body.to_string().contains("Potassium"));
    let failures = app
        .audit(AuditFilter {
            actions: vec!["file.download".into()],
            outcome: Some("failure".into()),
            ..Default::default()
        })
        .await;
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].entry.resource_id.as_deref(), Some(id));
}

#[tokio::test]
async fn a_deleted_file_can_be_restored_by_an_admin_for_thirty_days() {
    let app = TestApp::spawn().await;
    let (chart, doctor) = doctor_and_chart(&app, "undo").await;
    let admin = app.admin_token().await;
    let files = format!("/api/v1/patients/{chart}/files");
    let (_, first) = upload(&app, &chart, &doctor, b"a.pdf", PDF).await;
    let (_, second) = upload(&app, &chart, &doctor, b"b.pdf", PDF).await;
    let (first, second) = (
        first["id"].as_str().unwrap(),
        second["id"].as_str().unwrap(),
    );

    for id in [first, second] {
        assert_eq!(
            app.delete(&format!("/api/v1/files/{id}"), Some(&doctor))
                .await,
            StatusCode::NO_CONTENT
        );
    }
    let (_, listed) = app.get(&files, Some(&doctor)).await;
    assert_eq!(listed["items"], json!([]));
    let (status, _) = app
        .get(&format!("/api/v1/files/{first}/content"), Some(&doctor))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, seen_by_admin) = app.get(&files, Some(&admin)).await;
    assert_eq!(seen_by_admin["items"].as_array().map(Vec::len), Some(2));
    assert!(seen_by_admin["items"][0]["deleted_at"].is_string());

    let (status, _) = app
        .post(
            &format!("/api/v1/files/{first}/restore"),
            Some(&doctor),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "restoring is an admin's act");
    let (status, restored) = app
        .post(
            &format!("/api/v1/files/{first}/restore"),
            Some(&admin),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{restored}");
    assert!(restored["deleted_at"].is_null());
    let (_, listed) = app.get(&files, Some(&doctor)).await;
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(1));

    app.clock.advance(chrono::Duration::days(31));
    let admin = app.admin_token().await;
    let (status, late) = app
        .post(
            &format!("/api/v1/files/{second}/restore"),
            Some(&admin),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(error_code(&late), "restore_window_passed");
}

#[tokio::test]
async fn the_chart_page_uploads_and_downloads_a_file() {
    let app = TestApp::spawn().await;
    let (chart, _) = doctor_and_chart(&app, "webfile").await;
    let mut web = WebSession::new(&app);
    web.sign_in("dr.webfile@example.org", PASSWORD).await;
    let page = web.get(&format!("/patients/{chart}")).await;
    let csrf = page.csrf();
    let action = format!("/patients/{chart}/files?csrf={csrf}");
    assert!(
        page.body()
            .contains(&format!(r#"action="{}""#, action.replace('&', "&amp;"))),
        "{}",
        page.html
    );

    let send = |csrf_query: String, content: &'static [u8]| {
        let (content_type, body) = multipart(b"discharge.pdf", content);
        let request = app
            .http
            .post(app.url(&format!("/patients/{chart}/files{csrf_query}")))
            .header("cookie", web.cookie_header())
            .header("content-type", content_type)
            .body(body);
        async move { request.send().await.expect("sent") }
    };
    assert_eq!(
        send(String::new(), PDF).await.status(),
        StatusCode::FORBIDDEN,
        "no token, no upload"
    );
    let refused = send(format!("?csrf={csrf}"), b"<html>nope</html>").await;
    assert_eq!(refused.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(
        refused
            .text()
            .await
            .expect("page")
            .contains("only PDF, PNG, JPEG, TIFF and plain text")
    );
    let sent = send(format!("?csrf={csrf}"), PDF).await;
    assert_eq!(sent.status(), StatusCode::SEE_OTHER);

    let page = web.get(&format!("/patients/{chart}")).await;
    let marker = "/files/";
    let start = page.body().find(marker).expect("a download link") + marker.len();
    let id: String = page.body()[start..]
        .chars()
        .take_while(|c| *c != '/')
        .collect();
    let download = web.get(&format!("/files/{id}/download")).await;
    assert_eq!(download.status, StatusCode::OK);
    assert_eq!(download.headers["content-type"], "application/pdf");
    assert_eq!(download.html.as_bytes(), PDF);
}

#[tokio::test]
async fn files_are_resealed_under_a_new_key_and_the_old_key_can_go() {
    let app = TestApp::spawn().await;
    let (chart, doctor) = doctor_and_chart(&app, "rotate").await;
    let (_, kept) = upload(&app, &chart, &doctor, b"old.pdf", PDF).await;
    let id = kept["id"].as_str().expect("id").to_owned();

    let new_key = "test-2:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";
    let both = format!("{new_key},{}", crate::helpers::FILE_KEYS);
    let rotated = TestApp::spawn_with(app.db.clone(), &[("MEDVAULT_FILE_KEYS", &both)]).await;
    let outcome = medvault::files::reseal_all(&rotated.state)
        .await
        .expect("resealed");
    assert_eq!(outcome.resealed, 1);
    assert!(outcome.damaged.is_empty());
    let again = medvault::files::reseal_all(&rotated.state)
        .await
        .expect("resealed");
    assert_eq!(again.resealed, 0, "nothing left under the old key");

    let objects = stored_objects(&app);
    assert_eq!(objects.len(), 1, "the old object is gone: {objects:?}");
    assert!(objects[0].ends_with(format!("{id}.test-2")), "{objects:?}");
    let new_only = TestApp::spawn_with(app.db.clone(), &[("MEDVAULT_FILE_KEYS", new_key)]).await;
    let token = new_only.login("dr.rotate@example.org", PASSWORD).await;
    let response = new_only
        .http
        .get(new_only.url(&format!("/api/v1/files/{id}/content")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.bytes().await.expect("body").as_ref(), PDF);
}
