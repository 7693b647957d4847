//! Login throttling. Three keys, each counting wrong passwords over a 15-minute window:
//!
//! | key | limit (default) | stops |
//! |---|---|---|
//! | an account at one client address | 5 | guessing one account's password |
//! | one client address | 20 (`MEDVAULT_LOGIN_LIMIT_PER_ADDRESS`) | spraying many accounts from one place |
//! | one account, from anywhere | 50 | guessing one account from many places |
//!
//! A key whose failures reach its limit is blocked for the window: every attempt on it answers
//! 429 with `Retry-After` before any password is hashed, and is not counted, so a storm from one
//! address cannot lock the real user out when they sign in from elsewhere.
//!
//! Attempts are counted in before their password is checked, in a transaction that locks the
//! keys, so that a thousand concurrent guesses cannot all slip past a limit before the first one
//! fails: while failures and attempts under way together fill a key's limit, further attempts
//! wait ([`Refusal::Busy`], retry in a second). Only a settled wrong password counts as a
//! failure, so a burst of right ones is held back a moment at most, never blocked.

use chrono::{Duration, NaiveDateTime};
use medvault_store::repo::throttle::{self, Counter};
use medvault_store::{DbConnection, StoreError};

const WINDOW_MINUTES: i64 = 15;
const PER_ACCOUNT_AT_ADDRESS: i64 = 5;
const PER_ACCOUNT: i64 = 50;
/// How long a [`Refusal::Busy`] attempt is asked to wait.
const BUSY_RETRY_SECS: i64 = 1;

/// The limits, per key.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub per_address: i64,
}

/// Why an attempt may not go ahead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// A key is blocked until then.
    Blocked(NaiveDateTime),
    /// A key's limit is full of failures and attempts under way; one may end soon.
    Busy,
}

impl Refusal {
    pub fn retry_after_secs(self, now: NaiveDateTime) -> i64 {
        match self {
            Refusal::Blocked(until) => (until - now).num_seconds().max(1),
            Refusal::Busy => BUSY_RETRY_SECS,
        }
    }
}

/// One counter an attempt touches.
#[derive(Clone)]
struct Key {
    name: String,
    limit: i64,
    /// A right password wipes this key's failures: the user got in from there.
    cleared_by_success: bool,
}

/// The keys one sign-in attempt touches, always in this order (the order their rows are locked
/// in, so that concurrent attempts never wait on each other in a circle).
#[derive(Clone)]
pub struct Keys([Key; 3]);

impl Keys {
    /// `account` is the normalised email (or what was typed, if it is not one).
    pub fn new(account: &str, address: Option<&str>, limits: Limits) -> Self {
        let address = address.unwrap_or("unknown");
        let key = |name: String, limit: i64, cleared_by_success: bool| Key {
            name,
            limit,
            cleared_by_success,
        };
        Keys([
            key(
                format!("account-address:{account}|{address}"),
                PER_ACCOUNT_AT_ADDRESS,
                true,
            ),
            key(format!("address:{address}"), limits.per_address, false),
            key(format!("account:{account}"), PER_ACCOUNT, false),
        ])
    }

    fn locked(
        &self,
        conn: &mut DbConnection,
        now: NaiveDateTime,
    ) -> Result<Vec<(&Key, Counter)>, StoreError> {
        self.0
            .iter()
            .map(|key| Ok((key, throttle::lock(conn, &key.name, window(), now)?)))
            .collect()
    }
}

fn window() -> Duration {
    Duration::minutes(WINDOW_MINUTES)
}

/// Counts an attempt in before its password is checked, or refuses it. Every admitted attempt
/// must be [`settle`]d.
pub fn admit(
    conn: &mut DbConnection,
    keys: &Keys,
    now: NaiveDateTime,
) -> Result<Result<(), Refusal>, StoreError> {
    let counters = keys.locked(conn, now)?;
    if let Some(until) = counters.iter().filter_map(|(_, c)| c.blocked_at(now)).max() {
        return Ok(Err(Refusal::Blocked(until)));
    }
    if counters
        .iter()
        .any(|(key, c)| c.failures + c.pending >= key.limit)
    {
        return Ok(Err(Refusal::Busy));
    }
    for (key, mut counter) in counters {
        counter.pending += 1;
        throttle::save(conn, &key.name, &counter)?;
    }
    Ok(Ok(()))
}

/// Settles an admitted attempt. A wrong password is a failure, and may start a block: `true`
/// then, worth an audit entry. A right one wipes the slate of that account at that address.
pub fn settle(
    conn: &mut DbConnection,
    keys: &Keys,
    now: NaiveDateTime,
    wrong_password: bool,
) -> Result<bool, StoreError> {
    let mut started = false;
    for (key, mut counter) in keys.locked(conn, now)? {
        counter.pending = (counter.pending - 1).max(0);
        if wrong_password {
            counter.failures += 1;
            if counter.failures >= key.limit && counter.blocked_at(now).is_none() {
                counter.blocked_until = Some(now + window());
                started = true;
            }
        } else if key.cleared_by_success {
            counter.failures = 0;
        }
        throttle::save(conn, &key.name, &counter)?;
    }
    Ok(started)
}
