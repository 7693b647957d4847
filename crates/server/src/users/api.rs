//! `/api/v1/users`: user administration.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::{ListBody, PageParams, Paging, path_id};
use crate::app::AppState;
use crate::audit::RequestMeta;
use crate::auth::ApiCaller;
use crate::auth::api::UserView;
use crate::error::{AppResult, ErrorBody};
use crate::http::json::{ApiJson, ApiQuery};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(approve))
        .routes(routes!(deactivate))
        .routes(routes!(reactivate))
        .routes(routes!(reset_password))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserBody {
    #[schema(max_length = 254)]
    pub email: String,
    /// 12 to 256 characters, any Unicode.
    #[schema(min_length = 12, max_length = 256)]
    pub password: String,
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// Any role: `admin`, `doctor`, `trainee`, `intern` or `patient`.
    #[schema(example = "trainee")]
    pub role: String,
}

/// Create a user of any role, active at once. Admins only; only an admin creates an admin.
#[utoipa::path(post, path = "/users", tag = "users", request_body = NewUserBody, security(("bearer" = [])),
    responses(
        (status = 201, body = UserView),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
async fn create(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    ApiJson(body): ApiJson<NewUserBody>,
) -> AppResult<(StatusCode, Json<UserView>)> {
    let user = super::create(
        &state,
        caller.actor,
        &meta,
        &body.email,
        &body.password,
        &body.name,
        &body.role,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(user.into())))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserFilterParams {
    /// Only users in this status: `active`, `pending` or `deactivated`.
    pub status: Option<String>,
    /// Only users with this role.
    pub role: Option<String>,
    /// Only users whose email or name contains this, in any case (at most 100 characters).
    #[param(max_length = 100)]
    pub q: Option<String>,
}

/// List users, in the order they were created. Admins only.
#[utoipa::path(get, path = "/users", tag = "users", params(PageParams, UserFilterParams), security(("bearer" = [])),
    responses((status = 200, body = ListBody<UserView>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    paging: Paging,
    ApiQuery(params): ApiQuery<UserFilterParams>,
) -> AppResult<Json<ListBody<UserView>>> {
    let filter = super::filter_from(
        params.status.as_deref(),
        params.role.as_deref(),
        params.q.as_deref(),
    )?;
    let page = super::list(
        &state,
        caller.actor,
        &meta,
        filter,
        paging.cursor,
        paging.limit,
    )
    .await?;
    Ok(ListBody::from_page(page, UserView::from))
}

/// Approve a pending account (a self-registered doctor). Admins only.
#[utoipa::path(post, path = "/users/{id}/approve", tag = "users", security(("bearer" = [])),
    params(("id" = String, Path, description = "User id")),
    responses((status = 200, body = UserView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "`user_deactivated`: a deactivated account is reactivated, not approved", body = ErrorBody)))]
async fn approve(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> AppResult<Json<UserView>> {
    let user = super::approve(&state, caller.actor, &meta, path_id(&id)?).await?;
    Ok(Json(user.into()))
}

/// Deactivate an account: every session of the user ends, at once on this server and within
/// milliseconds on every other, and an intern's grants end too. Admins only.
#[utoipa::path(post, path = "/users/{id}/deactivate", tag = "users", security(("bearer" = [])),
    params(("id" = String, Path, description = "User id")),
    responses((status = 200, body = UserView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "`cannot_deactivate_self`", body = ErrorBody)))]
async fn deactivate(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> AppResult<Json<UserView>> {
    let user = super::set_active(&state, caller.actor, &meta, path_id(&id)?, false).await?;
    Ok(Json(user.into()))
}

/// Reactivate a deactivated account. Admins only.
#[utoipa::path(post, path = "/users/{id}/reactivate", tag = "users", security(("bearer" = [])),
    params(("id" = String, Path, description = "User id")),
    responses((status = 200, body = UserView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn reactivate(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> AppResult<Json<UserView>> {
    let user = super::set_active(&state, caller.actor, &meta, path_id(&id)?, true).await?;
    Ok(Json(user.into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordBody {
    /// 12 to 256 characters.
    #[schema(min_length = 12, max_length = 256)]
    pub password: String,
}

/// Set a new password for a user; every session of theirs ends. Admins only.
#[utoipa::path(post, path = "/users/{id}/password", tag = "users", request_body = PasswordBody,
    security(("bearer" = [])), params(("id" = String, Path, description = "User id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 409, description = "`own_password`: an admin changes their own password with the current one", body = ErrorBody)))]
async fn reset_password(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<PasswordBody>,
) -> AppResult<StatusCode> {
    super::reset_password(&state, caller.actor, &meta, path_id(&id)?, &body.password).await?;
    Ok(StatusCode::NO_CONTENT)
}
