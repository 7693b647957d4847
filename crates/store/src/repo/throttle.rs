//! Counters of sign-in attempts, shared by every server through the database.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::schema::login_throttle;
use crate::{DbConnection, StoreError};

/// The latest time until which any of `keys` is blocked, if one is blocked at `now`.
pub fn blocked_until(
    conn: &mut DbConnection,
    keys: &[String],
    now: NaiveDateTime,
) -> Result<Option<NaiveDateTime>, StoreError> {
    let until = login_throttle::table
        .filter(login_throttle::key.eq_any(keys))
        .filter(login_throttle::blocked_until.gt(now))
        .select(login_throttle::blocked_until)
        .load::<Option<NaiveDateTime>>(conn)?
        .into_iter()
        .flatten()
        .max();
    Ok(until)
}

/// What counting an attempt found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Counted {
    /// Attempts in the current window, this one included.
    pub attempts: i64,
    /// Set when the key is blocked (this attempt reached or passed the limit).
    pub blocked_until: Option<NaiveDateTime>,
}

/// Counts one attempt against `key`, before its outcome is known. Attempts older than `window`
/// are forgotten; reaching `limit` blocks the key for `window`. Call inside a write transaction:
/// the row is locked first, so that concurrent attempts, from any server, are counted one after
/// another, and the caller decides from the count, not from an earlier read.
pub fn count_attempt(
    conn: &mut DbConnection,
    key: &str,
    limit: i64,
    window: Duration,
    now: NaiveDateTime,
) -> Result<Counted, StoreError> {
    loop {
        let locked = diesel::update(login_throttle::table.find(key))
            .set(login_throttle::failures.eq(login_throttle::failures))
            .execute(conn)?;
        if locked == 0 {
            // First attempt for this key. Another server may insert it at the same moment: the
            // savepoint keeps our transaction usable, and the next turn updates their row.
            let inserted = conn.transaction(|conn| {
                diesel::insert_into(login_throttle::table)
                    .values((
                        login_throttle::key.eq(key),
                        login_throttle::failures.eq(1),
                        login_throttle::window_start.eq(now),
                        login_throttle::blocked_until.eq((limit <= 1).then(|| now + window)),
                    ))
                    .execute(conn)
            });
            match inserted.map_err(StoreError::from) {
                Ok(_) => {
                    return Ok(Counted {
                        attempts: 1,
                        blocked_until: (limit <= 1).then(|| now + window),
                    });
                }
                Err(StoreError::Conflict(_)) => continue,
                Err(other) => return Err(other),
            }
        }
        let (failures, start, blocked) = login_throttle::table
            .find(key)
            .select((
                login_throttle::failures,
                login_throttle::window_start,
                login_throttle::blocked_until,
            ))
            .first::<(i64, NaiveDateTime, Option<NaiveDateTime>)>(conn)?;
        let (attempts, window_start) = if now - start < window {
            (failures + 1, start)
        } else {
            (1, now)
        };
        let blocked_until = if attempts >= limit {
            Some(blocked.filter(|until| *until > now).unwrap_or(now + window))
        } else {
            None
        };
        diesel::update(login_throttle::table.find(key))
            .set((
                login_throttle::failures.eq(attempts),
                login_throttle::window_start.eq(window_start),
                login_throttle::blocked_until.eq(blocked_until),
            ))
            .execute(conn)?;
        return Ok(Counted {
            attempts,
            blocked_until,
        });
    }
}

/// Takes back one counted attempt (it turned out to be the right password), lifting a block the
/// attempt may have started.
pub fn forgive(conn: &mut DbConnection, key: &str, limit: i64) -> Result<(), StoreError> {
    let Some(failures) = login_throttle::table
        .find(key)
        .select(login_throttle::failures)
        .first::<i64>(conn)
        .optional()?
    else {
        return Ok(());
    };
    let failures = (failures - 1).max(0);
    let update = diesel::update(login_throttle::table.find(key));
    if failures < limit {
        update
            .set((
                login_throttle::failures.eq(failures),
                login_throttle::blocked_until.eq(None::<NaiveDateTime>),
            ))
            .execute(conn)?;
    } else {
        update
            .set(login_throttle::failures.eq(failures))
            .execute(conn)?;
    }
    Ok(())
}

/// Forgets every attempt counted against `key`.
pub fn clear(conn: &mut DbConnection, key: &str) -> Result<(), StoreError> {
    diesel::delete(login_throttle::table.find(key)).execute(conn)?;
    Ok(())
}
