//! `/institutions/{id}/doctors/{doctor_id}/hours`: a doctor's week at an institution as a form,
//! one line of hours per day (`09:00-12:00, 14:00-17:30`), the visit's length, and days off.
//! The doctor's own, or any of its doctors' for the institution's admins.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use medvault_domain::appointments::{self as rules, Availability, WEEK};
use medvault_domain::policy::InstitutionAct;
use medvault_domain::{AuditAction, InstitutionId, UserId};
use medvault_store::repo::institutions as places;
use serde::Deserialize;

use super::WeekInput;
use crate::api::path_id;
use crate::app::AppState;
use crate::audit::RequestMeta;
use crate::auth::WebCaller;
use crate::auth::csrf::Csrf;
use crate::error::AppError;
use crate::institutions::authorize_at;
use crate::web::views::{Chrome, notice};
use crate::web::{NoticeQuery, WebForm, WebQuery, render};

#[derive(Template)]
#[template(path = "appointments/hours.html")]
struct HoursPage {
    chrome: Chrome,
    csrf: String,
    action: String,
    doctor: String,
    place: String,
    zone: &'static str,
    slot_minutes: u32,
    /// Day's name, its field, its windows as typed.
    days: Vec<(&'static str, &'static str, String)>,
    time_off: String,
}

fn ids(id: &str, doctor: &str) -> Result<(InstitutionId, UserId), AppError> {
    Ok((path_id(id)?, path_id(doctor)?))
}

pub async fn page(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    csrf: Csrf,
    Path((id, doctor)): Path<(String, String)>,
    WebQuery(query): WebQuery<NoticeQuery>,
) -> Response {
    let shown = async {
        let (place_id, doctor_id) = ids(&id, &doctor)?;
        let actor = caller.actor;
        let act = InstitutionAct::SetAvailability {
            own: actor.user_id == doctor_id,
        };
        let (place, week, name) = state
            .view(actor, &meta, move |conn, _| {
                let (place, _) =
                    authorize_at(conn, &actor, place_id, act, AuditAction::AvailabilitySet)?;
                let week = places::week(conn, doctor_id, place_id)?;
                let name = medvault_store::repo::users::find(conn, doctor_id)?
                    .map(|u| u.name)
                    .ok_or(AppError::NotFound)?;
                Ok((place, week, name))
            })
            .await?;
        let hours_of = |day| {
            week.as_ref()
                .map(|w| {
                    w.availability
                        .hours
                        .iter()
                        .filter(|h| h.weekday == day)
                        .map(|h| format!("{}-{}", h.starts.format("%H:%M"), h.ends.format("%H:%M")))
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default()
        };
        Ok::<_, AppError>(render(&HoursPage {
            chrome: Chrome::signed_in(&caller, csrf.token())
                .notice(notice(query.notice.as_deref())),
            csrf: csrf.token().to_owned(),
            action: format!("/institutions/{place_id}/doctors/{doctor_id}/hours"),
            doctor: name,
            zone: place.time_zone.name(),
            place: place.name,
            slot_minutes: week.as_ref().map_or(30, |w| w.availability.slot_minutes),
            days: WEEK
                .into_iter()
                .map(|day| {
                    let name = rules::weekday_name(day);
                    (name, name, hours_of(day))
                })
                .collect(),
            time_off: week
                .as_ref()
                .map(|w| rules::time_off_text(&w.time_off))
                .unwrap_or_default(),
        }))
    };
    shown.await.unwrap_or_else(AppError::into_response_html)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HoursForm {
    #[allow(dead_code)] // Checked by the CSRF guard before the handler runs.
    csrf: String,
    slot_minutes: String,
    monday: Option<String>,
    tuesday: Option<String>,
    wednesday: Option<String>,
    thursday: Option<String>,
    friday: Option<String>,
    saturday: Option<String>,
    sunday: Option<String>,
    time_off: Option<String>,
}

impl HoursForm {
    fn parse(self, institution_id: InstitutionId) -> Result<WeekInput, AppError> {
        let typed = [
            &self.monday,
            &self.tuesday,
            &self.wednesday,
            &self.thursday,
            &self.friday,
            &self.saturday,
            &self.sunday,
        ];
        let mut hours = Vec::new();
        for (day, text) in WEEK.into_iter().zip(typed) {
            hours.extend(rules::parse_day(day, text.as_deref().unwrap_or_default())?);
        }
        let minutes = self
            .slot_minutes
            .trim()
            .parse()
            .map_err(|_| AppError::invalid("slot_minutes", "must be a number of minutes"))?;
        let time_off = self
            .time_off
            .as_deref()
            .unwrap_or_default()
            .replace('\r', "");
        Ok(WeekInput {
            institution_id,
            availability: Availability::new(minutes, hours)?,
            time_off: rules::time_off_from_stored(&time_off)?,
        })
    }
}

pub async fn save(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    Path((id, doctor)): Path<(String, String)>,
    WebForm(form): WebForm<HoursForm>,
) -> Response {
    let saved = async {
        let (place_id, doctor_id) = ids(&id, &doctor)?;
        let input = form.parse(place_id)?;
        super::set_week(&state, caller.actor, &meta, doctor_id, input).await?;
        Ok::<_, AppError>(format!(
            "/institutions/{place_id}/doctors/{doctor_id}/hours?notice=hours_saved"
        ))
    };
    match saved.await {
        Ok(onward) => Redirect::to(&onward).into_response(),
        Err(error) => error.into_response_html(),
    }
}
