//! Password hashes, computed by a process of the server's own (`medvault hash-worker`,
//! `auth/hash_worker.rs`, which says why a process), as many at once as it has threads. The
//! hasher starts it, and starts it again when it has stopped; a request it held when it stopped
//! is sent once more, to the process started anew, and fails only if that one stops too.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use medvault_domain::Password;
use tokio::sync::oneshot;

use crate::auth::hash_worker::{self, Answer, Outcome, Request, Task};
use crate::error::AppError;

pub struct PasswordHasher {
    program: PathBuf,
    threads: usize,
    worker: Mutex<Option<Worker>>,
    next_id: AtomicU64,
}

/// A running hashing process: its input, and the requests it has not answered yet.
struct Worker {
    input: ChildStdin,
    waiting: Waiting,
    pid: u32,
}

/// Becomes `None` when the process has stopped, so that no request waits on it after that.
type Waiting = Arc<Mutex<Option<HashMap<u64, oneshot::Sender<Outcome>>>>>;

impl PasswordHasher {
    /// A hasher that starts `program` (this executable) as its hashing process, with `threads`
    /// threads, when first asked: commands that hash nothing start no process.
    pub fn new(program: &Path, threads: usize) -> Self {
        Self {
            program: program.to_owned(),
            threads: threads.max(1),
            worker: Mutex::new(None),
            next_id: AtomicU64::new(0),
        }
    }

    pub async fn hash(&self, password: &Password) -> Result<String, AppError> {
        let password = password.expose().to_owned();
        match self.ask(Task::Hash { password }).await? {
            Outcome::Hashed(hash) => Ok(hash),
            other => Err(unexpected(other)),
        }
    }

    /// Whether `password` matches `stored`; with no stored hash, spends the same time and says no.
    pub async fn verify(&self, password: &str, stored: Option<&str>) -> Result<bool, AppError> {
        let task = Task::Verify {
            password: password.to_owned(),
            stored: stored.map(str::to_owned),
        };
        match self.ask(task).await? {
            Outcome::Matches(matches) => Ok(matches),
            other => Err(unexpected(other)),
        }
    }

    /// The hashing process's id, starting it if it has stopped.
    pub fn process_id(&self) -> Result<u32, AppError> {
        self.on_worker(|worker| worker.pid)
    }

    /// Sends `task` to the hashing process and waits for its outcome. A task whose process
    /// stopped before answering it (found stopped when the task was written, or stopping while
    /// it held the task) is sent once more, to a process started anew: a hash has no effect but
    /// its answer, so doing it twice is safe, and a sign-in that reached a dying process is not
    /// failed for it. Only once, so that a task that itself stops the process it is sent to
    /// stops no more than two.
    async fn ask(&self, task: Task) -> Result<Outcome, AppError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut line = serde_json::to_vec(&Request { id, task })
            .map_err(|e| AppError::Internal(anyhow::anyhow!("a hashing request: {e}")))?;
        line.push(b'\n');
        for _ in 0..2 {
            let (answer, answered) = oneshot::channel();
            let sent = self.on_worker(|worker| {
                let sent = worker.wait_for(id, answer) && worker.input.write_all(&line).is_ok();
                if !sent {
                    worker.mark_stopped();
                }
                sent
            })?;
            if !sent {
                continue;
            }
            match answered.await {
                Ok(Outcome::Failed(reason)) => {
                    return Err(AppError::Internal(anyhow::anyhow!(reason)));
                }
                Ok(outcome) => return Ok(outcome),
                // The process stopped holding the task, and let go of whoever waited on it.
                Err(_) => continue,
            }
        }
        Err(stopped())
    }

    /// Runs `act` on the hashing process, started first if there is none or it has stopped.
    fn on_worker<T>(&self, act: impl FnOnce(&mut Worker) -> T) -> Result<T, AppError> {
        let mut slot = lock(&self.worker);
        let worker = match slot.take() {
            Some(worker) if !worker.stopped() => slot.insert(worker),
            _ => slot.insert(Worker::start(&self.program, self.threads)?),
        };
        Ok(act(worker))
    }
}

impl Worker {
    fn start(program: &Path, threads: usize) -> Result<Self, AppError> {
        let mut child = Command::new(program)
            .args([hash_worker::COMMAND, "--threads", &threads.to_string()])
            // It needs none of the server's settings, and its secrets have no business there.
            .env_clear()
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| {
                AppError::Internal(anyhow::anyhow!(
                    "cannot start the hashing process ({}): {e}",
                    program.display()
                ))
            })?;
        let (Some(input), Some(output)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(AppError::Internal(anyhow::anyhow!(
                "the hashing process has no pipes"
            )));
        };
        let waiting: Waiting = Arc::new(Mutex::new(Some(HashMap::new())));
        let pid = child.id();
        let answers = waiting.clone();
        std::thread::Builder::new()
            .name("medvault-hash-answers".into())
            .spawn(move || deliver(BufReader::new(output), &answers, child))
            .map_err(|e| AppError::Internal(anyhow::anyhow!("hashing answers' thread: {e}")))?;
        Ok(Self {
            input,
            waiting,
            pid,
        })
    }

    fn stopped(&self) -> bool {
        lock(&self.waiting).is_none()
    }

    /// Fails whoever waits on it, and has it replaced at the next request.
    fn mark_stopped(&self) {
        lock(&self.waiting).take();
    }

    /// Registers a request's answer; false when the process has stopped.
    fn wait_for(&self, id: u64, answer: oneshot::Sender<Outcome>) -> bool {
        lock(&self.waiting)
            .as_mut()
            .map(|waiting| waiting.insert(id, answer))
            .is_some()
    }
}

/// Hands each answer to the request that waits for it until the process's output ends; then
/// fails whoever still waits, and reaps the process.
fn deliver(output: impl BufRead, waiting: &Waiting, mut child: Child) {
    for line in output.lines() {
        let Ok(Answer { id, outcome }) = line
            .map_err(drop)
            .and_then(|line| serde_json::from_str::<Answer>(&line).map_err(drop))
        else {
            tracing::error!("the hashing process answered unreadably; it is started again");
            let _ = child.kill();
            break;
        };
        let asker = lock(waiting)
            .as_mut()
            .and_then(|waiting| waiting.remove(&id));
        if let Some(asker) = asker {
            let _ = asker.send(outcome);
        }
    }
    // Dropping the senders fails the requests still waiting.
    lock(waiting).take();
    if let Ok(status) = child.wait()
        && !status.success()
    {
        tracing::warn!(%status, "the hashing process stopped; it is started again when needed");
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn stopped() -> AppError {
    AppError::Internal(anyhow::anyhow!("the hashing process stopped mid-task"))
}

fn unexpected(outcome: Outcome) -> AppError {
    let what = match outcome {
        Outcome::Hashed(_) => "a hash",
        Outcome::Matches(_) => "a verdict",
        Outcome::Failed(_) => "a failure",
    };
    AppError::Internal(anyhow::anyhow!(
        "the hashing process answered {what} out of turn"
    ))
}
