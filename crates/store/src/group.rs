//! Group commit: a few writer threads per server gather the audit entries of many requests (and
//! the units of work of the ones that write) and commit them together, with one flush.
//!
//! Each writer owns a connection of its own and, on PostgreSQL, claims a lane of the hash chain
//! for as long as that connection lives (a session-level advisory lock, which the database drops
//! with the connection when a server dies), so that servers sharing a database do not wait on
//! each other's chains. Ownership only spares the waiting: a writer moves its lane's end only
//! from where it left it ([`LaneWriter`]), so the chain stays whole even when two writers do
//! share a lane. On PostgreSQL a group of reads' entries alone needs no transaction (its ids,
//! then one statement that appends them); a group with units of work is a transaction, each unit
//! in a savepoint of its own: when one fails, only its changes are undone, and its entries (a
//! denial's, say) are still appended. Nobody is answered
//! before the group that holds their entries has committed.

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use crate::checkpoint::SingleWriter;
use crate::connection::{begin, finish};
use crate::repo::audit::{self, AuditEntry, LaneWriter};
use crate::{Backend, DbConnection, StoreError};

/// How many units one group holds at most: enough to share a flush among every request of a
/// busy server, few enough that one group's transaction stays short.
const MOST_PER_GROUP: usize = 512;

/// What a unit of work did in its savepoint.
pub struct Done {
    /// Its audit entries, appended even when its changes are undone (a denial's entry, say).
    pub entries: Vec<AuditEntry>,
    /// Whether its changes stay; `false` rolls back to its savepoint.
    pub keep: bool,
    /// Told whether the group committed; it answers the request.
    pub answer: Answer,
}

/// Told whether the group that held a unit committed.
pub type Answer = Box<dyn FnOnce(Result<(), StoreError>) + Send>;

/// A unit of work: runs on a writer's connection, inside the group's transaction.
pub type Work = Box<dyn FnOnce(&mut DbConnection) -> Done + Send>;

enum Unit {
    /// The entries of a read, which has no changes of its own.
    Entries(Vec<AuditEntry>, Answer),
    Work(Work),
}

/// Opens a writer's connection, with the per-connection settings applied.
pub type Opener = Arc<dyn Fn() -> Result<DbConnection, StoreError> + Send + Sync>;

#[derive(Default)]
struct Queue {
    state: Mutex<Waiting>,
    arrived: Condvar,
    /// How long a group waits for the entries of reads under way.
    gather_for: Duration,
}

#[derive(Default)]
struct Waiting {
    units: VecDeque<Unit>,
    /// Reads under way whose entries are to come (each holds an [`Expected`]).
    expected: usize,
    closed: bool,
}

impl Waiting {
    /// Takes back one announcement; whether none is left, so that a gathering writer may go.
    fn withdraw(&mut self) -> bool {
        self.expected -= 1;
        self.expected == 0
    }
}

impl Queue {
    fn lock(&self) -> MutexGuard<'_, Waiting> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues `unit`, fulfilling `expected` if it was announced. The writer is woken only when
    /// it may be waiting for this unit: for a first one, or for the last one announced.
    fn push(&self, unit: Unit, expected: Option<Expected>) -> Result<(), Unit> {
        let mut waiting = self.lock();
        // Fulfilled here, under the lock that queues the unit: the writer never sees the
        // announcement gone before the unit is there.
        let last_expected = expected
            .and_then(|mut expected| expected.queue.take())
            .is_some()
            && waiting.withdraw();
        if waiting.closed {
            return Err(unit);
        }
        waiting.units.push_back(unit);
        let wake = waiting.units.len() == 1 || last_expected;
        drop(waiting);
        if wake {
            self.arrived.notify_one();
        }
        Ok(())
    }

    /// The next group: every unit waiting, up to the most a group holds, once the reads under
    /// way have brought theirs or `gather_for` has passed. `None` once closed and drained.
    fn next_group(&self) -> Option<Vec<Unit>> {
        let mut waiting = self.lock();
        while waiting.units.is_empty() {
            if waiting.closed {
                return None;
            }
            waiting = self
                .arrived
                .wait(waiting)
                .unwrap_or_else(PoisonError::into_inner);
        }
        let deadline = Instant::now() + self.gather_for;
        while waiting.expected > 0 && waiting.units.len() < MOST_PER_GROUP && !waiting.closed {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            waiting = self
                .arrived
                .wait_timeout(waiting, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        let take = waiting.units.len().min(MOST_PER_GROUP);
        Some(waiting.units.drain(..take).collect())
    }
}

/// Announces a read whose audit entries are to come, so that the writer waits a little for
/// them rather than commit a group without them. Dropped unfulfilled (the read failed, or its
/// request went away), it withdraws the announcement.
pub struct Expected {
    queue: Option<Arc<Queue>>,
}

impl Drop for Expected {
    fn drop(&mut self) {
        if let Some(queue) = self.queue.take() {
            let last = queue.lock().withdraw();
            if last {
                queue.arrived.notify_one();
            }
        }
    }
}

/// The writers of one server.
pub struct Group {
    queue: Arc<Queue>,
    tally: Arc<Tally>,
    writers: Vec<JoinHandle<()>>,
}

/// What the writers have done since the server started: for `/metrics`, where units per group
/// tells how widely each commit (its round trips and its flush) is shared.
#[derive(Default)]
pub struct Tally {
    committed: AtomicU64,
    failed: AtomicU64,
    units: AtomicU64,
}

/// A reading of [`Tally`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GroupCounts {
    pub committed: u64,
    pub failed: u64,
    /// Units (a read's entries, or a unit of work) in the committed groups.
    pub units: u64,
}

impl Tally {
    fn count(&self, units: usize, committed: bool) {
        if committed {
            self.committed.fetch_add(1, Ordering::Relaxed);
            self.units.fetch_add(units as u64, Ordering::Relaxed);
        } else {
            self.failed.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn read(&self) -> GroupCounts {
        GroupCounts {
            committed: self.committed.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            units: self.units.load(Ordering::Relaxed),
        }
    }
}

impl Group {
    /// Starts `writers` writer threads. `exclusive` is held around each group's transaction
    /// (SQLite's one writer at a time, shared with the store's other writers). A group
    /// waits up to `gather_for` for the entries of reads under way.
    pub(crate) fn start(
        open: Opener,
        backend: Backend,
        writers: usize,
        exclusive: Option<SingleWriter>,
        gather_for: Duration,
    ) -> Group {
        let queue = Arc::new(Queue {
            gather_for,
            ..Queue::default()
        });
        let tally = Arc::new(Tally::default());
        let writers = (0..writers.max(1))
            .map(|index| {
                let writer = Writer {
                    queue: queue.clone(),
                    tally: tally.clone(),
                    open: open.clone(),
                    exclusive: exclusive.clone(),
                    backend,
                    fallback_lane: 1 + (index as i32 % audit::LANES),
                };
                std::thread::Builder::new()
                    .name(format!("medvault-audit-{index}"))
                    .spawn(move || writer.run())
            })
            .filter_map(Result::ok)
            .collect();
        Group {
            queue,
            tally,
            writers,
        }
    }

    /// What the writers have done so far.
    pub fn counts(&self) -> GroupCounts {
        self.tally.read()
    }

    /// Announces a read whose entries are to come.
    pub fn expect(&self) -> Expected {
        self.queue.lock().expected += 1;
        Expected {
            queue: Some(self.queue.clone()),
        }
    }

    /// Appends a read's `entries` with the next group, fulfilling its announcement; `answer` is
    /// told once it committed (or failed).
    pub fn append(&self, entries: Vec<AuditEntry>, answer: Answer, expected: Expected) {
        let unit = Unit::Entries(entries, answer);
        if let Err(Unit::Entries(_, answer)) = self.queue.push(unit, Some(expected)) {
            answer(Err(stopped()));
        }
    }

    /// Runs `work` in the next group. If the writers have stopped, `work` is dropped unrun,
    /// which its caller sees as a closed answer.
    pub fn run(&self, work: Work) {
        let _ = self.queue.push(Unit::Work(work), None);
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        self.queue.lock().closed = true;
        self.queue.arrived.notify_all();
        for writer in self.writers.drain(..) {
            let _ = writer.join();
        }
    }
}

fn stopped() -> StoreError {
    StoreError::Unavailable("the audit writer has stopped".to_owned())
}

struct Writer {
    queue: Arc<Queue>,
    tally: Arc<Tally>,
    open: Opener,
    exclusive: Option<SingleWriter>,
    backend: Backend,
    /// The lane written when every lane is claimed by other writers.
    fallback_lane: i32,
}

/// A writer's connection and its hold on the lane it writes.
struct Lane {
    conn: DbConnection,
    writer: LaneWriter,
}

impl Writer {
    fn run(self) {
        let mut held: Option<Lane> = None;
        while let Some(units) = self.queue.next_group() {
            // Held from BEGIN to COMMIT: SQLite has one writer at a time.
            let exclusive = self.exclusive.as_ref().map(SingleWriter::hold);
            let size = units.len();
            let (answers, outcome) = self.commit(&mut held, units);
            drop(exclusive);
            self.tally.count(size, outcome.is_ok());
            for answer in answers {
                answer(match &outcome {
                    Ok(()) => Ok(()),
                    Err(error) => Err(StoreError::Unavailable(format!(
                        "the audit trail could not be written: {error}"
                    ))),
                });
            }
        }
    }

    /// Commits one group: the answers to give, and whether it committed. On PostgreSQL a
    /// group of reads' entries alone is appended outside any transaction (the append is one
    /// statement); a group with units of work runs in a transaction, each unit in a savepoint
    /// of its own.
    fn commit(
        &self,
        held: &mut Option<Lane>,
        units: Vec<Unit>,
    ) -> (Vec<Answer>, Result<(), StoreError>) {
        let entries_only = units.iter().all(|unit| matches!(unit, Unit::Entries(..)));
        if entries_only && self.backend == Backend::Postgres {
            let mut answers = Vec::with_capacity(units.len());
            let mut entries = Vec::new();
            for unit in units {
                if let Unit::Entries(mine, answer) = unit {
                    entries.extend(mine);
                    answers.push(answer);
                }
            }
            return (answers, self.append_alone(held, &entries));
        }
        let mut current = match self.open_group(held.take()) {
            Ok(opened) => opened,
            Err(error) => {
                // No database: say so at once, so that requests fail fast, not queue.
                fail_all(units, &error);
                return (Vec::new(), Err(error));
            }
        };
        let (answers, outcome) = commit_group(&mut current, units);
        match &outcome {
            Err(error) if error.is_connection_lost() => {}
            Err(_) => {
                current.writer.forget();
                *held = Some(current);
            }
            Ok(()) => *held = Some(current),
        }
        (answers, outcome)
    }

    /// Appends a group of reads' entries, outside any transaction. If the connection is lost
    /// under it, another connection asks whether the append reached the trail before it is
    /// sent again, so that no entry is lost and none is written twice.
    fn append_alone(
        &self,
        held: &mut Option<Lane>,
        entries: &[AuditEntry],
    ) -> Result<(), StoreError> {
        let mut lane = match held.take() {
            Some(lane) => lane,
            None => self.claim()?,
        };
        match lane.writer.append(&mut lane.conn, entries) {
            Ok(()) => {
                *held = Some(lane);
                Ok(())
            }
            Err(error) if error.is_connection_lost() => {
                let mut fresh = self.claim()?;
                if !lane.writer.sent_and_kept(&mut fresh.conn)? {
                    fresh.writer.append(&mut fresh.conn, entries)?;
                }
                *held = Some(fresh);
                Ok(())
            }
            Err(error) => {
                lane.writer.forget();
                *held = Some(lane);
                Err(error)
            }
        }
    }

    /// Begins a group's transaction on the writer's connection, claiming a lane on a new
    /// connection if it has none, or if the one it had turns out broken before anything ran (a
    /// database restart leaves it so).
    fn open_group(&self, mut lane: Option<Lane>) -> Result<Lane, StoreError> {
        let mut fresh = lane.is_none();
        loop {
            let mut current = match lane.take() {
                Some(current) => current,
                None => self.claim()?,
            };
            match begin(&mut current.conn).map_err(StoreError::from) {
                Ok(()) => return Ok(current),
                Err(error) if error.is_connection_lost() && !fresh => fresh = true,
                Err(error) => return Err(error),
            }
        }
    }

    /// Opens a connection and claims a lane no other writer holds, or shares one if all are held.
    fn claim(&self) -> Result<Lane, StoreError> {
        let mut conn = (self.open)()?;
        let lane = match &mut conn {
            DbConnection::Postgres(_) => {
                let mut claimed = None;
                for lane in 1..=audit::LANES {
                    if try_claim(&mut conn, lane)? {
                        claimed = Some(lane);
                        break;
                    }
                }
                claimed.unwrap_or(self.fallback_lane)
            }
            DbConnection::Sqlite(_) => self.fallback_lane,
        };
        Ok(Lane {
            conn,
            writer: LaneWriter::new(lane),
        })
    }
}

/// The advisory-lock space of lane claims: "mvlane".
const LANE_LOCKS: i32 = 0x6d76_6c61;

#[derive(QueryableByName)]
struct Claimed {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    claimed: bool,
}

fn try_claim(conn: &mut DbConnection, lane: i32) -> Result<bool, StoreError> {
    let found = diesel::sql_query("SELECT pg_try_advisory_lock($1, $2) AS claimed")
        .bind::<diesel::sql_types::Integer, _>(LANE_LOCKS)
        .bind::<diesel::sql_types::Integer, _>(lane)
        .get_result::<Claimed>(conn)?;
    Ok(found.claimed)
}

fn fail_all(units: Vec<Unit>, error: &StoreError) {
    for unit in units {
        if let Unit::Entries(_, answer) = unit {
            answer(Err(StoreError::Unavailable(error.to_string())));
        }
        // A unit of work dropped unrun closes its answer, which its caller takes for a failure.
    }
}

/// Runs one group in the transaction [`Writer::open_group`] began; the answers to give, and
/// whether it committed.
fn commit_group(lane: &mut Lane, units: Vec<Unit>) -> (Vec<Answer>, Result<(), StoreError>) {
    let Lane { conn, writer } = lane;
    let mut answers = Vec::with_capacity(units.len());
    let mut entries = Vec::new();
    let ran = (|| {
        for unit in units {
            match unit {
                Unit::Entries(mine, answer) => {
                    entries.extend(mine);
                    answers.push(answer);
                }
                Unit::Work(work) => {
                    let done = in_savepoint(conn, work)?;
                    entries.extend(done.entries);
                    answers.push(done.answer);
                }
            }
        }
        writer.append(conn, &entries)
    })();
    let outcome = match ran {
        Ok(()) => finish(conn, true).map_err(StoreError::from),
        Err(error) => {
            let _ = finish(conn, false);
            Err(error)
        }
    };
    (answers, outcome)
}

/// Runs one unit of work in a savepoint, undoing its changes when it failed or panicked.
fn in_savepoint(conn: &mut DbConnection, work: Work) -> Result<Done, StoreError> {
    conn.batch_execute("SAVEPOINT unit")?;
    match catch_unwind(AssertUnwindSafe(|| work(conn))) {
        Ok(done) if done.keep => {
            conn.batch_execute("RELEASE SAVEPOINT unit")?;
            Ok(done)
        }
        Ok(done) => {
            conn.batch_execute("ROLLBACK TO SAVEPOINT unit")?;
            Ok(done)
        }
        Err(_) => {
            // Its answer went with it: the caller sees a closed answer.
            conn.batch_execute("ROLLBACK TO SAVEPOINT unit")?;
            tracing::error!("a unit of work panicked; its changes were undone");
            Ok(Done {
                entries: Vec::new(),
                keep: false,
                answer: Box::new(|_| {}),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::Duration;

    use super::{Done, GroupCounts};
    use crate::repo::audit::tests::entry;
    use crate::{Store, StoreOptions};

    /// A store whose groups wait far longer for announced reads than any test runs.
    fn store(folder: &tempfile::TempDir) -> Store {
        let options = StoreOptions {
            gather_for: Duration::from_secs(600),
            ..StoreOptions::default()
        };
        Store::open(&folder.path().join("group.db").to_string_lossy(), &options).expect("store")
    }

    /// Queues a unit of work that appends one entry; what it is told comes on the channel.
    fn work(store: &Store) -> mpsc::Receiver<bool> {
        let (told, heard) = mpsc::channel();
        store.run_in_group(Box::new(move |_| Done {
            entries: vec![entry()],
            keep: true,
            answer: Box::new(move |committed| {
                let _ = told.send(committed.is_ok());
            }),
        }));
        heard
    }

    const AT_MOST: Duration = Duration::from_secs(60);

    #[test]
    fn a_group_waits_for_the_reads_under_way_and_not_for_a_withdrawn_one() {
        let folder = tempfile::tempdir().expect("folder");
        let store = store(&folder);
        let before = store.audit_groups();

        // A read announces its entries; a write queued meanwhile waits for them.
        let reading = store.expect_audit();
        let written = work(&store);
        std::thread::sleep(Duration::from_millis(100));
        let (told, read) = mpsc::channel();
        store.append_audit(
            vec![entry()],
            Box::new(move |committed| {
                let _ = told.send(committed.is_ok());
            }),
            reading,
        );
        assert!(written.recv_timeout(AT_MOST).expect("the write's answer"));
        assert!(read.recv_timeout(AT_MOST).expect("the read's answer"));
        let after = store.audit_groups();
        assert_eq!(after.committed - before.committed, 1, "one group for both");
        assert_eq!(after.units - before.units, 2);

        // A read that fails brings no entries: its withdrawal releases the group at once.
        let failing = store.expect_audit();
        let written = work(&store);
        std::thread::sleep(Duration::from_millis(100));
        drop(failing);
        assert!(written.recv_timeout(AT_MOST).expect("the write's answer"));
        assert_eq!(
            store.audit_groups(),
            GroupCounts {
                committed: after.committed + 1,
                failed: 0,
                units: after.units + 1,
            }
        );
        assert_eq!(
            store.read(crate::repo::audit::verify).expect("verify"),
            crate::ChainCheck::Intact { entries: 3 }
        );
    }
}
