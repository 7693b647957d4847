//! Sign-in throttling. Three keys, each counting wrong passwords over a 15-minute window:
//!
//! | key | limit (default) | stops |
//! |---|---|---|
//! | an account at one client network | 5 | guessing one account's password |
//! | one client network | 20 (`MEDVAULT_LOGIN_LIMIT_PER_ADDRESS`) | spraying many accounts from one place |
//! | one account, from anywhere | 50 | guessing one account from many places |
//!
//! A client network is its IPv4 address, or the /64 of its IPv6 address (one host may hold a
//! whole /64, so a per-address limit on full IPv6 addresses limits nothing). Keys are hashes of
//! the normalised email and the network: what was typed into the email field (sometimes a
//! password) is never stored, and a key's size does not depend on it.
//!
//! A key whose failures reach its limit is blocked for the window: every attempt on it answers
//! 429 with `Retry-After` before any password is hashed, and is not counted. The account-wide key
//! does not apply from a network the account signed in from in the last 90 days: a storm of
//! guesses from elsewhere cannot lock the owner out from where they usually are, while the
//! other two keys still bound guesses from there.
//!
//! Attempts are counted in before their password is checked, in a transaction that locks the
//! keys, so that a thousand concurrent guesses cannot all slip past a limit before the first one
//! fails: while failures and attempts under way together fill a key's limit, further attempts
//! wait ([`Refusal::Busy`], retry in a second). Only a settled wrong password counts as a
//! failure, so a burst of right ones is held back a moment at most, never blocked. An attempt
//! under way counts for [`PENDING_LEASE`] at most, which also bounds how long a check may take:
//! a server killed half-way leaves nothing behind for longer.

use std::net::IpAddr;

use chrono::{Duration, NaiveDateTime};
use medvault_store::repo::throttle::{self, Counter};
use medvault_store::{DbConnection, StoreError};
use sha2::{Digest, Sha256};

const WINDOW_MINUTES: i64 = 15;
const PER_ACCOUNT_AT_ADDRESS: i64 = 5;
const PER_ACCOUNT: i64 = 50;
/// How long a [`Refusal::Busy`] attempt is asked to wait.
const BUSY_RETRY_SECS: i64 = 1;
/// How long an attempt under way counts, and so the longest a password check may take.
pub const PENDING_LEASE: std::time::Duration = std::time::Duration::from_secs(10);
/// How long a network where an account signed in stays known to it.
const KNOWN_PLACE_DAYS: i64 = 90;

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
pub struct Keys {
    account_at_address: Key,
    address: Key,
    account: Key,
    /// The account at this network, as remembered after a successful sign-in.
    place: String,
}

/// Which keys an admitted attempt was counted under, to be settled under the same.
#[derive(Clone, Copy, Debug)]
pub struct Admitted {
    account_wide: bool,
}

fn digest(parts: &[&str]) -> String {
    let mut hash = Sha256::new();
    for part in parts {
        hash.update((part.len() as u64).to_be_bytes());
        hash.update(part.as_bytes());
    }
    hex::encode(hash.finalize())
}

/// The network a client address is counted under: the address itself for IPv4 (and IPv4 mapped
/// into IPv6), its /64 for IPv6.
pub fn network_of(address: Option<&str>) -> String {
    let Some(ip) = address.and_then(|raw| raw.parse::<IpAddr>().ok()) else {
        return "unknown".to_owned();
    };
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let [a, b, c, d, ..] = v6.segments();
                format!("{a:x}:{b:x}:{c:x}:{d:x}::/64")
            }
        },
    }
}

impl Keys {
    /// `account` is the normalised email (or what was typed, if it is not one).
    pub fn new(account: &str, address: Option<&str>, limits: Limits) -> Self {
        let network = network_of(address);
        let key = |name: String, limit: i64, cleared_by_success: bool| Key {
            name,
            limit,
            cleared_by_success,
        };
        Keys {
            account_at_address: key(
                format!("account-address:{}", digest(&[account, &network])),
                PER_ACCOUNT_AT_ADDRESS,
                true,
            ),
            address: key(format!("address:{network}"), limits.per_address, false),
            account: key(
                format!("account:{}", digest(&[account])),
                PER_ACCOUNT,
                false,
            ),
            place: digest(&["place", account, &network]),
        }
    }

    fn counted(&self, admitted: Admitted) -> Vec<&Key> {
        let mut keys = vec![&self.account_at_address, &self.address];
        if admitted.account_wide {
            keys.push(&self.account);
        }
        keys
    }
}

fn locked<'k>(
    conn: &mut DbConnection,
    keys: Vec<&'k Key>,
    now: NaiveDateTime,
) -> Result<Vec<(&'k Key, Counter)>, StoreError> {
    keys.into_iter()
        .map(|key| Ok((key, throttle::lock(conn, &key.name, window(), now)?)))
        .collect()
}

fn window() -> Duration {
    Duration::minutes(WINDOW_MINUTES)
}

fn lease() -> Duration {
    Duration::seconds(PENDING_LEASE.as_secs() as i64)
}

/// Counts an attempt in before its password is checked, or refuses it. Every admitted attempt
/// must be [`settle`]d.
pub fn admit(
    conn: &mut DbConnection,
    keys: &Keys,
    now: NaiveDateTime,
) -> Result<Result<Admitted, Refusal>, StoreError> {
    let known_place = throttle::knows_place(conn, &keys.place, now - known_for())?;
    let admitted = Admitted {
        account_wide: !known_place,
    };
    let counters = locked(conn, keys.counted(admitted), now)?;
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
        counter.pending_until = Some(now + lease());
        throttle::save(conn, &key.name, &counter)?;
    }
    Ok(Ok(admitted))
}

fn known_for() -> Duration {
    Duration::days(KNOWN_PLACE_DAYS)
}

/// How an admitted attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Settled {
    /// The password was right and the account let in: the network becomes known to it.
    SignedIn,
    WrongPassword,
    /// Right password but no entry (a pending account, say), or no answer: neither.
    Neither,
}

/// Settles an admitted attempt. A wrong password is a failure, and may start a block: `true`
/// then, worth an audit entry. A right one wipes the slate of that account at that network.
pub fn settle(
    conn: &mut DbConnection,
    keys: &Keys,
    admitted: Admitted,
    now: NaiveDateTime,
    outcome: Settled,
) -> Result<bool, StoreError> {
    let mut started = false;
    for (key, mut counter) in locked(conn, keys.counted(admitted), now)? {
        counter.pending = (counter.pending - 1).max(0);
        match outcome {
            Settled::WrongPassword => {
                counter.failures += 1;
                if counter.failures >= key.limit && counter.blocked_at(now).is_none() {
                    counter.blocked_until = Some(now + window());
                    started = true;
                }
            }
            Settled::SignedIn if key.cleared_by_success => counter.failures = 0,
            Settled::SignedIn | Settled::Neither => {}
        }
        throttle::save(conn, &key.name, &counter)?;
    }
    if outcome == Settled::SignedIn {
        throttle::remember_place(conn, &keys.place, now)?;
    }
    Ok(started)
}

/// Forgets what no longer counts: counters past their window, places long unseen.
pub fn prune(conn: &mut DbConnection, now: NaiveDateTime) -> Result<usize, StoreError> {
    Ok(throttle::prune(conn, window(), now)? + throttle::prune_places(conn, now - known_for())?)
}

#[cfg(test)]
mod tests {
    use super::{Keys, Limits, network_of};

    #[test]
    fn ipv6_clients_are_counted_by_their_64() {
        assert_eq!(network_of(Some("203.0.113.7")), "203.0.113.7");
        assert_eq!(network_of(Some("::ffff:203.0.113.7")), "203.0.113.7");
        assert_eq!(
            network_of(Some("2001:db8:aa:bb:1:2:3:4")),
            "2001:db8:aa:bb::/64"
        );
        assert_eq!(
            network_of(Some("2001:db8:aa:bb:ffff::9")),
            network_of(Some("2001:db8:aa:bb::1"))
        );
        assert_ne!(
            network_of(Some("2001:db8:aa:bc::1")),
            network_of(Some("2001:db8:aa:bb::1"))
        );
        assert_eq!(network_of(None), "unknown");
        assert_eq!(network_of(Some("not an address")), "unknown");
    }

    #[test]
    fn keys_hold_no_typed_text_and_have_one_size() {
        let limits = Limits { per_address: 20 };
        let typed = "my secret password is hunter2";
        let long = "x".repeat(1_000_000);
        for account in [typed, long.as_str()] {
            let keys = Keys::new(account, Some("203.0.113.7"), limits);
            for key in [&keys.account_at_address, &keys.address, &keys.account] {
                assert!(
                    !key.name.contains("hunter2") && key.name.len() < 100,
                    "{}",
                    key.name
                );
            }
        }
    }
}
