//! The profile form's pages: opening a chart (doctors, admins), and editing a chart's details
//! (its care team and admins all of them, the patient their contact details).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use medvault_domain::PatientId;
use medvault_domain::policy::{self, Action, Relation};
use serde::Deserialize;

use super::ProfileInput;
use crate::api::path_id;
use crate::app::AppState;
use crate::audit::RequestMeta;
use crate::auth::csrf::Csrf;
use crate::auth::{Caller, WebCaller};
use crate::error::AppError;
use crate::http::versions;
use crate::web::views::{Chrome, PatientRow, ProfileFields, ProfilePage};
use crate::web::{WebForm, render};

/// The profile form as sent: the version it was opened on (when editing), and the fields.
#[derive(Deserialize)]
pub struct ProfileForm {
    version: Option<String>,
    #[serde(flatten)]
    profile: ProfileInput,
}

impl From<&ProfileInput> for ProfileFields {
    fn from(typed: &ProfileInput) -> Self {
        let kept = |field: &Option<String>| field.clone().unwrap_or_default();
        ProfileFields {
            name: kept(&typed.name),
            birth_date: kept(&typed.birth_date),
            sex: kept(&typed.sex),
            phone: kept(&typed.phone),
            email: kept(&typed.email),
            address_line: kept(&typed.address_line),
            city: kept(&typed.city),
            region: kept(&typed.region),
            postal_code: kept(&typed.postal_code),
            country: kept(&typed.country),
            emergency_contact_name: kept(&typed.emergency_contact_name),
            emergency_contact_relationship: kept(&typed.emergency_contact_relationship),
            emergency_contact_phone: kept(&typed.emergency_contact_phone),
            preferred_language: kept(&typed.preferred_language),
        }
    }
}

/// Where a caller goes back to from a chart's details: the patient to their dashboard.
fn back_to(caller: &Caller, patient: PatientId) -> String {
    if caller.actor.patient_id == Some(patient) {
        "/patient/dashboard".to_owned()
    } else {
        format!("/patients/{patient}")
    }
}

fn new_chart_form(caller: &Caller, csrf: &Csrf, chrome: Chrome, fields: ProfileFields) -> Response {
    render(&ProfilePage {
        chrome,
        csrf: csrf.token().to_owned(),
        action: "/patients".to_owned(),
        chart: None,
        version: 0,
        identity: true,
        fields,
        back: crate::dashboards::home_of(caller.actor.role).to_owned(),
    })
}

/// The form that opens a chart, for those who may; anyone else goes home.
pub async fn new_chart(WebCaller(caller): WebCaller, csrf: Csrf) -> Response {
    if !policy::decide(&caller.actor, Action::CreatePatient, Relation::Unrelated).is_allowed() {
        return Redirect::to(crate::dashboards::home_of(caller.actor.role)).into_response();
    }
    let chrome = Chrome::signed_in(&caller, csrf.token());
    new_chart_form(&caller, &csrf, chrome, ProfileFields::default())
}

pub async fn create_chart(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    csrf: Csrf,
    WebForm(form): WebForm<ProfileForm>,
) -> Response {
    let typed = ProfileFields::from(&form.profile);
    match super::create(&state, caller.actor, &meta, form.profile).await {
        Ok(chart) => {
            Redirect::to(&format!("/patients/{}?notice=chart_created", chart.id)).into_response()
        }
        Err(refusal @ AppError::Invalid(_)) => {
            let chrome =
                Chrome::signed_in(&caller, csrf.token()).error(Some(refusal.public_message()));
            let mut page = new_chart_form(&caller, &csrf, chrome, typed);
            *page.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            page
        }
        Err(error) => error.into_response_html(),
    }
}

/// The form that edits a chart's details, as they are now.
pub async fn edit_page(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    csrf: Csrf,
    Path(id): Path<String>,
) -> Response {
    let page = async {
        let id: PatientId = path_id(&id)?;
        let granted = super::open_for_edit(&state, caller.actor, &meta, id).await?;
        let chrome = Chrome::signed_in(&caller, csrf.token());
        let fields = ProfileFields::from(&granted.chart);
        Ok::<_, AppError>(edit_form(&caller, &csrf, chrome, &granted, fields))
    };
    page.await.unwrap_or_else(AppError::into_response_html)
}

/// The edit form for `granted`'s chart, opened by someone who may change at least its contact
/// details, with `fields` in it.
fn edit_form(
    caller: &Caller,
    csrf: &Csrf,
    chrome: Chrome,
    granted: &super::Authorized,
    fields: ProfileFields,
) -> Response {
    let chart = &granted.chart;
    let identity = policy::decide(&caller.actor, Action::EditProfile, granted.relation);
    render(&ProfilePage {
        chrome,
        csrf: csrf.token().to_owned(),
        action: format!("/patients/{}/profile", chart.id),
        chart: Some(PatientRow::from(chart)),
        version: chart.version,
        identity: identity.is_allowed(),
        fields,
        back: back_to(caller, chart.id),
    })
}

pub async fn save(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    csrf: Csrf,
    Path(id): Path<String>,
    WebForm(form): WebForm<ProfileForm>,
) -> Response {
    let page = async {
        let id: PatientId = path_id(&id)?;
        let version = versions::from_form(form.version.as_deref())?;
        let typed = ProfileFields::from(&form.profile);
        let saved = super::edit_profile(&state, caller.actor, &meta, id, version, form.profile);
        let refusal = match saved.await {
            Ok(_) => {
                let to = format!("{}?notice=profile_saved", back_to(&caller, id));
                return Ok(Redirect::to(&to).into_response());
            }
            Err(refusal @ (AppError::Invalid(_) | AppError::Stale { .. })) => refusal,
            Err(error) => return Err(error),
        };
        // Shown again as typed, on the chart as it is now: after someone else's change, the
        // page says so and the next save is made on the current version, knowingly.
        let granted = super::open_for_edit(&state, caller.actor, &meta, id).await?;
        let message = match refusal {
            AppError::Stale { .. } => "Someone changed these details since you opened them, \
                 and your changes are not saved yet. What you typed is below; the details as \
                 they are now are on the chart. Save again to keep yours."
                .to_owned(),
            other => other.public_message(),
        };
        let chrome = Chrome::signed_in(&caller, csrf.token()).error(Some(message));
        let mut response = edit_form(&caller, &csrf, chrome, &granted, typed);
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        Ok(response)
    };
    page.await.unwrap_or_else(AppError::into_response_html)
}
