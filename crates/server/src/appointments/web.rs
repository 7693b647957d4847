//! The visits pages: `/appointments` shows a patient their visits (and where to book), a doctor
//! their week, and an institution's staff or an admin whose week to look at; `/appointments/book`
//! is a week of a doctor's free slots, one button each, that reads well on a phone.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use chrono::{Duration, NaiveDate, NaiveDateTime};
use medvault_domain::institutions::{StaffRole, TimeZone};
use medvault_domain::{Actor, InstitutionId, PatientId, Role, UserId};
use medvault_store::repo::appointments::Appointment;
use medvault_store::repo::institutions::{self as places, Institution};
use medvault_store::repo::users;
use medvault_store::{DbConnection, StoreError};
use serde::Deserialize;

use super::BookingInput;
use crate::api::{given, path_id};
use crate::app::AppState;
use crate::audit::RequestMeta;
use crate::auth::csrf::Csrf;
use crate::auth::{Caller, WebCaller};
use crate::error::AppError;
use crate::web::refused::after_to;
use crate::web::views::{Chrome, notice};
use crate::web::{WebForm, WebQuery, render};

/// One visit, as a row.
pub struct VisitRow {
    pub id: String,
    pub when: String,
    pub place: String,
    pub doctor: String,
    pub patient: String,
    pub patient_id: String,
    pub status: &'static str,
    pub eligibility: &'static str,
    pub reason: String,
    /// Booked and still ahead.
    pub upcoming: bool,
    /// Ahead, and the caller may cancel or move it.
    pub changeable: bool,
}

/// A doctor one may book with, and where.
pub struct Bookable {
    pub doctor_id: String,
    pub institution_id: String,
    pub label: String,
}

/// A day of a week, with its visits or its free slots.
pub struct Day<T> {
    pub label: String,
    pub items: Vec<T>,
}

impl<T> Day<T> {
    /// Seven days from `first`, empty.
    fn week_from(first: NaiveDate) -> Vec<Self> {
        (0..7)
            .map(|n| Day {
                label: (first + Duration::days(n)).format("%A %-d %B").to_string(),
                items: Vec::new(),
            })
            .collect()
    }

    /// Puts `item` on its day of the week that starts on `first`; outside that week, nowhere.
    fn put(days: &mut [Self], first: NaiveDate, on: NaiveDate, item: T) {
        let offset = (on - first).num_days();
        if let Some(day) = usize::try_from(offset).ok().and_then(|n| days.get_mut(n)) {
            day.items.push(item);
        }
    }
}

/// A free slot's button.
pub struct SlotButton {
    pub start: String,
    pub time: String,
}

#[derive(Template)]
#[template(path = "appointments/visits.html")]
struct VisitsPage {
    chrome: Chrome,
    csrf: String,
    role: &'static str,
    /// Whose visits the page lists and books for: the patient's own, or one chosen by the
    /// front desk, a doctor or an admin.
    chart: Option<(String, String)>,
    /// That chart's visits, upcoming first, then earlier and cancelled ones.
    upcoming: Vec<VisitRow>,
    history: Vec<VisitRow>,
    bookable: Vec<Bookable>,
    /// A doctor's week (theirs, or one chosen by the front desk or an admin).
    week_of: String,
    week: Vec<Day<VisitRow>>,
    week_links: Option<(String, String)>,
}

#[derive(Template)]
#[template(path = "appointments/book.html")]
struct BookPage {
    chrome: Chrome,
    csrf: String,
    doctor: String,
    place: String,
    time_zone: &'static str,
    doctor_id: String,
    institution_id: String,
    patient_id: String,
    /// Where a chosen time is sent: a new booking, or the visit being moved.
    action: String,
    /// When the visit being moved is now.
    moving: Option<String>,
    days: Vec<Day<SlotButton>>,
    earlier: Option<String>,
    later: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VisitsQuery {
    notice: Option<String>,
    /// Whose visits: a chart's id (the caller's own by default, for a patient).
    patient: Option<String>,
    /// Whose week: a doctor's user id (the caller's own by default, for a doctor).
    doctor: Option<String>,
    institution: Option<String>,
    /// The week's first day.
    from: Option<String>,
}

fn day_of(raw: Option<&str>, today: NaiveDate) -> Result<NaiveDate, AppError> {
    given(raw)
        .map(|text| {
            text.parse::<NaiveDate>()
                .map_err(|_| AppError::invalid("from", "must be a date written YYYY-MM-DD"))
        })
        .transpose()
        .map(|day| day.unwrap_or(today))
}

fn optional_id<T: std::str::FromStr>(raw: Option<&str>) -> Result<Option<T>, AppError> {
    given(raw).map(path_id).transpose()
}

/// When a visit is, on its institution's clock, in words.
fn visit_time(zone: TimeZone, at: NaiveDateTime) -> String {
    zone.local(at).format("%a %-d %b %Y, %H:%M").to_string()
}

/// The names of the people and places visits mention.
pub(crate) struct VisitNames {
    people: HashMap<String, String>,
    places: Vec<Institution>,
}

impl VisitNames {
    /// The names the doctors of `visits` go by, and every institution's, in the caller's unit of
    /// work.
    pub(crate) fn read<'a>(
        conn: &mut DbConnection,
        visits: impl IntoIterator<Item = &'a Appointment>,
    ) -> Result<Self, StoreError> {
        Self::of_doctors(conn, &Self::doctors(visits))
    }

    async fn of<'a>(
        state: &AppState,
        visits: impl IntoIterator<Item = &'a Appointment>,
    ) -> Result<Self, AppError> {
        let doctors = Self::doctors(visits);
        state
            .read(move |conn| Ok(Self::of_doctors(conn, &doctors)?))
            .await
    }

    fn doctors<'a>(visits: impl IntoIterator<Item = &'a Appointment>) -> Vec<UserId> {
        visits.into_iter().map(|v| v.doctor_id).collect()
    }

    fn of_doctors(conn: &mut DbConnection, doctors: &[UserId]) -> Result<Self, StoreError> {
        Ok(VisitNames {
            people: users::names(conn, doctors)?.into_iter().collect(),
            places: places::all(conn)?,
        })
    }

    fn place(&self, id: InstitutionId) -> (String, TimeZone) {
        self.places
            .iter()
            .find(|p| p.id == id)
            .map_or((String::new(), TimeZone::UTC), |p| {
                (p.name.clone(), p.time_zone)
            })
    }

    /// A visit as a row, for a caller who may (`may_change`) or may not cancel or move it.
    pub(crate) fn row(
        &self,
        visit: &Appointment,
        patient: &str,
        now: NaiveDateTime,
        may_change: bool,
    ) -> VisitRow {
        let (place, zone) = self.place(visit.institution_id);
        let upcoming = visit.status == medvault_domain::appointments::AppointmentStatus::Booked
            && visit.slot.starts > now;
        VisitRow {
            id: visit.id.to_string(),
            when: visit_time(zone, visit.slot.starts),
            place,
            doctor: self
                .people
                .get(&visit.doctor_id.to_string())
                .cloned()
                .unwrap_or_default(),
            patient: patient.to_owned(),
            patient_id: visit.patient_id.to_string(),
            status: visit.status.as_str(),
            eligibility: visit.eligibility.in_words(),
            reason: visit.eligibility_reason.clone().unwrap_or_default(),
            upcoming,
            changeable: upcoming && may_change,
        }
    }
}

/// Where the caller may book, and with whom: every institution's doctors.
async fn bookable(state: &AppState) -> Result<Vec<Bookable>, AppError> {
    state
        .read(|conn| {
            let mut found = Vec::new();
            for place in places::all(conn)? {
                let clinicians = places::staff(conn, place.id, Some(StaffRole::Clinician))?;
                for doctor in clinicians
                    .into_iter()
                    .filter(|m| m.account_role == Role::Doctor)
                {
                    found.push(Bookable {
                        doctor_id: doctor.user_id.to_string(),
                        institution_id: place.id.to_string(),
                        label: format!("{}, {}", doctor.name, place.name),
                    });
                }
            }
            Ok(found)
        })
        .await
}

pub async fn page(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    csrf: Csrf,
    WebQuery(query): WebQuery<VisitsQuery>,
) -> Response {
    let shown = async {
        let actor = caller.actor;
        let now = state.now();
        let mut page = VisitsPage {
            chrome: Chrome::signed_in(&caller, csrf.token())
                .notice(notice(query.notice.as_deref())),
            csrf: csrf.token().to_owned(),
            role: actor.role.as_str(),
            chart: None,
            upcoming: Vec::new(),
            history: Vec::new(),
            bookable: Vec::new(),
            week_of: String::new(),
            week: Vec::new(),
            week_links: None,
        };
        let own = (actor.role == Role::Patient)
            .then_some(actor.patient_id)
            .flatten();
        if let Some(chart) = optional_id::<PatientId>(query.patient.as_deref())?.or(own) {
            let seen = super::of_patient(&state, actor, &meta, chart).await?;
            let names = VisitNames::of(&state, seen.visits.iter().map(|s| &s.visit)).await?;
            for visit in &seen.visits {
                let row = names.row(&visit.visit, &seen.name, now, visit.may_change);
                if row.upcoming {
                    page.upcoming.push(row);
                } else {
                    page.history.push(row);
                }
            }
            page.history.reverse();
            page.chart = Some((chart.to_string(), seen.name));
            if seen.may_book {
                page.bookable = bookable(&state).await?;
            }
        }
        let doctor = optional_id::<UserId>(query.doctor.as_deref())?
            .or((actor.role == Role::Doctor).then_some(actor.user_id));
        if let Some(doctor) = doctor {
            let at = optional_id(query.institution.as_deref())?;
            let first = day_of(query.from.as_deref(), now.date())?;
            week(&state, (actor, &meta), (doctor, at), first, &mut page).await?;
        } else if page.chart.is_none() && actor.role != Role::Patient {
            page.bookable = bookable(&state).await?;
        }
        Ok::<_, AppError>(render(&page))
    };
    shown.await.unwrap_or_else(AppError::into_response_html)
}

/// Fills the page with a doctor's week from `first`, day by day.
async fn week(
    state: &AppState,
    (actor, meta): (Actor, &RequestMeta),
    (doctor, at): (UserId, Option<InstitutionId>),
    first: NaiveDate,
    page: &mut VisitsPage,
) -> Result<(), AppError> {
    let from = first.and_time(chrono::NaiveTime::MIN) - Duration::hours(14);
    let to = from + Duration::days(7) + Duration::hours(28);
    let visits = super::schedule(state, actor, meta, doctor, at, (from, to)).await?;
    let names = VisitNames::of(state, visits.iter().map(|(v, _)| v)).await?;
    let now = state.now();
    let mut days = Day::week_from(first);
    for (visit, patient) in &visits {
        let (_, zone) = names.place(visit.institution_id);
        // Whoever may see a doctor's week (the doctor, the institution's desk, an admin) may
        // also cancel or move its visits.
        let row = names.row(visit, patient, now, true);
        Day::put(&mut days, first, zone.local(visit.slot.starts).date(), row);
    }
    let doctor_name = state
        .read(move |conn| Ok(users::find(conn, doctor)?.map(|u| u.name)))
        .await?
        .unwrap_or_default();
    let link = |day: NaiveDate| {
        let place = at
            .map(|id| format!("&institution={id}"))
            .unwrap_or_default();
        format!("/appointments?doctor={doctor}{place}&from={day}")
    };
    page.week_of = doctor_name;
    page.week = days;
    page.week_links = Some((
        link(first - Duration::days(7)),
        link(first + Duration::days(7)),
    ));
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookQuery {
    /// `doctor_id|institution_id`, as the booking form's one select sends it, or the two apart.
    with: Option<String>,
    doctor: Option<String>,
    institution: Option<String>,
    /// For the front desk: whom to book for.
    patient: Option<String>,
    /// A visit to move instead: its doctor, place and patient stay.
    #[serde(rename = "move")]
    moving: Option<String>,
    from: Option<String>,
}

/// What the booking page offers times for: whose, with whom, where, and whether it moves a
/// visit that is booked already.
struct Booking {
    doctor: UserId,
    institution: InstitutionId,
    patient: PatientId,
    moving: Option<Appointment>,
}

impl Booking {
    async fn of(
        state: &AppState,
        caller: &Caller,
        meta: &RequestMeta,
        query: &BookQuery,
    ) -> Result<Self, AppError> {
        if let Some(id) = optional_id(query.moving.as_deref())? {
            let visit = super::to_move(state, caller.actor, meta, id).await?;
            return Ok(Booking {
                doctor: visit.doctor_id,
                institution: visit.institution_id,
                patient: visit.patient_id,
                moving: Some(visit),
            });
        }
        let (doctor, institution) = match given(query.with.as_deref()) {
            Some(pair) => {
                let (doctor, place) = pair.split_once('|').ok_or(AppError::NotFound)?;
                (path_id::<UserId>(doctor)?, path_id::<InstitutionId>(place)?)
            }
            None => (
                path_id(query.doctor.as_deref().unwrap_or_default())?,
                path_id(query.institution.as_deref().unwrap_or_default())?,
            ),
        };
        let patient: PatientId = match optional_id(query.patient.as_deref())? {
            Some(patient) => patient,
            None => caller
                .actor
                .patient_id
                .ok_or(AppError::invalid("patient", "choose whom the visit is for"))?,
        };
        Ok(Booking {
            doctor,
            institution,
            patient,
            moving: None,
        })
    }

    /// Where a chosen time is sent: the visit's move, or a new booking.
    fn action(&self) -> String {
        match &self.moving {
            Some(visit) => format!("/appointments/{}/reschedule", visit.id),
            None => "/appointments".to_owned(),
        }
    }

    /// The page's link to the week that starts on `day`.
    fn week_link(&self, day: NaiveDate) -> String {
        match &self.moving {
            Some(visit) => format!("/appointments/book?move={}&from={day}", visit.id),
            None => format!(
                "/appointments/book?doctor={}&institution={}&patient={}&from={day}",
                self.doctor, self.institution, self.patient
            ),
        }
    }
}

pub async fn book_page(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    csrf: Csrf,
    WebQuery(query): WebQuery<BookQuery>,
) -> Response {
    let shown = async {
        let booking = Booking::of(&state, &caller, &meta, &query).await?;
        let (doctor, institution) = (booking.doctor, booking.institution);
        let place = crate::institutions::get(&state, institution).await?;
        let now = state.now();
        let first = day_of(query.from.as_deref(), place.time_zone.local(now).date())?;
        let from = first.and_time(chrono::NaiveTime::MIN) - Duration::hours(14);
        let free = super::free_slots(
            &state,
            doctor,
            Some(institution),
            (from, from + Duration::days(8)),
        )
        .await?;
        let mut days = Day::week_from(first);
        for slot in free {
            let local = place.time_zone.local(slot.slot.starts);
            let button = SlotButton {
                start: crate::api::timestamp(slot.slot.starts),
                time: local.format("%H:%M").to_string(),
            };
            Day::put(&mut days, first, local.date(), button);
        }
        let doctor_name = state
            .read(move |conn| Ok(users::find(conn, doctor)?.map(|u| u.name)))
            .await?
            .ok_or(AppError::NotFound)?;
        let today = place.time_zone.local(now).date();
        Ok::<_, AppError>(render(&BookPage {
            chrome: Chrome::signed_in(&caller, csrf.token()),
            csrf: csrf.token().to_owned(),
            doctor: doctor_name,
            place: place.name.clone(),
            time_zone: place.time_zone.name(),
            doctor_id: doctor.to_string(),
            institution_id: institution.to_string(),
            patient_id: booking.patient.to_string(),
            action: booking.action(),
            moving: (booking.moving.as_ref())
                .map(|visit| visit_time(place.time_zone, visit.slot.starts)),
            days,
            earlier: (first > today).then(|| booking.week_link(first - Duration::days(7))),
            later: booking.week_link(first + Duration::days(7)),
        }))
    };
    shown.await.unwrap_or_else(AppError::into_response_html)
}

/// Where the visits pages send the caller after a change to `patient`'s visits: a patient to
/// their own list, anyone else to that chart's.
fn visits_of(caller: &Caller, patient: PatientId) -> String {
    if caller.actor.patient_id == Some(patient) {
        "/appointments".to_owned()
    } else {
        format!("/appointments?patient={patient}")
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookForm {
    #[allow(dead_code)] // Checked by the CSRF guard before the handler runs.
    csrf: String,
    doctor_id: String,
    institution_id: String,
    patient_id: String,
    start: String,
}

pub async fn book(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    WebForm(form): WebForm<BookForm>,
) -> Response {
    let done = async {
        let input = BookingInput {
            doctor_id: path_id(&form.doctor_id)?,
            patient_id: path_id(&form.patient_id)?,
            institution_id: path_id(&form.institution_id)?,
            starts: super::api::instant("start", &form.start)?,
        };
        let visit = super::book(&state, caller.actor, &meta, input).await?;
        Ok(visits_of(&caller, visit.patient_id))
    };
    after_to(done.await, "visit_booked")
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoveForm {
    #[allow(dead_code)] // Checked by the CSRF guard before the handler runs.
    csrf: String,
    start: String,
}

pub async fn reschedule(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    Path(id): Path<String>,
    WebForm(form): WebForm<MoveForm>,
) -> Response {
    let done = async {
        let starts = super::api::instant("start", &form.start)?;
        let visit = super::reschedule(&state, caller.actor, &meta, path_id(&id)?, starts).await?;
        Ok(visits_of(&caller, visit.patient_id))
    };
    after_to(done.await, "visit_moved")
}

pub async fn cancel(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    Path(id): Path<String>,
) -> Response {
    let done = async {
        let visit = super::cancel(&state, caller.actor, &meta, path_id(&id)?).await?;
        Ok(visits_of(&caller, visit.patient_id))
    };
    after_to(done.await, "visit_cancelled")
}
