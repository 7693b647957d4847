//! A `medvault serve` process, the real binary, for the tests that kill it, restart it or read
//! what it logs.

use std::path::Path;
use std::process::{Child, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, TestDb, medvault_at};

/// A `medvault serve` process on a free loopback port.
pub struct Server {
    pub child: Child,
    pub base: String,
    log: std::path::PathBuf,
}

impl Server {
    pub async fn start(db: &TestDb) -> Server {
        Server::start_with(db, &[]).await
    }

    /// A server with extra configuration; it logs to a file of its own.
    pub async fn start_with(db: &TestDb, extra: &[(&str, &str)]) -> Server {
        Server::start_from(Path::new(env!("CARGO_BIN_EXE_medvault")), db, extra).await
    }

    /// A server run from a copy of the binary at `program`.
    pub async fn start_from(program: &Path, db: &TestDb, extra: &[(&str, &str)]) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let log = db.dir.path().join(format!("server-{port}.log"));
        let child = medvault_at(program, db)
            .arg("serve")
            .env("MEDVAULT_LISTEN", format!("127.0.0.1:{port}"))
            .env("ADMIN_EMAIL", ADMIN_EMAIL)
            .env("ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("MEDVAULT_LOG", "error")
            // OCR's tools are found on the PATH.
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(extra.iter().copied())
            .stdout(std::fs::File::create(&log).expect("a log file"))
            .stderr(Stdio::null())
            .spawn()
            .expect("the server starts");
        let server = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log,
        };
        let client = reqwest::Client::new();
        for _ in 0..300 {
            let ready = client.get(format!("{}/readyz", server.base)).send().await;
            if ready.is_ok_and(|answer| answer.status().is_success()) {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the server did not become ready");
    }

    /// What it has logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).expect("the log")
    }

    /// What it has logged so far, a JSON object a line.
    pub fn log_lines(&self) -> Vec<Value> {
        self.log()
            .lines()
            .filter_map(|line| serde_json::from_str(line).ok())
            .collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub async fn call(request: reqwest::RequestBuilder) -> Value {
    let answer = request.send().await.expect("answered");
    assert!(answer.status().is_success(), "{}", answer.status());
    answer.json().await.expect("json")
}

/// A patient with a doctor on their care team: (patient's chart, patient's token, doctor's).
pub async fn chart_with_doctor(server: &Server) -> (String, String, String) {
    let client = reqwest::Client::new();
    let url = |path: &str| format!("{}/api/v1{path}", server.base);
    let login = |email: &str, password: &str| {
        client
            .post(url("/auth/login"))
            .json(&json!({"email": email, "password": password}))
    };
    let admin = call(login(ADMIN_EMAIL, ADMIN_PASSWORD)).await["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let doctor_id = call(client.post(url("/users")).bearer_auth(&admin).json(&json!({
        "email": "crash-dr@example.org", "password": PASSWORD, "name": "Dr Crash",
        "role": "doctor"
    })))
    .await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    call(client.post(url("/auth/register")).json(&json!({
        "email": "crash-pt@example.org", "password": PASSWORD, "name": "Pat Crash",
        "role": "patient"
    })))
    .await;
    let token = |body: Value| body["access_token"].as_str().expect("token").to_owned();
    let patient = token(call(login("crash-pt@example.org", PASSWORD)).await);
    let doctor = token(call(login("crash-dr@example.org", PASSWORD)).await);
    let me = call(client.get(url("/auth/me")).bearer_auth(&patient)).await;
    let chart = me["patient_id"].as_str().expect("chart").to_owned();
    call(
        client
            .post(url(&format!("/patients/{chart}/care-team")))
            .bearer_auth(&patient)
            .json(&json!({"doctor_id": doctor_id})),
    )
    .await;
    (chart, patient, doctor)
}
