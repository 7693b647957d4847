//! The connection type over both backends, the pool, migrations and transactions.

use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool, PooledConnection};
use diesel::{Connection, PgConnection, SqliteConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::error::StoreError;

const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

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

#[derive(Clone, Debug)]
pub struct StoreOptions {
    pub max_connections: u32,
    pub acquire_timeout: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get() as u32);
        Self {
            // Enough to keep every core busy while others wait on I/O, small enough that several
            // servers sharing one PostgreSQL stay well under its connection limit.
            max_connections: (cores * 4).clamp(4, 32),
            acquire_timeout: Duration::from_secs(10),
        }
    }
}

/// Per-connection settings, applied whenever the pool opens a connection.
#[derive(Debug)]
struct ConnectionSetup;

impl CustomizeConnection<DbConnection, diesel::r2d2::Error> for ConnectionSetup {
    fn on_acquire(&self, conn: &mut DbConnection) -> Result<(), diesel::r2d2::Error> {
        let sql = match conn {
            // WAL lets readers run beside the writer; FULL makes every commit durable on power
            // loss; the busy timeout makes a second process wait for the write lock, not fail.
            DbConnection::Sqlite(_) => {
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                 PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;"
            }
            DbConnection::Postgres(_) => "SET TIME ZONE 'UTC'; SET statement_timeout = '30s';",
        };
        conn.batch_execute(sql)
            .map_err(diesel::r2d2::Error::QueryError)
    }
}

/// The database: a pool of connections to one backend.
pub struct Store {
    pool: Pool<ConnectionManager<DbConnection>>,
    backend: Backend,
    /// SQLite allows one writer at a time. Queueing writers here, in the process, is cheaper
    /// and fairer than letting them spin on SQLite's busy handler.
    sqlite_writer: Option<Mutex<()>>,
}

impl Store {
    /// Connects to `url`: `postgres://…`, or a SQLite file path (created with its folder if
    /// missing), and runs pending migrations.
    pub fn open(url: &str, options: &StoreOptions) -> Result<Self, StoreError> {
        let backend = Backend::of_url(url);
        if backend == Backend::Sqlite {
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
        let url = url.strip_prefix("sqlite://").unwrap_or(url);
        let pool = Pool::builder()
            .max_size(options.max_connections)
            .connection_timeout(options.acquire_timeout)
            .connection_customizer(Box::new(ConnectionSetup))
            .build(ConnectionManager::<DbConnection>::new(url))
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        let store = Store {
            pool,
            backend,
            sqlite_writer: (backend == Backend::Sqlite).then(|| Mutex::new(())),
        };
        store.migrate()?;
        Ok(store)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    fn connection(&self) -> Result<PooledConnection<ConnectionManager<DbConnection>>, StoreError> {
        self.pool
            .get()
            .map_err(|e| StoreError::Unavailable(e.to_string()))
    }

    /// Runs pending migrations, one server at a time.
    pub fn migrate(&self) -> Result<(), StoreError> {
        let mut conn = self.connection()?;
        let run = |result: Result<_, Box<dyn std::error::Error + Send + Sync>>| {
            result
                .map(|_| ())
                .map_err(|e| StoreError::Unavailable(format!("migration failed: {e}")))
        };
        match &mut *conn {
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
    pub fn read<T, E>(&self, f: impl FnOnce(&mut DbConnection) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let mut conn = self.connection()?;
        f(&mut conn)
    }

    /// Runs `f` in one transaction: committed if it returns `Ok`, rolled back otherwise. On SQLite
    /// the transaction takes the write lock up front (`BEGIN IMMEDIATE`), so that it cannot fail
    /// half-way when another process wrote in between.
    pub fn write<T, E>(&self, f: impl FnOnce(&mut DbConnection) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let _writer = self
            .sqlite_writer
            .as_ref()
            .map(|lock| lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner()));
        let mut conn = self.connection()?;
        begin(&mut conn).map_err(StoreError::from)?;
        match f(&mut conn) {
            Ok(value) => {
                finish(&mut conn, true).map_err(StoreError::from)?;
                Ok(value)
            }
            Err(error) => {
                // The error that made us roll back is the one worth reporting.
                let _ = finish(&mut conn, false);
                Err(error)
            }
        }
    }

    /// Whether the database answers a trivial query.
    pub fn ping(&self) -> Result<(), StoreError> {
        let mut conn = self.connection()?;
        conn.batch_execute("SELECT 1")?;
        Ok(())
    }
}

fn begin(conn: &mut DbConnection) -> diesel::QueryResult<()> {
    match conn {
        DbConnection::Postgres(pg) => AnsiTransactionManager::begin_transaction(pg),
        DbConnection::Sqlite(sqlite) => {
            AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")
        }
    }
}

fn finish(conn: &mut DbConnection, commit: bool) -> diesel::QueryResult<()> {
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
