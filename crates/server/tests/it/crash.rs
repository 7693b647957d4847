//! A server killed outright (SIGKILL) in the middle of a thousand concurrent audited requests:
//! every request it acknowledged has its audit entry, every write it acknowledged its record,
//! and the trail still verifies. Runs the real binary, on either backend.

use std::collections::HashSet;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use diesel::prelude::*;
use medvault_store::schema::{audit_log, records};
use medvault_store::{Store, StoreOptions};
use serde_json::{Value, json};

use crate::helpers::{TestDb, medvault};
use crate::process::{Server, call, chart_with_doctor};

/// What a request that was answered left to be found.
enum Acknowledged {
    Read { correlation: String },
    Write { correlation: String, record: String },
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_acknowledged_nothing_it_did_not_keep() {
    const REQUESTS: usize = 1000;
    let db = TestDb::new();
    let mut server = Server::start(&db).await;
    let (chart, patient, doctor) = chart_with_doctor(&server).await;
    let records_url = format!("{}/api/v1/patients/{chart}/records", server.base);

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()
        .expect("client");
    let answered = Arc::new(AtomicUsize::new(0));
    let mut requests = tokio::task::JoinSet::new();
    for n in 0..REQUESTS {
        let correlation = format!("crash-{n:05}");
        let writes = n % 2 == 0;
        let request = if writes {
            client
                .post(&records_url)
                .bearer_auth(&doctor)
                .json(&json!({"title": format!("Visit {n}"), "notes": "Seen."}))
        } else {
            client.get(&records_url).bearer_auth(&patient)
        };
        let request = request.header("x-correlation-id", &correlation);
        let answered = answered.clone();
        requests.spawn(async move {
            let answer = request.send().await.ok()?;
            if !answer.status().is_success() {
                return None;
            }
            let body: Value = answer.json().await.ok()?;
            answered.fetch_add(1, Ordering::SeqCst);
            Some(if writes {
                Acknowledged::Write {
                    correlation,
                    record: body["id"].as_str()?.to_owned(),
                }
            } else {
                Acknowledged::Read { correlation }
            })
        });
    }
    // Kill it mid-stream: once some answers are out, with most still in flight.
    while answered.load(Ordering::SeqCst) < REQUESTS / 5 {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    server.child.kill().expect("SIGKILL");
    server.child.wait().expect("reaped");
    let acknowledged: Vec<Acknowledged> = requests.join_all().await.into_iter().flatten().collect();
    assert!(acknowledged.len() >= REQUESTS / 5, "{}", acknowledged.len());
    assert!(
        acknowledged.len() < REQUESTS,
        "the kill came after every answer: nothing was tested"
    );

    // It starts again on what it left, and everything it acknowledged is there.
    let restarted = Server::start(&db).await;
    let url = db.url.clone();
    let (entries, kept) = tokio::task::spawn_blocking(move || {
        let store = Store::open(&url, &StoreOptions::default()).expect("store");
        store
            .read(|conn| {
                let entries: HashSet<String> = audit_log::table
                    .select(audit_log::correlation_id)
                    .load::<Option<String>>(conn)?
                    .into_iter()
                    .flatten()
                    .collect();
                let kept: HashSet<String> = records::table
                    .select(records::id)
                    .load::<String>(conn)?
                    .into_iter()
                    .collect();
                Ok::<_, medvault_store::StoreError>((entries, kept))
            })
            .expect("readable")
    })
    .await
    .expect("joined");
    for ack in &acknowledged {
        match ack {
            Acknowledged::Read { correlation } => {
                assert!(
                    entries.contains(correlation),
                    "read {correlation} not audited"
                );
            }
            Acknowledged::Write {
                correlation,
                record,
            } => {
                assert!(
                    entries.contains(correlation),
                    "write {correlation} not audited"
                );
                assert!(kept.contains(record), "record of {correlation} lost");
            }
        }
    }
    drop(restarted);
    let verified = medvault(&db)
        .args(["audit", "verify"])
        .output()
        .expect("runs");
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stdout)
    );
}

/// A server killed outright while it reads a scanned report: the report is not lost; another
/// server takes it once the lease lapses, and reads it to the end.
#[tokio::test]
async fn a_report_being_read_when_its_server_is_killed_is_read_after_restart() {
    if !medvault_ingest::ocr::ready_for_tests() {
        return;
    }
    // A 300 dpi scan of another lab's report, so that reading it takes OCR's time.
    let folder = tempfile::tempdir().expect("folder");
    let pdf = folder.path().join("report.pdf");
    std::fs::write(&pdf, crate::lab_reports::REPORT).expect("written");
    let drawn = Command::new("pdftoppm")
        .args(["-r", "300", "-gray", "-png", "-singlefile"])
        .arg(&pdf)
        .arg(folder.path().join("scan"))
        .status()
        .expect("pdftoppm");
    assert!(drawn.success());
    let scan = std::fs::read(folder.path().join("scan.png")).expect("scan");

    let db = TestDb::new();
    let lease = [("MEDVAULT_LAB_LEASE_SECS", "2")];
    let mut first = Server::start_with(&db, &lease).await;
    let (chart, _, doctor) = chart_with_doctor(&first).await;
    let client = reqwest::Client::new();
    let (content_type, body) = crate::helpers::multipart(b"scan.png", &scan);
    let sent = call(
        client
            .post(format!(
                "{}/api/v1/patients/{chart}/lab-reports",
                first.base
            ))
            .bearer_auth(&doctor)
            .header("content-type", content_type)
            .body(body),
    )
    .await;
    let id = sent["id"].as_str().expect("id").to_owned();
    let status_at = |base: String| {
        let client = client.clone();
        let doctor = doctor.clone();
        let id = id.clone();
        async move {
            call(
                client
                    .get(format!("{base}/api/v1/lab-reports/{id}"))
                    .bearer_auth(&doctor),
            )
            .await
        }
    };
    // Killed as soon as it is reading.
    let started = std::time::Instant::now();
    while status_at(first.base.clone()).await["status"] != "reading" {
        assert!(started.elapsed() < Duration::from_secs(30), "never read");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first.child.kill().expect("killed");
    first.child.wait().expect("reaped");

    let second = Server::start_with(&db, &lease).await;
    let started = std::time::Instant::now();
    let read = loop {
        let report = status_at(second.base.clone()).await;
        if !matches!(report["status"].as_str(), Some("queued" | "reading")) {
            break report;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "not read after restart: {report}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(read["status"], "review", "{read}");
    assert_eq!(read["attempts"], 2, "taken again after the kill: {read}");
    assert_eq!(read["text_source"], "ocr");
    assert!(
        read["rows"].as_array().is_some_and(|rows| rows.len() >= 12),
        "{read}"
    );
}
