//! Repository functions, one module per table. Each takes the connection it runs on, so that a
//! use case can put several of them (and its audit entry) in one transaction.

pub mod access;
pub mod audit;
pub mod care_team;
pub mod patients;
pub mod records;
pub mod sessions;
pub mod throttle;
pub mod users;

/// The most rows one page may hold, whatever the caller asks.
pub const MAX_PAGE: usize = 200;

pub(crate) fn clamp_limit(limit: usize) -> i64 {
    limit.clamp(1, MAX_PAGE) as i64 + 1
}
