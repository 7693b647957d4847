//! `medvault backup`, `restore` and `transfer`, through the binary: a backup taken while writes
//! run restores whole into an empty database, files and audit trail included; a damaged or
//! altered backup is refused; a transfer leaves the same API answers on the target.

use std::path::Path;
use std::process::{Command, Output};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, TestDb, send_file};

const PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";

/// Runs `medvault ARGS` on `db`'s database and folder, as its servers are configured.
fn medvault(db: &TestDb, args: &[&str]) -> Output {
    crate::helpers::medvault(db)
        .args(args)
        .env("MEDVAULT_LOG", "warn")
        .output()
        .expect("runs")
}

fn said(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A chart with records and a file: (chart id, doctor's token).
async fn populated(app: &TestApp) -> (String, String) {
    let (doctor_id, doctor) = app.doctor("dr.backup@example.org").await;
    let (chart, patient) = app.patient("backup@example.org").await;
    app.join_care_team(&chart, &patient, &doctor_id).await;
    for n in 0..20 {
        let body = json!({"title": format!("Visit {n}"), "notes": "Stable."});
        let path = format!("/api/v1/patients/{chart}/records");
        let (status, record) = app.post(&path, Some(&doctor), &body).await;
        assert_eq!(status, StatusCode::CREATED, "{record}");
    }
    let path = format!("/api/v1/patients/{chart}/files");
    let (status, file) = send_file(app, &path, &doctor, b"scan.pdf", PDF).await;
    assert_eq!(status, StatusCode::CREATED, "{file}");
    (chart, doctor)
}

/// What the API says of a chart: its records and its files, as the doctor reads them.
async fn answers(app: &TestApp, chart: &str) -> (Value, Value, Vec<u8>) {
    let doctor = app.login("dr.backup@example.org", PASSWORD).await;
    let (status, records) = app
        .get(
            &format!("/api/v1/patients/{chart}/records?limit=100"),
            Some(&doctor),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{records}");
    let (_, files) = app
        .get(&format!("/api/v1/patients/{chart}/files"), Some(&doctor))
        .await;
    let file = files["items"][0]["id"].as_str().expect("a file").to_owned();
    let content = app
        .http
        .get(app.url(&format!("/api/v1/files/{file}/content")))
        .bearer_auth(&doctor)
        .send()
        .await
        .expect("sent");
    assert_eq!(content.status(), StatusCode::OK);
    let bytes = content.bytes().await.expect("bytes").to_vec();
    (records, files, bytes)
}

fn lines(path: &Path) -> usize {
    std::fs::read_to_string(path)
        .expect("readable")
        .lines()
        .count()
}

#[tokio::test]
async fn a_backup_taken_while_writes_run_restores_whole_and_verifiable() {
    let app = TestApp::spawn().await;
    let (chart, doctor) = populated(&app).await;
    let folder = tempfile::tempdir().expect("a folder");
    let dest = folder.path().join("backup");

    // Records go on being written while the backup runs.
    let writing = {
        let (base, http, chart, doctor) = (
            app.base.clone(),
            app.http.clone(),
            chart.clone(),
            doctor.clone(),
        );
        tokio::spawn(async move {
            for n in 0..30 {
                let sent = http
                    .post(format!("{base}/api/v1/patients/{chart}/records"))
                    .bearer_auth(&doctor)
                    .json(&json!({"title": format!("During {n}"), "notes": "Written meanwhile."}))
                    .send()
                    .await
                    .expect("sent");
                assert_eq!(sent.status(), StatusCode::CREATED);
            }
        })
    };
    let db = app.db.clone();
    let dest_arg = dest.display().to_string();
    let made = tokio::task::spawn_blocking(move || medvault(&db, &["backup", &dest_arg]))
        .await
        .expect("joined");
    writing.await.expect("the writes went on");
    assert!(made.status.success(), "{}", said(&made));
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(dest.join("manifest.json")).expect("a manifest"))
            .expect("json");
    let kept = lines(&dest.join("tables/records.jsonl"));
    assert!((20..=50).contains(&kept), "{kept} records kept");
    assert_eq!(manifest["files"].as_array().expect("files").len(), 1);

    // Into an empty database: every row, the file and the trail.
    let restored = TestDb::new();
    let src = dest.display().to_string();
    let done = medvault(&restored, &["restore", &src]);
    assert!(done.status.success(), "{}", said(&done));
    assert!(said(&done).contains("the audit trail verifies"));
    let verified = medvault(&restored, &["audit", "verify"]);
    assert!(verified.status.success(), "{}", said(&verified));
    // The backup holds the entry of its own making; the restore adds its own.
    let trail = std::fs::read_to_string(dest.join("tables/audit_log.jsonl")).expect("trail");
    assert!(
        trail.contains("database.backup"),
        "the backup is in its own trail"
    );
    let entries = trail.lines().count() + 1;
    assert!(
        said(&verified).contains(&format!("{entries} entries")),
        "{}",
        said(&verified)
    );
    let again = TestApp::spawn_with(restored, &[]).await;
    let (records, files, bytes) = answers(&again, &chart).await;
    assert_eq!(records["items"].as_array().expect("records").len(), kept);
    assert_eq!(files["items"].as_array().expect("files").len(), 1);
    assert_eq!(bytes, PDF, "the file opens with the same keys, whole");
    // The restored database goes on: a new record, a new audit entry, a trail that holds.
    let (status, _) = again
        .post(
            &format!("/api/v1/patients/{chart}/records"),
            Some(&again.login("dr.backup@example.org", PASSWORD).await),
            &json!({"title": "After", "notes": "Restored."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let verified = medvault(&again.db, &["audit", "verify"]);
    assert!(verified.status.success(), "{}", said(&verified));

    // A database that holds anyone is not restored into.
    let refused = medvault(&again.db, &["restore", &src]);
    assert!(!refused.status.success());
    assert!(said(&refused).contains("empty"), "{}", said(&refused));
}

#[tokio::test]
async fn a_damaged_or_altered_backup_is_refused_and_restores_nothing() {
    let app = TestApp::spawn().await;
    populated(&app).await;
    let folder = tempfile::tempdir().expect("a folder");
    let dest = folder.path().join("backup");
    let made = medvault(&app.db, &["backup", &dest.display().to_string()]);
    assert!(made.status.success(), "{}", said(&made));
    let restore = |dest: &Path| {
        let target = TestDb::new();
        let output = medvault(&target, &["restore", &dest.display().to_string()]);
        let empty = medvault(&target, &["audit", "verify"]);
        assert!(said(&empty).contains(" 0 entries"), "nothing was restored");
        output
    };

    // A byte changed in a table: its sum no longer matches.
    let damaged = folder.path().join("damaged");
    copy_folder(&dest, &damaged);
    let records = damaged.join("tables/records.jsonl");
    let text = std::fs::read_to_string(&records).expect("records");
    std::fs::write(&records, text.replacen("Visit", "Vizit", 1)).expect("written");
    let refused = restore(&damaged);
    assert!(!refused.status.success());
    assert!(
        said(&refused).contains("records.jsonl does not match its sum"),
        "{}",
        said(&refused)
    );

    // An audit entry altered, and its sum made to match: the chain gives it away.
    let altered = folder.path().join("altered");
    copy_folder(&dest, &altered);
    let trail = altered.join("tables/audit_log.jsonl");
    let text = std::fs::read_to_string(&trail).expect("trail");
    let mut entries: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).expect("an entry"))
        .collect();
    entries[0]["outcome"] = json!("denied");
    let text: String = entries.iter().map(|entry| format!("{entry}\n")).collect();
    std::fs::write(&trail, &text).expect("written");
    let manifest_path = altered.join("manifest.json");
    let mut manifest: Value =
        serde_json::from_slice(&std::fs::read(&manifest_path).expect("manifest")).expect("json");
    for table in manifest["tables"].as_array_mut().expect("tables") {
        if table["name"] == "audit_log" {
            use sha2::Digest;
            table["sha256"] = json!(hex::encode(sha2::Sha256::digest(text.as_bytes())));
        }
    }
    std::fs::write(&manifest_path, manifest.to_string()).expect("written");
    let refused = restore(&altered);
    assert!(!refused.status.success());
    assert!(
        said(&refused).contains("audit trail is broken"),
        "{}",
        said(&refused)
    );

    // A manifest that names a file outside its folder is not followed there.
    manifest["files"][0]["name"] = json!("../../../etc/hostname");
    std::fs::write(&manifest_path, manifest.to_string()).expect("written");
    let refused = restore(&altered);
    assert!(!refused.status.success());
    assert!(
        said(&refused).contains("not a part of a backup"),
        "{}",
        said(&refused)
    );
}

fn copy_folder(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("created");
    for entry in std::fs::read_dir(from).expect("readable").flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_folder(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copied");
        }
    }
}

#[tokio::test]
async fn a_transfer_from_sqlite_leaves_the_same_answers_and_a_verifiable_trail() {
    let source = TestApp::spawn_with(TestDb::sqlite(), &[]).await;
    let (chart, _) = populated(&source).await;
    let before = answers(&source, &chart).await;
    // The target: this run's backend (PostgreSQL, Citus, or another SQLite file), sharing the
    // source's file folder, as a clinic that moves its database keeps its files where they are.
    let target = TestDb::new();
    let files = source.db.dir.path().join("files");
    let moved = Command::new(env!("CARGO_BIN_EXE_medvault"))
        .args(["transfer", "--from", &source.db.url, "--to", &target.url])
        .env_clear()
        .env("MEDVAULT_LOG", "warn")
        .output()
        .expect("runs");
    assert!(moved.status.success(), "{}", said(&moved));
    assert!(
        said(&moved).contains("the audit trail verifies"),
        "{}",
        said(&moved)
    );
    // The copy's trail verifies, with the transfer's own entry after what was copied.
    let copied: usize = said(&moved)
        .split("on the target: ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("a count of entries");
    let verified = medvault(&target, &["audit", "verify"]);
    assert!(
        said(&verified).contains(&format!("intact: {} entries", copied + 1)),
        "{}",
        said(&verified)
    );
    let store = files.display().to_string();
    let after = TestApp::spawn_with(target, &[("MEDVAULT_FILE_STORE", &store)]).await;
    assert_eq!(answers(&after, &chart).await, before);
    // Into a database that holds anyone, nothing is copied.
    let again = Command::new(env!("CARGO_BIN_EXE_medvault"))
        .args(["transfer", "--from", &source.db.url, "--to", &after.db.url])
        .env_clear()
        .output()
        .expect("runs");
    assert!(!again.status.success());
}
