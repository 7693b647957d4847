//! The forms that link trainees, grant interns and break the glass, from a chart's page, the
//! doctor's dashboard or the admin page, and the tables of grants and emergency accesses.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::response::Response;
use medvault_domain::policy::{self, Action, Relation};
use medvault_domain::{InvalidValue, UserId};
use medvault_store::repo::access::{EmergencyAccess, InternGrant};
use serde::Deserialize;

use crate::api::path_id;
use crate::app::AppState;
use crate::audit::RequestMeta;
use crate::auth::csrf::Csrf;
use crate::auth::{Caller, WebCaller};
use crate::error::AppError;
use crate::patients::UserRef;
use crate::web::WebForm;
use crate::web::kept::Kept;
use crate::web::refused::{
    Context, FormPage, after, after_admin_form, after_chart_form, after_form,
};
use crate::web::session::home_of;
use crate::web::views::{EmergencyRow, GrantRow, to_the_minute};

/// Whether the caller's role may break the glass at all (on a chart they have no tie to).
fn may_break_glass(caller: &Caller) -> bool {
    policy::decide(&caller.actor, Action::BreakGlass, Relation::Unrelated).is_allowed()
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

#[derive(Deserialize)]
/// A form that names a user by email (and, for an intern's grant, the shift's length).
pub struct EmailForm {
    pub email: String,
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
        let trainee = UserRef::email(&form.email, "is not an active trainee")?;
        super::link_trainee(&state, caller.actor, &meta, path_id(&id)?, trainee)
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
        let intern = UserRef::email(&form.email, "is not an active intern")?;
        let hours = shift_hours(&form.hours)?;
        super::grant_intern(&state, caller.actor, &meta, path_id(&id)?, intern, hours)
            .await
            .map(|_| ())
    };
    let context = Context::new(&state, &meta, &caller, &csrf);
    after_chart_form(context, kept, &id, outcome.await, "intern_granted").await
}

pub async fn end_grant(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    Path(id): Path<String>,
) -> Response {
    let outcome = async {
        super::end_grant(&state, caller.actor, &meta, path_id(&id)?)
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
        super::break_glass(&state, caller.actor, &meta, patient, &form.reason).await
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

pub(crate) fn user_field(raw: &str) -> Result<UserId, AppError> {
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
        let trainee = UserRef::Id(user_field(&form.user_id)?);
        super::link_trainee(
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
        let intern = UserRef::Id(user_field(&form.user_id)?);
        let hours = shift_hours(&form.hours)?;
        super::grant_intern(
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
