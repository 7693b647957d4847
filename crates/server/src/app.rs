//! The application: shared state, and the bridge through which every use case reaches the
//! store.

use std::cell::RefCell;
use std::sync::Arc;

use chrono::NaiveDateTime;
use medvault_domain::{Actor, AuditAction};
use medvault_store::group::Done;
use medvault_store::repo::idempotency::{self, Claim};
use medvault_store::{AuditEntry, Backend, DbConnection, Store, WorkError};
use tokio::sync::oneshot;
use tracing::Instrument;

use crate::audit::{self, RequestMeta};
use crate::auth::keys::Keys;
use crate::auth::live::LiveSessions;
use crate::auth::password::PasswordHasher;
use crate::auth::token::TokenCodec;
use crate::config::Config;
use crate::error::AppError;
use crate::files::vault::FileVault;
use crate::heavy::Heavy;
use crate::http::idempotency::{Claimed, IdempotencyClaim};
use crate::telemetry::TRACE_ONLY;

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
    pub files: Arc<FileVault>,
    /// Threads for long work that is not the database's (`heavy.rs`).
    pub heavy: Heavy,
    /// The summary service, when one is configured.
    pub assistant: Option<Arc<crate::outside::assistant::Assistant>>,
    /// The insurer's eligibility service, when one is configured.
    pub insurer: Option<Arc<crate::outside::insurer::Insurer>>,
    /// The imports pages follow on this server.
    pub imports: crate::imports::following::Running,
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
        let span = self.db_span("db read");
        if self.store.backend() == Backend::Sqlite {
            return span.in_scope(|| self.store.read(f));
        }
        let store = self.store.clone();
        blocking(move || span.in_scope(|| store.read(f))).await
    }

    /// Runs `f` on the blocking pool in one transaction, committed only if it returns `Ok`.
    pub async fn write<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
    {
        let span = self.db_span("db write");
        let store = self.store.clone();
        blocking(move || span.in_scope(|| store.write(f))).await
    }

    /// A span for database work, in traces only: from when it is asked for until it is done.
    fn db_span(&self, name: &'static str) -> tracing::Span {
        let system = match self.store.backend() {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgresql",
        };
        tracing::info_span!(target: TRACE_ONLY, "db", otel.name = name, db.system = system)
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
        let claim = meta.idempotency.clone();
        self.in_group(move |conn| {
            let done = match claim.as_deref().map(|claim| claim_key(conn, &case, claim)) {
                Some(Err(refused)) => Err(refused),
                _ => f(conn, &case),
            };
            let entries = case.entries_for(&done);
            (done, entries)
        })
        .await
    }

    /// Runs a change that is not a signed-in caller's use case (a sign-in, a registration, a
    /// throttle's bookkeeping) in the next group commit, in a savepoint of its own, with the
    /// audit entries it records on `trail`, stamped `now`: kept together, or undone together
    /// when it fails.
    pub async fn write_audited<T, F>(
        &self,
        now: NaiveDateTime,
        meta: &RequestMeta,
        f: F,
    ) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection, &Trail) -> Result<T, AppError> + Send + 'static,
    {
        let trail = Trail::new(now, meta.clone());
        self.in_group(move |conn| {
            let done = f(conn, &trail);
            let entries = if done.is_ok() {
                trail.into_entries()
            } else {
                Vec::new()
            };
            (done, entries)
        })
        .await
    }

    /// Runs `work` in the next group commit and answers once the group has committed: its
    /// outcome, and the entries to append with it (its work is kept only if it succeeded).
    async fn in_group<T, W>(&self, work: W) -> Result<T, AppError>
    where
        T: Send + 'static,
        W: FnOnce(&mut DbConnection) -> (Result<T, AppError>, Vec<AuditEntry>) + Send + 'static,
    {
        let span = self.db_span("db group commit");
        let working = span.clone();
        let (answer, answered) = oneshot::channel::<Result<T, AppError>>();
        self.store.run_in_group(Box::new(move |conn| {
            let (done, entries) = working.in_scope(|| work(conn));
            Done {
                keep: done.is_ok(),
                entries,
                answer: Box::new(move |committed| {
                    let _ = answer.send(committed.map_err(AppError::from).and(done));
                }),
            }
        }));
        answered
            .instrument(span)
            .await
            .unwrap_or(Err(AppError::Unavailable))
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
        let expected = self.store.expect_audit();
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
                expected,
            );
            answered
                .instrument(self.db_span("db audit append"))
                .await
                .map_err(|_| AppError::Unavailable)?
                .map_err(AppError::from)?;
        }
        done
    }
}

/// The audit entries of one unit of work, recorded as it goes and committed with it.
pub struct Trail {
    now: NaiveDateTime,
    meta: RequestMeta,
    entries: RefCell<Vec<AuditEntry>>,
}

impl Trail {
    fn new(now: NaiveDateTime, meta: RequestMeta) -> Self {
        Trail {
            now,
            meta,
            entries: RefCell::new(Vec::new()),
        }
    }

    /// Records an audit entry, to be committed with the work.
    pub fn record(&self, event: audit::Event<'_>) {
        let entry = audit::entry(&self.meta, self.now, event);
        self.entries.borrow_mut().push(entry);
    }

    fn into_entries(self) -> Vec<AuditEntry> {
        self.entries.into_inner()
    }
}

/// What a use case knows besides its connection: when it happens, who asks, from where; and
/// the audit entries it records, which go to the group commit with it.
pub struct UseCase {
    pub now: NaiveDateTime,
    pub actor: Actor,
    trail: Trail,
}

impl UseCase {
    fn new(now: NaiveDateTime, actor: Actor, meta: RequestMeta) -> Self {
        UseCase {
            now,
            actor,
            trail: Trail::new(now, meta),
        }
    }

    /// Records the audit entry of this use case, to be committed with it.
    pub fn record(&self, event: audit::Event<'_>) {
        self.trail.record(event);
    }

    /// The entries to append once the use case ended with `done`: its own if it succeeded, the
    /// denial's if the policy refused, none if it failed otherwise (as a rolled-back
    /// transaction would leave none).
    fn entries_for<T>(self, done: &Result<T, AppError>) -> Vec<AuditEntry> {
        match done {
            Ok(_) => self.trail.into_entries(),
            Err(AppError::Denied(denial)) => {
                vec![audit::denial_entry(
                    &self.trail.meta,
                    self.now,
                    &self.actor,
                    denial,
                )]
            }
            // A repeat's own entry: it is answered with what the first request made.
            Err(AppError::Repeated) => self.trail.into_entries(),
            Err(_) => Vec::new(),
        }
    }
}

/// How long a caller's `Idempotency-Key` answers its repeats.
const IDEMPOTENCY_KEPT: chrono::Duration = chrono::Duration::hours(24);

/// Claims the request's `Idempotency-Key` in its unit of work: the work goes ahead for the
/// key's first request; a repeat is audited and refused as [`AppError::Repeated`] (the layer
/// answers it with the first answer); a key reused for another request is refused.
fn claim_key(
    conn: &mut DbConnection,
    case: &UseCase,
    claim: &IdempotencyClaim,
) -> Result<(), AppError> {
    let user = case.actor.user_id;
    idempotency::forget_before(conn, user, case.now - IDEMPOTENCY_KEPT)?;
    match idempotency::claim(conn, user, &claim.key, &claim.fingerprint, case.now)? {
        Claim::New => {
            claim.settle(Claimed::First(user));
            Ok(())
        }
        Claim::Repeat => {
            claim.settle(Claimed::Repeat(user));
            case.record(
                audit::Event::success(&case.actor, AuditAction::RequestRepeat).resource(&claim.key),
            );
            Err(AppError::Repeated)
        }
        Claim::Mismatch => Err(AppError::Conflict {
            code: "idempotency_key_reused",
            message: "this Idempotency-Key was used for a different request: send a new key",
        }),
    }
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("database task failed: {e}")))?
}
