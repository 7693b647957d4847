//! The password-hashing process, `medvault hash-worker`: Argon2id with OWASP's parameters
//! (m = 19 MiB, t = 2, p = 1), on as many threads as may hash at once, for the server that
//! started it (`auth/password.rs`), which writes it one request a line on its standard input and
//! reads one answer a line from its standard output. It ends when that input ends, which is when
//! the server drops its hasher or exits, however it exits: once it has answered what it was
//! asked, or at its first answer that finds nobody reading.
//!
//! Why a process of its own: hashing is the one piece of work a storm of sign-ins can multiply
//! until it fills every core, and reads must not wait behind it. Linux shares the processor first
//! between scheduling groups (a session's autogroup, a service's cgroup) and only then between
//! the threads of a group, so a hashing thread at the lowest priority still spends its server's
//! share, which PostgreSQL's backends, in a group of their own, wait for on every statement. Here
//! the hashing leaves its server's group for one of its own at the lowest weight, and runs in the
//! idle class inside it: it gets what no request and no database backend wants. Its 19 MiB per
//! hash are also kept out of the server's memory.

use std::io::{BufRead, Write};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use serde::{Deserialize, Serialize};

/// The argument that starts this process.
pub const COMMAND: &str = "hash-worker";

#[derive(Serialize, Deserialize)]
pub struct Request {
    pub id: u64,
    pub task: Task,
}

#[derive(Serialize, Deserialize)]
pub enum Task {
    Hash {
        password: String,
    },
    /// With no stored hash, the password is checked against a decoy, so that "no such user" takes
    /// as long as "wrong password", and the answer is no.
    Verify {
        password: String,
        stored: Option<String>,
    },
}

#[derive(Serialize, Deserialize)]
pub struct Answer {
    pub id: u64,
    pub outcome: Outcome,
}

#[derive(Serialize, Deserialize)]
pub enum Outcome {
    Hashed(String),
    Matches(bool),
    /// Why the task could not be done; it names no password or hash.
    Failed(String),
}

/// Serves requests from standard input with `threads` hashing threads until the input ends.
pub fn run(threads: usize) -> anyhow::Result<()> {
    step_aside();
    let (tasks, queue) = mpsc::channel::<Request>();
    let queue = Arc::new(Mutex::new(queue));
    let answers = Arc::new(Mutex::new(std::io::stdout()));
    let mut hashing = Vec::new();
    for n in 0..threads.max(1) {
        let queue = queue.clone();
        let answers = answers.clone();
        let thread = std::thread::Builder::new()
            .name(format!("medvault-hash-{n}"))
            .spawn(move || {
                while let Ok(Request { id, task }) = next(&queue) {
                    let answer = Answer {
                        id,
                        outcome: perform(task),
                    };
                    if send(&answers, &answer).is_err() {
                        // The server is gone; nobody waits for what is left.
                        std::process::exit(0);
                    }
                }
            })?;
        hashing.push(thread);
    }
    for line in std::io::stdin().lock().lines() {
        let request: Request = serde_json::from_str(&line?)
            .map_err(|e| anyhow::anyhow!("an unreadable request at line {}", e.line()))?;
        tasks.send(request)?;
    }
    // The tasks already sent are answered, then the threads find the queue closed.
    drop(tasks);
    for thread in hashing {
        let _ = thread.join();
    }
    Ok(())
}

fn next(queue: &Mutex<mpsc::Receiver<Request>>) -> Result<Request, mpsc::RecvError> {
    queue
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .recv()
}

fn send(answers: &Mutex<std::io::Stdout>, answer: &Answer) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(answer)?;
    line.push(b'\n');
    let mut out = answers
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    out.write_all(&line)?;
    out.flush()
}

fn perform(task: Task) -> Outcome {
    let done = match task {
        Task::Hash { password } => hash(&password).map(Outcome::Hashed),
        Task::Verify { password, stored } => match stored {
            Some(stored) => verify(&password, &stored).map(Outcome::Matches),
            None => decoy()
                .and_then(|decoy| verify(&password, decoy))
                .map(|_| Outcome::Matches(false)),
        },
    };
    done.unwrap_or_else(Outcome::Failed)
}

fn argon2() -> Result<Argon2<'static>, String> {
    let params =
        Params::new(19 * 1024, 2, 1, None).map_err(|e| format!("argon2 parameters: {e}"))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

fn hash(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()?
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| format!("hashing failed: {e}"))
}

fn verify(password: &str, stored: &str) -> Result<bool, String> {
    let parsed = PasswordHash::new(stored).map_err(|e| format!("stored hash unreadable: {e}"))?;
    Ok(argon2()?
        .verify_password(password.as_bytes(), &parsed)
        .is_ok())
}

/// A hash of a password nobody is given, made once, when first needed.
fn decoy() -> Result<&'static str, String> {
    static DECOY: OnceLock<Result<String, String>> = OnceLock::new();
    DECOY
        .get_or_init(|| hash("decoy password, never matches"))
        .as_deref()
        .map_err(Clone::clone)
}

/// Moves this process out of its server's scheduling group into a new session, whose autogroup
/// gets the lowest weight, and puts it in the idle class, which the hashing threads inherit.
/// Each step may be refused (a container's seccomp policy, a kernel without autogroups); hashing
/// then runs as it can, and the refusals are reported on standard error, which is the server's.
fn step_aside() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: `setsid` takes no pointers; this process is not a group leader (it was
        // spawned into its server's group), so it can start a session.
        if unsafe { libc::setsid() } < 0 {
            eprintln!("medvault hash-worker: no session of its own (setsid refused)");
        }
        // Only raising an autogroup's niceness needs no privilege; a kernel without autogroups
        // has no such file.
        if std::fs::write("/proc/self/autogroup", "19").is_err()
            && std::path::Path::new("/proc/self/autogroup").exists()
        {
            eprintln!("medvault hash-worker: its autogroup keeps its weight (write refused)");
        }
        let param = libc::sched_param { sched_priority: 0 };
        // SAFETY: with pid 0, `sched_setscheduler` changes only the calling thread's policy, and
        // `param` lives through the call.
        if unsafe { libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) } != 0 {
            eprintln!(
                "medvault hash-worker: hashing runs at normal priority (sched_setscheduler refused)"
            );
        }
    }
}
