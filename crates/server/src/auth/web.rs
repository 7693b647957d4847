//! Sign-in, registration and sign-out, and the password page: anyone signed in changes their
//! own password, with their current one.

use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use medvault_store::SessionKind;
use serde::Deserialize;

use crate::app::AppState;
use crate::audit::RequestMeta;
use crate::auth::WebCaller;
use crate::auth::cookies::{self, Cookie};
use crate::auth::csrf::{self, Csrf};
use crate::auth::service::{self, Registration};
use crate::dashboards::home_of;
use crate::error::AppError;
use crate::web::views::{AccountPage, Chrome, LoginPage, RegisterPage, notice};
use crate::web::{NoticeQuery, WebForm, WebQuery, render};

async fn signed_in_home(state: &AppState, headers: &HeaderMap) -> Option<&'static str> {
    let secret = cookies::read(headers, Cookie::Session, state.config.secure_cookies)?;
    let caller = service::resolve_cookie(state, secret, false).await.ok()??;
    Some(home_of(caller.actor.role))
}

/// `/`: the sign-in form with a word about MedVault, or the dashboard when signed in.
pub async fn landing(
    state: State<AppState>,
    headers: HeaderMap,
    csrf: Csrf,
    query: WebQuery<NoticeQuery>,
) -> Response {
    sign_in_page(state, headers, csrf, query, true).await
}

pub async fn login_page(
    state: State<AppState>,
    headers: HeaderMap,
    csrf: Csrf,
    query: WebQuery<NoticeQuery>,
) -> Response {
    sign_in_page(state, headers, csrf, query, false).await
}

async fn sign_in_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    csrf: Csrf,
    WebQuery(query): WebQuery<NoticeQuery>,
    hero: bool,
) -> Response {
    if let Some(home) = signed_in_home(&state, &headers).await {
        return Redirect::to(home).into_response();
    }
    render(&LoginPage {
        chrome: Chrome::default().notice(notice(query.notice.as_deref())),
        csrf: csrf.token().to_owned(),
        email: String::new(),
        hero,
    })
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
}

pub async fn login(
    State(state): State<AppState>,
    meta: RequestMeta,
    csrf: Csrf,
    WebForm(form): WebForm<LoginForm>,
) -> Response {
    match service::login(&state, &meta, &form.email, &form.password, SessionKind::Web).await {
        Ok(signed_in) => {
            let max_age = state.config.session_max.as_secs();
            let cookie = cookies::set(
                Cookie::Session,
                &signed_in.credential,
                max_age,
                state.config.secure_cookies,
            );
            let home = home_of(signed_in.caller.actor.role);
            match csrf::renewed_cookie(state.config.secure_cookies) {
                Ok(renewed) => (
                    AppendHeaders([(header::SET_COOKIE, cookie), (header::SET_COOKIE, renewed)]),
                    Redirect::to(home),
                )
                    .into_response(),
                Err(error) => error.into_response_html(),
            }
        }
        Err(
            error @ (AppError::InvalidCredentials
            | AppError::Forbidden { .. }
            | AppError::TooManyAttempts { .. }),
        ) => {
            let page = LoginPage {
                chrome: Chrome::default().error(Some(error.public_message())),
                csrf: csrf.token().to_owned(),
                email: form.email,
                hero: false,
            };
            let mut response = (error.status(), render(&page)).into_response();
            response.headers_mut().extend(error.headers());
            response
        }
        Err(error) => error.into_response_html(),
    }
}

pub async fn register_page(csrf: Csrf) -> Response {
    render(&RegisterPage {
        chrome: Chrome::default(),
        csrf: csrf.token().to_owned(),
        name: String::new(),
        email: String::new(),
        role: "patient".to_owned(),
    })
}

#[derive(Deserialize)]
pub struct RegisterForm {
    name: String,
    email: String,
    password: String,
    #[serde(default)]
    role: String,
}

pub async fn register(
    State(state): State<AppState>,
    meta: RequestMeta,
    csrf: Csrf,
    WebForm(form): WebForm<RegisterForm>,
) -> Response {
    let input = Registration {
        email: form.email.clone(),
        password: form.password,
        name: form.name.clone(),
        role: form.role.clone(),
    };
    match service::register(&state, &meta, input).await {
        Ok(user) if user.status == medvault_domain::UserStatus::Pending => {
            Redirect::to("/login?notice=registered_pending").into_response()
        }
        Ok(_) => Redirect::to("/login?notice=registered").into_response(),
        Err(error @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            let page = RegisterPage {
                chrome: Chrome::default().error(Some(error.public_message())),
                csrf: csrf.token().to_owned(),
                name: form.name,
                email: form.email,
                role: form.role,
            };
            (error.status(), render(&page)).into_response()
        }
        Err(error) => error.into_response_html(),
    }
}

pub async fn logout(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
) -> Response {
    if let Err(error) = service::logout(&state, &meta, &caller).await {
        return error.into_response_html();
    }
    let clear = cookies::set(Cookie::Session, "", 0, state.config.secure_cookies);
    match csrf::renewed_cookie(state.config.secure_cookies) {
        Ok(renewed) => (
            AppendHeaders([(header::SET_COOKIE, clear), (header::SET_COOKIE, renewed)]),
            Redirect::to("/login?notice=signed_out"),
        )
            .into_response(),
        Err(error) => error.into_response_html(),
    }
}

pub async fn account_page(
    WebCaller(caller): WebCaller,
    csrf: Csrf,
    WebQuery(query): WebQuery<NoticeQuery>,
) -> Response {
    render(&AccountPage {
        chrome: Chrome::signed_in(&caller, csrf.token()).notice(notice(query.notice.as_deref())),
        csrf: csrf.token().to_owned(),
    })
}

#[derive(Deserialize)]
pub struct PasswordForm {
    current_password: String,
    new_password: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    csrf: Csrf,
    WebForm(form): WebForm<PasswordForm>,
) -> Response {
    let outcome = async {
        service::change_password(
            &state,
            &meta,
            &caller,
            &form.current_password,
            &form.new_password,
        )
        .await
    };
    match outcome.await {
        Ok(()) => Redirect::to("/account/password?notice=password_changed").into_response(),
        Err(error @ (AppError::InvalidCredentials | AppError::Invalid(_))) => {
            let page = AccountPage {
                chrome: Chrome::signed_in(&caller, csrf.token())
                    .error(Some(error.public_message())),
                csrf: csrf.token().to_owned(),
            };
            (error.status(), render(&page)).into_response()
        }
        Err(error) => error.into_response_html(),
    }
}
