//! The password page: anyone signed in changes their own password, with their current one.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::app::AppState;
use crate::audit::RequestMeta;
use crate::auth::csrf::Csrf;
use crate::auth::{WebCaller, service};
use crate::error::AppError;
use crate::web::session::NoticeQuery;
use crate::web::views::{AccountPage, Chrome, notice};
use crate::web::{WebForm, WebQuery, render};

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
