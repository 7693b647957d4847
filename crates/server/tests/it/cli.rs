//! The `medvault` binary itself: seeding, creating an admin, and serving until SIGTERM.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use crate::helpers::{TestDb, medvault};

#[tokio::test]
async fn seed_demo_prints_credentials_and_runs_once() {
    let db = TestDb::new();
    let first = medvault(&db)
        .args(["seed", "--demo"])
        .output()
        .expect("runs");
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let printed = String::from_utf8_lossy(&first.stdout);
    assert!(printed.contains("Demo data created."));
    for expected in [
        "admin@demo.medvault.test",
        "dr.okafor@demo.medvault.test",
        "sofia@demo.medvault.test",
        "trainee@demo.medvault.test",
        "intern@demo.medvault.test",
        "demo-doctor-passphrase",
    ] {
        assert!(printed.contains(expected), "{expected} in {printed}");
    }
    let again = medvault(&db)
        .args(["seed", "--demo"])
        .output()
        .expect("runs");
    assert!(
        again.status.success(),
        "{:?}\n{}",
        again.status,
        String::from_utf8_lossy(&again.stderr)
    );
    assert!(String::from_utf8_lossy(&again.stdout).contains("already there"));

    // The demo people can sign in and see what their role allows.
    let app = crate::helpers::TestApp::spawn_with(db, &[]).await;
    let seen = |token: String| {
        let app = &app;
        async move {
            let (_, list) = app.get("/api/v1/patients", Some(&token)).await;
            let mut names: Vec<String> = list["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|p| p["name"].as_str().expect("name").to_owned())
                .collect();
            names.sort();
            names
        }
    };
    let doctor = app
        .login("dr.okafor@demo.medvault.test", "demo-doctor-passphrase")
        .await;
    assert_eq!(seen(doctor).await, ["Kenji Tanaka", "Sofia Rossi"]);
    let trainee = app
        .login("trainee@demo.medvault.test", "demo-trainee-passphrase")
        .await;
    assert_eq!(seen(trainee).await, ["Kenji Tanaka"]);
    let intern = app
        .login("intern@demo.medvault.test", "demo-intern-passphrase")
        .await;
    assert_eq!(seen(intern).await, ["Sofia Rossi"]);

    // What the demo made is in the audit trail, by whom the demo says made it, and the chain holds.
    let entries = |action: &'static str| {
        app.audit(medvault_store::AuditFilter {
            actions: vec![action.into()],
            ..Default::default()
        })
    };
    let written = entries("record.create").await;
    assert_eq!(written.len(), 5);
    assert!(
        written
            .iter()
            .all(|row| row.entry.actor_role.as_deref() == Some("doctor")
                && row.entry.patient_id.is_some())
    );
    assert_eq!(entries("user.create").await.len(), 10);
    // The clinic's front desk sees the three patients registered there, and their visits: two
    // booked (one insurance pending) and one cancelled.
    let desk = app
        .login("desk@demo.medvault.test", "demo-staff-passphrase")
        .await;
    assert_eq!(
        seen(desk.clone()).await,
        ["Kenji Tanaka", "María García", "Sofia Rossi"]
    );
    let (_, places) = app.get("/api/v1/institutions", Some(&desk)).await;
    assert_eq!(places.as_array().map(Vec::len), Some(2), "{places}");
    let (_, patients) = app.get("/api/v1/patients", Some(&desk)).await;
    let mut visits = Vec::new();
    for chart in patients["items"].as_array().expect("items") {
        let id = chart["id"].as_str().expect("id");
        let (status, list) = app
            .get(&format!("/api/v1/patients/{id}/appointments"), Some(&desk))
            .await;
        assert_eq!(status, reqwest::StatusCode::OK, "{list}");
        for visit in list.as_array().expect("list") {
            visits.push(format!(
                "{} {}",
                visit["status"], visit["eligibility"]["status"]
            ));
        }
    }
    visits.sort();
    assert_eq!(
        visits,
        [
            r#""booked" "pending""#,
            r#""booked" "verified""#,
            r#""cancelled" "no_coverage""#
        ]
    );
    // One doctor waits for approval, so that the admin page has someone to approve.
    let (status, error) = app
        .post(
            "/api/v1/auth/login",
            None,
            &serde_json::json!({"email": "dr.nakamura@demo.medvault.test", "password": "demo-pending-passphrase"}),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::FORBIDDEN);
    assert_eq!(error["error"]["code"], "account_pending");
    assert_eq!(entries("intern_grant.issue").await.len(), 1);
    let check = app
        .state
        .read(|conn| Ok(medvault_store::repo::audit::verify(conn)?))
        .await
        .expect("verify");
    assert!(
        matches!(check, medvault_store::ChainCheck::Intact { .. }),
        "{check:?}"
    );
}

/// A command that has done its work ends cleanly, however soon: the pool may still be opening
/// connections on threads of its own as the process exits (on PostgreSQL with OpenSSL, one
/// command in eight used to end in a segmentation fault then).
#[test]
fn commands_that_end_at_once_end_cleanly() {
    let db = TestDb::new();
    for run in 0..40 {
        let done = medvault(&db).arg("migrate").output().expect("runs");
        assert!(
            done.status.success(),
            "run {run}: {:?}\n{}",
            done.status,
            String::from_utf8_lossy(&done.stderr)
        );
    }
}

#[test]
fn admin_create_reads_the_password_from_standard_input() {
    let db = TestDb::new();
    let mut child = medvault(&db)
        .args([
            "admin",
            "create",
            "--email",
            "chief@example.org",
            "--name",
            "Chief",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"chief admin passphrase\n")
        .expect("written");
    let output = child.wait_with_output().expect("finishes");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("Admin created: chief@example.org"));

    let mut weak = medvault(&db)
        .args(["admin", "create", "--email", "weak@example.org"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    weak.stdin
        .take()
        .expect("stdin")
        .write_all(b"short\n")
        .expect("written");
    let output = weak.wait_with_output().expect("finishes");
    assert!(!output.status.success(), "a short password is refused");
    assert!(String::from_utf8_lossy(&output.stderr).contains("password"));
}

/// Where a starting server listens, once its log says it serves.
fn serving(child: &mut std::process::Child) -> String {
    let stdout = BufReader::new(child.stdout.take().expect("stdout"));
    for line in stdout.lines() {
        let line = line.expect("log line");
        let entry: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|_| panic!("not JSON: {line}"));
        if entry["message"] == "MedVault is serving" {
            return entry["address"].as_str().expect("an address").to_owned();
        }
    }
    panic!("the server never said where it listens");
}

#[tokio::test]
async fn secrets_may_come_from_files_as_containers_pass_them() {
    let db = TestDb::new();
    let secrets = tempfile::tempdir().expect("a folder");
    let file = |name: &str, value: &str| {
        let path = secrets.path().join(name);
        std::fs::write(&path, value).expect("written");
        path.display().to_string()
    };
    let secret = file("medvault_secret", "a secret read from a file, 32+ bytes\n");
    let password = file("admin_password", "an admin passphrase from a file\n");
    let mut child = medvault(&db)
        .arg("serve")
        .env_remove("MEDVAULT_SECRET")
        .env("MEDVAULT_SECRET_FILE", &secret)
        .env("ADMIN_EMAIL", "boot@example.org")
        .env("ADMIN_PASSWORD_FILE", &password)
        .env("MEDVAULT_LISTEN", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("runs");
    let address = serving(&mut child);
    let signed_in = reqwest::Client::new()
        .post(format!("http://{address}/api/v1/auth/login"))
        .json(&serde_json::json!({
            "email": "boot@example.org",
            "password": "an admin passphrase from a file",
        }))
        .send()
        .await
        .expect("answered");
    child.kill().expect("stopped");
    child.wait().expect("ended");
    assert_eq!(signed_in.status(), reqwest::StatusCode::OK);

    let refused = medvault(&db)
        .arg("serve")
        .env("MEDVAULT_SECRET_FILE", &secret)
        .output()
        .expect("runs");
    assert!(!refused.status.success(), "a value given twice is refused");
    assert!(String::from_utf8_lossy(&refused.stderr).contains("both set"));
}

#[test]
fn serve_explains_how_to_start_and_stops_cleanly_on_sigterm() {
    let db = TestDb::new();
    let mut child = medvault(&db)
        .arg("serve")
        .env("MEDVAULT_LISTEN", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    let address = serving(&mut child);
    let health = std::net::TcpStream::connect(&address).map(|mut stream| {
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .expect("sent");
        let mut answer = String::new();
        std::io::Read::read_to_string(&mut stream, &mut answer).expect("read");
        answer
    });
    assert!(health.expect("connected").starts_with("HTTP/1.1 200"));

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let output = child.wait_with_output().expect("exits");
    assert!(output.status.success(), "exit status {:?}", output.status);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no accounts yet") && stderr.contains("seed --demo"),
        "{stderr}"
    );
}

#[tokio::test]
async fn seed_scale_fills_charts_records_and_a_whole_trail() {
    let db = TestDb::new();
    let seeded = medvault(&db)
        .args(["seed", "--scale", "--doctors", "4", "--patients", "30"])
        .args([
            "--records",
            "600",
            "--lab-results",
            "720",
            "--audit-entries",
            "12000",
        ])
        .output()
        .expect("runs");
    assert!(
        seeded.status.success(),
        "{}",
        String::from_utf8_lossy(&seeded.stderr)
    );
    let verified = medvault(&db)
        .args(["audit", "verify"])
        .output()
        .expect("runs");
    let said = String::from_utf8_lossy(&verified.stdout);
    assert!(
        verified.status.success() && said.contains("12000 entries"),
        "{said}"
    );
    let again = medvault(&db)
        .args(["seed", "--scale", "--doctors", "1", "--patients", "1"])
        .output()
        .expect("runs");
    assert!(!again.status.success(), "a second fill is refused");

    // A seeded doctor signs in and sees the records of a patient in their care.
    let app = crate::helpers::TestApp::spawn_with(db, &[]).await;
    let doctor = app
        .login("doctor1@scale.medvault.test", "scale-seed-passphrase")
        .await;
    let (_, charts) = app.get("/api/v1/patients?limit=200", Some(&doctor)).await;
    let charts = charts["items"].as_array().expect("items").clone();
    // Patient n is in the care of doctors n and n + 1 (mod 4): doctor 1 has those where n mod 4
    // is 0 or 1, sixteen of thirty.
    assert_eq!(charts.len(), 16);
    let chart = charts[0]["id"].as_str().expect("id");
    let (_, records) = app
        .get(
            &format!("/api/v1/patients/{chart}/records?limit=200"),
            Some(&doctor),
        )
        .await;
    let records = records["items"].as_array().expect("items");
    assert_eq!(records.len(), 20);
    // Newest first, as the list orders them by id: a seeded record's time agrees with its id.
    let times: Vec<&str> = records
        .iter()
        .filter_map(|r| r["created_at"].as_str())
        .collect();
    assert_eq!(times.len(), 20);
    assert!(times.windows(2).all(|t| t[0] > t[1]), "{times:?}");
    // 720 results round 30 charts: 24 each, two of each of twelve tests, some outside range.
    let (_, labs) = app
        .get(
            &format!("/api/v1/patients/{chart}/lab-results?limit=200"),
            Some(&doctor),
        )
        .await;
    let labs = labs["items"].as_array().expect("items").clone();
    assert_eq!(labs.len(), 24);
    let codes: std::collections::BTreeSet<&str> =
        labs.iter().filter_map(|r| r["code"].as_str()).collect();
    assert_eq!(codes.len(), 12);
    assert!(labs.iter().any(|r| r["interpretation"] != "normal"));
}

/// `medvault labs parse FILE` needs no database, configuration or server: it prints the rows
/// as JSON, and a file it cannot read gives its reason as JSON and exit status 2.
#[test]
fn labs_parse_prints_rows_and_reasons_as_json() {
    let folder = tempfile::tempdir().expect("folder");
    let report = folder.path().join("westgate.pdf");
    std::fs::write(&report, crate::lab_reports::REPORT).expect("written");
    let parse = |file: &std::path::Path| {
        Command::new(env!("CARGO_BIN_EXE_medvault"))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .current_dir(folder.path())
            .args(["labs", "parse"])
            .arg(file)
            .output()
            .expect("runs")
    };
    let read = parse(&report);
    assert!(
        read.status.success(),
        "{}",
        String::from_utf8_lossy(&read.stderr)
    );
    let parsed: serde_json::Value = serde_json::from_slice(&read.stdout).expect("json");
    assert_eq!(parsed["pages"][0]["source"], "text-layer");
    let rows = parsed["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 13);
    assert_eq!(rows[0]["code"], "2951-2");
    assert_eq!(rows[0]["value"]["value"], 139.0);
    assert!(!folder.path().join("data").exists(), "no data folder made");

    let empty = folder.path().join("empty.pdf");
    std::fs::write(&empty, b"").expect("written");
    let refused = parse(&empty);
    assert_eq!(refused.status.code(), Some(2));
    let reason: serde_json::Value = serde_json::from_slice(&refused.stdout).expect("json");
    assert_eq!(reason["error"]["code"], "empty");
    assert_eq!(reason["error"]["message"], "the file is empty");
}
