//! The password-hashing process (`auth/hash_worker.rs`): its hashes and verdicts, its place in
//! the scheduler, and what becomes of it and of its requests when it or its server stops.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use medvault::auth::password::PasswordHasher;
use medvault_domain::Password;

use crate::helpers::{PASSWORD, TestDb};
use crate::process::{Server, chart_with_doctor};

fn hasher() -> PasswordHasher {
    PasswordHasher::new(Path::new(env!("CARGO_BIN_EXE_medvault")), 2)
}

/// A process's state letter and its parent, from `/proc`; none once it is gone.
fn state_and_parent(pid: u32) -> Option<(String, u32)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // After the command's name, in parentheses: the state, then the parent's pid.
    let mut fields = stat.rsplit_once(") ")?.1.split(' ');
    Some((fields.next()?.to_owned(), fields.next()?.parse().ok()?))
}

/// Whether the process has ended: gone, or a zombie nobody has reaped yet whose every thread has
/// ended too. (Its first thread is a zombie as soon as it is killed, while the others may still
/// be ending, holding its open files: a request written then would reach a process not yet
/// gone.)
fn ended(pid: u32) -> bool {
    let threads = std::fs::read_dir(format!("/proc/{pid}/task")).map_or(0, Iterator::count);
    state_and_parent(pid).is_none_or(|(state, _)| state == "Z" && threads <= 1)
}

async fn until_ended(pid: u32) {
    for _ in 0..100 {
        if ended(pid) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the hashing process {pid} still runs");
}

#[tokio::test]
async fn hashes_verify_and_unknown_accounts_never_match() {
    let hasher = hasher();
    let password = Password::parse("a long enough passphrase").expect("valid");
    let hash = hasher.hash(&password).await.expect("hashed");
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
    let again = hasher.hash(&password).await.expect("hashed");
    assert_ne!(hash, again, "each hash has a salt of its own");
    let verdicts = (
        hasher.verify("a long enough passphrase", Some(&hash)).await,
        hasher.verify("a wrong passphrase here", Some(&hash)).await,
        hasher.verify("decoy password, never matches", None).await,
    );
    assert!(matches!(verdicts, (Ok(true), Ok(false), Ok(false))));
    assert!(
        hasher
            .verify("a long enough passphrase", Some("not a hash"))
            .await
            .is_err(),
        "an unreadable stored hash is an error, not a verdict"
    );
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn hashing_runs_in_a_session_of_its_own_in_the_idle_class() {
    let hasher = hasher();
    let password = Password::parse("a long enough passphrase").expect("valid");
    hasher.hash(&password).await.expect("hashed");
    let pid = hasher.process_id().expect("running");
    assert_ne!(pid, std::process::id());
    let pid = i32::try_from(pid).expect("a pid");
    // SAFETY: `getsid` only reads the session ids of this process and of its child.
    let (ours, its) = unsafe { (libc::getsid(0), libc::getsid(pid)) };
    assert_eq!(its, pid, "it leads a session of its own");
    assert_ne!(its, ours);
    let environment = std::fs::read(format!("/proc/{pid}/environ")).expect("its environment");
    assert!(
        environment.is_empty(),
        "none of the server's settings and secrets"
    );
    // Kernels built without autogroups have no such file.
    if let Ok(group) = std::fs::read_to_string(format!("/proc/{pid}/autogroup")) {
        assert!(group.trim_end().ends_with("nice 19"), "{group}");
    }
    let threads: Vec<i32> = std::fs::read_dir(format!("/proc/{pid}/task"))
        .expect("its threads")
        .map(|task| {
            task.expect("a thread")
                .file_name()
                .to_string_lossy()
                .parse()
                .expect("a tid")
        })
        .collect();
    assert_eq!(
        threads.len(),
        3,
        "the reading thread and two hashing threads"
    );
    for tid in threads {
        // SAFETY: reads another thread's scheduling policy.
        assert_eq!(unsafe { libc::sched_getscheduler(tid) }, libc::SCHED_IDLE);
    }
    // SAFETY: as above, for the test's own thread, which does requests' kind of work.
    assert_eq!(unsafe { libc::sched_getscheduler(0) }, libc::SCHED_OTHER);
}

/// A process that stops with requests queued hands none of them a failure: each is sent once
/// more, to the process started in its place.
#[tokio::test]
async fn requests_a_stopped_hashing_process_held_are_done_by_a_new_one() {
    let hasher = Arc::new(hasher());
    let first = hasher.process_id().expect("started");
    let password = Password::parse("a long enough passphrase").expect("valid");
    let hash = hasher.hash(&password).await.expect("hashed");
    let asks: Vec<_> = (0..12)
        .map(|n| {
            let (hasher, hash) = (hasher.clone(), hash.clone());
            let guess = if n % 2 == 0 {
                "a long enough passphrase"
            } else {
                "a wrong passphrase here"
            };
            tokio::spawn(async move { (n, hasher.verify(guess, Some(&hash)).await) })
        })
        .collect();
    // Twelve verifications on two threads take a dozen hashing times; most are still queued.
    tokio::time::sleep(Duration::from_millis(20)).await;
    // SAFETY: signals the hasher's own child, whose pid it has not reaped.
    assert_eq!(
        unsafe { libc::kill(i32::try_from(first).expect("pid"), libc::SIGKILL) },
        0
    );
    for ask in asks {
        let (n, verdict) = tokio::time::timeout(Duration::from_secs(10), ask)
            .await
            .expect("answered, not left waiting")
            .expect("joined");
        assert_eq!(verdict.expect("verified"), n % 2 == 0, "request {n}");
    }
    until_ended(first).await;
    assert_ne!(hasher.process_id().expect("running"), first);
}

#[tokio::test]
async fn the_hashing_process_ends_with_its_hasher() {
    let hasher = hasher();
    let pid = hasher.process_id().expect("started");
    assert!(!ended(pid));
    drop(hasher);
    until_ended(pid).await;
}

/// The server's child processes.
fn children_of(server: &Server) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .expect("processes")
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
        .filter(|pid| state_and_parent(*pid).is_some_and(|(_, parent)| parent == server.child.id()))
        .collect()
}

/// An upgrade replaces the binary under a running server: when its hashing process has to be
/// started again, it is started from the binary the server runs, which its path no longer names.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_server_whose_binary_was_replaced_still_signs_people_in() {
    let db = TestDb::new();
    let binary = db.dir.path().join("medvault");
    std::fs::copy(env!("CARGO_BIN_EXE_medvault"), &binary).expect("a copy of the binary");
    let server = Server::start_from(&binary, &db, &[]).await;
    // Signing in starts the hashing process.
    chart_with_doctor(&server).await;
    std::fs::remove_file(&binary).expect("the binary removed, as an upgrade does");
    let hashing = children_of(&server);
    assert_eq!(hashing.len(), 1, "one hashing process: {hashing:?}");
    // SAFETY: signals the server's child, found above.
    assert_eq!(
        unsafe { libc::kill(i32::try_from(hashing[0]).expect("pid"), libc::SIGKILL) },
        0
    );
    until_ended(hashing[0]).await;

    let signed_in = reqwest::Client::new()
        .post(format!("{}/api/v1/auth/login", server.base))
        .json(&serde_json::json!({"email": "crash-dr@example.org", "password": PASSWORD}))
        .send()
        .await
        .expect("answered");
    assert_eq!(signed_in.status(), reqwest::StatusCode::OK);
    let again = children_of(&server);
    assert_eq!(again.len(), 1, "a new hashing process: {again:?}");
    assert_ne!(again[0], hashing[0]);
}

/// A server killed outright leaves no hashing process behind: the process sees its input end.
#[tokio::test]
async fn the_hashing_process_ends_with_its_server() {
    let db = TestDb::new();
    let mut server = Server::start(&db).await;
    // Signing in starts the hashing process.
    chart_with_doctor(&server).await;
    let children = children_of(&server);
    assert_eq!(children.len(), 1, "one hashing process: {children:?}");
    server.child.kill().expect("killed");
    server.child.wait().expect("reaped");
    until_ended(children[0]).await;
}
