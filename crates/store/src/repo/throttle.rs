//! Counters of sign-in attempts, shared by every server through the database. The store locks,
//! reads and writes them; what the counts mean is the server's to decide.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::schema::{login_known_places, login_throttle};
use crate::{DbConnection, StoreError};

/// One key's counts in its current window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Counter {
    /// Wrong passwords settled in this window.
    pub failures: i64,
    /// Attempts under way: counted in, not yet settled...
    pub pending: i64,
    /// ...as long as this lease runs. A server that stops half-way leaves its attempts counted
    /// only until then.
    pub pending_until: Option<NaiveDateTime>,
    pub window_start: NaiveDateTime,
    pub blocked_until: Option<NaiveDateTime>,
}

impl Counter {
    fn fresh(now: NaiveDateTime) -> Self {
        Counter {
            failures: 0,
            pending: 0,
            pending_until: None,
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
/// that has run out starts afresh; attempts under way whose lease has run out count no more
/// (a server that stopped half-way cannot settle them).
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
        let (failures, pending, pending_until, window_start, blocked_until) = login_throttle::table
            .find(key)
            .select((
                login_throttle::failures,
                login_throttle::pending,
                login_throttle::pending_until,
                login_throttle::window_start,
                login_throttle::blocked_until,
            ))
            .first::<(
                i64,
                i64,
                Option<NaiveDateTime>,
                NaiveDateTime,
                Option<NaiveDateTime>,
            )>(conn)?;
        let leased = pending_until.is_some_and(|until| until > now);
        let counter = Counter {
            failures,
            pending: if leased { pending } else { 0 },
            pending_until: pending_until.filter(|_| leased),
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
            login_throttle::pending_until.eq(counter.pending_until),
            login_throttle::window_start.eq(counter.window_start),
            login_throttle::blocked_until.eq(counter.blocked_until),
        ))
        .execute(conn)?;
    Ok(())
}

/// Forgets counters with nothing left to say at `now`: window over, no block, no lease. Keys
/// are chosen by whoever signs in, so without this the table would only grow.
pub fn prune(
    conn: &mut DbConnection,
    window: Duration,
    now: NaiveDateTime,
) -> Result<usize, StoreError> {
    let over = diesel::delete(
        login_throttle::table
            .filter(login_throttle::window_start.le(now - window))
            .filter(
                login_throttle::blocked_until
                    .is_null()
                    .or(login_throttle::blocked_until.le(now)),
            )
            .filter(
                login_throttle::pending_until
                    .is_null()
                    .or(login_throttle::pending_until.le(now)),
            ),
    )
    .execute(conn)?;
    Ok(over)
}

/// Notes that an account signed in from a place (both hashed into `key`).
pub fn remember_place(
    conn: &mut DbConnection,
    key: &str,
    now: NaiveDateTime,
) -> Result<(), StoreError> {
    let updated = diesel::update(login_known_places::table.find(key))
        .set(login_known_places::seen_at.eq(now))
        .execute(conn)?;
    if updated == 0 {
        // Another server may note the same place at the same moment; either note will do.
        let inserted = conn.transaction(|conn| {
            diesel::insert_into(login_known_places::table)
                .values((
                    login_known_places::key.eq(key),
                    login_known_places::seen_at.eq(now),
                ))
                .execute(conn)
        });
        match inserted.map_err(StoreError::from) {
            Ok(_) | Err(StoreError::Conflict(_)) => {}
            Err(other) => return Err(other),
        }
    }
    Ok(())
}

/// Whether an account signed in from a place since `since`.
pub fn knows_place(
    conn: &mut DbConnection,
    key: &str,
    since: NaiveDateTime,
) -> Result<bool, StoreError> {
    let seen = login_known_places::table
        .find(key)
        .filter(login_known_places::seen_at.ge(since))
        .count()
        .get_result::<i64>(conn)?;
    Ok(seen > 0)
}

/// Forgets places not signed in from since `since`.
pub fn prune_places(conn: &mut DbConnection, since: NaiveDateTime) -> Result<usize, StoreError> {
    Ok(
        diesel::delete(login_known_places::table.filter(login_known_places::seen_at.lt(since)))
            .execute(conn)?,
    )
}
