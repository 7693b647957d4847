//! Registration, sign-in, sign-out and session resolution: the use cases behind both the API
//! and the web forms.

use chrono::{Duration, NaiveDateTime};
use medvault_domain::AuditAction;
use medvault_domain::policy;
use medvault_domain::{Actor, Email, Password, PersonName, Role, SessionId, UserId, UserStatus};
use medvault_store::repo::sessions::{self, LiveSession, SessionKey};
use medvault_store::repo::{patients, users};
use medvault_store::{DbConnection, NewPatient, NewUser, Outcome, SessionKind, StoreError, User};

use super::keys::random_token;
use super::live::{Credential, Found};
use super::throttle;
use crate::access;
use crate::app::AppState;
use crate::audit::{Event, RequestMeta};
use crate::error::AppError;

/// An authenticated caller: the actor the policy reasons about, and the session behind it.
#[derive(Clone, Debug)]
pub struct Caller {
    pub actor: Actor,
    pub session_id: SessionId,
    pub name: String,
    pub email: String,
}

pub struct Registration {
    pub email: String,
    pub password: String,
    pub name: String,
    pub role: String,
}

/// Creates an account. A patient gets their chart at once; a self-registered doctor waits for
/// an admin unless registration is open.
pub async fn register(
    state: &AppState,
    meta: &RequestMeta,
    input: Registration,
) -> Result<User, AppError> {
    let role: Role = input.role.trim().parse()?;
    if !role.self_registrable() {
        return Err(AppError::Invalid(medvault_domain::InvalidValue::new(
            "role",
            "must be doctor or patient",
        )));
    }
    let status = policy::registered_status(role, state.config.open_registration);
    create_user(
        state,
        meta,
        None,
        &input.email,
        &input.password,
        &input.name,
        role,
        status,
    )
    .await
}

/// Creates a user (and, for a patient, their chart). `by` is the admin doing it, if any.
#[allow(clippy::too_many_arguments)]
pub async fn create_user(
    state: &AppState,
    meta: &RequestMeta,
    by: Option<Actor>,
    email: &str,
    password: &str,
    name: &str,
    role: Role,
    status: UserStatus,
) -> Result<User, AppError> {
    let email = Email::parse(email)?;
    let name = PersonName::parse(name)?;
    let password = Password::parse(password)?;
    let hash = state.passwords.hash(&password).await?;
    let now = state.now();
    state
        .write_audited(now, meta, move |conn, trail| {
            let new = NewUser {
                email: &email,
                name: &name,
                role,
                status,
                password_hash: &hash,
            };
            let user = users::insert(conn, new, now).map_err(|error| match error {
                StoreError::Conflict(_) => AppError::Conflict {
                    code: "email_taken",
                    message: "an account with this email already exists",
                },
                other => other.into(),
            })?;
            let chart = if policy::has_own_chart(role) {
                let chart = NewPatient {
                    name,
                    birth_date: None,
                    sex: Default::default(),
                    contact: Default::default(),
                    user_id: Some(user.id),
                    created_by: by.map(|admin| admin.user_id),
                };
                Some(patients::insert(conn, chart, now)?.id)
            } else {
                None
            };
            let actor = by.unwrap_or(Actor {
                user_id: user.id,
                role,
                patient_id: chart,
            });
            let mut event = Event::success(&actor, AuditAction::UserCreate).resource(user.id);
            if let Some(chart) = chart {
                event = event.patient(chart);
            }
            trail.record(event);
            Ok(user)
        })
        .await
}

/// What a successful sign-in yields: the caller, and the credential to hand back.
pub struct SignedIn {
    pub caller: Caller,
    pub expires_in: i64,
    /// A bearer token (API) or a cookie secret (web).
    pub credential: String,
}

/// Checks an email and password and opens a session. Unknown email and wrong password answer
/// alike, and take as long as each other.
pub async fn login(
    state: &AppState,
    meta: &RequestMeta,
    email: &str,
    password: &str,
    kind: SessionKind,
) -> Result<SignedIn, AppError> {
    // Not the registration rules: only bound the work an attacker can ask for.
    if password.chars().count() > Password::MAX_CHARS * 4 {
        return Err(AppError::InvalidCredentials);
    }
    let parsed = Email::parse(email).ok();
    let account = parsed
        .as_ref()
        .map_or_else(|| email.trim().to_lowercase(), |e| e.key().to_owned());
    let (task_state, task_meta, password) = (state.clone(), meta.clone(), password.to_owned());
    throttled(state, meta, &account, move |now| async move {
        let user = match parsed {
            Some(email) => {
                task_state
                    .read(move |conn| Ok(users::find_by_email(conn, &email)?))
                    .await?
            }
            None => None,
        };
        check_and_open(&task_state, &task_meta, &password, user, kind, now).await
    })
    .await
}

/// Runs a password check for `account` under the sign-in throttle: refused before any hashing
/// while the account or the caller's network is blocked, and counted as a failure when it
/// answers [`AppError::InvalidCredentials`].
async fn throttled<T, F, Check>(
    state: &AppState,
    meta: &RequestMeta,
    account: &str,
    check: Check,
) -> Result<T, AppError>
where
    T: Send + 'static,
    F: std::future::Future<Output = Result<T, AppError>> + Send + 'static,
    Check: FnOnce(NaiveDateTime) -> F + Send + 'static,
{
    let keys = throttle::Keys::new(
        account,
        meta.client_addr.as_deref(),
        state.config.login_limits,
    );
    let now = state.now();
    let admitting = keys.clone();
    let admitted = state
        .write(move |conn| Ok(throttle::admit(conn, &admitting, now)?))
        .await?
        // Refused before any hashing: a storm costs one short transaction per attempt.
        .map_err(|refusal| AppError::TooManyAttempts {
            retry_after_secs: refusal.retry_after_secs(now),
        })?;
    // The attempt is counted in and must be settled, even if the client hangs up: a task of its
    // own is not cancelled with the request. Its count lapses with its lease, so the check must
    // not outlast it.
    let (state, meta) = (state.clone(), meta.clone());
    tokio::spawn(async move {
        let outcome = tokio::time::timeout(throttle::PENDING_LEASE, check(now))
            .await
            .unwrap_or(Err(AppError::Unavailable));
        let settled = match &outcome {
            Ok(_) => throttle::Settled::SignedIn,
            Err(AppError::InvalidCredentials) => throttle::Settled::WrongPassword,
            Err(_) => throttle::Settled::Neither,
        };
        state
            .write_audited(now, &meta, move |conn, trail| {
                if throttle::settle(conn, &keys, admitted, now, settled)? {
                    trail.record(Event::anonymous(
                        AuditAction::AuthThrottle,
                        Outcome::Failure,
                    ));
                }
                Ok(())
            })
            .await?;
        outcome
    })
    .await
    .map_err(|e| AppError::Internal(anyhow::anyhow!("sign-in task failed: {e}")))?
}

/// The second half of a sign-in, once the throttle let it through: the password, the account's
/// state, and the session.
async fn check_and_open(
    state: &AppState,
    meta: &RequestMeta,
    password: &str,
    user: Option<User>,
    kind: SessionKind,
    now: NaiveDateTime,
) -> Result<SignedIn, AppError> {
    let matches = state
        .passwords
        .verify(password, user.as_ref().map(|u| u.password_hash.as_str()))
        .await?;
    let refusal = match &user {
        Some(user) if matches => match user.status {
            UserStatus::Active => None,
            UserStatus::Pending => Some(AppError::Forbidden {
                code: "account_pending",
                message: "this account is waiting for an administrator's approval",
            }),
            UserStatus::Deactivated => Some(AppError::Forbidden {
                code: "account_deactivated",
                message: "this account has been deactivated",
            }),
        },
        _ => Some(AppError::InvalidCredentials),
    };
    if let Some(refusal) = refusal {
        // The account's id is recorded only once the password proved who is asking.
        let account = user.filter(|_| matches).map(|user| user.id);
        state
            .write_audited(now, meta, move |_, trail| {
                let mut event = Event::anonymous(AuditAction::AuthLogin, Outcome::Failure);
                if let Some(account) = account {
                    event = event.resource(account);
                    event.resource_type = Some("user");
                }
                trail.record(event);
                Ok(())
            })
            .await?;
        return Err(refusal);
    }
    let Some(user) = user else {
        return Err(AppError::InvalidCredentials);
    };
    let ttl = match kind {
        SessionKind::Api => state.config.token_ttl,
        SessionKind::Web => state.config.session_max,
    };
    let mut expires_at = now + Duration::from_std(ttl).map_err(|e| AppError::Internal(e.into()))?;
    if policy::access_is_by_grant(user.role) {
        // An intern's session lives no longer than their shift: the end of their latest grant.
        let intern = user.id;
        let shift_end = state
            .read(move |conn| access::intern_session_end(conn, intern, now))
            .await?;
        let Some(shift_end) = shift_end else {
            return Err(AppError::Forbidden {
                code: "no_active_grant",
                message: "you have no active grant; ask the doctor in charge for one",
            });
        };
        expires_at = expires_at.min(shift_end);
    }
    let cookie_secret = match kind {
        SessionKind::Web => Some(random_token(32)?),
        SessionKind::Api => None,
    };
    let secret_hash = cookie_secret.as_deref().map(hash_secret);
    let (user_id, role) = (user.id, user.role);
    let (session, actor) = state
        .write_audited(now, meta, move |conn, trail| {
            let session =
                sessions::insert(conn, user_id, kind, secret_hash.as_deref(), now, expires_at)?;
            let actor = actor_of(conn, user_id, role)?;
            trail.record(Event::success(&actor, AuditAction::AuthLogin).resource(session.id));
            Ok((session, actor))
        })
        .await?;
    let credential = match cookie_secret {
        Some(secret) => secret,
        None => state.tokens.issue(
            user.id,
            session.id,
            now.and_utc().timestamp(),
            expires_at.and_utc().timestamp(),
        )?,
    };
    Ok(SignedIn {
        caller: Caller {
            actor,
            session_id: session.id,
            name: user.name,
            email: user.email,
        },
        expires_in: (expires_at - now).num_seconds(),
        credential,
    })
}

/// Ends the caller's session, on every server at once.
pub async fn logout(state: &AppState, meta: &RequestMeta, caller: &Caller) -> Result<(), AppError> {
    let now = state.now();
    let actor = caller.actor;
    let session = caller.session_id;
    let done = state
        .write_audited(now, meta, move |conn, trail| {
            sessions::revoke(conn, session, now)?;
            trail.record(Event::success(&actor, AuditAction::AuthLogout).resource(session));
            Ok(())
        })
        .await;
    state.sessions_ended(done)
}

/// The caller behind an API token, if its session is live.
pub async fn resolve_token(state: &AppState, token: &str) -> Result<Option<Caller>, AppError> {
    let now = state.now();
    let Some(session) = state.tokens.session_of(token, now.and_utc().timestamp()) else {
        return Ok(None);
    };
    resolve(state, Credential::Token(session), now, None).await
}

/// The caller behind a web cookie, if its session is live and not idle for too long. Activity
/// is written at most once a minute, to keep page views cheap.
/// `background` requests (a page polling, marked `X-MedVault-Background: 1`) do not keep the
/// session alive.
pub async fn resolve_cookie(
    state: &AppState,
    secret: &str,
    background: bool,
) -> Result<Option<Caller>, AppError> {
    let secret_hash = hash_secret(secret);
    let now = state.now();
    let limit =
        Duration::from_std(state.config.session_idle).map_err(|e| AppError::Internal(e.into()))?;
    let idle = Idle { limit, background };
    resolve(state, Credential::Cookie { secret_hash }, now, Some(idle)).await
}

/// The caller behind `credential`: remembered, when this server may trust what it remembers
/// (see `live`), or else looked up.
async fn resolve(
    state: &AppState,
    credential: Credential,
    now: NaiveDateTime,
    idle: Option<Idle>,
) -> Result<Option<Caller>, AppError> {
    if let Some(found) = state.sessions.recall(&credential, now)
        && idle.is_none_or(|idle| idle.needs_nothing(found.last_seen_at, now))
    {
        return Ok(Some(found.caller));
    }
    let era = state.sessions.era();
    let looked_up = credential.clone();
    let found = state
        .read(move |conn| caller_for(conn, looked_up.key(), now, idle))
        .await?;
    Ok(found.map(|found| {
        let caller = found.caller.clone();
        state.sessions.remember(credential, found, era);
        caller
    }))
}

/// The idle rule of web sessions.
#[derive(Clone, Copy)]
struct Idle {
    limit: Duration,
    /// The request was made by a page in the background (polling): it does not count as activity.
    background: bool,
}

impl Idle {
    /// Activity is written at most once a minute.
    const TOUCH_EVERY: Duration = Duration::seconds(60);

    /// Whether a session last seen at `last_seen` is neither idle too long at `now` nor due to
    /// have its activity written.
    fn needs_nothing(self, last_seen: NaiveDateTime, now: NaiveDateTime) -> bool {
        let quiet = now - last_seen;
        quiet <= self.limit && (self.background || quiet <= Self::TOUCH_EVERY)
    }
}

fn caller_for(
    conn: &mut DbConnection,
    key: SessionKey<'_>,
    now: NaiveDateTime,
    idle: Option<Idle>,
) -> Result<Option<Found>, AppError> {
    let Some(LiveSession {
        session,
        user,
        own_chart,
    }) = sessions::find_live(conn, key, now)?
    else {
        return Ok(None);
    };
    let mut last_seen_at = session.last_seen_at;
    if let Some(idle) = &idle {
        if now - last_seen_at > idle.limit {
            return Ok(None);
        }
        if !idle.background && now - last_seen_at > Idle::TOUCH_EVERY {
            sessions::touch(conn, session.id, now)?;
            last_seen_at = now;
        }
    }
    // An intern is signed in only while a grant is active: ending it ends their access at once.
    let mut live_until = session.expires_at;
    if policy::access_is_by_grant(user.role) {
        match access::intern_session_end(conn, user.id, now)? {
            Some(grant_end) => live_until = live_until.min(grant_end),
            None => return Ok(None),
        }
    }
    let actor = Actor {
        user_id: user.id,
        role: user.role,
        patient_id: own_chart.filter(|_| policy::has_own_chart(user.role)),
    };
    Ok(Some(Found {
        caller: Caller {
            actor,
            session_id: session.id,
            name: user.name,
            email: user.email,
        },
        last_seen_at,
        live_until,
    }))
}

fn actor_of(conn: &mut DbConnection, user_id: UserId, role: Role) -> Result<Actor, StoreError> {
    let patient_id = if policy::has_own_chart(role) {
        patients::find_by_user(conn, user_id)?.map(|chart| chart.id)
    } else {
        None
    };
    Ok(Actor {
        user_id,
        role,
        patient_id,
    })
}

/// Cookie secrets are stored hashed: a leaked sessions table opens no session.
fn hash_secret(secret: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Changes the caller's own password, which takes the current one: a stolen session alone
/// cannot take the account. Wrong current passwords count against the sign-in throttle of the
/// account, as wrong sign-ins do. Every other session of theirs ends at once; this one stays.
pub async fn change_password(
    state: &AppState,
    meta: &RequestMeta,
    caller: &Caller,
    current: &str,
    new: &str,
) -> Result<(), AppError> {
    let new = Password::parse(new)?;
    let user_id = caller.actor.user_id;
    let account = Email::parse(&caller.email)
        .map_or_else(|_| caller.email.to_lowercase(), |e| e.key().to_owned());
    let (task_state, current) = (state.clone(), current.to_owned());
    throttled(state, meta, &account, move |_| async move {
        let stored = task_state
            .read(move |conn| Ok(users::find(conn, user_id)?.map(|user| user.password_hash)))
            .await?
            .ok_or(AppError::Unauthenticated)?;
        if current.chars().count() > Password::MAX_CHARS * 4
            || !task_state.passwords.verify(&current, Some(&stored)).await?
        {
            return Err(AppError::InvalidCredentials);
        }
        Ok(())
    })
    .await?;
    let hash = state.passwords.hash(&new).await?;
    let now = state.now();
    let (actor, keep) = (caller.actor, caller.session_id);
    let done = state
        .write_audited(now, meta, move |conn, trail| {
            users::set_password(conn, user_id, &hash, now)?;
            sessions::revoke_all_for_user(conn, user_id, Some(keep), now)?;
            trail.record(Event::success(&actor, AuditAction::AuthPasswordChange).resource(user_id));
            Ok(())
        })
        .await;
    state.sessions_ended(done)
}
