//! `/api/v1/auth/*`: register, login, logout, me.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use medvault_store::{SessionKind, User};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ApiCaller;
use super::service::{self, Registration};
use crate::app::AppState;
use crate::audit::RequestMeta;
use crate::error::{AppResult, ErrorBody};
use crate::http::json::ApiJson;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(me))
        .routes(routes!(change_password))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterBody {
    #[schema(example = "ana@example.org", max_length = 254)]
    pub email: String,
    /// 12 to 256 characters, any Unicode.
    #[schema(min_length = 12, max_length = 256)]
    pub password: String,
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// `patient` or `doctor`.
    #[schema(example = "patient")]
    pub role: String,
}

/// An account as others may see it.
#[derive(Serialize, ToSchema)]
pub struct UserView {
    pub id: String,
    pub email: String,
    pub name: String,
    /// `admin`, `doctor` or `patient`.
    pub role: String,
    /// `active`, `pending` (waiting for approval) or `deactivated`.
    pub status: String,
}

impl From<User> for UserView {
    fn from(user: User) -> Self {
        UserView {
            id: user.id.to_string(),
            email: user.email,
            name: user.name,
            role: user.role.as_str().to_owned(),
            status: user.status.as_str().to_owned(),
        }
    }
}

/// Register as a patient or a doctor. A doctor is `pending` until an admin approves.
#[utoipa::path(post, path = "/auth/register", tag = "auth", request_body = RegisterBody,
    responses(
        (status = 201, body = UserView),
        (status = 409, description = "Email taken", body = ErrorBody),
        (status = 422, description = "Invalid input", body = ErrorBody),
    ))]
async fn register(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiJson(body): ApiJson<RegisterBody>,
) -> AppResult<(StatusCode, Json<UserView>)> {
    let input = Registration {
        email: body.email,
        password: body.password,
        name: body.name,
        role: body.role,
    };
    let user = service::register(&state, &meta, input).await?;
    Ok((StatusCode::CREATED, Json(user.into())))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    pub email: String,
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct TokenView {
    pub access_token: String,
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds until the token expires.
    pub expires_in: i64,
}

/// Sign in and get a bearer token.
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginBody,
    responses(
        (status = 200, body = TokenView),
        (status = 401, description = "Wrong email or password", body = ErrorBody),
        (status = 403, description = "Account pending or deactivated", body = ErrorBody),
    ))]
async fn login(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiJson(body): ApiJson<LoginBody>,
) -> AppResult<Json<TokenView>> {
    let signed_in =
        service::login(&state, &meta, &body.email, &body.password, SessionKind::Api).await?;
    Ok(Json(TokenView {
        access_token: signed_in.credential,
        token_type: "Bearer",
        expires_in: signed_in.expires_in,
    }))
}

/// End this token's session, on every server at once.
#[utoipa::path(post, path = "/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorBody)))]
async fn logout(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
) -> AppResult<StatusCode> {
    service::logout(&state, &meta, &caller).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct MeView {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: String,
    /// The caller's own chart, for patients.
    pub patient_id: Option<String>,
}

/// Who the token belongs to.
#[utoipa::path(get, path = "/auth/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = MeView), (status = 401, body = ErrorBody)))]
async fn me(ApiCaller(caller): ApiCaller) -> Json<MeView> {
    Json(MeView {
        id: caller.actor.user_id.to_string(),
        email: caller.email,
        name: caller.name,
        role: caller.actor.role.as_str().to_owned(),
        patient_id: caller.actor.patient_id.map(|id| id.to_string()),
    })
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordBody {
    pub current_password: String,
    /// 12 to 256 characters.
    #[schema(min_length = 12, max_length = 256)]
    pub new_password: String,
}

/// Change your password. Every other session of yours ends at once; this one stays.
#[utoipa::path(post, path = "/auth/password", tag = "auth", request_body = ChangePasswordBody,
    security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn change_password(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    ApiJson(body): ApiJson<ChangePasswordBody>,
) -> AppResult<StatusCode> {
    service::change_password(
        &state,
        &meta,
        &caller,
        &body.current_password,
        &body.new_password,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
