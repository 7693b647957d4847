//! The doctor's and the patient's dashboards, chart pages and the record form.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use medvault_domain::policy::{self, Action};
use medvault_domain::{Email, PatientId, Role};
use medvault_store::repo::{patients as patient_repo, users};
use medvault_store::{Patient, Record};
use serde::Deserialize;

use super::session::{NoticeQuery, home_of};
use super::views::{
    AccessRow, ChartPage, Chrome, DoctorDashboard, MemberRow, PatientDashboard, PatientRow,
    RecordCreatePage, RecordForm, RecordRow, notice, span_in_words,
};
use super::{WebForm, render};
use crate::app::AppState;
use crate::audit::RequestMeta;
use crate::auth::csrf::Csrf;
use crate::auth::{Caller, WebCaller};
use crate::error::AppError;
use crate::patients::ties::{self, Tie};
use crate::{api, audit_log, patients, records};

/// How many items a dashboard shows.
const DASHBOARD_ITEMS: usize = 200;

fn wrong_role(caller: &Caller) -> Response {
    Redirect::to(home_of(caller.actor.role)).into_response()
}

/// Every chart the caller may see (one page, enough for a dashboard).
async fn visible_patients(
    state: &AppState,
    caller: &Caller,
    meta: &RequestMeta,
) -> Result<Vec<Patient>, AppError> {
    Ok(
        patients::list(state, caller.actor, meta, None, None, DASHBOARD_ITEMS)
            .await?
            .items,
    )
}

fn record_rows(records: &[Record], names: Option<&HashMap<PatientId, String>>) -> Vec<RecordRow> {
    records
        .iter()
        .map(|record| {
            RecordRow::new(
                record,
                names
                    .and_then(|names| names.get(&record.patient_id))
                    .map(String::as_str),
            )
        })
        .collect()
}

pub async fn doctor(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    csrf: Csrf,
    Query(query): Query<NoticeQuery>,
) -> Response {
    if caller.actor.role != Role::Doctor {
        return wrong_role(&caller);
    }
    doctor_page(
        &state,
        &meta,
        &caller,
        &csrf,
        notice(query.notice.as_deref()),
    )
    .await
    .unwrap_or_else(AppError::into_response_html)
}

async fn doctor_page(
    state: &AppState,
    meta: &RequestMeta,
    caller: &Caller,
    csrf: &Csrf,
    notice: Option<String>,
) -> Result<Response, AppError> {
    let charts = visible_patients(state, caller, meta).await?;
    let authored = records::list_authored(state, caller.actor, meta, DASHBOARD_ITEMS).await?;
    let names: HashMap<PatientId, String> = charts
        .iter()
        .map(|chart| (chart.id, chart.name.clone()))
        .collect();
    Ok(render(&DoctorDashboard {
        chrome: Chrome::signed_in(caller, csrf.token()).notice(notice),
        csrf: csrf.token().to_owned(),
        me_name: caller.name.clone(),
        me_email: caller.email.clone(),
        patients: charts.iter().map(PatientRow::from).collect(),
        records: record_rows(&authored, Some(&names)),
        form: RecordForm::default(),
        grants: super::manage::grants_for(state, caller, meta).await?,
        emergency_lasts: span_in_words(state.config.emergency_access),
    }))
}

pub async fn patient(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    csrf: Csrf,
    Query(query): Query<NoticeQuery>,
) -> Response {
    if caller.actor.role != Role::Patient {
        return wrong_role(&caller);
    }
    let page = async {
        let (chart, own_records, accesses, care_team) = match caller.actor.patient_id {
            Some(own) => {
                let chart = patients::get(&state, caller.actor, &meta, own).await?.chart;
                let page = records::list_for_patient(
                    &state,
                    caller.actor,
                    &meta,
                    own,
                    None,
                    DASHBOARD_ITEMS,
                )
                .await?;
                let report =
                    audit_log::access_report(&state, caller.actor, &meta, own, None, 100).await?;
                let accesses = report
                    .items
                    .iter()
                    .map(|access| AccessRow::new(&access.row, access.actor_name.as_deref()))
                    .collect();
                let doctors =
                    ties::members(&state, caller.actor, &meta, own, Tie::CareTeam).await?;
                let care_team = doctors.into_iter().map(MemberRow::from).collect();
                (
                    Some(PatientRow::from(&chart)),
                    page.items,
                    accesses,
                    care_team,
                )
            }
            None => (None, Vec::new(), Vec::new(), Vec::new()),
        };
        Ok::<_, AppError>(render(&PatientDashboard {
            chrome: Chrome::signed_in(&caller, csrf.token())
                .notice(notice(query.notice.as_deref())),
            csrf: csrf.token().to_owned(),
            me_name: caller.name.clone(),
            me_email: caller.email.clone(),
            chart,
            records: record_rows(&own_records, None),
            accesses,
            care_team,
        }))
    };
    page.await.unwrap_or_else(AppError::into_response_html)
}

pub async fn chart(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    csrf: Csrf,
    Path(id): Path<String>,
    Query(query): Query<NoticeQuery>,
) -> Response {
    let page = async {
        let id: PatientId = api::path_id(&id)?;
        let granted = patients::get(&state, caller.actor, &meta, id).await?;
        // Interns never see clinical notes: do not even ask (the refusal would be audited).
        let records = if caller.actor.role == Role::Intern {
            None
        } else {
            let page =
                records::list_for_patient(&state, caller.actor, &meta, id, None, DASHBOARD_ITEMS)
                    .await?;
            Some(record_rows(&page.items, None))
        };
        let may = |action| policy::decide(&caller.actor, action, granted.relation).is_allowed();
        let care_team = ties::members(&state, caller.actor, &meta, id, Tie::CareTeam).await?;
        let trainees = if may(Action::LinkTrainee) {
            let linked = ties::members(&state, caller.actor, &meta, id, Tie::TraineeLink).await?;
            Some(linked.into_iter().map(MemberRow::from).collect())
        } else {
            None
        };
        Ok::<_, AppError>(render(&ChartPage {
            chrome: Chrome::signed_in(&caller, csrf.token())
                .notice(notice(query.notice.as_deref())),
            csrf: csrf.token().to_owned(),
            chart: PatientRow::from(&granted.chart),
            records,
            emergency: granted.emergency(),
            care_team: care_team.into_iter().map(MemberRow::from).collect(),
            can_change_care_team: may(Action::AssignCareTeam),
            trainees,
        }))
    };
    page.await.unwrap_or_else(AppError::into_response_html)
}

pub async fn record_page(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    csrf: Csrf,
) -> Response {
    if !matches!(caller.actor.role, Role::Doctor | Role::Admin) {
        return wrong_role(&caller);
    }
    record_form_page(&state, &meta, &caller, &csrf, None, RecordForm::default())
        .await
        .unwrap_or_else(AppError::into_response_html)
}

async fn record_form_page(
    state: &AppState,
    meta: &RequestMeta,
    caller: &Caller,
    csrf: &Csrf,
    error: Option<String>,
    form: RecordForm,
) -> Result<Response, AppError> {
    let charts = visible_patients(state, caller, meta).await?;
    Ok(render(&RecordCreatePage {
        chrome: Chrome::signed_in(caller, csrf.token()).error(error),
        csrf: csrf.token().to_owned(),
        patients: charts.iter().map(PatientRow::from).collect(),
        form,
    }))
}

#[derive(Deserialize)]
pub struct NewRecordForm {
    csrf: String,
    #[serde(default)]
    patient_id: String,
    #[serde(default)]
    patient: String,
    title: String,
    notes: String,
}

/// The patient a form names: the free-text field (an id, or a patient's email) wins over the
/// list. An unknown one is simply "no such patient in your care", like one the caller may not see.
pub async fn resolve_patient(
    state: &AppState,
    typed: &str,
    listed: &str,
) -> Result<PatientId, AppError> {
    let typed = typed.trim();
    let chosen = if typed.is_empty() {
        listed.trim()
    } else {
        typed
    };
    if chosen.is_empty() {
        return Err(medvault_domain::InvalidValue::new("patient", "choose a patient").into());
    }
    if let Ok(id) = chosen.parse::<PatientId>() {
        return Ok(id);
    }
    let email = Email::parse(chosen).map_err(|_| {
        medvault_domain::InvalidValue::new("patient", "is not a patient id or email")
    })?;
    state
        .read(move |conn| {
            let Some(user) = users::find_by_email(conn, &email)? else {
                return Err(AppError::NotFound);
            };
            Ok(patient_repo::find_by_user(conn, user.id)?
                .ok_or(AppError::NotFound)?
                .id)
        })
        .await
}

pub async fn create_record(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    csrf: Csrf,
    WebForm(form): WebForm<NewRecordForm>,
) -> Response {
    if let Err(error) = csrf.check(&form.csrf) {
        return error.into_response_html();
    }
    let outcome = match resolve_patient(&state, &form.patient, &form.patient_id).await {
        Ok(patient) => {
            records::create(
                &state,
                caller.actor,
                &meta,
                patient,
                &form.title,
                &form.notes,
            )
            .await
        }
        Err(error) => Err(error),
    };
    let message = match outcome {
        Ok(_) => {
            let home = if caller.actor.role == Role::Doctor {
                "/doctor/dashboard"
            } else {
                "/admin"
            };
            return Redirect::to(&format!("{home}?notice=record_created")).into_response();
        }
        Err(AppError::NotFound | AppError::Denied(_)) => {
            "No patient with that email or id is in your care.".to_owned()
        }
        Err(error @ AppError::Invalid(_)) => error.public_message(),
        Err(error) => return error.into_response_html(),
    };
    let kept = RecordForm {
        patient_id: form.patient_id,
        patient: form.patient,
        title: form.title,
        notes: form.notes,
    };
    let page = record_form_page(&state, &meta, &caller, &csrf, Some(message), kept).await;
    match page {
        Ok(mut response) => {
            *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            response
        }
        Err(error) => error.into_response_html(),
    }
}
