//! The admin page's buttons and forms for accounts: deactivate, reactivate, reset a password.

use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;

use crate::access::web::user_field;
use crate::api::path_id;
use crate::app::AppState;
use crate::audit::RequestMeta;
use crate::auth::WebCaller;
use crate::auth::csrf::Csrf;
use crate::web::WebForm;
use crate::web::kept::Kept;
use crate::web::refused::{Context, after, after_admin_form};

pub async fn deactivate(
    state: State<AppState>,
    meta: RequestMeta,
    caller: WebCaller,
    id: Path<String>,
) -> Response {
    set_active(state, meta, caller, id, false).await
}

pub async fn reactivate(
    state: State<AppState>,
    meta: RequestMeta,
    caller: WebCaller,
    id: Path<String>,
) -> Response {
    set_active(state, meta, caller, id, true).await
}

async fn set_active(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    Path(id): Path<String>,
    active: bool,
) -> Response {
    let outcome = async {
        super::set_active(&state, caller.actor, &meta, path_id(&id)?, active)
            .await
            .map(|_| ())
    };
    after(
        outcome.await,
        "/admin",
        if active {
            "user_reactivated"
        } else {
            "user_deactivated"
        },
    )
}

#[derive(Deserialize)]
pub struct ResetForm {
    user_id: String,
    password: String,
}

pub async fn reset_password(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    csrf: Csrf,
    kept: Kept,
    WebForm(form): WebForm<ResetForm>,
) -> Response {
    let outcome = async {
        super::reset_password(
            &state,
            caller.actor,
            &meta,
            user_field(&form.user_id)?,
            &form.password,
        )
        .await
    };
    let context = Context::new(&state, &meta, &caller, &csrf);
    after_admin_form(context, kept, outcome.await, "password_reset").await
}
