//! SQLite's one writer at a time, and the checkpoints that copy its write-ahead log back into
//! the database file off that writer's path.
//!
//! By default SQLite checkpoints inside the commit that takes the log past 1,000 pages: the
//! committing connection copies those pages into the database file and flushes it before it
//! returns. With the audit trail's group commits touching a few dozen index pages each, that
//! was a checkpoint every few dozen commits, each holding the one writer (and every request
//! waiting on its group) for the length of a scattered write and a flush. MedVault's
//! connections turn that off (`wal_autocheckpoint = 0`); a thread of the store's own runs a
//! passive checkpoint, which never blocks the writer or the readers, shortly after writes.

use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use diesel::connection::SimpleConnection;

use crate::DbConnection;
use crate::group::Opener;

/// How long the checkpointer lets commits gather before it copies them: a page written by many
/// commits in that time is copied once.
const GATHER: Duration = Duration::from_millis(50);

/// The lock every SQLite writer holds from `BEGIN` to `COMMIT` (queueing writers in the process
/// is cheaper and fairer than SQLite's busy handler), which tells the checkpointer when
/// released.
#[derive(Clone)]
pub(crate) struct SingleWriter {
    lock: Arc<Mutex<()>>,
    checkpointer: Arc<Checkpointer>,
}

/// Held while writing; tells the checkpointer there is something to copy once dropped.
pub(crate) struct Writing<'a> {
    guard: Option<MutexGuard<'a, ()>>,
    checkpointer: &'a Checkpointer,
}

impl Drop for Writing<'_> {
    fn drop(&mut self) {
        drop(self.guard.take());
        self.checkpointer.written();
    }
}

impl SingleWriter {
    /// The lock, and a checkpointer on connections that `open` makes.
    pub(crate) fn new(open: Opener) -> Self {
        SingleWriter {
            lock: Arc::new(Mutex::new(())),
            checkpointer: Arc::new(Checkpointer::start(open)),
        }
    }

    /// Waits for the other writers; the write lasts as long as what it returns.
    pub(crate) fn hold(&self) -> Writing<'_> {
        Writing {
            guard: Some(self.lock.lock().unwrap_or_else(PoisonError::into_inner)),
            checkpointer: &self.checkpointer,
        }
    }
}

/// A thread that checkpoints after writes, until dropped.
struct Checkpointer {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

#[derive(Default)]
struct State {
    written: bool,
    stop: bool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Checkpointer {
    fn start(open: Opener) -> Self {
        let shared = Arc::new(Shared::default());
        let running = shared.clone();
        let thread = std::thread::Builder::new()
            .name("medvault-checkpoint".to_owned())
            .spawn(move || run(&running, &open))
            .map_err(|error| {
                tracing::error!(%error, "cannot start the checkpointer: the write-ahead log grows until the server restarts");
            })
            .ok();
        Checkpointer { shared, thread }
    }

    fn written(&self) {
        let mut state = self.shared.lock();
        if !state.written {
            state.written = true;
            drop(state);
            self.shared.changed.notify_one();
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.shared.lock().stop = true;
        self.shared.changed.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn run(shared: &Shared, open: &Opener) {
    let mut conn: Option<DbConnection> = None;
    loop {
        let state = shared
            .changed
            .wait_while(shared.lock(), |state| !state.written && !state.stop)
            .unwrap_or_else(PoisonError::into_inner);
        if state.stop {
            return;
        }
        let (mut state, _) = shared
            .changed
            .wait_timeout_while(state, GATHER, |state| !state.stop)
            .unwrap_or_else(PoisonError::into_inner);
        if state.stop {
            return;
        }
        state.written = false;
        drop(state);
        // A connection that fails is opened afresh at the next write; until then the log
        // grows, and SQLite reads it as part of the database meanwhile.
        let checkpointed = match conn.take() {
            Some(held) => Ok(held),
            None => open().map_err(|error| error.to_string()),
        }
        .and_then(|mut held| checkpoint(&mut held).map(|()| held));
        match checkpointed {
            Ok(held) => conn = Some(held),
            Err(error) => tracing::warn!(
                %error,
                "the write-ahead log could not be checkpointed; retrying after the next write"
            ),
        }
    }
}

fn checkpoint(conn: &mut DbConnection) -> Result<(), String> {
    conn.batch_execute("PRAGMA wal_checkpoint(PASSIVE)")
        .map_err(|error| error.to_string())
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use diesel::connection::SimpleConnection;

    use crate::{Store, StoreError, StoreOptions};

    #[test]
    fn what_is_written_reaches_the_database_file_while_the_store_is_open() {
        let folder = tempfile::tempdir().expect("folder");
        let path = folder.path().join("checkpoint.db");
        let store = Store::open(&path.to_string_lossy(), &StoreOptions::default()).expect("store");
        let size = || std::fs::metadata(&path).expect("database file").len();
        let before = size();
        // About 4 MB, far more than the file held: it grows only when a checkpoint copies the
        // log's pages into it, which no committing connection does any more.
        store
            .write(|conn| {
                conn.batch_execute(
                    "CREATE TABLE filler (body BLOB); \
                     WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000) \
                     INSERT INTO filler SELECT randomblob(4000) FROM n;",
                )
                .map_err(StoreError::from)
            })
            .expect("written");
        let deadline = Instant::now() + Duration::from_secs(30);
        while size() < before + 4_000_000 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(
            size() >= before + 4_000_000,
            "the database file is still {} bytes, {before} before the write",
            size()
        );
    }
}
