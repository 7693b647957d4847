//! The application: shared state, and the bridge through which every use case reaches the
//! store.

use std::cell::RefCell;
use std::sync::Arc;

use chrono::NaiveDateTime;
use medvault_domain::Actor;
use medvault_store::group::Done;
use medvault_store::{AuditEntry, Backend, DbConnection, Store, WorkError};
use tokio::sync::oneshot;

use crate::audit::{self, RequestMeta};
use crate::auth::keys::Keys;
use crate::auth::live::LiveSessions;
use crate::auth::password::PasswordHasher;
use crate::auth::token::TokenCodec;
use crate::config::Config;
use crate::error::AppError;

/// The time source. Production reads the system clock; tests may set it.
pub type Clock = Arc<dyn Fn() -> NaiveDateTime + Send + Sync>;

pub fn system_clock() -> Clock {
    Arc::new(|| chrono::Utc::now().naive_utc())
}

/// What every request may need. Every extractor and middleware layer takes its own copy, so a
/// copy is one reference count (not one per part).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> Self {
        AppState(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

pub struct Shared {
    pub config: Arc<Config>,
    pub store: Arc<Store>,
    pub keys: Arc<Keys>,
    pub tokens: Arc<TokenCodec>,
    pub passwords: Arc<PasswordHasher>,
    pub sessions: Arc<LiveSessions>,
    pub clock: Clock,
}

impl AppState {
    pub fn now(&self) -> NaiveDateTime {
        (self.clock)()
    }

    /// Runs `f` with a connection, outside any transaction. `f` runs once more, on another
    /// connection, if its connection turned out broken.
    ///
    /// On PostgreSQL it runs on the blocking pool, since it waits on the network. On SQLite it
    /// runs here, on the async worker: a keyed read of an embedded file takes tens of
    /// microseconds, less than the two thread hand-offs the blocking pool costs, and readers
    /// never wait on the writer in WAL mode.
    pub async fn read<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Clone + Send + 'static,
    {
        if self.store.backend() == Backend::Sqlite {
            return self.store.read(f);
        }
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

    /// Passes on `done`, the outcome of an act that ends sessions or changes who may be
    /// signed in, once every session this server remembers is forgotten: the next request here
    /// looks its session up. (Other servers hear of the act from the database.)
    pub fn sessions_ended<T>(&self, done: T) -> T {
        self.sessions.forget_all();
        done
    }

    /// Runs a use case that changes something, for `actor`, at one instant: in the next group
    /// commit, in a savepoint of its own, its audit entries with it. If the policy denied it,
    /// its work is undone and the denial is audited in the same group; the caller is told "not
    /// found" (or "forbidden"). It answers once the group has committed.
    pub async fn run<T, F>(&self, actor: Actor, meta: &RequestMeta, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection, &UseCase) -> Result<T, AppError> + Send + 'static,
    {
        let case = UseCase::new(self.now(), actor, meta.clone());
        let (answer, answered) = oneshot::channel::<Result<T, AppError>>();
        self.store.run_in_group(Box::new(move |conn| {
            let done = f(conn, &case);
            Done {
                keep: done.is_ok(),
                entries: case.entries_for(&done),
                answer: Box::new(move |committed| {
                    let _ = answer.send(committed.map_err(AppError::from).and(done));
                }),
            }
        }));
        answered.await.unwrap_or(Err(AppError::Unavailable))
    }

    /// Runs a use case that only reads, for `actor`, at one instant: on a reader connection,
    /// with no write transaction of its own. Its audit entries (or its denial's) go to the next
    /// group commit, and it answers only once they are durable.
    pub async fn view<T, F>(&self, actor: Actor, meta: &RequestMeta, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection, &UseCase) -> Result<T, AppError> + Clone + Send + 'static,
    {
        let now = self.now();
        let reading = meta.clone();
        let (done, entries) = self
            .read(move |conn| {
                let case = UseCase::new(now, actor, reading);
                match f(conn, &case) {
                    // Worth a second try on a fresh connection, as a whole.
                    Err(error) if error.connection_lost() => Err(error),
                    done => {
                        let entries = case.entries_for(&done);
                        Ok((done, entries))
                    }
                }
            })
            .await?;
        if !entries.is_empty() {
            let (answer, answered) = oneshot::channel();
            self.store.append_audit(
                entries,
                Box::new(move |committed| {
                    let _ = answer.send(committed);
                }),
            );
            answered
                .await
                .map_err(|_| AppError::Unavailable)?
                .map_err(AppError::from)?;
        }
        done
    }
}

/// What a use case knows besides its connection: when it happens, who asks, from where; and
/// the audit entries it records, which go to the group commit with it.
pub struct UseCase {
    pub now: NaiveDateTime,
    pub actor: Actor,
    meta: RequestMeta,
    entries: RefCell<Vec<AuditEntry>>,
}

impl UseCase {
    fn new(now: NaiveDateTime, actor: Actor, meta: RequestMeta) -> Self {
        UseCase {
            now,
            actor,
            meta,
            entries: RefCell::new(Vec::new()),
        }
    }

    /// Records the audit entry of this use case, to be committed with it.
    pub fn record(&self, event: audit::Event<'_>) {
        let entry = audit::entry(&self.meta, self.now, event);
        self.entries.borrow_mut().push(entry);
    }

    /// The entries to append once the use case ended with `done`: its own if it succeeded, the
    /// denial's if the policy refused, none if it failed otherwise (as a rolled-back
    /// transaction would leave none).
    fn entries_for<T>(self, done: &Result<T, AppError>) -> Vec<AuditEntry> {
        match done {
            Ok(_) => self.entries.into_inner(),
            Err(AppError::Denied(denial)) => {
                vec![audit::denial_entry(
                    &self.meta,
                    self.now,
                    &self.actor,
                    denial,
                )]
            }
            Err(_) => Vec::new(),
        }
    }
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("database task failed: {e}")))?
}
