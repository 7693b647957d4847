//! Counters of sign-in attempts, shared by every server through the database. The store locks,
//! reads and writes them; what the counts mean is the server's to decide.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::schema::login_throttle;
use crate::{DbConnection, StoreError};

/// One key's counts in its current window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Counter {
    /// Wrong passwords settled in this window.
    pub failures: i64,
    /// Attempts under way: counted in, not yet settled.
    pub pending: i64,
    pub window_start: NaiveDateTime,
    pub blocked_until: Option<NaiveDateTime>,
}

impl Counter {
    fn fresh(now: NaiveDateTime) -> Self {
        Counter {
            failures: 0,
            pending: 0,
            window_start: now,
            blocked_until: None,
        }
    }

    /// Whether the key is blocked at `now`.
    pub fn blocked_at(&self, now: NaiveDateTime) -> Option<NaiveDateTime> {
        self.blocked_until.filter(|until| *until > now)
    }
}

/// Locks `key`'s row until the transaction ends (creating it if need be) and reads it. A window
/// that has run out starts afresh; so do attempts left pending by a server that stopped
/// half-way, which would otherwise count against the key for good.
///
/// Call inside a write transaction, and lock several keys always in the same order.
pub fn lock(
    conn: &mut DbConnection,
    key: &str,
    window: Duration,
    now: NaiveDateTime,
) -> Result<Counter, StoreError> {
    loop {
        let locked = diesel::update(login_throttle::table.find(key))
            .set(login_throttle::failures.eq(login_throttle::failures))
            .execute(conn)?;
        if locked == 0 {
            // First attempt for this key. Another server may insert it at the same moment: the
            // savepoint keeps our transaction usable, and the next turn locks their row.
            let fresh = Counter::fresh(now);
            let inserted = conn.transaction(|conn| {
                diesel::insert_into(login_throttle::table)
                    .values((
                        login_throttle::key.eq(key),
                        login_throttle::failures.eq(fresh.failures),
                        login_throttle::pending.eq(fresh.pending),
                        login_throttle::window_start.eq(fresh.window_start),
                    ))
                    .execute(conn)
            });
            match inserted.map_err(StoreError::from) {
                Ok(_) => return Ok(fresh),
                Err(StoreError::Conflict(_)) => continue,
                Err(other) => return Err(other),
            }
        }
        let (failures, pending, window_start, blocked_until) = login_throttle::table
            .find(key)
            .select((
                login_throttle::failures,
                login_throttle::pending,
                login_throttle::window_start,
                login_throttle::blocked_until,
            ))
            .first::<(i64, i64, NaiveDateTime, Option<NaiveDateTime>)>(conn)?;
        let counter = Counter {
            failures,
            pending,
            window_start,
            blocked_until,
        };
        if now - window_start >= window && counter.blocked_at(now).is_none() {
            return Ok(Counter::fresh(now));
        }
        return Ok(counter);
    }
}

/// Writes back a counter read with [`lock`].
pub fn save(conn: &mut DbConnection, key: &str, counter: &Counter) -> Result<(), StoreError> {
    diesel::update(login_throttle::table.find(key))
        .set((
            login_throttle::failures.eq(counter.failures),
            login_throttle::pending.eq(counter.pending),
            login_throttle::window_start.eq(counter.window_start),
            login_throttle::blocked_until.eq(counter.blocked_until),
        ))
        .execute(conn)?;
    Ok(())
}
