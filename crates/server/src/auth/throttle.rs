//! Login throttling. Three counters of failed sign-ins, each over a sliding 15-minute window:
//!
//! | key | limit | stops |
//! |---|---|---|
//! | an account at one client address | 5 | guessing one account's password |
//! | one client address | 20 | spraying many accounts from one place |
//! | one account, from anywhere | 50 | guessing one account from many places |
//!
//! Each attempt is counted before its password is checked, in a transaction that locks the
//! counters, so concurrent attempts cannot slip past a limit; a right password takes its count
//! back. A blocked key answers 429 with `Retry-After` before any password is hashed, and refused
//! attempts are not counted, so a storm from one address cannot lock the real user out when they
//! sign in from elsewhere.

use chrono::{Duration, NaiveDateTime};
use medvault_store::repo::throttle;
use medvault_store::{DbConnection, StoreError};

const WINDOW_MINUTES: i64 = 15;
const PER_ACCOUNT_AT_ADDRESS: i64 = 5;
const PER_ADDRESS: i64 = 20;
const PER_ACCOUNT: i64 = 50;

/// The counters one sign-in attempt touches.
#[derive(Clone)]
pub struct Keys {
    account_at_address: String,
    address: String,
    account: String,
}

impl Keys {
    /// `account` is the normalised email (or what was typed, if it is not one).
    pub fn new(account: &str, address: Option<&str>) -> Self {
        let address = address.unwrap_or("unknown");
        Keys {
            account_at_address: format!("account-address:{account}|{address}"),
            address: format!("address:{address}"),
            account: format!("account:{account}"),
        }
    }

    fn all(&self) -> [String; 3] {
        [
            self.account_at_address.clone(),
            self.address.clone(),
            self.account.clone(),
        ]
    }

    fn limits(&self) -> [(&str, i64); 3] {
        [
            (&self.account_at_address, PER_ACCOUNT_AT_ADDRESS),
            (&self.address, PER_ADDRESS),
            (&self.account, PER_ACCOUNT),
        ]
    }
}

fn window() -> Duration {
    Duration::minutes(WINDOW_MINUTES)
}

/// Counts an attempt before its outcome is known. `Err` holds when to retry: a key was blocked
/// already, or this attempt went past a limit. `Ok(true)` means this attempt reached a limit and
/// started a block (worth an audit entry); it may still proceed.
pub fn reserve(
    conn: &mut DbConnection,
    keys: &Keys,
    now: NaiveDateTime,
) -> Result<Result<bool, NaiveDateTime>, StoreError> {
    if let Some(until) = throttle::blocked_until(conn, &keys.all(), now)? {
        return Ok(Err(until));
    }
    let mut started = false;
    let mut refused_until: Option<NaiveDateTime> = None;
    for (key, limit) in keys.limits() {
        let counted = throttle::count_attempt(conn, key, limit, window(), now)?;
        started |= counted.attempts == limit;
        if counted.attempts > limit {
            refused_until = refused_until.max(counted.blocked_until);
        }
    }
    Ok(match refused_until {
        Some(until) => Err(until),
        None => Ok(started),
    })
}

/// The attempt was the right password: it was no failure.
pub fn forgive(conn: &mut DbConnection, keys: &Keys) -> Result<(), StoreError> {
    throttle::clear(conn, &keys.account_at_address)?;
    throttle::forgive(conn, &keys.address, PER_ADDRESS)?;
    throttle::forgive(conn, &keys.account, PER_ACCOUNT)
}
