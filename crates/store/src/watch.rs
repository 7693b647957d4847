//! Word of changes to sessions, from every server sharing the database.
//!
//! A server that keeps live sessions in memory (to spare a look-up per request) must hear at
//! once when any server ends one. Whatever ends a session or changes who may be signed in
//! announces it in its own transaction, so that the word goes out if and when it commits: on
//! PostgreSQL with `NOTIFY`, heard on a connection of the listener's own; on SQLite, which has
//! no such channel, by counting up `session_changes`, which the listener reads every few
//! milliseconds (servers sharing one file hear each other's changes as they would on
//! PostgreSQL).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use diesel::connection::SimpleConnection;

use crate::DbConnection;
use crate::group::Opener;

/// The channel on which session changes are announced.
const CHANNEL: &str = "medvault_sessions";

/// How often the listener reads what has arrived. Reading is a non-blocking receive on the
/// socket (PostgreSQL) or one row by its key (SQLite), so this costs next to nothing and bounds
/// how late a change is heard.
const POLL: Duration = Duration::from_millis(5);

/// How long the listener waits before connecting again after losing its connection.
const RECONNECT: Duration = Duration::from_millis(250);

/// What the listener tells its subscriber.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionNews {
    /// Listening: from now on every change is heard. Anything remembered from before may be
    /// stale, since changes made while not listening were missed.
    Listening,
    /// Some session ended or some account changed.
    Changed,
    /// Not listening (the connection was lost): nothing remembered can be trusted until
    /// `Listening` comes again.
    Deaf,
}

/// Announces, within the current transaction, that sessions changed, when `changed` rows say
/// something did: listeners hear it once the transaction commits, and never if it rolls back.
/// (A change of nothing would only make every server forget what it remembers.)
pub(crate) fn announce(conn: &mut DbConnection, changed: usize) -> diesel::QueryResult<()> {
    if changed == 0 {
        return Ok(());
    }
    match conn {
        DbConnection::Postgres(pg) => pg.batch_execute(&format!("NOTIFY {CHANNEL}")),
        DbConnection::Sqlite(sqlite) => {
            sqlite.batch_execute("UPDATE session_changes SET counter = counter + 1 WHERE id = 1")
        }
    }
}

/// Listens on its own connection until `stop` is set, telling `tell` what it hears.
pub(crate) fn listen(
    open: Opener,
    stop: Arc<AtomicBool>,
    tell: Arc<dyn Fn(SessionNews) + Send + Sync>,
) {
    let spawned = thread::Builder::new()
        .name("medvault-sessions".into())
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                if let Some(mut subscription) = subscribe(&open) {
                    tell(SessionNews::Listening);
                    while !stop.load(Ordering::Relaxed) && heard(&mut subscription, &*tell) {
                        thread::sleep(POLL);
                    }
                    tell(SessionNews::Deaf);
                }
                thread::sleep(RECONNECT);
            }
        });
    if let Err(error) = spawned {
        tracing::error!(%error, "cannot start the session listener; sessions are not remembered");
    }
}

/// A listener's connection, and on SQLite the count of changes it has seen.
struct Subscription {
    conn: DbConnection,
    seen: i64,
}

fn subscribe(open: &Opener) -> Option<Subscription> {
    let mut conn = open().ok()?;
    let seen = match &mut conn {
        DbConnection::Postgres(pg) => {
            pg.batch_execute(&format!("LISTEN {CHANNEL}")).ok()?;
            0
        }
        DbConnection::Sqlite(_) => changes_counted(&mut conn).ok()?,
    };
    Some(Subscription { conn, seen })
}

/// Reads what has arrived; `false` once the connection is found lost.
fn heard(subscription: &mut Subscription, tell: &dyn Fn(SessionNews)) -> bool {
    let changed = match &mut subscription.conn {
        DbConnection::Postgres(pg) => {
            let mut changed = false;
            for notification in pg.notifications_iter() {
                match notification {
                    Ok(_) => changed = true,
                    Err(_) => return false,
                }
            }
            changed
        }
        DbConnection::Sqlite(_) => match changes_counted(&mut subscription.conn) {
            Ok(counted) => counted != std::mem::replace(&mut subscription.seen, counted),
            Err(_) => return false,
        },
    };
    if changed {
        tell(SessionNews::Changed);
    }
    true
}

/// How many changes to sessions SQLite has counted so far.
fn changes_counted(conn: &mut DbConnection) -> diesel::QueryResult<i64> {
    use crate::schema::session_changes;
    use diesel::prelude::*;
    session_changes::table
        .select(session_changes::counter)
        .find(1)
        .first(conn)
}
