//! The connection type over both backends, the pool, migrations and transactions.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::r2d2::{ManageConnection, Pool, PooledConnection, R2D2Connection};
use diesel::{Connection, PgConnection, SqliteConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::checkpoint::SingleWriter;
use crate::error::{StoreError, WorkError};
use crate::group::{Answer, Expected, Group, GroupCounts, Opener, Work};
use crate::repo::audit::AuditEntry;
use crate::watch::{self, SessionNews};

const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// How long a request waits for a connection while all of them are in use.
const BUSY_WAIT: Duration = Duration::from_secs(10);

/// How long a starting server waits for its first connection.
const STARTUP_WAIT: Duration = Duration::from_secs(30);

/// Serialises schema migrations between servers that start at the same moment.
const MIGRATION_LOCK_KEY: i64 = 0x6d65_6476_6175_6c74; // "medvault"

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    pub fn of_url(url: &str) -> Self {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Postgres => "postgres",
            Backend::Sqlite => "sqlite",
        }
    }
}

/// Whether libpq's refusal says something that waiting will not change.
fn refused_for_good(refusal: &str) -> bool {
    [
        "certificate",
        // A handshake refused ("SSL SYSCALL error", a connection cut mid-way, may pass).
        "SSL error",
        "does not support SSL",
        "does not match host name",
        "password authentication failed",
        "does not exist",
        "pg_hba.conf",
        "sslmode",
        "invalid connection option",
        "invalid URI",
    ]
    .iter()
    .any(|reason| refusal.contains(reason))
}

/// Whether a PostgreSQL URL insists on TLS: libpq without OpenSSL cannot give it.
fn asks_for_tls(url: &str) -> bool {
    url.split(['?', '&']).any(|part| {
        matches!(
            part,
            "sslmode=require" | "sslmode=verify-ca" | "sslmode=verify-full"
        )
    })
}

#[derive(Clone, Debug)]
pub struct StoreOptions {
    pub max_connections: u32,
    pub acquire_timeout: Duration,
    /// Writer threads of the group commit, each with a connection (and a lane) of its own.
    pub audit_writers: usize,
    /// How long a group commit waits for the audit entries of reads under way before it
    /// commits without them.
    pub gather_for: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get() as u32);
        Self {
            // Enough to keep every core busy while others wait on I/O, small enough that several
            // servers sharing one PostgreSQL stay well under its connection limit.
            max_connections: (cores * 4).clamp(4, 32),
            // While the database cannot be reached, say so (503) within a second, before load
            // balancers give up on us; a busy pool waits longer (see `Store::connection`).
            acquire_timeout: Duration::from_millis(800),
            audit_writers: (cores as usize).clamp(1, 4),
            // A read takes well under a millisecond on an idle machine and a few on a busy
            // one. Waiting up to one for the reads under way let a group take 5 to 12 units
            // instead of 2 on a busy 2-core machine (PostgreSQL), a fifth less work per read;
            // waiting longer made the reads and the commits take turns (docs/performance.md).
            gather_for: Duration::from_millis(1),
        }
    }
}

/// What the SQLite connections' page caches may hold together, in KiB, shared out between the
/// pool's connections, the writer's and the checkpointer's. SQLite's default (2 MiB each) kept
/// few of a hospital's index pages between requests, so the readers reread them from the
/// operating system's cache; a larger share served 5 to 15 % more record lists at full size. A
/// budget rather than a size per connection keeps a larger pool from taking more memory, until
/// each share would fall below SQLite's default.
const SQLITE_PAGE_CACHES_KIB: u32 = 64 * 1024;

/// Each SQLite connection's share of [`SQLITE_PAGE_CACHES_KIB`], never less than SQLite's default.
fn sqlite_cache_kib(max_connections: u32) -> u32 {
    (SQLITE_PAGE_CACHES_KIB / max_connections.saturating_add(2)).max(2000)
}

/// Per-connection settings, for the pool's connections and the writers' alike.
fn set_up(conn: &mut DbConnection, sqlite_cache_kib: u32) -> diesel::QueryResult<()> {
    let sqlite;
    let sql = match conn {
        // The busy timeout makes a connection wait for a lock another one holds, not fail; it
        // comes first because reading the journal mode takes a lock too, which another process
        // closing its last connection holds for a moment (without it, about one connection in
        // ten opened while other processes opened and closed theirs failed "database is
        // locked"). WAL lets readers run beside the writer; FULL makes every commit durable on
        // power loss.
        // Checkpoints are the store's checkpointer's, not the committing writer's
        // (`checkpoint.rs`). A negative cache size is in KiB.
        DbConnection::Sqlite(_) => {
            sqlite = format!(
                "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
                 PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; \
                 PRAGMA wal_autocheckpoint = 0; PRAGMA cache_size = -{sqlite_cache_kib};"
            );
            sqlite.as_str()
        }
        // Every statement MedVault prepares has one shape and one right plan (a key's index);
        // PostgreSQL would otherwise plan many of them afresh on every execution, comparing
        // custom plans with the generic one, which at a hospital's size cost more than running
        // them (a chart's record list: 130 µs planning, 210 µs running). Not on Citus, which
        // cannot plan the trail's INSERT … SELECT FROM unnest(…) without the values.
        // On Citus, a statement over many shards (the audit viewer by patient, a doctor's
        // charts) runs its shards' parts over the one connection to each worker that the
        // coordinator keeps, instead of opening more (a process forked on the worker each, and
        // closed after): the audit viewer served 4.7 times as many pages, and the record list a
        // fifth more, on the local cluster at scale (docs/performance.md).
        DbConnection::Postgres(_) => {
            "SET TIME ZONE 'UTC'; SET statement_timeout = '30s'; \
             DO $$ BEGIN \
                 IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN \
                     PERFORM set_config('plan_cache_mode', 'force_generic_plan', false); \
                 ELSE \
                     PERFORM set_config('citus.max_adaptive_executor_pool_size', '1', false); \
                 END IF; \
             END $$;"
        }
    };
    conn.batch_execute(sql)
}

/// A pooled connection, and whether it was found broken and must not go back into the pool.
pub struct Pooled {
    conn: DbConnection,
    lost: bool,
}

/// The pool's connection manager: connections are not tested on every checkout (a round trip
/// per request); one that fails is marked and dropped instead.
struct Manager {
    url: String,
    backend: Backend,
    sqlite_cache_kib: u32,
    /// Whether the pool's last attempt to connect failed (every attempt says).
    refused: Arc<AtomicBool>,
}

impl ManageConnection for Manager {
    type Connection = Pooled;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<Pooled, Self::Error> {
        let connected = establish(&self.url, self.backend)
            .map_err(diesel::r2d2::Error::ConnectionError)
            .and_then(|mut conn| {
                set_up(&mut conn, self.sqlite_cache_kib)
                    .map_err(diesel::r2d2::Error::QueryError)?;
                Ok(Pooled { conn, lost: false })
            });
        self.refused.store(connected.is_err(), Ordering::Relaxed);
        connected
    }

    fn is_valid(&self, pooled: &mut Pooled) -> Result<(), Self::Error> {
        pooled.conn.ping().map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, pooled: &mut Pooled) -> bool {
        pooled.lost || pooled.conn.is_broken()
    }
}

/// A connection to `url` on `backend`. (diesel's own, for either backend, would try both and
/// hide why PostgreSQL refused behind "invalid connection url".)
fn establish(url: &str, backend: Backend) -> diesel::ConnectionResult<DbConnection> {
    match backend {
        Backend::Postgres => {
            openssl_without_exit_cleanup();
            PgConnection::establish(url).map(DbConnection::Postgres)
        }
        Backend::Sqlite => SqliteConnection::establish(url).map(DbConnection::Sqlite),
    }
}

/// Sets OpenSSL up, once, without the clean-up it would otherwise run when the process exits.
/// The pool opens connections on threads of its own, and a command that ends while one is being
/// opened (sslmode's default, `prefer`, tries TLS first) had OpenSSL's locks freed under it: about
/// one `medvault` command in eight on PostgreSQL ended with a segmentation fault after doing its
/// work. OpenSSL must be set up this way before anything else sets it up, so before libpq does.
fn openssl_without_exit_cleanup() {
    #[cfg(feature = "postgres-tls")]
    openssl_sys::init();
}

/// The database: a pool of connections to one backend, and the group-commit writers.
pub struct Store {
    pool: Pool<Manager>,
    /// Whether the database refused the pool's last attempt to connect.
    refused: Arc<AtomicBool>,
    backend: Backend,
    /// SQLite allows one writer at a time.
    sqlite_writer: Option<SingleWriter>,
    group: Group,
    open: Opener,
    /// Tells the session listener to stop with the store.
    stop_listening: Arc<AtomicBool>,
}

impl Store {
    /// Connects to `url`: `postgres://…`, or a SQLite file path (created with its folder if
    /// missing), and runs pending migrations.
    pub fn open(url: &str, options: &StoreOptions) -> Result<Self, StoreError> {
        let backend = Backend::of_url(url);
        if backend == Backend::Postgres && !cfg!(feature = "postgres-tls") && asks_for_tls(url) {
            return Err(StoreError::Unavailable(
                "the database URL asks for TLS (its sslmode), but this MedVault was built \
                 without it: build it with `--features postgres-tls`"
                    .to_owned(),
            ));
        }
        if backend == Backend::Sqlite {
            crate::sqlite_plans::install();
            let path = url.strip_prefix("sqlite://").unwrap_or(url);
            if let Some(parent) = Path::new(path)
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
            {
                std::fs::create_dir_all(parent).map_err(|e| {
                    StoreError::Unavailable(format!("cannot create data folder: {e}"))
                })?;
            }
        }
        let url = url.strip_prefix("sqlite://").unwrap_or(url).to_owned();
        // A database that is not up yet is waited for; one that refuses for good (a certificate,
        // a password, a name) is reported at once.
        if backend == Backend::Postgres
            && let Err(refusal) = establish(&url, backend)
            && refused_for_good(&refusal.to_string())
        {
            return Err(StoreError::Unavailable(refusal.to_string()));
        }
        let sqlite_cache_kib = sqlite_cache_kib(options.max_connections);
        let refused = Arc::new(AtomicBool::new(false));
        let pool = Pool::builder()
            .max_size(options.max_connections)
            .connection_timeout(options.acquire_timeout)
            .test_on_check_out(false)
            // Connections are opened in the background; the first wait is the migrations'.
            .build_unchecked(Manager {
                url: url.clone(),
                backend,
                sqlite_cache_kib,
                refused: refused.clone(),
            });
        let open: Opener = Arc::new(move || {
            let mut conn =
                establish(&url, backend).map_err(|e| StoreError::Unavailable(e.to_string()))?;
            set_up(&mut conn, sqlite_cache_kib)?;
            Ok(conn)
        });
        let sqlite_writer = (backend == Backend::Sqlite).then(|| SingleWriter::new(open.clone()));
        // SQLite has one writer at a time: one writer thread gathers everything.
        let writers = match backend {
            Backend::Postgres => options.audit_writers,
            Backend::Sqlite => 1,
        };
        let store = Store {
            pool,
            refused,
            backend,
            group: Group::start(
                open.clone(),
                backend,
                writers,
                sqlite_writer.clone(),
                options.gather_for,
            ),
            sqlite_writer,
            open,
            stop_listening: Arc::new(AtomicBool::new(false)),
        };
        store.migrate()?;
        Ok(store)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A pooled connection. A pool that holds no connection at all means the database cannot be
    /// reached, which is said at once once the pool's last attempt to connect was refused, and
    /// otherwise after the pool's short wait (its connection timeout). Not holding the thread
    /// for that wait is what lets a server under load during an outage answer every request
    /// within a second, not only the few its blocking threads can wait out; the pool goes on
    /// trying a few times a second, and its first connection ends this. When every connection
    /// is merely in use, the database is there and the server busy, so a request waits its
    /// turn for longer.
    fn connection(&self) -> Result<PooledConnection<Manager>, StoreError> {
        let holds_none = || self.pool.state().connections == 0;
        if self.refused.load(Ordering::Relaxed) && holds_none() {
            return Err(StoreError::Unavailable(
                "the database refuses connections".to_owned(),
            ));
        }
        self.pool.get().or_else(|error| {
            if holds_none() {
                return Err(StoreError::Unavailable(error.to_string()));
            }
            self.pool
                .get_timeout(BUSY_WAIT)
                .map_err(|e| StoreError::Unavailable(e.to_string()))
        })
    }

    /// Runs pending migrations, one server at a time. It waits longer for its connection than a
    /// request does: a server starting beside others, or beside its database, may well wait.
    pub fn migrate(&self) -> Result<(), StoreError> {
        let mut conn = self
            .pool
            .get_timeout(STARTUP_WAIT)
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        let run = |result: Result<_, Box<dyn std::error::Error + Send + Sync>>| {
            result
                .map(|_| ())
                .map_err(|e| StoreError::Unavailable(format!("migration failed: {e}")))
        };
        match &mut conn.conn {
            DbConnection::Postgres(pg) => {
                pg.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))?;
                let outcome = run(pg.run_pending_migrations(POSTGRES_MIGRATIONS).map(|_| ()));
                pg.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"))?;
                outcome
            }
            DbConnection::Sqlite(sqlite) => {
                run(sqlite.run_pending_migrations(SQLITE_MIGRATIONS).map(|_| ()))
            }
        }
    }

    /// Runs `f` in a read-only unit of work (no transaction: each statement sees committed data).
    /// If the connection turns out broken, it is dropped and `f` runs again on another. When the
    /// database restarted, every idle connection is broken, and each fails at once: so it tries
    /// as many as the pool holds, and then one that the pool has opened afresh.
    pub fn read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        E: WorkError,
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Clone,
    {
        let mut tries = self.pool.max_size();
        loop {
            match self.read_once(f.clone()) {
                Err(error) if error.connection_lost() && tries > 0 => tries -= 1,
                done => return done,
            }
        }
    }

    fn read_once<T, E: WorkError>(
        &self,
        f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut pooled = self.connection()?;
        let done = f(&mut pooled.conn);
        if done.as_ref().is_err_and(WorkError::connection_lost) {
            pooled.lost = true;
        }
        done
    }

    /// Tells `tell` of every change to sessions made through any server sharing the database,
    /// from a listener of its own.
    pub fn watch_sessions(&self, tell: Arc<dyn Fn(SessionNews) + Send + Sync>) {
        watch::listen(self.open.clone(), self.stop_listening.clone(), tell);
    }

    /// Announces a read whose audit entries are to come: the next group waits a little for
    /// them (see [`Expected`]).
    pub fn expect_audit(&self) -> Expected {
        self.group.expect()
    }

    /// What the group-commit writers have done since the store opened.
    pub fn audit_groups(&self) -> GroupCounts {
        self.group.counts()
    }

    /// Appends `entries` with the next group commit; `answer` is told once they are durable.
    pub fn append_audit(&self, entries: Vec<AuditEntry>, answer: Answer, expected: Expected) {
        self.group.append(entries, answer, expected);
    }

    /// Runs `work` in the next group commit, in a savepoint of its own.
    pub fn run_in_group(&self, work: Work) {
        self.group.run(work);
    }

    /// Runs `f` in one transaction: committed if it returns `Ok`, rolled back otherwise. On SQLite
    /// the transaction takes the write lock up front (`BEGIN IMMEDIATE`), so that it cannot fail
    /// half-way when another process wrote in between.
    pub fn write<T, E>(&self, f: impl FnOnce(&mut DbConnection) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let _writer = self.sqlite_writer.as_ref().map(SingleWriter::hold);
        let mut pooled = self.connection()?;
        let conn = &mut pooled.conn;
        let done = begin(conn).map_err(StoreError::from);
        let done = match done {
            Ok(()) => match f(conn) {
                Ok(value) => finish(conn, true).map(|()| value).map_err(StoreError::from),
                Err(error) => {
                    // The error that made us roll back is the one worth reporting.
                    let _ = finish(conn, false);
                    return Err(error);
                }
            },
            Err(error) => Err(error),
        };
        if done.as_ref().is_err_and(StoreError::is_connection_lost) {
            pooled.lost = true;
        }
        Ok(done?)
    }

    /// Runs `f` on one consistent view of the database, as of its first read, while writers go
    /// on: a read transaction on SQLite (in WAL mode it holds no lock that writers wait on), a
    /// repeatable-read one on PostgreSQL. Nothing it does is kept.
    pub fn snapshot<T, E>(&self, f: impl FnOnce(&mut DbConnection) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let mut pooled = self.connection()?;
        let conn = &mut pooled.conn;
        let begin = match conn {
            DbConnection::Postgres(_) => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
            DbConnection::Sqlite(_) => "BEGIN DEFERRED",
        };
        conn.batch_execute(begin).map_err(StoreError::from)?;
        let done = f(conn);
        let ended = conn.batch_execute("ROLLBACK").map_err(StoreError::from);
        if ended.as_ref().is_err_and(StoreError::is_connection_lost) {
            pooled.lost = true;
        }
        let value = done?;
        ended?;
        Ok(value)
    }

    /// Whether the database answers a trivial query (on a working connection, if any is to be
    /// had: see [`Store::read`]).
    pub fn ping(&self) -> Result<(), StoreError> {
        self.read(|conn| Ok(conn.batch_execute("SELECT 1")?))
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        self.stop_listening.store(true, Ordering::Relaxed);
    }
}

pub(crate) fn begin(conn: &mut DbConnection) -> diesel::QueryResult<()> {
    match conn {
        DbConnection::Postgres(pg) => AnsiTransactionManager::begin_transaction(pg),
        DbConnection::Sqlite(sqlite) => {
            AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")
        }
    }
}

pub(crate) fn finish(conn: &mut DbConnection, commit: bool) -> diesel::QueryResult<()> {
    fn end<C>(conn: &mut C, commit: bool) -> diesel::QueryResult<()>
    where
        C: Connection<TransactionManager = AnsiTransactionManager>,
    {
        if commit {
            AnsiTransactionManager::commit_transaction(conn)
        } else {
            AnsiTransactionManager::rollback_transaction(conn)
        }
    }
    match conn {
        DbConnection::Postgres(pg) => end(pg, commit),
        DbConnection::Sqlite(sqlite) => end(sqlite, commit),
    }
}

#[cfg(test)]
mod tests {
    use diesel::sql_types::Integer;
    use diesel::{QueryableByName, RunQueryDsl};

    use super::{SQLITE_PAGE_CACHES_KIB, asks_for_tls, refused_for_good, sqlite_cache_kib};
    use crate::{Store, StoreError, StoreOptions};

    #[derive(QueryableByName)]
    struct CacheSize {
        #[diesel(sql_type = Integer)]
        cache_size: i32,
    }

    #[test]
    fn sqlite_connections_share_one_page_cache_budget() {
        // Eight pooled connections, the writer's and the checkpointer's: a tenth each.
        assert_eq!(sqlite_cache_kib(8), SQLITE_PAGE_CACHES_KIB / 10);
        // However many connections, never less than SQLite's own default.
        assert_eq!(sqlite_cache_kib(1_000), 2000);

        let folder = tempfile::tempdir().expect("folder");
        let path = folder.path().join("cache.db");
        let options = StoreOptions {
            max_connections: 8,
            ..StoreOptions::default()
        };
        let store = Store::open(&path.to_string_lossy(), &options).expect("store");
        let cache_size = |conn: &mut crate::DbConnection| {
            diesel::sql_query("PRAGMA cache_size")
                .get_result::<CacheSize>(conn)
                .map(|row| row.cache_size)
                .map_err(StoreError::from)
        };
        let expected = -i32::try_from(sqlite_cache_kib(8)).expect("small");
        assert_eq!(
            store.read(cache_size).expect("read"),
            expected,
            "a reader's"
        );
        assert_eq!(
            store.write(cache_size).expect("read"),
            expected,
            "the writer's"
        );
    }

    /// Set in the processes that [`sqlite_connections_opened_by_several_processes_at_once_are_set_up`]
    /// starts from its own test binary: the database they open connections to.
    const OPENER_OF: &str = "MEDVAULT_TEST_OPENER_OF";

    /// Other processes open and close connections to one database at once, as a server and a
    /// command run beside it (a backup, an import) do: each one that is opened is set up. A
    /// process closing its last connection locks the database for a moment; without waiting
    /// for that lock, about one connection in ten failed "database is locked".
    #[test]
    fn sqlite_connections_opened_by_several_processes_at_once_are_set_up() {
        if let Some(path) = std::env::var_os(OPENER_OF) {
            // One of the processes: opens, sets up and closes connections for two seconds,
            // panicking at the first that fails.
            let path = path.to_string_lossy().into_owned();
            let until = std::time::Instant::now() + std::time::Duration::from_secs(2);
            while std::time::Instant::now() < until {
                let mut conn = super::establish(&path, super::Backend::Sqlite).expect("opened");
                super::set_up(&mut conn, 2000).expect("set up");
            }
            return;
        }
        let folder = tempfile::tempdir().expect("folder");
        let path = folder.path().join("busy.db");
        drop(Store::open(&path.to_string_lossy(), &StoreOptions::default()).expect("store"));
        let this_test = std::env::current_exe().expect("the test binary");
        let openers: Vec<_> = (0..3)
            .map(|_| {
                std::process::Command::new(&this_test)
                    .args([
                        "--exact",
                        "connection::tests::sqlite_connections_opened_by_several_processes_at_once_are_set_up",
                    ])
                    .args(["--nocapture", "--test-threads", "1"])
                    .env(OPENER_OF, &path)
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .expect("started")
            })
            .collect();
        for opener in openers {
            let opener = opener.wait_with_output().expect("ran");
            assert!(
                opener.status.success(),
                "{}",
                String::from_utf8_lossy(&opener.stderr)
            );
        }
    }

    #[test]
    fn a_url_that_insists_on_tls_is_known_by_its_sslmode() {
        for url in [
            "postgres://db/medvault?sslmode=verify-full&sslrootcert=/ca.pem",
            "postgres://db/medvault?connect_timeout=5&sslmode=require",
            "postgres://db/medvault?sslmode=verify-ca",
        ] {
            assert!(asks_for_tls(url), "{url}");
        }
        for url in [
            "postgres://db/medvault",
            "postgres://db/medvault?sslmode=prefer",
            "postgres://db/medvault?sslmode=disable",
            "postgres://db/sslmode=require",
        ] {
            assert!(!asks_for_tls(url), "{url}");
        }
    }

    #[test]
    fn a_database_not_up_yet_is_waited_for_and_a_refusal_is_not() {
        assert!(!refused_for_good(
            "connection to server at \"db\" (10.0.0.5), port 5432 failed: Connection refused"
        ));
        assert!(!refused_for_good(
            "FATAL:  the database system is starting up"
        ));
        assert!(!refused_for_good("SSL SYSCALL error: EOF detected"));
        assert!(refused_for_good(
            "connection to server at \"db\" (10.0.0.5), port 5432 failed: SSL error: \
             certificate verify failed"
        ));
        assert!(refused_for_good(
            "FATAL:  password authentication failed for user \"medvault\""
        ));
        assert!(refused_for_good(
            "FATAL:  database \"medvault\" does not exist"
        ));
    }
}
