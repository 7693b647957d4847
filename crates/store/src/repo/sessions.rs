use chrono::NaiveDateTime;
use diesel::prelude::*;
use medvault_domain::{PatientId, SessionId, UserId, UserStatus};

use super::prepared_once;
use crate::repo::users::{User, UserRow};
use crate::rows::parse;
use crate::schema::{sessions, users};
use crate::{DbConnection, StoreError, watch};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionKind {
    /// A browser session behind an HttpOnly cookie.
    Web,
    /// An API session behind a bearer token.
    Api,
}

impl SessionKind {
    fn as_str(self) -> &'static str {
        match self {
            SessionKind::Web => "web",
            SessionKind::Api => "api",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Session {
    pub id: SessionId,
    pub user_id: UserId,
    pub last_seen_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

/// Starts a session. `secret_hash` is the hash of a cookie's secret (web sessions only).
pub fn insert(
    conn: &mut DbConnection,
    user: UserId,
    kind: SessionKind,
    secret_hash: Option<&str>,
    now: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> Result<Session, StoreError> {
    let id = SessionId::new();
    diesel::insert_into(sessions::table)
        .values((
            sessions::id.eq(id.to_string()),
            sessions::user_id.eq(user.to_string()),
            sessions::kind.eq(kind.as_str()),
            sessions::secret_hash.eq(secret_hash),
            sessions::created_at.eq(now),
            sessions::last_seen_at.eq(now),
            sessions::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(Session {
        id,
        user_id: user,
        last_seen_at: now,
        expires_at,
    })
}

/// Which session to look up.
#[derive(Clone, Copy, Debug)]
pub enum SessionKey<'a> {
    /// An API session by the id its token carries.
    Id(SessionId),
    /// A web session by the hash of its cookie's secret.
    SecretHash(&'a str),
}

/// A live session, its user, and the chart that user signs in to, if any.
pub struct LiveSession {
    pub session: Session,
    pub user: User,
    pub own_chart: Option<PatientId>,
}

/// The live session behind a key, with its user: not revoked, not past its end, and the user
/// still active. Anything else is `None`, whatever the reason. One round trip: this runs on
/// every request.
pub fn find_live(
    conn: &mut DbConnection,
    key: SessionKey<'_>,
    now: NaiveDateTime,
) -> Result<Option<LiveSession>, StoreError> {
    // One query shape per key, so that each is prepared once per connection.
    macro_rules! live_by {
        ($key:expr, $kind:expr) => {
            natively!(conn, |c| prepared_once(
                sessions::table
                    .inner_join(users::table)
                    .filter($key)
                    .filter(sessions::kind.eq($kind.as_str()))
                    .filter(sessions::revoked_at.is_null())
                    .filter(sessions::expires_at.gt(now))
                    .filter(users::status.eq(UserStatus::Active.as_str()))
                    .select((
                        sessions::id,
                        sessions::last_seen_at,
                        sessions::expires_at,
                        UserRow::as_select(),
                        users::patient_id,
                    ))
                    .limit(1)
            )
            .get_result::<(
                String,
                NaiveDateTime,
                NaiveDateTime,
                UserRow,
                Option<String>,
            )>(c)
            .optional())?
        };
    }
    let found = match key {
        SessionKey::Id(id) => live_by!(sessions::id.eq(id.to_string()), SessionKind::Api),
        SessionKey::SecretHash(hash) => {
            live_by!(sessions::secret_hash.eq(hash.to_owned()), SessionKind::Web)
        }
    };
    let Some((id, last_seen_at, expires_at, user, own_chart)) = found else {
        return Ok(None);
    };
    let user = User::try_from(user)?;
    Ok(Some(LiveSession {
        session: Session {
            id: parse("sessions", &id)?,
            user_id: user.id,
            last_seen_at,
            expires_at,
        },
        user,
        own_chart: own_chart.map(|id| parse("patients", &id)).transpose()?,
    }))
}

/// Records activity on a session (for the idle timeout).
pub fn touch(conn: &mut DbConnection, id: SessionId, now: NaiveDateTime) -> Result<(), StoreError> {
    diesel::update(sessions::table.find(id.to_string()))
        .set(sessions::last_seen_at.eq(now))
        .execute(conn)?;
    Ok(())
}

/// Ends one session at once, on every server.
pub fn revoke(
    conn: &mut DbConnection,
    id: SessionId,
    now: NaiveDateTime,
) -> Result<bool, StoreError> {
    let changed = diesel::update(
        sessions::table
            .find(id.to_string())
            .filter(sessions::revoked_at.is_null()),
    )
    .set(sessions::revoked_at.eq(now))
    .execute(conn)?;
    watch::announce(conn, changed)?;
    Ok(changed == 1)
}

/// Ends every live session of a user, but `keep` if given (the one changing the password).
pub fn revoke_all_for_user(
    conn: &mut DbConnection,
    user: UserId,
    keep: Option<SessionId>,
    now: NaiveDateTime,
) -> Result<usize, StoreError> {
    let kept = keep.map(|id| id.to_string()).unwrap_or_default();
    let ended = diesel::update(
        sessions::table
            .filter(sessions::user_id.eq(user.to_string()))
            .filter(sessions::revoked_at.is_null())
            .filter(sessions::id.ne(kept)),
    )
    .set(sessions::revoked_at.eq(now))
    .execute(conn)?;
    watch::announce(conn, ended)?;
    Ok(ended)
}
