//! The audit trail is append-only in the database and tamper-evident by its hash chain.

use diesel::RunQueryDsl;
use medvault_store::ChainCheck;
use medvault_store::repo::audit;

use crate::helpers::{PASSWORD, TestApp, TestDb, backend};

async fn execute(app: &TestApp, sql: &'static str) -> Result<usize, String> {
    app.state
        .store
        .clone()
        .read(move |conn| Ok::<_, medvault_store::StoreError>(diesel::sql_query(sql).execute(conn)))
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())
}

async fn verify(app: &TestApp) -> ChainCheck {
    app.state
        .read(|conn| Ok(audit::verify(conn)?))
        .await
        .expect("verify runs")
}

fn verify_command(db: &TestDb) -> std::process::Output {
    crate::helpers::medvault(db)
        .args(["audit", "verify"])
        .output()
        .expect("runs")
}

/// Some traffic, so that the trail has a few entries.
async fn activity(app: &TestApp) {
    app.patient("audited@example.org").await;
    app.login("audited@example.org", PASSWORD).await;
    let _ = app
        .post(
            "/api/v1/auth/login",
            None,
            &serde_json::json!({"email": "audited@example.org", "password": "wrong password!"}),
        )
        .await;
}

/// A privileged path around the append-only rule: the database owner switches it off (on
/// SQLite, by dropping `sqlite_trigger`). On Citus the owner needs none: the rule there is the
/// application role's privileges.
async fn bypass(app: &TestApp, sqlite_trigger: &'static str) {
    let sql = match backend().as_str() {
        "postgres" => "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only",
        "citus" => return,
        _ => sqlite_trigger,
    };
    execute(app, sql).await.expect("privileged bypass");
}

/// On Citus, which refuses triggers on distributed tables, the application's role holds only
/// SELECT and INSERT on the trail: what it tries otherwise is refused.
fn as_application_role(db: &TestDb, sql: &str) -> String {
    use diesel::Connection;
    let mut conn = diesel::PgConnection::establish(&db.url).expect("connection");
    diesel::sql_query(
        "DO $$ BEGIN CREATE ROLE medvault_application; \
         EXCEPTION WHEN duplicate_object THEN NULL; END $$",
    )
    .execute(&mut conn)
    .expect("role");
    diesel::sql_query("GRANT SELECT, INSERT ON audit_log TO medvault_application")
        .execute(&mut conn)
        .expect("grant");
    diesel::sql_query("SET ROLE medvault_application")
        .execute(&mut conn)
        .expect("set role");
    diesel::sql_query(sql)
        .execute(&mut conn)
        .expect_err("refused")
        .to_string()
}

#[tokio::test]
async fn the_database_refuses_to_change_or_remove_audit_entries() {
    let app = TestApp::spawn().await;
    activity(&app).await;
    assert!(matches!(verify(&app).await, ChainCheck::Intact { entries } if entries >= 4));
    for sql in [
        "UPDATE audit_log SET action = 'nothing.happened'",
        "DELETE FROM audit_log",
        "DELETE FROM audit_log WHERE id = 1",
        "TRUNCATE audit_log",
    ] {
        if sql.starts_with("TRUNCATE") && backend() == "sqlite" {
            continue; // SQLite has no TRUNCATE; its DELETE is refused above.
        }
        let refused = if backend() == "citus" {
            as_application_role(&app.db, sql)
        } else {
            execute(&app, sql).await.expect_err("refused")
        };
        let expected = if backend() == "citus" {
            "permission denied"
        } else {
            "append-only"
        };
        assert!(refused.contains(expected), "{sql}: {refused}");
    }
    assert!(matches!(verify(&app).await, ChainCheck::Intact { .. }));
}

#[tokio::test]
async fn an_entry_altered_behind_the_triggers_back_is_named_by_verify() {
    let app = TestApp::spawn().await;
    activity(&app).await;
    let intact = verify_command(&app.db);
    assert!(
        intact.status.success(),
        "{}",
        String::from_utf8_lossy(&intact.stderr)
    );
    assert!(String::from_utf8_lossy(&intact.stdout).contains("intact"));

    // A privileged path around the append-only rule: the database owner switches it off.
    bypass(&app, "DROP TRIGGER audit_log_no_update").await;
    execute(
        &app,
        "UPDATE audit_log SET action = 'nothing.happened' WHERE id = 3",
    )
    .await
    .expect("altered");

    assert_eq!(
        verify(&app).await,
        ChainCheck::Broken {
            id: 3,
            problem: "was altered after it was written"
        }
    );
    let broken = verify_command(&app.db);
    assert!(!broken.status.success(), "a broken chain fails the command");
    let said = String::from_utf8_lossy(&broken.stderr);
    assert!(
        said.contains("entry 3") && said.contains("altered"),
        "{said}"
    );
}

#[tokio::test]
async fn a_removed_entry_is_named_too() {
    let app = TestApp::spawn().await;
    activity(&app).await;
    // Entry 2's lane names who comes after it: the next entry in that lane, or nobody.
    let trail = app.audit(medvault_store::AuditFilter::default()).await;
    let lane = trail.iter().find(|row| row.id == 2).expect("entry 2").lane;
    let next_in_lane = trail
        .iter()
        .filter(|row| row.lane == lane && row.id > 2)
        .map(|row| row.id)
        .min();
    bypass(&app, "DROP TRIGGER audit_log_no_delete").await;
    execute(&app, "DELETE FROM audit_log WHERE id = 2")
        .await
        .expect("removed");
    let expected = match next_in_lane {
        Some(id) => ChainCheck::Broken {
            id,
            problem: "does not follow the entry before it: one was removed or altered",
        },
        None => ChainCheck::Broken {
            id: 2,
            problem: "is missing from the end of its chain",
        },
    };
    assert_eq!(verify(&app).await, expected);
}

#[tokio::test]
async fn each_request_stays_in_one_lane_and_every_lane_holds_together() {
    let app = TestApp::spawn().await;
    for n in 0..12 {
        app.patient(&format!("lanes{n}@example.org")).await;
    }
    let trail = app.audit(medvault_store::AuditFilter::default()).await;
    // Entries go to the lanes of the group writers (one on SQLite, several on PostgreSQL).
    let lanes: std::collections::BTreeSet<i32> = trail.iter().map(|row| row.lane).collect();
    assert!(lanes.iter().all(|lane| (1..=audit::LANES).contains(lane)));
    // Every request's entries share one lane.
    let mut by_request = std::collections::HashMap::new();
    for row in &trail {
        if let Some(correlation) = &row.entry.correlation_id {
            let lane = *by_request.entry(correlation.clone()).or_insert(row.lane);
            assert_eq!(lane, row.lane, "request {correlation} in two lanes");
        }
    }
    assert!(
        matches!(verify(&app).await, ChainCheck::Intact { entries } if entries as usize == trail.len())
    );
}

#[tokio::test]
async fn concurrent_reads_and_writes_on_two_servers_each_leave_one_entry_and_a_whole_chain() {
    let app = TestApp::spawn().await;
    let twin = app.twin().await;
    let (doctor_id, doctor) = app.doctor("group-dr@example.org").await;
    let (patient_id, patient) = app.patient("group-pt@example.org").await;
    app.join_care_team(&patient_id, &patient, &doctor_id).await;
    let records = format!("/api/v1/patients/{patient_id}/records");
    let client = reqwest::Client::new();
    let mut requests = tokio::task::JoinSet::new();
    const EACH: usize = 75;
    for n in 0..2 * EACH {
        let server = if n % 2 == 0 { &app } else { &twin };
        let writes = n < EACH;
        let request = if writes {
            client
                .post(server.url(&records))
                .bearer_auth(&doctor)
                .json(&serde_json::json!({"title": format!("Visit {n}"), "notes": "Seen."}))
        } else {
            client.get(server.url(&records)).bearer_auth(&patient)
        };
        let correlation = format!("group-{n:04}");
        let request = request.header("x-correlation-id", &correlation);
        requests.spawn(async move {
            let status = request.send().await.expect("answered").status();
            (correlation, writes, status)
        });
    }
    let answers = requests.join_all().await;
    for (correlation, writes, status) in &answers {
        let expected = if *writes { 201 } else { 200 };
        assert_eq!(status.as_u16(), expected, "{correlation}");
    }
    // Every answered request is in the trail exactly once, whichever server answered it.
    let trail = app.audit(medvault_store::AuditFilter::default()).await;
    for (correlation, _, _) in &answers {
        let entries = trail
            .iter()
            .filter(|row| row.entry.correlation_id.as_deref() == Some(correlation.as_str()))
            .count();
        assert_eq!(entries, 1, "{correlation}");
    }
    let (_, page) = app
        .get(&format!("{records}?limit=200"), Some(&patient))
        .await;
    assert_eq!(page["items"].as_array().map(Vec::len), Some(EACH));
    assert!(matches!(verify(&app).await, ChainCheck::Intact { .. }));
}

/// An entry appended outside the server's group commit, as a command does.
fn outside_entry(n: usize) -> medvault_store::AuditEntry {
    medvault_store::AuditEntry {
        at: chrono::Utc::now().naive_utc(),
        actor_id: None,
        actor_role: None,
        action: "backup.restore".into(),
        resource_type: "backup".into(),
        resource_id: None,
        patient_id: None,
        outcome: "success".into(),
        client_addr: None,
        correlation_id: Some(format!("outside-{n}")),
        reason: None,
        emergency: false,
    }
}

#[tokio::test]
async fn a_writer_whose_lane_moved_under_it_reads_it_afresh_and_loses_nothing() {
    let app = TestApp::spawn().await;
    let (doctor_id, doctor) = app.doctor("moved-dr@example.org").await;
    let (patient_id, patient) = app.patient("moved-pt@example.org").await;
    app.join_care_team(&patient_id, &patient, &doctor_id).await;
    let records = format!("/api/v1/patients/{patient_id}/records");
    let read = |n: usize| {
        app.http
            .get(app.url(&records))
            .bearer_auth(&doctor)
            .header("x-correlation-id", format!("moved-read-{n}"))
            .send()
    };
    // The server's writers know where their lanes end...
    assert_eq!(read(0).await.expect("answered").status(), 200);
    // ...until entries appended from outside the server move the end of every lane.
    app.state
        .write(|conn| {
            for n in 0..64 {
                audit::append(conn, &outside_entry(n))?;
            }
            Ok(())
        })
        .await
        .expect("appended from outside");
    let trail = app.audit(medvault_store::AuditFilter::default()).await;
    let moved: std::collections::BTreeSet<i32> = trail
        .iter()
        .filter(|row| {
            row.entry
                .correlation_id
                .as_deref()
                .is_some_and(|c| c.starts_with("outside-"))
        })
        .map(|row| row.lane)
        .collect();
    assert_eq!(moved.len(), audit::LANES as usize, "every lane moved");
    // The next reads are answered, each with its entry once, after the moved ends.
    for n in 1..=5 {
        assert_eq!(read(n).await.expect("answered").status(), 200);
    }
    let trail = app.audit(medvault_store::AuditFilter::default()).await;
    for n in 0..=5 {
        let correlation = format!("moved-read-{n}");
        let entries = trail
            .iter()
            .filter(|row| row.entry.correlation_id.as_deref() == Some(correlation.as_str()))
            .count();
        assert_eq!(entries, 1, "{correlation}");
    }
    assert!(matches!(verify(&app).await, ChainCheck::Intact { .. }));
}
