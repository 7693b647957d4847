//! The application: shared state, and the blocking-pool bridge through which every use case
//! reaches the store.

use std::sync::Arc;

use chrono::NaiveDateTime;
use medvault_domain::Actor;
use medvault_store::{DbConnection, Store, StoreError};

use crate::audit::{self, RequestMeta};
use crate::auth::keys::Keys;
use crate::auth::password::PasswordHasher;
use crate::auth::token::TokenCodec;
use crate::config::Config;
use crate::error::AppError;

/// The time source. Production reads the system clock; tests may set it.
pub type Clock = Arc<dyn Fn() -> NaiveDateTime + Send + Sync>;

pub fn system_clock() -> Clock {
    Arc::new(|| chrono::Utc::now().naive_utc())
}

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Arc<Store>,
    pub keys: Arc<Keys>,
    pub tokens: Arc<TokenCodec>,
    pub passwords: Arc<PasswordHasher>,
    pub clock: Clock,
}

impl AppState {
    pub fn now(&self) -> NaiveDateTime {
        (self.clock)()
    }

    /// Runs `f` on the blocking pool with a connection, outside any transaction.
    pub async fn read<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
    {
        let store = self.store.clone();
        blocking(move || store.read(f)).await
    }

    /// Runs `f` on the blocking pool in one transaction, committed only if it returns `Ok`.
    pub async fn write<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
    {
        let store = self.store.clone();
        blocking(move || store.write(f)).await
    }

    /// Runs a use case for `actor` in one transaction, at one instant. If the policy denied it,
    /// the use case's work is rolled back, the denial is audited in a transaction of its own, and
    /// the caller is told "not found" (or "forbidden").
    pub async fn run<T, F>(&self, actor: Actor, meta: &RequestMeta, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection, &UseCase) -> Result<T, AppError> + Send + 'static,
    {
        let case = UseCase {
            now: self.now(),
            actor,
            meta: meta.clone(),
        };
        match self.write(move |conn| f(conn, &case)).await {
            Err(AppError::Denied(denial)) => {
                let meta = meta.clone();
                let at = self.now();
                let recorded = denial.clone();
                self.write(move |conn| {
                    audit::record_denial(conn, &meta, at, &actor, &recorded)?;
                    Ok(())
                })
                .await?;
                Err(AppError::Denied(denial))
            }
            other => other,
        }
    }
}

/// What a use case knows besides its connection: when it happens, who asks, from where.
pub struct UseCase {
    pub now: NaiveDateTime,
    pub actor: Actor,
    meta: RequestMeta,
}

impl UseCase {
    /// Appends the audit entry of this use case, in its transaction.
    pub fn record(
        &self,
        conn: &mut DbConnection,
        event: audit::Event<'_>,
    ) -> Result<(), StoreError> {
        audit::record(conn, &self.meta, self.now, event)
    }
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("database task failed: {e}")))?
}
