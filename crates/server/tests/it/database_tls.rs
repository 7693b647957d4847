//! TLS to PostgreSQL (a build with the `postgres-tls` feature), against a PostgreSQL server the
//! test runs itself, which takes TLS connections only, with a certificate from an authority made
//! in the test. MedVault serves through it with `sslmode=verify-full`; it refuses a server whose
//! certificate another authority signed, or one issued for another name, and the server
//! refuses a connection in the clear. Runs where PostgreSQL is installed: the PostgreSQL and
//! Citus runs of the suite.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool};

use crate::certificates;
use crate::helpers::{TestDb, medvault, on_postgres};
use crate::process::{Server, chart_with_doctor};

/// PostgreSQL's own programs (initdb, postgres), the newest installed.
fn postgres_programs() -> Option<PathBuf> {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| Some(entry.ok()?.path().join("bin")))
        .filter(|bin| bin.join("initdb").exists())
        .collect();
    versions.sort_by_key(|bin| {
        bin.parent()
            .and_then(|version| version.file_name()?.to_str()?.parse::<u32>().ok())
    });
    versions.pop()
}

/// The `postgres` user's ids, when the test runs as root: PostgreSQL refuses to run as root.
fn postgres_user() -> Option<(u32, u32)> {
    if unsafe { libc::geteuid() } != 0 {
        return None;
    }
    let user = unsafe { libc::getpwnam(c"postgres".as_ptr()) };
    assert!(
        !user.is_null(),
        "run as root, the test needs a postgres user"
    );
    Some(unsafe { ((*user).pw_uid, (*user).pw_gid) })
}

/// `program`, run as the `postgres` user when the test runs as root.
fn as_postgres(program: &Path) -> Command {
    let mut command = Command::new(program);
    if let Some((uid, gid)) = postgres_user() {
        std::os::unix::process::CommandExt::uid(&mut command, uid);
        std::os::unix::process::CommandExt::gid(&mut command, gid);
    }
    command
}

fn succeeded(output: std::io::Result<Output>, what: &str) {
    let output = output.unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        output.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A PostgreSQL server of the test's own on a free port, stopped when dropped.
struct TlsPostgres {
    server: Child,
    port: u16,
    folder: tempfile::TempDir,
}

impl TlsPostgres {
    fn start(programs: &Path) -> TlsPostgres {
        let folder = tempfile::tempdir().expect("a folder");
        let dir = folder.path();
        certificates::authority(dir, "authority");
        certificates::authority(dir, "stranger");
        certificates::server(dir, "authority", "server", "DNS:localhost");
        if let Some((uid, gid)) = postgres_user() {
            // Its data, socket and key belong to the user it runs as.
            for path in [dir.to_owned(), dir.join("server.key")] {
                std::os::unix::fs::chown(&path, Some(uid), Some(gid)).expect("chown");
            }
        }
        std::fs::set_permissions(
            dir.join("server.key"),
            std::os::unix::fs::PermissionsExt::from_mode(0o600),
        )
        .expect("the key kept private");
        let data = dir.join("data");
        succeeded(
            as_postgres(&programs.join("initdb"))
                .args(["-U", "postgres", "-A", "trust", "--no-sync", "-D"])
                .arg(&data)
                .output(),
            "initdb",
        );
        // TLS or nothing, over TCP.
        std::fs::write(
            data.join("pg_hba.conf"),
            "hostssl all all 127.0.0.1/32 trust\nhostnossl all all 127.0.0.1/32 reject\n",
        )
        .expect("written");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let server = as_postgres(&programs.join("postgres"))
            .arg("-D")
            .arg(&data)
            .args(["-p", &port.to_string(), "-k"])
            .arg(dir)
            .args([
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
                "-c",
                "ssl=on",
            ])
            .arg("-c")
            .arg(format!(
                "ssl_cert_file={}",
                dir.join("server.pem").display()
            ))
            .arg("-c")
            .arg(format!("ssl_key_file={}", dir.join("server.key").display()))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("postgres starts");
        let postgres = TlsPostgres {
            server,
            port,
            folder,
        };
        let started = Instant::now();
        while PgConnection::establish(&postgres.url("localhost", "authority", "verify-full"))
            .is_err()
        {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the test's PostgreSQL did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        postgres
    }

    /// Its URL at `host`, trusting the authority named `ca`, with `sslmode`.
    fn url(&self, host: &str, ca: &str, sslmode: &str) -> String {
        format!(
            "postgres://postgres@{host}:{}/postgres?sslmode={sslmode}&sslrootcert={}",
            self.port,
            self.folder.path().join(format!("{ca}.pem")).display()
        )
    }
}

impl Drop for TlsPostgres {
    fn drop(&mut self) {
        // An immediate shutdown: the postmaster takes its backends with it.
        unsafe {
            libc::kill(self.server.id() as i32, libc::SIGQUIT);
        }
        let _ = self.server.wait();
    }
}

/// `medvault audit verify` against `url`: whether it could, and what it said.
fn audit_verify(url: &str) -> (bool, String) {
    let output = medvault(&TestDb::at(url.to_owned()))
        .args(["audit", "verify"])
        .output()
        .expect("runs");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), said)
}

#[derive(QueryableByName)]
struct Encrypted {
    #[diesel(sql_type = Bool)]
    all: bool,
    #[diesel(sql_type = BigInt)]
    connections: i64,
}

#[tokio::test]
async fn medvault_reaches_postgresql_over_verified_tls_only() {
    let Some(programs) = postgres_programs().filter(|_| on_postgres()) else {
        return;
    };
    let postgres = TlsPostgres::start(&programs);
    let verified = postgres.url("localhost", "authority", "verify-full");

    // Served through it: sign-ins, a chart, a care team, every audit entry.
    let server = Server::start(&TestDb::at(verified.clone())).await;
    chart_with_doctor(&server).await;
    let mut conn = PgConnection::establish(&verified).expect("connected");
    let encrypted: Encrypted = diesel::sql_query(
        "SELECT bool_and(s.ssl) AS all, count(*) AS connections \
         FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) \
         WHERE a.backend_type = 'client backend'",
    )
    .get_result(&mut conn)
    .expect("asked");
    assert!(encrypted.all && encrypted.connections >= 2);
    drop(server);
    let (ok, said) = audit_verify(&verified);
    assert!(ok, "{said}");

    // A server whose certificate another authority signed is not trusted.
    let (ok, said) = audit_verify(&postgres.url("localhost", "stranger", "verify-full"));
    assert!(!ok && said.contains("certificate verify failed"), "{said}");
    // Nor one whose certificate names another host.
    let (ok, said) = audit_verify(&postgres.url("127.0.0.1", "authority", "verify-full"));
    assert!(!ok && said.contains("does not match host name"), "{said}");
    // And the server takes no connection in the clear.
    let (ok, said) = audit_verify(&postgres.url("localhost", "authority", "disable"));
    assert!(!ok && said.contains("no encryption"), "{said}");
}
