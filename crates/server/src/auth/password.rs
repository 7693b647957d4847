//! Argon2id with OWASP's parameters (m = 19 MiB, t = 2, p = 1), computed on the blocking pool with
//! a bound on how many run at once, so that a login storm cannot starve other requests.

use std::sync::Arc;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use medvault_domain::Password;
use tokio::sync::Semaphore;

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

pub struct PasswordHasher {
    permits: Arc<Semaphore>,
    /// Verified against when the account does not exist, so that "no such user" takes as long as
    /// "wrong password".
    decoy_hash: String,
}

impl PasswordHasher {
    pub fn new(concurrency: usize) -> Result<Self, AppError> {
        Ok(Self {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            decoy_hash: hash_now("decoy password, never matches")?,
        })
    }

    async fn on_blocking_pool<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, AppError> + Send + 'static,
    ) -> Result<T, AppError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| AppError::Unavailable)?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("hashing task failed: {e}")))?
    }

    pub async fn hash(&self, password: &Password) -> Result<String, AppError> {
        let password = password.expose().to_owned();
        self.on_blocking_pool(move || hash_now(&password)).await
    }

    /// Whether `password` matches `stored`; with no stored hash, spends the same time and says no.
    pub async fn verify(&self, password: &str, stored: Option<&str>) -> Result<bool, AppError> {
        let exists = stored.is_some();
        let hash = stored.unwrap_or(&self.decoy_hash).to_owned();
        let password = password.to_owned();
        let matches = self
            .on_blocking_pool(move || {
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
}
