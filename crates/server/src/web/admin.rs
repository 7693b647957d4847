//! The admin page: users, approvals, care-team assignments.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use medvault_domain::{Role, UserStatus};
use medvault_store::User;
use serde::Deserialize;

use super::session::{NoticeQuery, home_of};
use super::views::{AdminPage, Chrome, PatientRow, UserRow, notice};
use super::{CsrfForm, WebForm, render};
use crate::api::path_id;
use crate::app::AppState;
use crate::audit::RequestMeta;
use crate::auth::csrf::Csrf;
use crate::auth::{Caller, WebCaller};
use crate::error::AppError;
use crate::{access, patients, users};

const LIST_ITEMS: usize = 200;

fn user_row(user: &User) -> UserRow {
    UserRow {
        id: user.id.to_string(),
        name: user.name.clone(),
        email: user.email.clone(),
        role: user.role.as_str(),
        status: user.status.as_str(),
    }
}

pub async fn page(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    csrf: Csrf,
    Query(query): Query<NoticeQuery>,
) -> Response {
    if caller.actor.role != Role::Admin {
        return Redirect::to(home_of(caller.actor.role)).into_response();
    }
    admin_page(
        &state,
        &meta,
        &caller,
        &csrf,
        notice(query.notice.as_deref()),
        None,
    )
    .await
    .unwrap_or_else(AppError::into_response_html)
}

async fn admin_page(
    state: &AppState,
    meta: &RequestMeta,
    caller: &Caller,
    csrf: &Csrf,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Response, AppError> {
    let all_users = users::list(state, caller.actor, meta, None, None, LIST_ITEMS)
        .await?
        .items;
    let charts = patients::list(state, caller.actor, meta, None, LIST_ITEMS)
        .await?
        .items;
    let active_with = |role: Role| -> Vec<UserRow> {
        all_users
            .iter()
            .filter(|user| user.role == role && user.status == UserStatus::Active)
            .map(user_row)
            .collect()
    };
    let (doctors, trainees, interns) = (
        active_with(Role::Doctor),
        active_with(Role::Trainee),
        active_with(Role::Intern),
    );
    let emergencies = access::list_emergency(state, caller.actor, meta).await?;
    let names: HashMap<String, String> = all_users
        .iter()
        .map(|user| (user.id.to_string(), user.name.clone()))
        .chain(
            charts
                .iter()
                .map(|chart| (chart.id.to_string(), chart.name.clone())),
        )
        .collect();
    Ok(render(&AdminPage {
        chrome: Chrome::signed_in(caller, csrf.token())
            .notice(notice)
            .error(error),
        csrf: csrf.token().to_owned(),
        me_id: caller.actor.user_id.to_string(),
        users: all_users.iter().map(user_row).collect(),
        patients: charts.iter().map(PatientRow::from).collect(),
        doctors,
        trainees,
        interns,
        grants: super::manage::grants_for(state, caller, meta).await?,
        emergencies: super::manage::emergency_rows(emergencies, &names, state.now()),
    }))
}

/// Redirects with a notice on success; shows the admin page with the message on a user error.
async fn finish(
    state: &AppState,
    meta: &RequestMeta,
    caller: &Caller,
    csrf: &Csrf,
    outcome: Result<&'static str, AppError>,
) -> Response {
    match outcome {
        Ok(code) => Redirect::to(&format!("/admin?notice={code}")).into_response(),
        Err(error @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            let status = error.status();
            match admin_page(
                state,
                meta,
                caller,
                csrf,
                None,
                Some(error.public_message()),
            )
            .await
            {
                Ok(page) => (status, page).into_response(),
                Err(error) => error.into_response_html(),
            }
        }
        Err(error) => error.into_response_html(),
    }
}

#[derive(Deserialize)]
pub struct NewUserForm {
    csrf: String,
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
    WebForm(form): WebForm<NewUserForm>,
) -> Response {
    if let Err(error) = csrf.check(&form.csrf) {
        return error.into_response_html();
    }
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
    finish(&state, &meta, &caller, &csrf, outcome).await
}

pub async fn approve(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    csrf: Csrf,
    Path(id): Path<String>,
    WebForm(form): WebForm<CsrfForm>,
) -> Response {
    if let Err(error) = csrf.check(&form.csrf) {
        return error.into_response_html();
    }
    let outcome = match path_id(&id) {
        Ok(id) => users::approve(&state, caller.actor, &meta, id)
            .await
            .map(|_| "user_approved"),
        Err(error) => Err(error),
    };
    finish(&state, &meta, &caller, &csrf, outcome).await
}

#[derive(Deserialize)]
pub struct AssignForm {
    csrf: String,
    patient_id: String,
    doctor_id: String,
}

pub async fn assign(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    csrf: Csrf,
    WebForm(form): WebForm<AssignForm>,
) -> Response {
    if let Err(error) = csrf.check(&form.csrf) {
        return error.into_response_html();
    }
    let outcome = async {
        let patient = path_id(&form.patient_id)?;
        let doctor = form.doctor_id.parse().map_err(|_| {
            medvault_domain::InvalidValue::new("doctor_id", "is not an active doctor")
        })?;
        patients::add_to_care_team(&state, caller.actor, &meta, patient, doctor).await?;
        Ok("assigned")
    }
    .await;
    finish(&state, &meta, &caller, &csrf, outcome).await
}
