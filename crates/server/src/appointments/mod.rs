//! Appointments: doctors' hours at institutions, the slots they offer, and visits booked,
//! cancelled and moved. The database refuses a double booking (see the store's
//! `appointments`); cancelled and moved visits stay as history, and free their slot.
//!
//! Booking asks the insurer whether the visit is covered (`eligibility`), after the booking has
//! committed: a failing insurer leaves the visit booked, pending verification.

pub mod api;
pub mod eligibility;
pub mod hours_web;
pub mod web;

use std::sync::Arc;

use chrono::{Duration, NaiveDateTime};
use medvault_domain::appointments::{
    self as rules, Availability, Eligibility, LONGEST_SEARCH_DAYS, Slot, TimeOff,
};
use medvault_domain::institutions::StaffRole;
use medvault_domain::policy::{
    self, Action, AppointmentAct, AppointmentTies, InstitutionAct, Relation, Standing,
};
use medvault_domain::{Actor, AppointmentId, AuditAction, InstitutionId, PatientId, Role, UserId};
use medvault_store::repo::appointments::{self as stored, Appointment, Coverage, NewAppointment};
use medvault_store::repo::institutions::{self as places, Institution, Week};
use medvault_store::repo::{access, users};
use medvault_store::{DbConnection, StoreError};

use crate::app::{AppState, UseCase};
use crate::audit::{Denial, Event, RequestMeta};
use crate::error::AppError;
use crate::institutions::{authorize_at, standing};
use crate::patients::{Subject, authorize};

/// How `actor` stands to a visit of `patient` with `doctor` at `institution`, and whether the
/// policy lets them `act` on it: the visit's institution, or a refusal (404 when the chart is
/// not theirs to see, 403 when it is).
fn authorize_visit(
    conn: &mut DbConnection,
    actor: &Actor,
    (patient, doctor, institution): (PatientId, UserId, InstitutionId),
    act: AppointmentAct,
    subject: Subject,
    now: NaiveDateTime,
) -> Result<(Relation, Institution), AppError> {
    let (_, ties) =
        access::chart_and_ties(conn, actor.user_id, patient, now)?.ok_or(AppError::NotFound)?;
    let relation = Relation::of(actor, patient, ties);
    let place = places::find(conn, institution)?.ok_or(AppError::NotFound)?;
    let desk = standing(conn, institution, actor)?.at_desk()
        && places::is_registered(conn, patient, institution)?;
    let visit = AppointmentTies {
        relation,
        desk,
        its_doctor: actor.user_id == doctor,
    };
    if policy::decide_appointment(actor, act, visit).is_allowed() {
        return Ok((relation, place));
    }
    Err(AppError::Denied(Denial {
        action: subject.action,
        visible: policy::decide(actor, Action::ReadChart, relation).is_allowed()
            || visit.its_doctor,
        resource_id: subject.resource_id,
        patient_id: Some(patient),
    }))
}

/// A doctor's week at an institution, as sent.
pub struct WeekInput {
    pub institution_id: InstitutionId,
    pub availability: Availability,
    pub time_off: Vec<TimeOff>,
}

/// Sets a doctor's hours and days off at an institution: theirs, or by its admin. The doctor
/// must be one of its clinicians.
pub async fn set_week(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    doctor: UserId,
    input: WeekInput,
) -> Result<Week, AppError> {
    let audited = AuditAction::AvailabilitySet;
    state
        .run(actor, meta, move |conn, uc| {
            let institution = input.institution_id;
            let act = InstitutionAct::SetAvailability {
                own: actor.user_id == doctor,
            };
            authorize_at(conn, &actor, institution, act, audited)?;
            let is_doctor = users::find(conn, doctor)?.is_some_and(|u| u.role == Role::Doctor);
            let practises =
                places::role_of(conn, institution, doctor)? == Some(StaffRole::Clinician);
            if !is_doctor || !practises {
                return Err(AppError::invalid(
                    "doctor_id",
                    "is not a doctor among the institution's clinicians",
                ));
            }
            let week = (&input.availability, input.time_off.as_slice());
            places::set_week(conn, doctor, institution, week, actor.user_id, uc.now)?;
            uc.record(
                Event::success(&actor, audited)
                    .resource(doctor)
                    .reason(format!("at {institution}")),
            );
            places::week(conn, doctor, institution)?.ok_or(AppError::NotFound)
        })
        .await
}

/// A doctor's weeks at every institution they have hours at. Anyone signed in: when a doctor
/// works is no secret.
pub async fn weeks(state: &AppState, doctor: UserId) -> Result<Vec<Week>, AppError> {
    state
        .read(move |conn| {
            let weeks = places::weeks_of(conn, doctor)?;
            if weeks.is_empty() && users::find(conn, doctor)?.is_none_or(|u| u.role != Role::Doctor)
            {
                return Err(AppError::NotFound);
            }
            Ok(weeks)
        })
        .await
}

/// A slot still free, and where (the shared institution, not a copy per slot: a 62-day search
/// finds thousands).
pub struct FreeSlot {
    pub institution: Arc<Institution>,
    pub slot: Slot,
}

/// Checks a search's span: `from` before `to`, at most [`LONGEST_SEARCH_DAYS`] apart.
pub fn search_span(from: NaiveDateTime, to: NaiveDateTime) -> Result<(), AppError> {
    if to <= from {
        return Err(AppError::invalid("to", "must be after from"));
    }
    if to - from > Duration::days(LONGEST_SEARCH_DAYS) {
        return Err(AppError::invalid(
            "to",
            "must be at most 62 days after from",
        ));
    }
    Ok(())
}

/// The doctor's free slots from `from` to `to` (UTC), at one institution or all they work at,
/// earliest first; none in the past.
pub async fn free_slots(
    state: &AppState,
    doctor: UserId,
    at: Option<InstitutionId>,
    (from, to): (NaiveDateTime, NaiveDateTime),
) -> Result<Vec<FreeSlot>, AppError> {
    search_span(from, to)?;
    let from = from.max(state.now());
    let weeks = weeks(state, doctor).await?;
    state
        .read(move |conn| {
            if from >= to {
                return Ok(Vec::new());
            }
            let held = stored::held_marks(conn, doctor, (from, to + Duration::days(1)))?;
            let mut free = Vec::new();
            for week in weeks
                .iter()
                .filter(|w| at.is_none_or(|id| id == w.institution_id))
            {
                let Some(place) = places::find(conn, week.institution_id)? else {
                    continue;
                };
                let place = Arc::new(place);
                let offered = rules::slots(
                    &week.availability,
                    &week.time_off,
                    place.time_zone,
                    from,
                    to,
                );
                for slot in offered {
                    let taken = rules::granules(slot)
                        .iter()
                        .any(|mark| held.binary_search(mark).is_ok());
                    if !taken {
                        free.push(FreeSlot {
                            institution: place.clone(),
                            slot,
                        });
                    }
                }
            }
            free.sort_by_key(|f| f.slot);
            Ok(free)
        })
        .await
}

/// A visit to book, as asked.
#[derive(Clone, Copy)]
pub struct BookingInput {
    pub doctor_id: UserId,
    pub patient_id: PatientId,
    pub institution_id: InstitutionId,
    pub starts: NaiveDateTime,
}

fn taken(error: StoreError) -> AppError {
    match error {
        StoreError::Conflict(key) if key == stored::TAKEN => AppError::Conflict {
            code: "slot_taken",
            message: "that time was just booked by someone else; choose another slot",
        },
        other => other.into(),
    }
}

/// The slot the doctor offers at `starts` at the institution, still ahead: or why not.
fn offered_slot(
    conn: &mut DbConnection,
    doctor: UserId,
    place: &Institution,
    starts: NaiveDateTime,
    now: NaiveDateTime,
) -> Result<Slot, AppError> {
    if starts <= now {
        return Err(AppError::invalid("start", "is in the past"));
    }
    let week = places::week(conn, doctor, place.id)?.ok_or(AppError::invalid(
        "doctor_id",
        "has no hours at this institution",
    ))?;
    rules::offered_at(&week.availability, &week.time_off, place.time_zone, starts).ok_or(
        AppError::invalid(
            "start",
            "is not one of the doctor's slots at this institution",
        ),
    )
}

/// What the insurer is to be asked about a new visit: pending when there is coverage on file.
fn eligibility_of(coverage: Option<&Coverage>) -> Eligibility {
    if coverage.is_some() {
        Eligibility::Pending
    } else {
        Eligibility::NoCoverage
    }
}

/// Books a visit in `uc`'s unit of work, its place and the actor's relation to the chart
/// checked already (see [`authorize_visit`]); a patient who books for themselves is registered
/// at the institution they chose.
fn place_visit(
    conn: &mut DbConnection,
    uc: &UseCase,
    actor: &Actor,
    (input, place, relation): (BookingInput, &Institution, Relation),
    rescheduled_from: Option<AppointmentId>,
) -> Result<Appointment, AppError> {
    let slot = offered_slot(conn, input.doctor_id, place, input.starts, uc.now)?;
    if matches!(relation, Relation::Own | Relation::Guardian) {
        places::register(conn, input.patient_id, place.id, actor.user_id, uc.now)?;
    }
    let coverage = stored::coverage(conn, input.patient_id)?;
    let new = NewAppointment {
        patient_id: input.patient_id,
        doctor_id: input.doctor_id,
        institution_id: input.institution_id,
        slot,
        booked_by: actor.user_id,
        rescheduled_from,
        eligibility: eligibility_of(coverage.as_ref()),
        check_after: uc.now + eligibility::LEASE,
    };
    let id = stored::book(conn, &new, uc.now).map_err(taken)?;
    uc.record(
        Event::success(actor, AuditAction::AppointmentBook)
            .resource(id)
            .patient(input.patient_id),
    );
    stored::find(conn, id)?.ok_or(AppError::NotFound)
}

/// Books a visit, then asks the insurer about it.
pub async fn book(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    input: BookingInput,
) -> Result<Appointment, AppError> {
    let booked = state
        .run(actor, meta, move |conn, uc| {
            let subject = Subject::new(AuditAction::AppointmentBook);
            let key = (input.patient_id, input.doctor_id, input.institution_id);
            let (relation, place) =
                authorize_visit(conn, &actor, key, AppointmentAct::Book, subject, uc.now)?;
            place_visit(conn, uc, &actor, (input, &place, relation), None)
        })
        .await?;
    Ok(eligibility::check(state, meta, booked).await)
}

/// A visit the actor may act on, their relation to its chart, and its institution.
struct Authorized {
    visit: Appointment,
    relation: Relation,
    place: Institution,
}

/// Loads a visit and checks that the actor may `act` on it.
fn authorized(
    conn: &mut DbConnection,
    actor: &Actor,
    id: AppointmentId,
    act: AppointmentAct,
    audited: AuditAction,
    now: NaiveDateTime,
) -> Result<Authorized, AppError> {
    let visit = stored::find(conn, id)?.ok_or(AppError::NotFound)?;
    let key = (visit.patient_id, visit.doctor_id, visit.institution_id);
    let (relation, place) = authorize_visit(conn, actor, key, act, Subject::id(audited, id), now)?;
    Ok(Authorized {
        visit,
        relation,
        place,
    })
}

pub async fn get(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    id: AppointmentId,
) -> Result<Appointment, AppError> {
    read_for(state, actor, meta, id, AppointmentAct::See).await
}

/// A booked visit the actor may move, read to offer it other times.
pub async fn to_move(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    id: AppointmentId,
) -> Result<Appointment, AppError> {
    let visit = read_for(state, actor, meta, id, AppointmentAct::Change).await?;
    if visit.status == rules::AppointmentStatus::Booked {
        Ok(visit)
    } else {
        Err(not_booked())
    }
}

/// Reads a visit for the actor, who must be allowed to `act` on it.
async fn read_for(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    id: AppointmentId,
    act: AppointmentAct,
) -> Result<Appointment, AppError> {
    let audited = AuditAction::AppointmentRead;
    state
        .view(actor, meta, move |conn, uc| {
            let visit = authorized(conn, &actor, id, act, audited, uc.now)?.visit;
            uc.record(
                Event::success(&actor, audited)
                    .resource(id)
                    .patient(visit.patient_id),
            );
            Ok(visit)
        })
        .await
}

fn not_booked() -> AppError {
    AppError::Conflict {
        code: "not_booked",
        message: "the visit was cancelled or moved already",
    }
}

/// Cancels a booked visit; its slot can be booked again.
pub async fn cancel(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    id: AppointmentId,
) -> Result<Appointment, AppError> {
    let audited = AuditAction::AppointmentCancel;
    state
        .run(actor, meta, move |conn, uc| {
            let visit =
                authorized(conn, &actor, id, AppointmentAct::Change, audited, uc.now)?.visit;
            let status = rules::AppointmentStatus::Cancelled;
            if !stored::release(conn, &visit, status, actor.user_id, uc.now)? {
                return Err(not_booked());
            }
            uc.record(
                Event::success(&actor, audited)
                    .resource(id)
                    .patient(visit.patient_id),
            );
            stored::find(conn, id)?.ok_or(AppError::NotFound)
        })
        .await
}

/// Moves a booked visit to another of the same doctor's slots at the same institution: the old
/// visit is kept as moved, the new one names it, in one unit of work (if the new slot is taken,
/// nothing changes). The new visit's coverage is asked about again.
pub async fn reschedule(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    id: AppointmentId,
    starts: NaiveDateTime,
) -> Result<Appointment, AppError> {
    let audited = AuditAction::AppointmentReschedule;
    let moved = state
        .run(actor, meta, move |conn, uc| {
            // Whoever may move the visit may take the new slot for it.
            let Authorized {
                visit,
                relation,
                place,
            } = authorized(conn, &actor, id, AppointmentAct::Change, audited, uc.now)?;
            let status = rules::AppointmentStatus::Rescheduled;
            if !stored::release(conn, &visit, status, actor.user_id, uc.now)? {
                return Err(not_booked());
            }
            let input = BookingInput {
                doctor_id: visit.doctor_id,
                patient_id: visit.patient_id,
                institution_id: visit.institution_id,
                starts,
            };
            let moved = place_visit(conn, uc, &actor, (input, &place, relation), Some(id))?;
            uc.record(
                Event::success(&actor, audited)
                    .resource(id)
                    .patient(visit.patient_id)
                    .reason(format!("moved to {}", moved.id)),
            );
            Ok(moved)
        })
        .await?;
    Ok(eligibility::check(state, meta, moved).await)
}

/// A chart's visits, every status, that the caller may see: all of them for the patient,
/// their guardian, care team and admins; the front desk those at its institutions; a doctor
/// those with them.
pub async fn of_patient(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    patient: PatientId,
) -> Result<ChartVisits, AppError> {
    let audited = AuditAction::AppointmentList;
    state
        .view(actor, meta, move |conn, uc| {
            let (chart, ties) = access::chart_and_ties(conn, actor.user_id, patient, uc.now)?
                .ok_or(AppError::NotFound)?;
            let relation = Relation::of(&actor, patient, ties);
            let mut desks = Vec::new();
            for (institution, role) in places::memberships(conn, actor.user_id)? {
                if Standing::Member(role).at_desk()
                    && places::is_registered(conn, patient, institution)?
                {
                    desks.push(institution);
                }
            }
            let may = |act, visit: &Appointment| {
                let ties = AppointmentTies {
                    relation,
                    desk: desks.contains(&visit.institution_id),
                    its_doctor: visit.doctor_id == actor.user_id,
                };
                policy::decide_appointment(&actor, act, ties).is_allowed()
            };
            let book_ties = AppointmentTies {
                relation,
                desk: !desks.is_empty(),
                its_doctor: false,
            };
            let may_book =
                policy::decide_appointment(&actor, AppointmentAct::Book, book_ties).is_allowed();
            let visible: Vec<SeenVisit> = stored::of_patient(conn, patient)?
                .into_iter()
                .filter(|visit| may(AppointmentAct::See, visit))
                .map(|visit| SeenVisit {
                    may_change: may(AppointmentAct::Change, &visit),
                    visit,
                })
                .collect();
            let chart_visible = policy::decide(&actor, Action::ReadChart, relation).is_allowed();
            if visible.is_empty() && !chart_visible {
                authorize(
                    conn,
                    &actor,
                    patient,
                    Action::ReadChart,
                    Subject::new(audited),
                    uc.now,
                )?;
            }
            uc.record(Event::success(&actor, audited).patient(patient));
            Ok(ChartVisits {
                name: chart.name,
                visits: visible,
                may_book,
            })
        })
        .await
}

/// The visits of one chart that a caller may see, and whose chart it is.
pub struct ChartVisits {
    pub name: String,
    pub visits: Vec<SeenVisit>,
    /// The caller may book visits for the chart (at one of its desks, at least).
    pub may_book: bool,
}

/// A visit the caller may see, and whether they may also cancel or move it.
pub struct SeenVisit {
    pub visit: Appointment,
    pub may_change: bool,
}

/// A doctor's visits from `from` to `to`, with their patients' names: the doctor's own (at
/// every institution, or one), or, at one institution, for its admin and front desk.
pub async fn schedule(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    doctor: UserId,
    at: Option<InstitutionId>,
    (from, to): (NaiveDateTime, NaiveDateTime),
) -> Result<Vec<(Appointment, String)>, AppError> {
    search_span(from, to)?;
    let audited = AuditAction::ScheduleRead;
    state
        .view(actor, meta, move |conn, uc| {
            let own = actor.user_id == doctor;
            match at {
                Some(institution) => {
                    let act = InstitutionAct::ReadSchedule { own };
                    authorize_at(conn, &actor, institution, act, audited)?;
                }
                None if own || actor.role == Role::Admin => {}
                None => {
                    return Err(AppError::invalid(
                        "institution_id",
                        "is needed to read another doctor's schedule",
                    ));
                }
            }
            let visits = stored::of_doctor(conn, doctor, (from, to), at)?;
            uc.record(
                Event::success(&actor, audited).resource(doctor).reason(
                    at.map_or_else(|| "every institution".to_owned(), |i| format!("at {i}")),
                ),
            );
            Ok(visits)
        })
        .await
}

/// The patient's insurance on file.
pub async fn coverage(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    patient: PatientId,
) -> Result<Option<Coverage>, AppError> {
    let audited = AuditAction::CoverageRead;
    state
        .view(actor, meta, move |conn, uc| {
            let subject = Subject::new(audited);
            authorize(conn, &actor, patient, Action::ReadChart, subject, uc.now)?;
            uc.record(Event::success(&actor, audited).patient(patient));
            Ok(stored::coverage(conn, patient)?)
        })
        .await
}

/// Coverage as sent.
pub struct CoverageInput {
    pub payer: rules::Payer,
    pub member_id: rules::MemberId,
    pub plan: rules::PlanName,
}

/// Puts the patient's insurance on file, replacing what was there.
pub async fn set_coverage(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    patient: PatientId,
    input: CoverageInput,
) -> Result<Coverage, AppError> {
    let audited = AuditAction::CoverageUpdate;
    state
        .run(actor, meta, move |conn, uc| {
            let subject = Subject::new(audited);
            authorize(conn, &actor, patient, Action::EditCoverage, subject, uc.now)?;
            let values = (
                input.payer.as_str(),
                input.member_id.as_str(),
                input.plan.as_str(),
            );
            stored::set_coverage(conn, patient, values, actor.user_id, uc.now)?;
            uc.record(Event::success(&actor, audited).patient(patient));
            stored::coverage(conn, patient)?.ok_or(AppError::NotFound)
        })
        .await
}
