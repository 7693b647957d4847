//! Word of changes to sessions, from every server sharing the database.
//!
//! A server that keeps live sessions in memory (to spare a round trip per request) must hear
//! at once when any server ends one. On PostgreSQL, whatever ends a session or changes who may
//! be signed in announces it (`NOTIFY`, sent when its transaction commits), and each server
//! listens on a connection of its own. SQLite has no such channel; a server there does not
//! keep sessions in memory.

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
/// socket, so this costs next to nothing and bounds how late a change is heard.
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
    match conn {
        DbConnection::Postgres(pg) if changed > 0 => pg.batch_execute(&format!("NOTIFY {CHANNEL}")),
        _ => Ok(()),
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
                if let Some(mut conn) = subscribe(&open) {
                    tell(SessionNews::Listening);
                    while !stop.load(Ordering::Relaxed) && heard(&mut conn, &*tell) {
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

fn subscribe(open: &Opener) -> Option<DbConnection> {
    let mut conn = open().ok()?;
    conn.batch_execute(&format!("LISTEN {CHANNEL}")).ok()?;
    Some(conn)
}

/// Reads what has arrived; `false` once the connection is found lost.
fn heard(conn: &mut DbConnection, tell: &dyn Fn(SessionNews)) -> bool {
    let DbConnection::Postgres(pg) = conn else {
        return false;
    };
    let mut changed = false;
    for notification in pg.notifications_iter() {
        match notification {
            Ok(_) => changed = true,
            Err(_) => return false,
        }
    }
    if changed {
        tell(SessionNews::Changed);
    }
    true
}
