//! Bulk import of an institution's patients and staff from CSV: every row checked, every fault
//! named by line and column, nothing half-imported, and a second import of the same file
//! changes nothing.

use std::fmt::Write as _;

use reqwest::StatusCode;
use serde_json::Value;

use crate::appointments::clinics;
use crate::helpers::{ADMIN_EMAIL, TestApp, answer, on_postgres};

async fn send(app: &TestApp, path: &str, token: &str, csv: &str) -> (StatusCode, Value) {
    let response = app
        .http
        .post(app.url(path))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(csv.to_owned())
        .send()
        .await
        .expect("sent");
    answer(response).await
}

/// `rows` patients, each with an email; every 7th has no birth date.
pub fn patients_file(rows: usize) -> String {
    let mut csv = String::from("name,birth_date,sex,email,phone\n");
    for n in 0..rows {
        let born = if n % 7 == 0 {
            String::new()
        } else {
            format!("19{:02}-0{}-1{}", 40 + n % 60, 1 + n % 9, n % 10)
        };
        writeln!(
            csv,
            "Patient {n},{born},{},patient{n}@import.example,+351 21 {n:06}",
            ["female", "male", "other"][n % 3]
        )
        .expect("string");
    }
    csv
}

async fn charts_registered(app: &TestApp, clinic: &str, token: &str) -> usize {
    let mut count = 0;
    let mut cursor = String::new();
    loop {
        let (status, page) = app
            .get(
                &format!("/api/v1/institutions/{clinic}/patients?limit=200{cursor}"),
                Some(token),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        count += page["items"].as_array().map_or(0, Vec::len);
        match page["next"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => return count,
        }
    }
}

#[tokio::test]
async fn a_file_with_bad_rows_imports_nothing_and_names_each_of_them() {
    let app = TestApp::spawn().await;
    let c = clinics(&app, "badrows").await;
    let path = format!("/api/v1/institutions/{}/imports/patients", c.clinic);
    let mut csv = patients_file(50);
    csv.push_str("Ana Bad,1990-13-01,female,ana@import.example,\n");
    csv.push_str(",1990-01-01,female,nameless@import.example,\n");
    csv.push_str("No Key,1990-01-01,female,,\n");
    let (status, body) = send(&app, &path, &c.desk, &csv).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "invalid_rows");
    let faults: Vec<(u64, String)> = body["error"]["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|f| {
            (
                f["line"].as_u64().expect("line"),
                f["field"].as_str().expect("field").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        faults,
        [
            (52, "birth_date".to_owned()),
            (53, "name".to_owned()),
            (54, "row".to_owned())
        ],
        "{body}"
    );
    assert_eq!(charts_registered(&app, &c.clinic, &c.desk).await, 0);
    // A header it does not know is refused before any row.
    let (status, body) = send(&app, &path, &c.desk, "name,blood_type\nAna,O+\n").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["rows"][0]["field"], "header");
}

#[tokio::test]
async fn importing_a_file_twice_changes_nothing_the_second_time() {
    let app = TestApp::spawn().await;
    let c = clinics(&app, "twice").await;
    let path = format!("/api/v1/institutions/{}/imports/patients", c.clinic);
    let csv = patients_file(300);
    let (status, planned) = send(&app, &format!("{path}?dry_run=true"), &c.desk, &csv).await;
    assert_eq!(status, StatusCode::OK, "{planned}");
    assert_eq!(planned["dry_run"], true);
    assert_eq!(planned["created"], 300);
    assert_eq!(
        charts_registered(&app, &c.clinic, &c.desk).await,
        0,
        "a dry run writes nothing"
    );
    let (status, first) = send(&app, &path, &c.desk, &csv).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(
        (first["created"].as_u64(), first["unchanged"].as_u64()),
        (Some(300), Some(0))
    );
    let (status, second) = send(&app, &path, &c.desk, &csv).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    assert_eq!(
        (second["created"].as_u64(), second["unchanged"].as_u64()),
        (Some(0), Some(300))
    );
    assert_eq!(charts_registered(&app, &c.clinic, &c.desk).await, 300);
    // A chart from elsewhere, named by its record number, is registered, not copied.
    let (_, elsewhere) = app
        .post(
            "/api/v1/patients",
            Some(&c.doctor),
            &serde_json::json!({"name": "Walk In"}),
        )
        .await;
    let mrn = elsewhere["mrn"].as_str().expect("mrn");
    let (status, added) = send(&app, &path, &c.desk, &format!("mrn,name\n{mrn},Walk In\n")).await;
    assert_eq!(status, StatusCode::OK, "{added}");
    assert_eq!(added["added"], 1);
    assert_eq!(charts_registered(&app, &c.clinic, &c.desk).await, 301);
    // Each chart opened is in the trail, by the desk that imported it.
    let opened = app
        .audit(medvault_store::AuditFilter {
            actions: vec!["patient.create".into()],
            actor_id: Some(c.desk_id.parse().expect("id")),
            ..Default::default()
        })
        .await;
    assert_eq!(opened.len(), 200, "the newest page of 300 entries");
    // Someone outside the clinic imports nothing there.
    let (_, outsider) = app.patient("outsider.import@example.org").await;
    let (status, _) = send(&app, &path, &outsider, &csv).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn staff_are_given_their_places_and_new_accounts_made_from_a_file() {
    let app = TestApp::spawn().await;
    let c = clinics(&app, "stafffile").await;
    let path = format!("/api/v1/institutions/{}/imports/staff", c.clinic);
    let existing = app.staff("existing.nurse@import.example", "staff").await;
    let csv = "email,name,account_role,role\n\
               existing.nurse@import.example,,,reception\n\
               new.doctor@import.example,Dr New,doctor,clinician\n\
               new.clerk@import.example,New Clerk,staff,reception\n";
    let (status, done) = send(&app, &path, &c.desk, csv).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(
        (done["created"].as_u64(), done["added"].as_u64()),
        (Some(2), Some(1))
    );
    let (status, again) = send(&app, &path, &c.desk, csv).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["unchanged"], 3, "{again}");
    let (_, staff) = app
        .get(
            &format!("/api/v1/institutions/{}/staff", c.clinic),
            Some(&c.desk),
        )
        .await;
    let placed: Vec<&str> = staff
        .as_array()
        .expect("list")
        .iter()
        .filter(|m| {
            m["user_id"] == existing.as_str()
                || m["email"]
                    .as_str()
                    .is_some_and(|e| e.ends_with("@import.example"))
        })
        .filter_map(|m| m["role"].as_str())
        .collect();
    assert_eq!(placed.len(), 3, "{staff}");
    // A place that does not fit the account, and a new account with no name, name their rows.
    let bad = "email,name,account_role,role\n\
               new.clerk@import.example,,,clinician\n\
               nobody@import.example,,doctor,clinician\n\
               boss@import.example,Boss,admin,admin\n";
    let (status, body) = send(&app, &path, &c.desk, bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let fields: Vec<&str> = body["error"]["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|f| f["field"].as_str())
        .collect();
    assert_eq!(
        fields,
        ["account_role"],
        "an import makes no admins: {body}"
    );
    let bad = "email,name,account_role,role\n\
               new.clerk@import.example,,,clinician\n\
               nobody@import.example,,doctor,clinician\n";
    let (status, body) = send(&app, &path, &c.desk, bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let fields: Vec<&str> = body["error"]["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|f| f["field"].as_str())
        .collect();
    assert_eq!(fields, ["role", "name"], "{body}");
}

#[tokio::test]
async fn a_hundred_thousand_patients_import_from_the_command_line_with_a_progress_bar_in_one_transaction()
 {
    let app = TestApp::spawn().await;
    let c = clinics(&app, "hundredk").await;
    // A hundred thousand on the embedded database; on a server, whose every statement is a round
    // trip, fewer (a debug build's figures at full size are in docs/performance.md).
    let rows = if on_postgres() { 5_000 } else { 100_000 };
    let file = app.db.dir.path().join("patients.csv");
    std::fs::write(&file, patients_file(rows)).expect("written");
    let run = |extra: &[&str]| {
        let mut command = crate::helpers::medvault(&app.db);
        command
            .args(["import", "patients"])
            .arg(&file)
            .args(["--institution", &c.clinic, "--by", ADMIN_EMAIL])
            .args(extra);
        command.output().expect("runs")
    };
    let started = std::time::Instant::now();
    let done = run(&[]);
    let took = started.elapsed();
    let (out, err) = (
        String::from_utf8_lossy(&done.stdout),
        String::from_utf8_lossy(&done.stderr),
    );
    assert!(done.status.success(), "{out}\n{err}");
    assert!(
        out.contains(&format!("Imported {rows} rows: {rows} created")),
        "{out}"
    );
    assert!(
        err.contains(&format!("100% {rows}/{rows} rows")),
        "a progress bar: {err}"
    );
    eprintln!("imported {rows} patients in {took:?}");
    assert_eq!(charts_registered_count(&app, &c.clinic).await, rows);
    // Again: nothing changes.
    let again = run(&[]);
    assert!(
        String::from_utf8_lossy(&again.stdout)
            .contains(&format!("0 created, 0 added, 0 changed, {rows} unchanged")),
        "{}",
        String::from_utf8_lossy(&again.stdout)
    );
    // A file with three bad rows: exit 2, the rows named, nothing imported.
    let mut bad = patients_file(10);
    bad = bad.replace("Patient 3,", "Patient 3 \u{7},");
    bad.push_str("Late,2999-01-01,female,late@import.example,\n");
    bad.push_str("Strange,1990-01-01,dragon,strange@import.example,\n");
    std::fs::write(&file, bad).expect("written");
    let refused = run(&["--dry-run"]);
    let err = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{err}");
    for named in ["line 5, name", "line 12, birth_date", "line 13, sex"] {
        assert!(err.contains(named), "{named} in {err}");
    }
}

async fn charts_registered_count(app: &TestApp, clinic: &str) -> usize {
    let clinic: medvault_domain::InstitutionId = clinic.parse().expect("id");
    app.state
        .read(move |conn| {
            Ok(medvault_store::repo::institutions::registered_keys(conn, clinic)?.len())
        })
        .await
        .expect("readable")
}

#[tokio::test]
async fn an_institutions_admin_runs_its_staff_and_imports_from_its_page() {
    let app = TestApp::spawn().await;
    let c = clinics(&app, "webimport").await;
    let mut web = crate::web::WebSession::new(&app);
    web.sign_in("desk.webimport@example.org", crate::helpers::PASSWORD)
        .await;
    let page = web.get(&format!("/institutions/{}", c.clinic)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body());
    assert!(page.body().contains("Dr. Test"), "its staff are listed");
    assert!(page.has_form(&format!("/institutions/{}/staff", c.clinic)));
    app.staff("nurse.webimport@example.org", "staff").await;
    let saved = web
        .post(
            &format!("/institutions/{}/staff", c.clinic),
            &[
                ("csrf", page.csrf().as_str()),
                ("email", "nurse.webimport@example.org"),
                ("role", "reception"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let page = web.get(&format!("/institutions/{}", c.clinic)).await;
    assert!(page.body().contains("nurse.webimport@example.org"));

    // A file checked, then imported, from the page; a file at fault lists its rows.
    let upload = |csv: String, dry_run: bool| {
        let (content_type, body) = crate::helpers::multipart(b"patients.csv", csv.as_bytes());
        let dry = if dry_run { "&dry_run=true" } else { "" };
        app.http
            .post(app.url(&format!(
                "/institutions/{}/imports/patients?csrf={}{dry}",
                c.clinic,
                page.csrf()
            )))
            .header("cookie", web.cookie_header())
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let checked = upload(patients_file(20), true).await.expect("sent");
    assert_eq!(checked.status(), StatusCode::OK);
    let text = checked.text().await.expect("html");
    assert!(text.contains("It would import"), "{text}");
    assert_eq!(charts_registered_count(&app, &c.clinic).await, 0);
    let imported = upload(patients_file(20), false).await.expect("sent");
    assert!(imported.text().await.expect("html").contains("20 created"));
    assert_eq!(charts_registered_count(&app, &c.clinic).await, 20);
    let refused = upload(
        "name,sex,email\nAna,dragon,ana@x.example\n".to_owned(),
        false,
    )
    .await
    .expect("sent");
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let text = refused.text().await.expect("html");
    assert!(
        text.contains("Nothing was imported") && text.contains("sex"),
        "{text}"
    );
}

#[tokio::test]
async fn the_institutions_page_follows_an_import_while_it_runs() {
    let app = TestApp::spawn().await;
    let c = clinics(&app, "following").await;
    let mut web = crate::web::WebSession::new(&app);
    web.sign_in("desk.following@example.org", crate::helpers::PASSWORD)
        .await;
    let page = web.get(&format!("/institutions/{}", c.clinic)).await;
    assert!(page.body().contains("data-progress"));
    assert!(page.body().contains("/static/import-progress.js"));

    // The page's ticket names the upload; while it runs, this server tells how far it is.
    let ticket = "00112233445566778899aabbccddeeff";
    let rows = 5_000;
    let (content_type, body) =
        crate::helpers::multipart(b"patients.csv", patients_file(rows).as_bytes());
    let sending = app
        .http
        .post(app.url(&format!(
            "/institutions/{}/imports/patients?csrf={}&ticket={ticket}",
            c.clinic,
            page.csrf()
        )))
        .header("cookie", web.cookie_header())
        .header("content-type", content_type)
        .body(body)
        .send();
    let import = tokio::spawn(sending);
    let asking = |ticket: &str| {
        app.http
            .get(app.url(&format!("/imports/{ticket}/progress")))
            .header("cookie", web.cookie_header())
            .send()
    };
    let ask = || async {
        let answer = asking(ticket).await.expect("asked");
        assert_eq!(answer.status(), StatusCode::OK);
        answer.json::<Value>().await.expect("json")
    };
    let mut seen_running = false;
    while !import.is_finished() {
        let seen = ask().await;
        if seen["known"] == true && seen["total"] == rows {
            assert!(
                seen["done"].as_u64().expect("done") <= rows as u64,
                "{seen}"
            );
            seen_running = true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let finished = import.await.expect("joined").expect("answered");
    assert_eq!(finished.status(), StatusCode::OK);
    let text = finished.text().await.expect("html");
    assert!(text.contains(&format!("{rows} created")), "{text}");
    assert!(seen_running, "the import was seen under way");
    let after = ask().await;
    assert_eq!(
        after["known"], false,
        "a finished import is forgotten: {after}"
    );

    let refused = asking("not-a-ticket").await.expect("asked");
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
}
