//! User administration: the use cases. Admins only.

pub mod api;
pub mod web;

use medvault_domain::policy::{self, Action};
use medvault_domain::{Actor, AuditAction, Password, Role, UserId, UserStatus};
use medvault_store::repo::{access, sessions, users};
use medvault_store::{Page, User, UserFilter};

use crate::api::{given, search_text};
use crate::app::AppState;
use crate::audit::{Event, RequestMeta};
use crate::auth::service::create_user;
use crate::error::AppError;
use crate::patients::authorize_global;

/// A user created by an admin: any role, active at once.
pub async fn create(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    email: &str,
    password: &str,
    name: &str,
    role: &str,
) -> Result<User, AppError> {
    let role: Role = role.trim().parse()?;
    // Checked before any work: only an admin creates users, admins included.
    if let Err(denied) = authorize_global(&actor, Action::ManageUsers, AuditAction::UserCreate) {
        return state.run(actor, meta, move |_, _| Err(denied)).await;
    }
    create_user(
        state,
        meta,
        Some(actor),
        email,
        password,
        name,
        role,
        UserStatus::Active,
    )
    .await
}

pub async fn approve(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    id: UserId,
) -> Result<User, AppError> {
    state
        .run(actor, meta, move |conn, uc| {
            authorize_global(&actor, Action::ManageUsers, AuditAction::UserApprove)?;
            let user = users::find(conn, id)?.ok_or(AppError::NotFound)?;
            if user.status == UserStatus::Deactivated {
                return Err(AppError::Conflict {
                    code: "user_deactivated",
                    message: "a deactivated account is reactivated, not approved",
                });
            }
            users::set_status(conn, id, UserStatus::Active, uc.now)?;
            uc.record(Event::success(&actor, AuditAction::UserApprove).resource(id));
            Ok(User {
                status: UserStatus::Active,
                ..user
            })
        })
        .await
}

/// A user list's filters as typed, in the API's query string or the admin page's search form.
/// Blank fields are no filter.
pub fn filter_from(
    status: Option<&str>,
    role: Option<&str>,
    text: Option<&str>,
) -> Result<UserFilter, AppError> {
    Ok(UserFilter {
        status: given(status).map(str::parse).transpose()?,
        role: given(role).map(str::parse).transpose()?,
        text: search_text(text, "q")?,
    })
}

pub async fn list(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    filter: UserFilter,
    cursor: Option<String>,
    limit: usize,
) -> Result<Page<User>, AppError> {
    state
        .view(actor, meta, move |conn, uc| {
            authorize_global(&actor, Action::ManageUsers, AuditAction::UserList)?;
            let page = users::list(conn, &filter, cursor.as_deref(), limit)?;
            uc.record(Event::success(&actor, AuditAction::UserList));
            Ok(page)
        })
        .await
}

/// Switches an account off or on. Deactivation ends every session of the user at once, and every
/// grant if they are an intern.
pub async fn set_active(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    id: UserId,
    active: bool,
) -> Result<User, AppError> {
    let done = state
        .run(actor, meta, move |conn, uc| {
            let action = if active {
                AuditAction::UserReactivate
            } else {
                AuditAction::UserDeactivate
            };
            authorize_global(&actor, Action::ManageUsers, action)?;
            if id == actor.user_id && !active {
                return Err(AppError::Conflict {
                    code: "cannot_deactivate_self",
                    message: "an admin cannot deactivate their own account",
                });
            }
            let user = users::find(conn, id)?.ok_or(AppError::NotFound)?;
            let status = if active {
                UserStatus::Active
            } else {
                UserStatus::Deactivated
            };
            users::set_status(conn, id, status, uc.now)?;
            if !active {
                sessions::revoke_all_for_user(conn, id, None, uc.now)?;
                if policy::access_is_by_grant(user.role) {
                    access::end_grants_of(conn, id, actor.user_id, uc.now)?;
                }
            }
            uc.record(Event::success(&actor, action).resource(id));
            Ok(User { status, ..user })
        })
        .await;
    state.sessions_ended(done)
}

/// Sets a new password for another user (who forgot theirs); every session of theirs ends.
pub async fn reset_password(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    id: UserId,
    password: &str,
) -> Result<(), AppError> {
    let audited = AuditAction::UserPasswordReset;
    if let Err(denied) = authorize_global(&actor, Action::ManageUsers, audited) {
        return state.run(actor, meta, move |_, _| Err(denied)).await;
    }
    // A reset takes no current password: on one's own account it would let a stolen session
    // keep the account for good.
    if id == actor.user_id {
        return Err(AppError::Conflict {
            code: "own_password",
            message: "change your own password from your account, with your current one",
        });
    }
    let hash = state.passwords.hash(&Password::parse(password)?).await?;
    let done = state
        .run(actor, meta, move |conn, uc| {
            if !users::set_password(conn, id, &hash, uc.now)? {
                return Err(AppError::NotFound);
            }
            sessions::revoke_all_for_user(conn, id, None, uc.now)?;
            uc.record(Event::success(&actor, AuditAction::UserPasswordReset).resource(id));
            Ok(())
        })
        .await;
    state.sessions_ended(done)
}
