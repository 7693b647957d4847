//! The forms that link trainees, grant interns and break the glass, from a chart's page, the
//! doctor's dashboard or the admin page, and the tables of grants and emergency accesses.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::response::Response;
use medvault_domain::policy::{self, Action, Relation};
use medvault_domain::{InvalidValue, PatientId, UserId};
use medvault_store::repo::access::{EmergencyAccess, InternGrant};
use serde::Deserialize;

use crate::api::path_id;
use crate::app::AppState;
use crate::audit::RequestMeta;
use crate::auth::csrf::Csrf;
use crate::auth::{Caller, WebCaller};
use crate::dashboards::home_of;
use crate::error::AppError;
use crate::patients::ties;
use crate::patients::{PatientRef, UserRef};
use crate::web::WebForm;
use crate::web::kept::Kept;
use crate::web::refused::{
    Context, FormPage, after, after_admin_form, after_chart_form, after_form,
};
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

/// What a form ties a user to a chart as: a trainee, an intern for a shift, or a guardian.
#[derive(Clone, Copy)]
enum Tie {
    Trainee,
    Intern,
    Guardian,
}

impl Tie {
    /// What the user named must be, said on the form when they are not.
    fn must_be(self) -> &'static str {
        match self {
            Tie::Trainee => "is not an active trainee",
            Tie::Intern => "is not an active intern",
            Tie::Guardian => "is not an active patient account",
        }
    }

    /// The notice shown once the tie is made.
    fn made(self) -> &'static str {
        match self {
            Tie::Trainee => "trainee_linked",
            Tie::Intern => "intern_granted",
            Tie::Guardian => "guardian_added",
        }
    }

    /// Ties `user` to `patient`; `hours` is an intern's shift as typed (blank for the default).
    async fn make(
        self,
        state: &AppState,
        caller: &Caller,
        meta: &RequestMeta,
        patient: PatientId,
        user: UserRef,
        hours: &str,
    ) -> Result<(), AppError> {
        match self {
            Tie::Trainee | Tie::Guardian => {
                let tie = match self {
                    Tie::Trainee => ties::Tie::TraineeLink,
                    _ => ties::Tie::Guardian,
                };
                ties::add(state, caller.actor, meta, patient, user, tie)
                    .await
                    .map(|_| ())
            }
            Tie::Intern => {
                let hours = shift_hours(hours)?;
                super::grant_intern(state, caller.actor, meta, patient, user, hours)
                    .await
                    .map(|_| ())
            }
        }
    }
}

/// A tie made from the chart page, naming the user by email.
async fn chart_tie(
    context: Context<'_>,
    kept: Kept,
    id: String,
    form: EmailForm,
    tie: Tie,
) -> Response {
    let Context {
        state,
        meta,
        caller,
        ..
    } = context;
    let outcome = async {
        let user = UserRef::email(&form.email, tie.must_be())?;
        tie.make(state, caller, meta, path_id(&id)?, user, &form.hours)
            .await
    };
    after_chart_form(context, kept, &id, outcome.await, tie.made(), "ties").await
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
    let context = Context::new(&state, &meta, &caller, &csrf);
    chart_tie(context, kept, id, form, Tie::Trainee).await
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
    let context = Context::new(&state, &meta, &caller, &csrf);
    chart_tie(context, kept, id, form, Tie::Intern).await
}

pub async fn add_guardian(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    csrf: Csrf,
    kept: Kept,
    Path(id): Path<String>,
    WebForm(form): WebForm<EmailForm>,
) -> Response {
    let context = Context::new(&state, &meta, &caller, &csrf);
    chart_tie(context, kept, id, form, Tie::Guardian).await
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
        let patient = PatientRef::typed(&form.patient)?;
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

/// A tie made from the administration page, choosing the user and the chart from lists.
async fn admin_tie(context: Context<'_>, kept: Kept, form: AdminGrantForm, tie: Tie) -> Response {
    let Context {
        state,
        meta,
        caller,
        ..
    } = context;
    let outcome = async {
        let user = UserRef::Id(user_field(&form.user_id)?);
        let patient = path_id(&form.patient_id)?;
        tie.make(state, caller, meta, patient, user, &form.hours)
            .await
    };
    after_admin_form(context, kept, outcome.await, tie.made()).await
}

pub async fn admin_link_trainee(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    csrf: Csrf,
    kept: Kept,
    WebForm(form): WebForm<AdminGrantForm>,
) -> Response {
    let context = Context::new(&state, &meta, &caller, &csrf);
    admin_tie(context, kept, form, Tie::Trainee).await
}

pub async fn admin_grant_intern(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    csrf: Csrf,
    kept: Kept,
    WebForm(form): WebForm<AdminGrantForm>,
) -> Response {
    let context = Context::new(&state, &meta, &caller, &csrf);
    admin_tie(context, kept, form, Tie::Intern).await
}
