//! `/api/v1/doctors/{id}/availability|slots|appointments`, `/api/v1/appointments`, and a
//! patient's appointments and coverage.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::{DateTime, NaiveDate, NaiveDateTime};
use medvault_domain::appointments::{
    self as rules, Availability, MemberId, Payer, PlanName, TimeOff, WeeklyHours,
};
use medvault_domain::institutions::TimeZone;
use medvault_domain::{InstitutionId, InvalidValue};
use medvault_store::repo::appointments::{Appointment, Coverage};
use medvault_store::repo::institutions::{Institution, Week};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{BookingInput, CoverageInput, WeekInput};
use crate::api::{given, path_id, timestamp};
use crate::app::AppState;
use crate::audit::RequestMeta;
use crate::auth::ApiCaller;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::http::json::{ApiJson, ApiQuery};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(weeks, set_week))
        .routes(routes!(slots))
        .routes(routes!(schedule))
        .routes(routes!(book))
        .routes(routes!(get))
        .routes(routes!(cancel))
        .routes(routes!(reschedule))
        .routes(routes!(of_patient))
        .routes(routes!(coverage, set_coverage))
}

/// Reads an instant written in RFC 3339 (`2026-07-06T09:00:00+01:00`), as UTC.
pub fn instant(field: &'static str, raw: &str) -> Result<NaiveDateTime, InvalidValue> {
    DateTime::parse_from_rfc3339(raw.trim())
        .map(|at| at.naive_utc())
        .map_err(|_| {
            InvalidValue::new(
                field,
                "must be a time with its offset, such as 2026-07-06T09:00:00+01:00",
            )
        })
}

/// A search bound: an instant, or a date (its midnight, UTC).
fn bound(field: &'static str, raw: &str) -> Result<NaiveDateTime, InvalidValue> {
    match raw.trim().parse::<NaiveDate>() {
        Ok(date) => Ok(date.and_time(chrono::NaiveTime::MIN)),
        Err(_) => instant(field, raw),
    }
}

/// An instant as the institution's clock reads it, with its offset.
fn local(zone: TimeZone, at: NaiveDateTime) -> String {
    format!(
        "{}{}",
        zone.local(at).format("%Y-%m-%dT%H:%M:%S"),
        zone.offset_at(at)
    )
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct HoursBody {
    /// `monday` … `sunday` (or `mon` … `sun`).
    #[schema(example = "monday")]
    pub weekday: String,
    /// The institution's time, `HH:MM`, on a multiple of 5 minutes.
    #[schema(example = "09:00")]
    pub starts: String,
    #[schema(example = "12:30")]
    pub ends: String,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct TimeOffBody {
    /// First day off, `YYYY-MM-DD`, in the institution's time.
    pub from: String,
    /// Last day off, included.
    pub to: String,
    #[serde(default)]
    pub reason: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WeekBody {
    pub institution_id: String,
    /// Length of one visit: 5 to 240 minutes, in steps of 5.
    #[schema(example = 20)]
    pub slot_minutes: u32,
    pub hours: Vec<HoursBody>,
    /// Leave, holidays: days with no slots.
    #[serde(default)]
    pub time_off: Vec<TimeOffBody>,
}

#[derive(Serialize, ToSchema)]
pub struct WeekView {
    pub doctor_id: String,
    pub institution_id: String,
    pub slot_minutes: u32,
    pub hours: Vec<HoursBody>,
    pub time_off: Vec<TimeOffBody>,
    pub updated_at: String,
}

impl From<Week> for WeekView {
    fn from(week: Week) -> Self {
        WeekView {
            doctor_id: week.doctor_id.to_string(),
            institution_id: week.institution_id.to_string(),
            slot_minutes: week.availability.slot_minutes,
            hours: week
                .availability
                .hours
                .iter()
                .map(|w| HoursBody {
                    weekday: rules::weekday_name(w.weekday).to_owned(),
                    starts: w.starts.format("%H:%M").to_string(),
                    ends: w.ends.format("%H:%M").to_string(),
                })
                .collect(),
            time_off: week
                .time_off
                .into_iter()
                .map(|off| TimeOffBody {
                    from: off.from.to_string(),
                    to: off.to.to_string(),
                    reason: off.reason,
                })
                .collect(),
            updated_at: timestamp(week.updated_at),
        }
    }
}

fn parse_date(field: &'static str, raw: &str) -> Result<NaiveDate, InvalidValue> {
    raw.trim()
        .parse()
        .map_err(|_| InvalidValue::new(field, "must be a date written YYYY-MM-DD"))
}

impl WeekBody {
    fn parse(self) -> Result<WeekInput, AppError> {
        let hours = self
            .hours
            .iter()
            .map(|w| {
                Ok(WeeklyHours {
                    weekday: rules::parse_weekday(&w.weekday)?,
                    starts: rules::parse_clock("starts", &w.starts)?,
                    ends: rules::parse_clock("ends", &w.ends)?,
                })
            })
            .collect::<Result<Vec<_>, InvalidValue>>()?;
        if self.time_off.len() > 100 {
            return Err(AppError::invalid("time_off", "has more than 100 periods"));
        }
        let time_off = self
            .time_off
            .iter()
            .map(|off| {
                TimeOff::new(
                    parse_date("from", &off.from)?,
                    parse_date("to", &off.to)?,
                    &off.reason,
                )
            })
            .collect::<Result<Vec<_>, InvalidValue>>()?;
        Ok(WeekInput {
            institution_id: self
                .institution_id
                .parse()
                .map_err(|_| AppError::invalid("institution_id", "is not an institution id"))?,
            availability: Availability::new(self.slot_minutes, hours)?,
            time_off,
        })
    }
}

/// Set a doctor's weekly hours and days off at one institution, replacing what was there.
/// The doctor (one of its clinicians), the institution's admins, system admins.
#[utoipa::path(put, path = "/doctors/{id}/availability", tag = "appointments", request_body = WeekBody,
    security(("bearer" = [])), params(("id" = String, Path, description = "The doctor's user id")),
    responses((status = 200, body = WeekView), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn set_week(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<WeekBody>,
) -> AppResult<Json<WeekView>> {
    let input = body.parse()?;
    let week = super::set_week(&state, caller.actor, &meta, path_id(&id)?, input).await?;
    Ok(Json(WeekView::from(week)))
}

/// A doctor's weekly hours and days off at each institution they work at. Anyone signed in.
#[utoipa::path(get, path = "/doctors/{id}/availability", tag = "appointments",
    security(("bearer" = [])), params(("id" = String, Path, description = "The doctor's user id")),
    responses((status = 200, body = [WeekView]), (status = 404, body = ErrorBody)))]
async fn weeks(
    State(state): State<AppState>,
    ApiCaller(_caller): ApiCaller,
    Path(id): Path<String>,
) -> AppResult<Json<Vec<WeekView>>> {
    let weeks = super::weeks(&state, path_id(&id)?).await?;
    Ok(Json(weeks.into_iter().map(WeekView::from).collect()))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SpanParams {
    /// From this instant (RFC 3339) or date (midnight UTC); now by default.
    pub from: Option<String>,
    /// Up to this instant or date, at most 62 days after `from`; 7 days after it by default.
    pub to: Option<String>,
    /// One institution only.
    pub institution_id: Option<String>,
}

impl SpanParams {
    fn parse(
        &self,
        now: NaiveDateTime,
    ) -> Result<((NaiveDateTime, NaiveDateTime), Option<InstitutionId>), AppError> {
        let from = given(self.from.as_deref())
            .map(|raw| bound("from", raw))
            .transpose()?
            .unwrap_or(now);
        let to = given(self.to.as_deref())
            .map(|raw| bound("to", raw))
            .transpose()?
            .unwrap_or(from + chrono::Duration::days(7));
        let at = given(self.institution_id.as_deref())
            .map(|raw| {
                raw.parse()
                    .map_err(|_| AppError::invalid("institution_id", "is not an institution id"))
            })
            .transpose()?;
        Ok(((from, to), at))
    }
}

#[derive(Serialize, ToSchema)]
pub struct SlotView {
    /// UTC, RFC 3339: what to send as `start` to book it.
    pub start: String,
    pub end: String,
    /// The same start on the institution's clock, with its offset.
    pub local_start: String,
    pub institution_id: String,
    pub institution_name: String,
    pub time_zone: &'static str,
}

/// A doctor's free slots, earliest first: none in the past, none already booked. Anyone
/// signed in.
#[utoipa::path(get, path = "/doctors/{id}/slots", tag = "appointments", security(("bearer" = [])),
    params(("id" = String, Path, description = "The doctor's user id"), SpanParams),
    responses((status = 200, body = [SlotView]), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn slots(
    State(state): State<AppState>,
    ApiCaller(_caller): ApiCaller,
    Path(id): Path<String>,
    ApiQuery(params): ApiQuery<SpanParams>,
) -> AppResult<Json<Vec<SlotView>>> {
    let (span, at) = params.parse(state.now())?;
    let free = super::free_slots(&state, path_id(&id)?, at, span).await?;
    Ok(Json(
        free.into_iter()
            .map(|f| SlotView {
                start: timestamp(f.slot.starts),
                end: timestamp(f.slot.ends),
                local_start: local(f.institution.time_zone, f.slot.starts),
                institution_id: f.institution.id.to_string(),
                institution_name: f.institution.name.clone(),
                time_zone: f.institution.time_zone.name(),
            })
            .collect(),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct EligibilityView {
    /// `verified`, `not_covered`, `pending` (the insurer is still to answer) or `no_coverage`.
    pub status: &'static str,
    pub checked_at: Option<String>,
    pub reason: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct AppointmentView {
    pub id: String,
    pub patient_id: String,
    pub doctor_id: String,
    pub institution_id: String,
    /// UTC.
    pub start: String,
    pub end: String,
    /// The start on the institution's clock, with its offset.
    pub local_start: String,
    pub time_zone: &'static str,
    /// `booked`, `cancelled` or `rescheduled` (moved: the new visit names this one).
    pub status: &'static str,
    pub booked_by: String,
    pub created_at: String,
    pub changed_by: Option<String>,
    pub changed_at: Option<String>,
    /// The visit this one was moved from.
    pub rescheduled_from: Option<String>,
    pub eligibility: EligibilityView,
    /// The patient's name, in a doctor's schedule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patient_name: Option<String>,
}

impl AppointmentView {
    fn of(visit: Appointment, zone: TimeZone) -> Self {
        AppointmentView {
            id: visit.id.to_string(),
            patient_id: visit.patient_id.to_string(),
            doctor_id: visit.doctor_id.to_string(),
            institution_id: visit.institution_id.to_string(),
            start: timestamp(visit.slot.starts),
            end: timestamp(visit.slot.ends),
            local_start: local(zone, visit.slot.starts),
            time_zone: zone.name(),
            status: visit.status.as_str(),
            booked_by: visit.booked_by.to_string(),
            created_at: timestamp(visit.created_at),
            changed_by: visit.changed_by.map(|id| id.to_string()),
            changed_at: visit.changed_at.map(timestamp),
            rescheduled_from: visit.rescheduled_from.map(|id| id.to_string()),
            eligibility: EligibilityView {
                status: visit.eligibility.as_str(),
                checked_at: visit.eligibility_checked_at.map(timestamp),
                reason: visit.eligibility_reason,
            },
            patient_name: None,
        }
    }
}

/// Views of visits, each on its institution's clock.
async fn views(
    state: &AppState,
    visits: Vec<(Appointment, Option<String>)>,
) -> AppResult<Vec<AppointmentView>> {
    let places: Vec<Institution> = state
        .read(|conn| Ok(medvault_store::repo::institutions::all(conn)?))
        .await?;
    Ok(visits
        .into_iter()
        .map(|(visit, patient_name)| {
            let zone = places
                .iter()
                .find(|p| p.id == visit.institution_id)
                .map_or(TimeZone::UTC, |p| p.time_zone);
            AppointmentView {
                patient_name,
                ..AppointmentView::of(visit, zone)
            }
        })
        .collect())
}

async fn view(state: &AppState, visit: Appointment) -> AppResult<AppointmentView> {
    let mut one = views(state, vec![(visit, None)]).await?;
    one.pop().ok_or(AppError::NotFound)
}

/// A doctor's visits from `from` to `to` (7 days by default), every status, with each patient's
/// name: their own (at every institution, or one), or one institution's for its admins and
/// front desk.
#[utoipa::path(get, path = "/doctors/{id}/appointments", tag = "appointments",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The doctor's user id"), SpanParams),
    responses((status = 200, body = [AppointmentView]), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn schedule(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    ApiQuery(params): ApiQuery<SpanParams>,
) -> AppResult<Json<Vec<AppointmentView>>> {
    let (span, at) = params.parse(state.now())?;
    let visits = super::schedule(&state, caller.actor, &meta, path_id(&id)?, at, span).await?;
    let named = visits
        .into_iter()
        .map(|(visit, name)| (visit, Some(name)))
        .collect();
    Ok(Json(views(&state, named).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookingBody {
    pub doctor_id: String,
    pub patient_id: String,
    pub institution_id: String,
    /// One of the doctor's free slots, as `GET /doctors/{id}/slots` gives it.
    #[schema(example = "2026-07-06T08:00:00.000Z")]
    pub start: String,
}

fn id_of<T: std::str::FromStr>(field: &'static str, raw: &str) -> Result<T, InvalidValue> {
    raw.trim()
        .parse()
        .map_err(|_| InvalidValue::new(field, "is not an id from this API"))
}

/// Book a visit: the patient (or their guardian) for themselves, the front desk of an
/// institution the patient is registered at, a doctor on the care team. 409 `slot_taken` when
/// someone else booked it first. The insurer is asked about it before the answer, without ever
/// failing the booking: see `eligibility`.
#[utoipa::path(post, path = "/appointments", tag = "appointments", request_body = BookingBody,
    security(("bearer" = [])),
    responses((status = 201, body = AppointmentView), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn book(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    ApiJson(body): ApiJson<BookingBody>,
) -> AppResult<impl IntoResponse> {
    let input = BookingInput {
        doctor_id: id_of("doctor_id", &body.doctor_id)?,
        patient_id: id_of("patient_id", &body.patient_id)?,
        institution_id: id_of("institution_id", &body.institution_id)?,
        starts: instant("start", &body.start)?,
    };
    let visit = super::book(&state, caller.actor, &meta, input).await?;
    Ok((StatusCode::CREATED, Json(view(&state, visit).await?)))
}

/// One visit, with its insurance eligibility.
#[utoipa::path(get, path = "/appointments/{id}", tag = "appointments", security(("bearer" = [])),
    params(("id" = String, Path, description = "Appointment id")),
    responses((status = 200, body = AppointmentView), (status = 404, body = ErrorBody)))]
async fn get(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> AppResult<Json<AppointmentView>> {
    let visit = super::get(&state, caller.actor, &meta, path_id(&id)?).await?;
    Ok(Json(view(&state, visit).await?))
}

/// Cancel a booked visit; its slot is free again. 409 `not_booked` if it was cancelled or moved.
#[utoipa::path(post, path = "/appointments/{id}/cancel", tag = "appointments",
    security(("bearer" = [])), params(("id" = String, Path, description = "Appointment id")),
    responses((status = 200, body = AppointmentView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn cancel(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> AppResult<Json<AppointmentView>> {
    let visit = super::cancel(&state, caller.actor, &meta, path_id(&id)?).await?;
    Ok(Json(view(&state, visit).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RescheduleBody {
    /// Another of the same doctor's free slots at the same institution.
    pub start: String,
}

/// Move a booked visit to another slot of the same doctor at the same institution: 201 with
/// the new visit, which names the old one (kept, as `rescheduled`). If the new slot is taken
/// (409), the visit stays where it was.
#[utoipa::path(post, path = "/appointments/{id}/reschedule", tag = "appointments",
    request_body = RescheduleBody, security(("bearer" = [])),
    params(("id" = String, Path, description = "Appointment id")),
    responses((status = 201, body = AppointmentView), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn reschedule(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RescheduleBody>,
) -> AppResult<impl IntoResponse> {
    let starts = instant("start", &body.start)?;
    let visit = super::reschedule(&state, caller.actor, &meta, path_id(&id)?, starts).await?;
    Ok((StatusCode::CREATED, Json(view(&state, visit).await?)))
}

/// A patient's visits, every status, earliest first, that the caller may see.
#[utoipa::path(get, path = "/patients/{id}/appointments", tag = "appointments",
    security(("bearer" = [])), params(("id" = String, Path, description = "Patient id")),
    responses((status = 200, body = [AppointmentView]), (status = 404, body = ErrorBody)))]
async fn of_patient(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> AppResult<Json<Vec<AppointmentView>>> {
    let seen = super::of_patient(&state, caller.actor, &meta, path_id(&id)?).await?;
    let unnamed = seen.visits.into_iter().map(|s| (s.visit, None)).collect();
    Ok(Json(views(&state, unnamed).await?))
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CoverageBody {
    /// The insurer, as the eligibility service names it.
    pub payer: String,
    pub member_id: String,
    #[serde(default)]
    pub plan: String,
}

#[derive(Serialize, ToSchema)]
pub struct CoverageView {
    pub payer: String,
    pub member_id: String,
    pub plan: String,
    pub updated_at: String,
}

impl From<Coverage> for CoverageView {
    fn from(coverage: Coverage) -> Self {
        CoverageView {
            payer: coverage.payer,
            member_id: coverage.member_id,
            plan: coverage.plan,
            updated_at: timestamp(coverage.updated_at),
        }
    }
}

/// The patient's insurance on file (404 when there is none, as when the chart is not the
/// caller's to see).
#[utoipa::path(get, path = "/patients/{id}/coverage", tag = "appointments",
    security(("bearer" = [])), params(("id" = String, Path, description = "Patient id")),
    responses((status = 200, body = CoverageView), (status = 404, body = ErrorBody)))]
async fn coverage(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> AppResult<Json<CoverageView>> {
    let found = super::coverage(&state, caller.actor, &meta, path_id(&id)?).await?;
    found
        .map(|coverage| Json(CoverageView::from(coverage)))
        .ok_or(AppError::NotFound)
}

/// Put the patient's insurance on file, replacing what was there: the patient or guardian, the
/// front desk of an institution they are registered at, admins.
#[utoipa::path(put, path = "/patients/{id}/coverage", tag = "appointments", request_body = CoverageBody,
    security(("bearer" = [])), params(("id" = String, Path, description = "Patient id")),
    responses((status = 200, body = CoverageView), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn set_coverage(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CoverageBody>,
) -> AppResult<Json<CoverageView>> {
    let input = CoverageInput {
        payer: Payer::parse(&body.payer)?,
        member_id: MemberId::parse(&body.member_id)?,
        plan: PlanName::parse(&body.plan)?,
    };
    let coverage = super::set_coverage(&state, caller.actor, &meta, path_id(&id)?, input).await?;
    Ok(Json(CoverageView::from(coverage)))
}
