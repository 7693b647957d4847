//! Pages and forms for access management: the staff dashboard, trainee links, intern grants,
//! emergency access, account lifecycle, the audit viewer and the password page.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use medvault_domain::policy::{self, Action, Relation};
use medvault_domain::{Email, InvalidValue, UserId};
use medvault_store::repo::access::{EmergencyAccess, InternGrant};
use medvault_store::repo::users as user_repo;
use serde::Deserialize;

use super::kept::Kept;
use super::refused::{Context, FormPage, after_admin_form, after_form};
use super::session::home_of;
use super::views::{AccountPage, Chrome, EmergencyRow, GrantRow, to_the_minute};
use super::{WebForm, WebQuery, render};
use crate::api::path_id;
use crate::app::AppState;
use crate::audit::RequestMeta;
use crate::auth::csrf::Csrf;
use crate::auth::{Caller, WebCaller, service};
use crate::error::AppError;
use crate::patients::UserRef;
use crate::patients::ties::{self, Tie};
use crate::{access, patients, users};

/// Whether the caller's role may break the glass at all (on a chart they have no tie to).
fn may_break_glass(caller: &Caller) -> bool {
    policy::decide(&caller.actor, Action::BreakGlass, Relation::Unrelated).is_allowed()
}

/// The chart page a form on it goes back to (a bad id goes nowhere: the chart's own page says so).
fn chart_page_of(id: &str) -> FormPage {
    path_id(id).map_or(FormPage::DoctorDashboard, FormPage::Chart)
}

/// After a form on a chart's page: back to that chart.
async fn after_chart_form(
    context: Context<'_>,
    kept: Kept,
    id: &str,
    outcome: Result<(), AppError>,
    notice: &str,
) -> Response {
    let onward = format!("/patients/{id}");
    after_form(context, kept, chart_page_of(id), outcome, &onward, notice).await
}

/// Redirects after a button: to `to` with a notice on success, to an error page otherwise.
fn after(outcome: Result<(), AppError>, to: &str, notice: &str) -> Response {
    match outcome {
        Ok(()) => Redirect::to(&format!("{to}?notice={notice}")).into_response(),
        Err(error) => error.into_response_html(),
    }
}

fn named(names: &HashMap<String, String>, id: String) -> String {
    names.get(&id).cloned().unwrap_or(id)
}

pub fn grant_rows(
    grants: Vec<InternGrant>,
    names: &HashMap<String, String>,
    now: chrono::NaiveDateTime,
) -> Vec<GrantRow> {
    grants
        .into_iter()
        .map(|grant| GrantRow {
            active: grant.is_active(now),
            id: grant.id.to_string(),
            intern: named(names, grant.intern_id.to_string()),
            patient: named(names, grant.patient_id.to_string()),
            ends_at: to_the_minute(grant.ends_at),
        })
        .collect()
}

pub fn emergency_rows(
    accesses: Vec<EmergencyAccess>,
    names: &HashMap<String, String>,
    now: chrono::NaiveDateTime,
) -> Vec<EmergencyRow> {
    accesses
        .into_iter()
        .map(|access| EmergencyRow {
            open: access.is_open(now),
            doctor: named(names, access.doctor_id.to_string()),
            patient: named(names, access.patient_id.to_string()),
            reason: access.reason,
            started_at: to_the_minute(access.started_at),
            ends_at: to_the_minute(access.ends_at),
        })
        .collect()
}

/// The id of the user with this email, or the field's message if there is none.
async fn user_by_email(
    state: &AppState,
    email: &str,
    field: &'static str,
    message: &'static str,
) -> Result<UserId, AppError> {
    let email = Email::parse(email).map_err(|_| InvalidValue::new(field, message))?;
    state
        .read(move |conn| Ok(user_repo::find_by_email(conn, &email)?.map(|user| user.id)))
        .await?
        .ok_or_else(|| InvalidValue::new(field, message).into())
}

#[derive(Deserialize)]
pub struct EmailForm {
    email: String,
    #[serde(default)]
    hours: String,
}

fn shift_hours(raw: &str) -> Result<Option<f64>, AppError> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    raw.trim()
        .parse()
        .map(Some)
        .map_err(|_| InvalidValue::new("hours", "must be a number of hours").into())
}

pub async fn link_trainee(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    csrf: Csrf,
    kept: Kept,
    Path(id): Path<String>,
    WebForm(form): WebForm<EmailForm>,
) -> Response {
    let outcome = async {
        let trainee =
            user_by_email(&state, &form.email, "email", "is not an active trainee").await?;
        access::link_trainee(&state, caller.actor, &meta, path_id(&id)?, trainee)
            .await
            .map(|_| ())
    };
    let context = Context::new(&state, &meta, &caller, &csrf);
    after_chart_form(context, kept, &id, outcome.await, "trainee_linked").await
}

pub async fn grant_intern(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    csrf: Csrf,
    kept: Kept,
    Path(id): Path<String>,
    WebForm(form): WebForm<EmailForm>,
) -> Response {
    let outcome = async {
        let intern = user_by_email(&state, &form.email, "email", "is not an active intern").await?;
        let hours = shift_hours(&form.hours)?;
        access::grant_intern(&state, caller.actor, &meta, path_id(&id)?, intern, hours)
            .await
            .map(|_| ())
    };
    let context = Context::new(&state, &meta, &caller, &csrf);
    after_chart_form(context, kept, &id, outcome.await, "intern_granted").await
}

pub async fn unlink_trainee(
    state: State<AppState>,
    meta: RequestMeta,
    caller: WebCaller,
    ids: Path<(String, String)>,
) -> Response {
    end_tie(state, meta, caller, ids, Tie::TraineeLink).await
}

pub async fn remove_care_team_member(
    state: State<AppState>,
    meta: RequestMeta,
    caller: WebCaller,
    ids: Path<(String, String)>,
) -> Response {
    end_tie(state, meta, caller, ids, Tie::CareTeam).await
}

/// Ends a user's tie to a chart from a button on the chart or the patient's dashboard.
async fn end_tie(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    Path((id, user)): Path<(String, String)>,
    tie: Tie,
) -> Response {
    let outcome = async {
        let (patient, user) = (path_id(&id)?, path_id(&user)?);
        ties::end(&state, caller.actor, &meta, patient, user, tie)
            .await
            .map(|_| ())
    };
    let notice = match tie {
        Tie::CareTeam => "care_team_removed",
        Tie::TraineeLink => "trainee_unlinked",
    };
    after(outcome.await, &back_to_chart(&caller, &id), notice)
}

/// Where a change to a chart's ties leads back to: the patient's own dashboard, or the chart.
fn back_to_chart(caller: &Caller, patient: &str) -> String {
    if policy::has_own_chart(caller.actor.role) {
        "/patient/dashboard".to_owned()
    } else {
        format!("/patients/{patient}")
    }
}

pub async fn add_care_team_member(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    csrf: Csrf,
    kept: Kept,
    Path(id): Path<String>,
    WebForm(form): WebForm<EmailForm>,
) -> Response {
    let outcome = async {
        let patient = path_id(&id)?;
        let email = Email::parse(&form.email)
            .map_err(|_| InvalidValue::new("email", "is not an active doctor"))?;
        patients::add_to_care_team(&state, caller.actor, &meta, patient, UserRef::Email(email))
            .await
            .map(|_| ())
    };
    let page = if policy::has_own_chart(caller.actor.role) {
        FormPage::PatientDashboard
    } else {
        chart_page_of(&id)
    };
    let onward = back_to_chart(&caller, &id);
    let context = Context::new(&state, &meta, &caller, &csrf);
    after_form(
        context,
        kept,
        page,
        outcome.await,
        &onward,
        "care_team_added",
    )
    .await
}

pub async fn end_grant(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    Path(id): Path<String>,
) -> Response {
    let outcome = async {
        access::end_grant(&state, caller.actor, &meta, path_id(&id)?)
            .await
            .map(|_| ())
    };
    after(outcome.await, home_of(caller.actor.role), "grant_ended")
}

#[derive(Deserialize)]
pub struct EmergencyForm {
    patient: String,
    reason: String,
}

pub async fn break_glass(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    csrf: Csrf,
    kept: Kept,
    WebForm(form): WebForm<EmergencyForm>,
) -> Response {
    let outcome = async {
        let patient = crate::patients::web::resolve_patient(&state, &form.patient).await?;
        access::break_glass(&state, caller.actor, &meta, patient, &form.reason).await
    };
    let (outcome, onward) = match outcome.await {
        Ok(opened) => (Ok(()), format!("/patients/{}", opened.patient_id)),
        // To a doctor, who may break the glass, said on the form where they can correct what
        // they typed (the denial is audited all the same); to anyone else, "not found".
        Err(AppError::NotFound | AppError::Denied(_)) if may_break_glass(&caller) => {
            let unknown = InvalidValue::new("patient", "is no patient's email or chart id here");
            (Err(unknown.into()), String::new())
        }
        Err(error) => (Err(error), String::new()),
    };
    let context = Context::new(&state, &meta, &caller, &csrf);
    let page = FormPage::DoctorDashboard;
    after_form(context, kept, page, outcome, &onward, "emergency_opened").await
}

#[derive(Deserialize)]
pub struct AdminGrantForm {
    patient_id: String,
    user_id: String,
    #[serde(default)]
    hours: String,
}

fn user_field(raw: &str) -> Result<UserId, AppError> {
    raw.parse()
        .map_err(|_| InvalidValue::new("user_id", "choose a user").into())
}

pub async fn admin_link_trainee(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    csrf: Csrf,
    kept: Kept,
    WebForm(form): WebForm<AdminGrantForm>,
) -> Response {
    let outcome = async {
        let trainee = user_field(&form.user_id)?;
        access::link_trainee(
            &state,
            caller.actor,
            &meta,
            path_id(&form.patient_id)?,
            trainee,
        )
        .await
        .map(|_| ())
    };
    let context = Context::new(&state, &meta, &caller, &csrf);
    after_admin_form(context, kept, outcome.await, "trainee_linked").await
}

pub async fn admin_grant_intern(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    csrf: Csrf,
    kept: Kept,
    WebForm(form): WebForm<AdminGrantForm>,
) -> Response {
    let outcome = async {
        let intern = user_field(&form.user_id)?;
        let hours = shift_hours(&form.hours)?;
        access::grant_intern(
            &state,
            caller.actor,
            &meta,
            path_id(&form.patient_id)?,
            intern,
            hours,
        )
        .await
        .map(|_| ())
    };
    let context = Context::new(&state, &meta, &caller, &csrf);
    after_admin_form(context, kept, outcome.await, "intern_granted").await
}

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
        users::set_active(&state, caller.actor, &meta, path_id(&id)?, active)
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
        users::reset_password(
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

pub async fn account_page(
    WebCaller(caller): WebCaller,
    csrf: Csrf,
    WebQuery(query): WebQuery<super::session::NoticeQuery>,
) -> Response {
    render(&AccountPage {
        chrome: Chrome::signed_in(&caller, csrf.token())
            .notice(super::views::notice(query.notice.as_deref())),
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
