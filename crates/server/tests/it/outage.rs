//! When the database goes away: requests and `/readyz` answer 503 quickly instead of hanging,
//! and service comes back by itself once the database does. PostgreSQL only: an embedded SQLite
//! file does not go away.

use std::time::{Duration, Instant};

use diesel::{Connection, PgConnection, RunQueryDsl};
use reqwest::StatusCode;

use crate::helpers::{TestApp, on_postgres};

/// Runs `sql` as the database's administrator, on a connection of its own.
fn as_admin(app: &TestApp, sql: &str) {
    let (admin, _) = app
        .db
        .postgres
        .as_ref()
        .expect("a PostgreSQL test database");
    let mut conn = PgConnection::establish(admin).expect("administrator connection");
    diesel::sql_query(sql).execute(&mut conn).expect(sql);
}

fn database(app: &TestApp) -> String {
    app.db.postgres.as_ref().expect("PostgreSQL").1.clone()
}

/// Ends every connection the servers hold to the test database.
fn end_backends(app: &TestApp) {
    let name = database(app);
    as_admin(
        app,
        &format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = '{name}' AND pid <> pg_backend_pid()"
        ),
    );
}

/// Polls `path` until it answers 200; how long that took.
async fn until_ok(app: &TestApp, path: &str, token: &str, within: Duration) -> Duration {
    let start = Instant::now();
    loop {
        let (status, _) = app.get(path, Some(token)).await;
        if status == StatusCode::OK {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < within,
            "{path} still {status} after {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_lost_database_is_a_quick_503_and_service_returns_by_itself() {
    if !on_postgres() {
        return;
    }
    let app = TestApp::spawn().await;
    let (patient_id, token) = app.patient("outage@example.org").await;
    let records = format!("/api/v1/patients/{patient_id}/records");
    let (status, _) = app.get(&records, Some(&token)).await;
    assert_eq!(status, StatusCode::OK);

    // Every connection ended under the server's feet (a restart, a failover): reads find a
    // working connection and the audit writer reconnects, without a failed request.
    end_backends(&app);
    let (status, body) = app.get(&records, Some(&token)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app.get("/readyz", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // The database refuses connections: an answer within a second, a 503 in the error shape.
    let name = database(&app);
    as_admin(
        &app,
        &format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"),
    );
    end_backends(&app);
    for path in [records.as_str(), "/readyz", "/api/v1/auth/me"] {
        let start = Instant::now();
        let (status, body) = app.get(path, Some(&token)).await;
        let took = start.elapsed();
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{path}: {body}");
        if path != "/readyz" {
            assert_eq!(body["error"]["code"], "unavailable", "{path}: {body}");
        }
        assert!(took < Duration::from_secs(1), "{path} took {took:?}");
    }
    // Once the pool has found it refusing, requests are not held for the pool's wait for a
    // connection (0.8 s), which under load would keep the threads that wait from answering
    // the requests behind them within a second.
    let at_once: Vec<_> = (0..16)
        .map(|_| {
            let request = app.http.get(app.url(&records)).bearer_auth(&token);
            tokio::spawn(async move {
                let start = Instant::now();
                let status = request.send().await.map(|answer| answer.status());
                (status, start.elapsed())
            })
        })
        .collect();
    for answer in at_once {
        let (status, took) = answer.await.expect("joined");
        let status = status.expect("answered");
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(took < Duration::from_millis(400), "took {took:?}");
    }

    // And once it takes connections again, service is back within five seconds.
    as_admin(
        &app,
        &format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"),
    );
    until_ok(&app, &records, &token, Duration::from_secs(5)).await;
    until_ok(&app, "/readyz", &token, Duration::from_secs(5)).await;
    let trail = app.audit(medvault_store::AuditFilter::default()).await;
    assert!(
        trail
            .iter()
            .any(|row| row.entry.action == "record.list" && row.entry.outcome == "success")
    );
}
