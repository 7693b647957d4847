//! The admin page: users, approvals, care-team assignments.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use medvault_domain::policy::{self, Page};
use medvault_store::User;
use serde::Deserialize;

use super::AdminSearch;
use crate::api::{path_id, search_text};
use crate::app::AppState;
use crate::audit::RequestMeta;
use crate::auth::csrf::Csrf;
use crate::auth::{Caller, WebCaller};
use crate::dashboards::home_of;
use crate::error::AppError;
use crate::patients::UserRef;
use crate::patients::ties::Tie;
use crate::web::kept::Kept;
use crate::web::refused::{Context, after_admin_form};
use crate::web::views::{AdminPage, Chrome, PatientRow, UserRow, UserSearch, notice};
use crate::web::{WebForm, WebQuery, render};
use crate::{patients, users};

/// Charts listed on the page; a search finds the others.
const CHARTS_SHOWN: usize = 50;

fn user_row(user: &User) -> UserRow {
    UserRow {
        id: user.id.to_string(),
        name: user.name.clone(),
        email: user.email.clone(),
        role: user.role.as_str(),
        status: user.status.as_str(),
    }
}

/// The admin page's query string: a notice after a form, and the searches.
#[derive(Deserialize)]
pub struct AdminQuery {
    notice: Option<String>,
    #[serde(flatten)]
    search: UserSearch,
}

pub async fn page(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    csrf: Csrf,
    WebQuery(query): WebQuery<AdminQuery>,
) -> Response {
    if !policy::may_open(&caller.actor, Page::Admin) {
        return Redirect::to(home_of(caller.actor.role)).into_response();
    }
    let chrome = Chrome::signed_in(&caller, csrf.token()).notice(notice(query.notice.as_deref()));
    let context = Context::new(&state, &meta, &caller, &csrf);
    admin_page(context, query.search, chrome)
        .await
        .unwrap_or_else(AppError::into_response_html)
}

pub async fn admin_page(
    context: Context<'_>,
    search: UserSearch,
    chrome: Chrome,
) -> Result<Response, AppError> {
    let Context {
        state,
        meta,
        caller,
        csrf,
    } = context;
    let searched = AdminSearch {
        users: users::filter_from(Some(&search.status), Some(&search.role), Some(&search.q))?,
        chart_name: search_text(Some(&search.patient), "patient")?,
        charts_shown: CHARTS_SHOWN,
    };
    let home = super::admin(state, caller.actor, meta, searched).await?;
    let rows = |users: &[User]| users.iter().map(user_row).collect::<Vec<_>>();
    let now = state.now();
    Ok(render(&AdminPage {
        chrome,
        csrf: csrf.token().to_owned(),
        me_id: caller.actor.user_id.to_string(),
        waiting: rows(&home.waiting),
        users: rows(&home.found),
        more_users: home.more_users,
        search,
        patients: home.charts.iter().map(PatientRow::from).collect(),
        charts_found: home.charts_found.iter().map(PatientRow::from).collect(),
        more_charts: home.more_charts,
        doctors: rows(&home.doctors),
        trainees: rows(&home.trainees),
        interns: rows(&home.interns),
        grants: crate::access::web::grant_rows(home.grants, &home.names, now),
        emergencies: crate::access::web::emergency_rows(home.emergencies, &home.names, now),
    }))
}

/// Redirects with a notice on success; shows the admin page again, the form as it was typed and
/// the refusal beside it, when the input was at fault.
async fn finish(
    state: &AppState,
    meta: &RequestMeta,
    caller: &Caller,
    csrf: &Csrf,
    kept: Kept,
    outcome: Result<&'static str, AppError>,
) -> Response {
    let (outcome, notice) = match outcome {
        Ok(notice) => (Ok(()), notice),
        Err(error) => (Err(error), ""),
    };
    let context = Context::new(state, meta, caller, csrf);
    after_admin_form(context, kept, outcome, notice).await
}

#[derive(Deserialize)]
pub struct NewUserForm {
    name: String,
    email: String,
    password: String,
    role: String,
}

pub async fn create_user(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    csrf: Csrf,
    kept: Kept,
    WebForm(form): WebForm<NewUserForm>,
) -> Response {
    let outcome = users::create(
        &state,
        caller.actor,
        &meta,
        &form.email,
        &form.password,
        &form.name,
        &form.role,
    )
    .await
    .map(|_| "user_created");
    finish(&state, &meta, &caller, &csrf, kept, outcome).await
}

pub async fn approve(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    csrf: Csrf,
    kept: Kept,
    Path(id): Path<String>,
) -> Response {
    let outcome = match path_id(&id) {
        Ok(id) => users::approve(&state, caller.actor, &meta, id)
            .await
            .map(|_| "user_approved"),
        Err(error) => Err(error),
    };
    finish(&state, &meta, &caller, &csrf, kept, outcome).await
}

#[derive(Deserialize)]
pub struct AssignForm {
    patient_id: String,
    doctor_id: String,
}

pub async fn assign(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    csrf: Csrf,
    kept: Kept,
    WebForm(form): WebForm<AssignForm>,
) -> Response {
    let outcome = async {
        let patient = path_id(&form.patient_id)?;
        let doctor = form.doctor_id.parse().map_err(|_| {
            medvault_domain::InvalidValue::new("doctor_id", "is not an active doctor")
        })?;
        let doctor = UserRef::Id(doctor);
        patients::ties::add(&state, caller.actor, &meta, patient, doctor, Tie::CareTeam).await?;
        Ok("assigned")
    }
    .await;
    finish(&state, &meta, &caller, &csrf, kept, outcome).await
}
