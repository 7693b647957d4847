//! User administration: the use cases. Admins only.

pub mod api;

use medvault_domain::policy::Action;
use medvault_domain::{Actor, Role, UserId, UserStatus};
use medvault_store::repo::users;
use medvault_store::{Page, User};

use crate::app::AppState;
use crate::audit::{self, Event, RequestMeta};
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
    if let Err(denied) = authorize_global(&actor, Action::ManageUsers, "user") {
        return state.run(actor, meta, move |_| Err(denied)).await;
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
    let now = state.now();
    let meta_in = meta.clone();
    state
        .run(actor, meta, move |conn| {
            authorize_global(&actor, Action::ManageUsers, "user")?;
            let user = users::find(conn, id)?.ok_or(AppError::NotFound)?;
            if user.status == UserStatus::Deactivated {
                return Err(AppError::Conflict {
                    code: "user_deactivated",
                    message: "a deactivated account is reactivated, not approved",
                });
            }
            users::set_status(conn, id, UserStatus::Active, now)?;
            audit::record(
                conn,
                &meta_in,
                now,
                Event::success(&actor, "user.approve", "user").resource(id),
            )?;
            Ok(User {
                status: UserStatus::Active,
                ..user
            })
        })
        .await
}

pub async fn list(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    status: Option<UserStatus>,
    cursor: Option<String>,
    limit: usize,
) -> Result<Page<User>, AppError> {
    let now = state.now();
    let meta_in = meta.clone();
    state
        .run(actor, meta, move |conn| {
            authorize_global(&actor, Action::ManageUsers, "user")?;
            let page = users::list(conn, status, cursor.as_deref(), limit)?;
            audit::record(
                conn,
                &meta_in,
                now,
                Event::success(&actor, "user.list", "user"),
            )?;
            Ok(page)
        })
        .await
}
