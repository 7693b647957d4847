//! Booting the app for a test, and the HTTP calls tests make.

use std::collections::HashMap;
use std::sync::Arc;

use diesel::{Connection, PgConnection, RunQueryDsl};
use medvault::app::AppState;
use medvault::config::Config;
use medvault::server::{bootstrap_admin, build_state, serve};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::sync::oneshot;

pub const ADMIN_EMAIL: &str = "root@medvault.test";
pub const ADMIN_PASSWORD: &str = "root-admin-passphrase";
pub const PASSWORD: &str = "a fine long passphrase";
pub const SECRET: &str = "test-secret-test-secret-test-secret-0123";
/// The file keys every test server shares: one current, as a deployment has.
pub const FILE_KEYS: &str = "test-1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// The `medvault` binary on `db`'s database and folder, with the secret and file keys the test
/// servers have, and nothing else of the test's environment.
pub fn medvault(db: &TestDb) -> std::process::Command {
    medvault_at(std::path::Path::new(env!("CARGO_BIN_EXE_medvault")), db)
}

/// As [`medvault`], from a copy of the binary at `program`.
pub fn medvault_at(program: &std::path::Path, db: &TestDb) -> std::process::Command {
    let mut command = std::process::Command::new(program);
    command
        .env_clear()
        .env("DATABASE_URL", &db.url)
        .env("MEDVAULT_DATA_DIR", db.dir.path())
        .env("MEDVAULT_SECRET", SECRET)
        .env("MEDVAULT_FILE_KEYS", FILE_KEYS);
    command
}

/// A database that lives as long as the test: a SQLite file in a temporary folder, or a
/// PostgreSQL database dropped at the end (on one server, or distributed over the local Citus
/// cluster).
pub struct TestDb {
    pub url: String,
    pub dir: tempfile::TempDir,
    /// The administrator's URL and the database's name, on PostgreSQL or Citus's coordinator.
    pub postgres: Option<(String, String)>,
    /// Citus's workers, by their administrator's URL.
    workers: Vec<String>,
}

/// `sqlite` (the default), `postgres`, or `citus`: `MEDVAULT_TEST_DATABASE`.
pub fn backend() -> String {
    std::env::var("MEDVAULT_TEST_DATABASE").unwrap_or_else(|_| "sqlite".into())
}

/// Whether the tests run on PostgreSQL, alone or as Citus.
pub fn on_postgres() -> bool {
    matches!(backend().as_str(), "postgres" | "citus")
}

fn admin_connection(url: &str) -> PgConnection {
    PgConnection::establish(url)
        .unwrap_or_else(|e| panic!("the tests need a database server at {url}: {e}"))
}

fn run(conn: &mut PgConnection, sql: &str) {
    diesel::sql_query(sql).execute(conn).expect(sql);
}

/// `url` with its database name replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, _) = url.rsplit_once('/').expect("a URL with a database name");
    format!("{base}/{name}")
}

impl TestDb {
    /// An embedded SQLite database, whatever the backend under test.
    pub fn sqlite() -> Arc<Self> {
        let dir = tempfile::tempdir().expect("temporary folder");
        Arc::new(TestDb {
            url: dir.path().join("medvault.db").display().to_string(),
            dir,
            postgres: None,
            workers: Vec::new(),
        })
    }

    /// A database on a server the test runs itself, at `url`: the test removes it.
    #[cfg(feature = "postgres-tls")]
    pub fn at(url: String) -> Arc<Self> {
        Arc::new(TestDb {
            url,
            dir: tempfile::tempdir().expect("temporary folder"),
            postgres: None,
            workers: Vec::new(),
        })
    }

    pub fn new() -> Arc<Self> {
        let dir = tempfile::tempdir().expect("temporary folder");
        let name = format!("medvault_test_{}", uuid::Uuid::new_v4().simple());
        match backend().as_str() {
            "sqlite" => Self::sqlite(),
            "postgres" => {
                let admin = std::env::var("MEDVAULT_TEST_PG_URL")
                    .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
                run(
                    &mut admin_connection(&admin),
                    &format!("CREATE DATABASE {name}"),
                );
                Arc::new(TestDb {
                    url: with_database(&admin, &name),
                    dir,
                    postgres: Some((admin, name)),
                    workers: Vec::new(),
                })
            }
            "citus" => {
                let coordinator = std::env::var("MEDVAULT_TEST_CITUS_URL")
                    .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5433/postgres".into());
                let workers: Vec<(String, String)> = std::env::var("MEDVAULT_TEST_CITUS_WORKERS")
                    .unwrap_or_else(|_| "127.0.0.1:5434,127.0.0.1:5435".into())
                    .split(',')
                    .map(|node| {
                        let (host, port) = node.rsplit_once(':').expect("host:port");
                        (host.to_owned(), port.to_owned())
                    })
                    .collect();
                let worker_urls: Vec<String> = workers
                    .iter()
                    .map(|(host, port)| format!("postgres://postgres@{host}:{port}/postgres"))
                    .collect();
                for admin in std::iter::once(&coordinator).chain(&worker_urls) {
                    run(
                        &mut admin_connection(admin),
                        &format!("CREATE DATABASE {name}"),
                    );
                    let mut db = admin_connection(&with_database(admin, &name));
                    run(&mut db, "CREATE EXTENSION citus");
                }
                let mut db = admin_connection(&with_database(&coordinator, &name));
                // A test's tables are small: four shards each keep its DDL and its
                // connections to the workers few (the default, 32, is for real data).
                run(
                    &mut db,
                    &format!("ALTER DATABASE {name} SET citus.shard_count = 4"),
                );
                let (host, port) = coordinator_host(&coordinator);
                run(
                    &mut db,
                    &format!("SELECT citus_set_coordinator_host('{host}', {port})"),
                );
                for (host, port) in &workers {
                    add_node(&mut db, host, port);
                }
                Arc::new(TestDb {
                    url: with_database(&coordinator, &name),
                    dir,
                    postgres: Some((coordinator, name)),
                    workers: worker_urls,
                })
            }
            other => {
                panic!("MEDVAULT_TEST_DATABASE must be sqlite, postgres or citus, not {other}")
            }
        }
    }
}

/// Registers a worker with the coordinator. Tests that start at once register their workers at
/// once, and Citus then sometimes loses the race for a connection: try again a few times.
fn add_node(coordinator: &mut PgConnection, host: &str, port: &str) {
    let sql = format!("SELECT citus_add_node('{host}', {port})");
    for attempt in 1.. {
        match diesel::sql_query(&sql).execute(coordinator) {
            Ok(_) => return,
            Err(error) if attempt < 10 => {
                eprintln!("{sql}: {error}; trying again");
                std::thread::sleep(std::time::Duration::from_millis(200 * attempt));
            }
            Err(error) => panic!("{sql}: {error}"),
        }
    }
}

/// The host and port of a `postgres://user@host:port/db` URL.
fn coordinator_host(url: &str) -> (String, String) {
    let authority = url
        .split_once("://")
        .map(|(_, rest)| rest.split('/').next().unwrap_or_default())
        .unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    let (host, port) = host_port.rsplit_once(':').unwrap_or((host_port, "5432"));
    (host.to_owned(), port.to_owned())
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((admin, name)) = &self.postgres else {
            return;
        };
        for admin in std::iter::once(admin).chain(&self.workers) {
            if let Ok(mut conn) = PgConnection::establish(admin) {
                let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn);
            }
        }
    }
}

/// The servers' clock: real time plus an offset that a test moves forward, or a frozen instant
/// where a test needs to the second.
#[derive(Clone, Default)]
pub struct TestClock(Arc<std::sync::Mutex<ClockSetting>>);

#[derive(Default)]
struct ClockSetting {
    offset: chrono::Duration,
    frozen: Option<chrono::NaiveDateTime>,
}

impl TestClock {
    pub fn advance(&self, by: chrono::Duration) {
        let mut setting = self.0.lock().expect("clock");
        match &mut setting.frozen {
            Some(at) => *at += by,
            None => setting.offset += by,
        }
    }

    /// Stops the clock at `at`: from now on it moves only when advanced.
    pub fn freeze_at(&self, at: chrono::NaiveDateTime) {
        self.0.lock().expect("clock").frozen = Some(at);
    }

    pub fn now(&self) -> chrono::NaiveDateTime {
        let setting = self.0.lock().expect("clock");
        setting
            .frozen
            .unwrap_or_else(|| chrono::Utc::now().naive_utc() + setting.offset)
    }

    fn as_clock(&self) -> medvault::app::Clock {
        let clock = self.clone();
        Arc::new(move || clock.now())
    }
}

/// A running server.
pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    pub state: AppState,
    pub db: Arc<TestDb>,
    pub clock: TestClock,
    _stop: oneshot::Sender<()>,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(TestDb::new(), &[]).await
    }

    /// A server on an existing database, with extra configuration.
    pub async fn spawn_with(db: Arc<TestDb>, extra: &[(&str, &str)]) -> Self {
        Self::spawn_full(db, extra, TestClock::default()).await
    }

    /// A second server on this one's database and clock.
    pub async fn twin(&self) -> Self {
        Self::spawn_full(self.db.clone(), &[], self.clock.clone()).await
    }

    pub async fn spawn_full(db: Arc<TestDb>, extra: &[(&str, &str)], clock: TestClock) -> Self {
        let mut vars: HashMap<String, String> = [
            ("DATABASE_URL", db.url.as_str()),
            (
                "MEDVAULT_DATA_DIR",
                db.dir.path().to_str().expect("utf-8 path"),
            ),
            ("MEDVAULT_SECRET", SECRET),
            ("MEDVAULT_FILE_KEYS", FILE_KEYS),
            ("ADMIN_EMAIL", ADMIN_EMAIL),
            ("ADMIN_PASSWORD", ADMIN_PASSWORD),
            ("MEDVAULT_DB_MAX_CONNECTIONS", "4"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        for (key, value) in extra {
            vars.insert((*key).to_owned(), (*value).to_owned());
        }
        let mut config =
            Config::from_lookup(|name| vars.get(name).cloned()).expect("test configuration");
        // This harness is not `medvault`; the server's hashing process is.
        config.hash_program = env!("CARGO_BIN_EXE_medvault").into();
        let server_clock = clock.as_clock();
        let state = tokio::task::spawn_blocking(move || build_state(config, server_clock))
            .await
            .expect("join")
            .expect("state");
        bootstrap_admin(&state).await.expect("first admin");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let (stop, stopped) = oneshot::channel::<()>();
        let served = state.clone();
        tokio::spawn(async move {
            let stop = async {
                let _ = stopped.await;
            };
            if let Err(error) = serve(listener, served, stop).await {
                panic!("the test server stopped: {error:#}");
            }
        });
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        TestApp {
            base,
            http,
            state,
            db,
            clock,
            _stop: stop,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        let mut request = self.http.get(self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        answer(
            request
                .send()
                .await
                .unwrap_or_else(|e| panic!("request to {path} failed: {e:?}")),
        )
        .await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> (StatusCode, Value) {
        self.send_json(reqwest::Method::POST, path, token, body)
            .await
    }

    pub async fn put(&self, path: &str, token: Option<&str>, body: &Value) -> (StatusCode, Value) {
        self.send_json(reqwest::Method::PUT, path, token, body)
            .await
    }

    async fn send_json(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> (StatusCode, Value) {
        let mut request = self.http.request(method, self.url(path)).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        answer(
            request
                .send()
                .await
                .unwrap_or_else(|e| panic!("request to {path} failed: {e:?}")),
        )
        .await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> StatusCode {
        let mut request = self.http.delete(self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request
            .send()
            .await
            .unwrap_or_else(|e| panic!("request to {path} failed: {e:?}"))
            .status()
    }

    /// How long after a session was ended through another server this one still honoured it,
    /// asking `path` with `token` until it answers 401. A server remembers live sessions and
    /// hears of ends from the database: the answer is within milliseconds, and never beyond the
    /// trust period. Zero when refused on the first try.
    pub async fn honoured_after_end(&self, path: &str, token: &str) -> std::time::Duration {
        let bound = medvault::auth::live::REMEMBER_FOR + std::time::Duration::from_millis(250);
        let start = std::time::Instant::now();
        let mut first_try = true;
        loop {
            let (status, _) = self.get(path, Some(token)).await;
            if status == StatusCode::UNAUTHORIZED {
                return if first_try {
                    std::time::Duration::ZERO
                } else {
                    start.elapsed()
                };
            }
            first_try = false;
            assert!(
                start.elapsed() < bound,
                "still honoured {bound:?} after its end"
            );
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
    }

    /// Registers through the API and returns the new user's id.
    pub async fn register(&self, email: &str, name: &str, role: &str) -> String {
        let body = json!({"email": email, "password": PASSWORD, "name": name, "role": role});
        let (status, user) = self.post("/api/v1/auth/register", None, &body).await;
        assert_eq!(status, StatusCode::CREATED, "{user}");
        user["id"].as_str().expect("id").to_owned()
    }

    pub async fn login(&self, email: &str, password: &str) -> String {
        let (status, body) = self
            .post(
                "/api/v1/auth/login",
                None,
                &json!({"email": email, "password": password}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["access_token"].as_str().expect("token").to_owned()
    }

    pub async fn admin_token(&self) -> String {
        self.login(ADMIN_EMAIL, ADMIN_PASSWORD).await
    }

    /// An active doctor created by the admin: (user id, token).
    pub async fn doctor(&self, email: &str) -> (String, String) {
        let admin = self.admin_token().await;
        let body =
            json!({"email": email, "password": PASSWORD, "name": "Dr. Test", "role": "doctor"});
        let (status, user) = self.post("/api/v1/users", Some(&admin), &body).await;
        assert_eq!(status, StatusCode::CREATED, "{user}");
        (
            user["id"].as_str().expect("id").to_owned(),
            self.login(email, PASSWORD).await,
        )
    }

    /// A user of any role, created by the admin and active; returns their id.
    pub async fn staff(&self, email: &str, role: &str) -> String {
        self.named(email, &format!("Test {role}"), role).await
    }

    /// A user of `role` named `name`, created by the admin and active; returns their id.
    pub async fn named(&self, email: &str, name: &str, role: &str) -> String {
        let admin = self.admin_token().await;
        let body = json!({"email": email, "password": PASSWORD, "name": name, "role": role});
        let (status, user) = self.post("/api/v1/users", Some(&admin), &body).await;
        assert_eq!(status, StatusCode::CREATED, "{user}");
        user["id"].as_str().expect("id").to_owned()
    }

    /// A self-registered patient: (chart id, token).
    pub async fn patient(&self, email: &str) -> (String, String) {
        self.register(email, "Pat Patient", "patient").await;
        let token = self.login(email, PASSWORD).await;
        let (_, me) = self.get("/api/v1/auth/me", Some(&token)).await;
        (
            me["patient_id"].as_str().expect("patient chart").to_owned(),
            token,
        )
    }

    /// The patient puts the doctor on their care team.
    pub async fn join_care_team(&self, patient_id: &str, patient_token: &str, doctor_id: &str) {
        let path = format!("/api/v1/patients/{patient_id}/care-team");
        let (status, body) = self
            .post(&path, Some(patient_token), &json!({"doctor_id": doctor_id}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }

    /// Audit entries, newest first, straight from the database.
    pub async fn audit(
        &self,
        filter: medvault_store::AuditFilter,
    ) -> Vec<medvault_store::AuditRow> {
        self.state
            .read(
                move |conn| Ok(medvault_store::repo::audit::list(conn, &filter, None, 200)?.items),
            )
            .await
            .expect("audit readable")
    }
}

/// A `multipart/form-data` body with one file part (its name sent as given, bytes and all).
pub fn multipart(file_name: &[u8], content: &[u8]) -> (String, Vec<u8>) {
    let boundary = "medvault-test-boundary-7d3f";
    let mut body = Vec::new();
    body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
    body.extend_from_slice(b"Content-Disposition: form-data; name=\"file\"; filename=\"");
    body.extend_from_slice(file_name);
    body.extend_from_slice(b"\"\r\nContent-Type: application/pdf\r\n\r\n");
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Posts one file to `path` as a multipart upload.
pub async fn send_file(
    app: &TestApp,
    path: &str,
    token: &str,
    name: &[u8],
    content: &[u8],
) -> (StatusCode, Value) {
    let (content_type, body) = multipart(name, content);
    let response = app
        .http
        .post(app.url(path))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("sent");
    answer(response).await
}

pub async fn answer(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.expect("body");
    let value = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, value)
}

/// Asserts the one error shape, and returns its code.
pub fn error_code(body: &Value) -> &str {
    let error = &body["error"];
    assert!(error["message"].is_string(), "error shape: {body}");
    assert!(
        error["correlation_id"]
            .as_str()
            .is_some_and(|id| !id.is_empty()),
        "error shape: {body}"
    );
    error["code"].as_str().expect("error code")
}
