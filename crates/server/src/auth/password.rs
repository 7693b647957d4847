//! Argon2id with OWASP's parameters (m = 19 MiB, t = 2, p = 1), computed on threads of its own,
//! as many as may run at once, in the idle scheduling class: a login storm takes the processor
//! only as far as requests (and the database's backends) leave it idle, so reads stay fast while
//! a ward signs in.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use medvault_domain::Password;
use tokio::sync::oneshot;

use crate::error::AppError;

fn argon2() -> Result<Argon2<'static>, AppError> {
    let params = Params::new(19 * 1024, 2, 1, None)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("argon2 parameters: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

fn hash_now(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()?
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| AppError::Internal(anyhow::anyhow!("hashing failed: {e}")))
}

type Job = Box<dyn FnOnce() + Send>;

pub struct PasswordHasher {
    jobs: Mutex<mpsc::Sender<Job>>,
    /// Verified against when the account does not exist, so that "no such user" takes as long as
    /// "wrong password".
    decoy_hash: String,
}

impl PasswordHasher {
    /// Starts `concurrency` hashing threads.
    pub fn new(concurrency: usize) -> Result<Self, AppError> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..concurrency.max(1) {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("medvault-hash-{n}"))
                .spawn(move || {
                    lower_priority();
                    // Ends when the hasher (the sending side) is dropped.
                    while let Ok(job) = next(&queue) {
                        job();
                    }
                })
                .map_err(|e| AppError::Internal(anyhow::anyhow!("hashing thread: {e}")))?;
        }
        Ok(Self {
            jobs: Mutex::new(jobs),
            decoy_hash: hash_now("decoy password, never matches")?,
        })
    }

    /// Runs `work` on a hashing thread, once one is free.
    async fn on_hashing_thread<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, AppError> + Send + 'static,
    ) -> Result<T, AppError> {
        let (answer, answered) = oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = answer.send(work());
        });
        self.jobs
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .send(job)
            .map_err(|_| AppError::Unavailable)?;
        answered
            .await
            .map_err(|_| AppError::Internal(anyhow::anyhow!("a hashing thread stopped mid-task")))?
    }

    pub async fn hash(&self, password: &Password) -> Result<String, AppError> {
        let password = password.expose().to_owned();
        self.on_hashing_thread(move || hash_now(&password)).await
    }

    /// Whether `password` matches `stored`; with no stored hash, spends the same time and says no.
    pub async fn verify(&self, password: &str, stored: Option<&str>) -> Result<bool, AppError> {
        let exists = stored.is_some();
        let hash = stored.unwrap_or(&self.decoy_hash).to_owned();
        let password = password.to_owned();
        let matches = self
            .on_hashing_thread(move || {
                let parsed = PasswordHash::new(&hash).map_err(|e| {
                    AppError::Internal(anyhow::anyhow!("stored hash unreadable: {e}"))
                })?;
                Ok(argon2()?
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok())
            })
            .await?;
        Ok(exists && matches)
    }
}

fn next(queue: &Mutex<mpsc::Receiver<Job>>) -> Result<Job, mpsc::RecvError> {
    queue
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .recv()
}

/// Puts the calling thread in Linux's idle scheduling class: it runs on whatever processor time
/// no other thread wants, and any other thread that wakes takes the core from it at once. A
/// lower niceness alone is not enough: the scheduler weighs niceness only between threads of one
/// group (a session, a service's cgroup), while PostgreSQL's backends wake in a group of their
/// own and would wait for a hashing thread's whole time slice, on every statement of a read.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        let param = libc::sched_param { sched_priority: 0 };
        // SAFETY: with pid 0, `sched_setscheduler` changes only the calling thread's policy, and
        // `param` lives through the call.
        let done = unsafe { libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) };
        if done != 0 {
            tracing::warn!("password hashing runs at normal priority: sched_setscheduler refused");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_decoys_never_match() {
        let hasher = PasswordHasher::new(2).expect("hasher");
        let password = Password::parse("a long enough passphrase").expect("valid");
        let hash = hasher.hash(&password).await.expect("hashed");
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(
            hasher
                .verify("a long enough passphrase", Some(&hash))
                .await
                .expect("ran")
        );
        assert!(
            !hasher
                .verify("a wrong passphrase here", Some(&hash))
                .await
                .expect("ran")
        );
        assert!(
            !hasher
                .verify("decoy password, never matches", None)
                .await
                .expect("ran")
        );
    }
    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn hashing_runs_below_the_priority_of_requests() {
        let hasher = PasswordHasher::new(2).expect("hasher");
        let policy = hasher
            .on_hashing_thread(|| {
                // SAFETY: reads the calling thread's own scheduling policy.
                Ok(unsafe { libc::sched_getscheduler(0) })
            })
            .await
            .expect("runs");
        assert_eq!(policy, libc::SCHED_IDLE);
        // SAFETY: as above, on the test's own thread, which serves requests' kind of work.
        assert_eq!(unsafe { libc::sched_getscheduler(0) }, libc::SCHED_OTHER);
    }
}
