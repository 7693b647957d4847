//! Idempotency keys: a caller's claim on "this create, once", and the answer it got.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use medvault_domain::UserId;

use crate::schema::idempotency_keys;
use crate::{DbConnection, StoreError};

/// What claiming a key found.
#[derive(Debug, PartialEq, Eq)]
pub enum Claim {
    /// The key is new: this request is its first, and its work goes ahead.
    New,
    /// The key was claimed before, by a request with the same fingerprint: answer as it was.
    Repeat,
    /// The key was claimed before by a different request.
    Mismatch,
}

/// Claims `key` for `user`'s request with `fingerprint`, in the transaction of its work, so
/// the claim stands exactly when the work does. A concurrent claim of the same key waits for
/// this one's transaction, then finds it.
pub fn claim(
    conn: &mut DbConnection,
    user: UserId,
    key: &str,
    fingerprint: &str,
    now: NaiveDateTime,
) -> Result<Claim, StoreError> {
    let row = (
        idempotency_keys::user_id.eq(user.to_string()),
        idempotency_keys::key.eq(key.to_owned()),
        idempotency_keys::fingerprint.eq(fingerprint.to_owned()),
        idempotency_keys::created_at.eq(now),
    );
    let inserted = natively!(conn, |c| diesel::insert_into(idempotency_keys::table)
        .values(row)
        .on_conflict_do_nothing()
        .execute(c))?;
    if inserted == 1 {
        return Ok(Claim::New);
    }
    let first: String = idempotency_keys::table
        .find((user.to_string(), key.to_owned()))
        .select(idempotency_keys::fingerprint)
        .first(conn)?;
    Ok(if first == fingerprint {
        Claim::Repeat
    } else {
        Claim::Mismatch
    })
}

/// Forgets `user`'s keys claimed before `before`: a day's retries are served, then the stored
/// answers (which may hold a chart's data) go.
pub fn forget_before(
    conn: &mut DbConnection,
    user: UserId,
    before: NaiveDateTime,
) -> Result<usize, StoreError> {
    let old = idempotency_keys::table
        .filter(idempotency_keys::user_id.eq(user.to_string()))
        .filter(idempotency_keys::created_at.lt(before));
    Ok(diesel::delete(old).execute(conn)?)
}

/// The answer the first request with a key was given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredAnswer {
    pub status: u16,
    pub content_type: Option<String>,
    pub etag: Option<String>,
    pub body: String,
}

/// Keeps the answer the request that claimed `key` was given.
pub fn keep_answer(
    conn: &mut DbConnection,
    user: UserId,
    key: &str,
    answer: &StoredAnswer,
) -> Result<(), StoreError> {
    diesel::update(idempotency_keys::table.find((user.to_string(), key.to_owned())))
        .set((
            idempotency_keys::response_status.eq(Some(i32::from(answer.status))),
            idempotency_keys::response_type.eq(answer.content_type.clone()),
            idempotency_keys::response_etag.eq(answer.etag.clone()),
            idempotency_keys::response_body.eq(Some(answer.body.clone())),
        ))
        .execute(conn)?;
    Ok(())
}

/// The answer kept for `key`, once there is one.
pub fn answer(
    conn: &mut DbConnection,
    user: UserId,
    key: &str,
) -> Result<Option<StoredAnswer>, StoreError> {
    type Kept = (Option<i32>, Option<String>, Option<String>, Option<String>);
    let found: Option<Kept> = idempotency_keys::table
        .find((user.to_string(), key.to_owned()))
        .select((
            idempotency_keys::response_status,
            idempotency_keys::response_type,
            idempotency_keys::response_etag,
            idempotency_keys::response_body,
        ))
        .first(conn)
        .optional()?;
    Ok(match found {
        Some((Some(status), content_type, etag, Some(body))) => Some(StoredAnswer {
            status: u16::try_from(status).map_err(|_| StoreError::Corrupt("idempotency_keys"))?,
            content_type,
            etag,
            body,
        }),
        _ => None,
    })
}
