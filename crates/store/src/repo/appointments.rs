//! Appointments, the marks they hold in their doctor's schedule, and patients' insurance.
//!
//! A booked visit claims every 5-minute mark it covers in `appointment_claims`, whose key is
//! (doctor, mark): the database itself refuses a second visit of the same doctor at any of
//! those marks, whichever server, institution or slot length asks. Cancelling or moving a visit
//! gives its marks back, in the same transaction; the appointment row stays, as history.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use medvault_domain::appointments::{AppointmentStatus, Eligibility, Slot, granules};
use medvault_domain::{AppointmentId, InstitutionId, PatientId, UserId};

use crate::rows::{parse, parse_opt};
use crate::schema::{appointment_claims, appointments, coverages, patients};
use crate::{DbConnection, StoreError};

/// The name of the key that refuses a double booking, as a conflict reports it.
pub const TAKEN: &str = "appointment_claims_pkey";

#[derive(Clone, Debug)]
pub struct Appointment {
    pub id: AppointmentId,
    pub patient_id: PatientId,
    pub doctor_id: UserId,
    pub institution_id: InstitutionId,
    pub slot: Slot,
    pub status: AppointmentStatus,
    pub booked_by: UserId,
    pub created_at: NaiveDateTime,
    pub changed_by: Option<UserId>,
    pub changed_at: Option<NaiveDateTime>,
    pub rescheduled_from: Option<AppointmentId>,
    pub eligibility: Eligibility,
    pub eligibility_reason: Option<String>,
    pub eligibility_checked_at: Option<NaiveDateTime>,
    pub eligibility_attempts: i32,
    /// When the insurer is to be asked again, while pending.
    pub eligibility_after: Option<NaiveDateTime>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = appointments)]
struct AppointmentRow {
    id: String,
    patient_id: String,
    doctor_id: String,
    institution_id: String,
    starts_at: NaiveDateTime,
    ends_at: NaiveDateTime,
    status: String,
    booked_by: String,
    created_at: NaiveDateTime,
    changed_by: Option<String>,
    changed_at: Option<NaiveDateTime>,
    rescheduled_from: Option<String>,
    eligibility: String,
    eligibility_reason: Option<String>,
    eligibility_checked_at: Option<NaiveDateTime>,
    eligibility_attempts: i32,
    eligibility_after: Option<NaiveDateTime>,
}

impl TryFrom<AppointmentRow> for Appointment {
    type Error = StoreError;

    fn try_from(row: AppointmentRow) -> Result<Self, StoreError> {
        const TABLE: &str = "appointments";
        Ok(Appointment {
            id: parse(TABLE, &row.id)?,
            patient_id: parse(TABLE, &row.patient_id)?,
            doctor_id: parse(TABLE, &row.doctor_id)?,
            institution_id: parse(TABLE, &row.institution_id)?,
            slot: Slot {
                starts: row.starts_at,
                ends: row.ends_at,
            },
            status: AppointmentStatus::parse(&row.status)
                .map_err(|_| StoreError::Corrupt(TABLE))?,
            booked_by: parse(TABLE, &row.booked_by)?,
            created_at: row.created_at,
            changed_by: parse_opt(TABLE, row.changed_by.as_deref())?,
            changed_at: row.changed_at,
            rescheduled_from: parse_opt(TABLE, row.rescheduled_from.as_deref())?,
            eligibility: Eligibility::parse(&row.eligibility)
                .map_err(|_| StoreError::Corrupt(TABLE))?,
            eligibility_reason: row.eligibility_reason,
            eligibility_checked_at: row.eligibility_checked_at,
            eligibility_attempts: row.eligibility_attempts,
            eligibility_after: row.eligibility_after,
        })
    }
}

/// A visit to book.
pub struct NewAppointment {
    pub patient_id: PatientId,
    pub doctor_id: UserId,
    pub institution_id: InstitutionId,
    pub slot: Slot,
    pub booked_by: UserId,
    pub rescheduled_from: Option<AppointmentId>,
    /// `Pending` when the patient has coverage to verify, `NoCoverage` when they have none.
    pub eligibility: Eligibility,
    /// When the eligibility job may first take it: after the booking's own check has had time.
    pub check_after: NaiveDateTime,
}

/// Books a visit: its row, and a claim on every mark it covers. A mark already held by another
/// visit of the same doctor fails the whole booking with [`StoreError::Conflict`] naming
/// [`TAKEN`] (run it in a savepoint: nothing of it stays).
pub fn book(
    conn: &mut DbConnection,
    new: &NewAppointment,
    now: NaiveDateTime,
) -> Result<AppointmentId, StoreError> {
    let id = AppointmentId::new();
    let claims: Vec<_> = granules(new.slot)
        .into_iter()
        .map(|at| {
            (
                appointment_claims::doctor_id.eq(new.doctor_id.to_string()),
                appointment_claims::at.eq(at),
                appointment_claims::patient_id.eq(new.patient_id.to_string()),
                appointment_claims::appointment_id.eq(id.to_string()),
            )
        })
        .collect();
    natively!(conn, |c| diesel::insert_into(appointment_claims::table)
        .values(&claims)
        .execute(c))
    .map_err(|error| match StoreError::from(error) {
        // The constraint's name differs between backends; the table's key is the only
        // uniqueness rule there is.
        StoreError::Conflict(_) => StoreError::Conflict(TAKEN.to_owned()),
        other => other,
    })?;
    diesel::insert_into(appointments::table)
        .values((
            appointments::patient_id.eq(new.patient_id.to_string()),
            appointments::id.eq(id.to_string()),
            appointments::doctor_id.eq(new.doctor_id.to_string()),
            appointments::institution_id.eq(new.institution_id.to_string()),
            appointments::starts_at.eq(new.slot.starts),
            appointments::ends_at.eq(new.slot.ends),
            appointments::status.eq(AppointmentStatus::Booked.as_str()),
            appointments::booked_by.eq(new.booked_by.to_string()),
            appointments::created_at.eq(now),
            appointments::rescheduled_from.eq(new.rescheduled_from.map(|id| id.to_string())),
            appointments::eligibility.eq(new.eligibility.as_str()),
            appointments::eligibility_attempts.eq(0),
            appointments::eligibility_after.eq(new.check_after),
        ))
        .execute(conn)?;
    Ok(id)
}

/// Ends a booked visit as `status` (cancelled, or moved elsewhere) and gives its marks back:
/// whether it was still booked.
pub fn release(
    conn: &mut DbConnection,
    appointment: &Appointment,
    status: AppointmentStatus,
    by: UserId,
    now: NaiveDateTime,
) -> Result<bool, StoreError> {
    let changed = diesel::update(appointments::table)
        .filter(appointments::patient_id.eq(appointment.patient_id.to_string()))
        .filter(appointments::id.eq(appointment.id.to_string()))
        .filter(appointments::status.eq(AppointmentStatus::Booked.as_str()))
        .set((
            appointments::status.eq(status.as_str()),
            appointments::changed_by.eq(by.to_string()),
            appointments::changed_at.eq(now),
        ))
        .execute(conn)?;
    if changed == 0 {
        return Ok(false);
    }
    diesel::delete(appointment_claims::table)
        .filter(appointment_claims::doctor_id.eq(appointment.doctor_id.to_string()))
        .filter(appointment_claims::appointment_id.eq(appointment.id.to_string()))
        .execute(conn)?;
    Ok(true)
}

pub fn find(conn: &mut DbConnection, id: AppointmentId) -> Result<Option<Appointment>, StoreError> {
    appointments::table
        .filter(appointments::id.eq(id.to_string()))
        .select(AppointmentRow::as_select())
        .first(conn)
        .optional()?
        .map(Appointment::try_from)
        .transpose()
}

fn loaded(rows: Vec<AppointmentRow>) -> Result<Vec<Appointment>, StoreError> {
    rows.into_iter().map(Appointment::try_from).collect()
}

/// A chart's appointments, every status, earliest first (at most 500: a long history's last).
pub fn of_patient(
    conn: &mut DbConnection,
    patient: PatientId,
) -> Result<Vec<Appointment>, StoreError> {
    let mut rows = appointments::table
        .filter(appointments::patient_id.eq(patient.to_string()))
        .select(AppointmentRow::as_select())
        .order((appointments::starts_at.desc(), appointments::id.desc()))
        .limit(500)
        .load(conn)?;
    rows.reverse();
    loaded(rows)
}

/// A doctor's visits that start in `[from, to)`, every status, earliest first, with the name
/// of each visit's patient; `at` narrows them to one institution.
pub fn of_doctor(
    conn: &mut DbConnection,
    doctor: UserId,
    (from, to): (NaiveDateTime, NaiveDateTime),
    at: Option<InstitutionId>,
) -> Result<Vec<(Appointment, String)>, StoreError> {
    let mut query = appointments::table
        .inner_join(patients::table.on(patients::id.eq(appointments::patient_id)))
        .filter(appointments::doctor_id.eq(doctor.to_string()))
        .filter(appointments::starts_at.ge(from))
        .filter(appointments::starts_at.lt(to))
        .select((AppointmentRow::as_select(), patients::name))
        .order((appointments::starts_at.asc(), appointments::id.asc()))
        .limit(2_000)
        .into_boxed();
    if let Some(institution) = at {
        query = query.filter(appointments::institution_id.eq(institution.to_string()));
    }
    query
        .load::<(AppointmentRow, String)>(conn)?
        .into_iter()
        .map(|(row, name)| Ok((Appointment::try_from(row)?, name)))
        .collect()
}

/// The marks of a doctor's schedule in `[from, to)` held by booked visits.
pub fn held_marks(
    conn: &mut DbConnection,
    doctor: UserId,
    (from, to): (NaiveDateTime, NaiveDateTime),
) -> Result<Vec<NaiveDateTime>, StoreError> {
    Ok(appointment_claims::table
        .filter(appointment_claims::doctor_id.eq(doctor.to_string()))
        .filter(appointment_claims::at.ge(from))
        .filter(appointment_claims::at.lt(to))
        .select(appointment_claims::at)
        .order(appointment_claims::at.asc())
        .load(conn)?)
}

// Eligibility.

/// Records what the insurer answered, or that it could not be asked (`Pending`, to be asked
/// again after `retry_after`).
pub fn set_eligibility(
    conn: &mut DbConnection,
    appointment: &Appointment,
    (eligibility, reason): (Eligibility, Option<&str>),
    checked_at: NaiveDateTime,
    retry_after: Option<NaiveDateTime>,
) -> Result<(), StoreError> {
    diesel::update(appointments::table)
        .filter(appointments::patient_id.eq(appointment.patient_id.to_string()))
        .filter(appointments::id.eq(appointment.id.to_string()))
        .set((
            appointments::eligibility.eq(eligibility.as_str()),
            appointments::eligibility_reason.eq(reason),
            appointments::eligibility_checked_at.eq(checked_at),
            appointments::eligibility_attempts.eq(appointments::eligibility_attempts + 1),
            appointments::eligibility_after.eq(retry_after),
        ))
        .execute(conn)?;
    Ok(())
}

/// Takes a pending visit's next check for this server: moves when it is due from the time it
/// was seen with to `lease_until`, which only one server can do. Whether this one did.
pub fn claim_check(
    conn: &mut DbConnection,
    appointment: &Appointment,
    lease_until: NaiveDateTime,
) -> Result<bool, StoreError> {
    let changed = diesel::update(appointments::table)
        .filter(appointments::patient_id.eq(appointment.patient_id.to_string()))
        .filter(appointments::id.eq(appointment.id.to_string()))
        .filter(appointments::eligibility.eq(Eligibility::Pending.as_str()))
        .filter(appointments::eligibility_after.eq(appointment.eligibility_after))
        .set(appointments::eligibility_after.eq(lease_until))
        .execute(conn)?;
    Ok(changed == 1)
}

/// Booked visits whose eligibility is still pending and due to be asked again, oldest first.
pub fn unverified(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    limit: i64,
) -> Result<Vec<Appointment>, StoreError> {
    let rows = appointments::table
        .filter(appointments::eligibility.eq(Eligibility::Pending.as_str()))
        .filter(appointments::eligibility_after.le(now))
        .filter(appointments::status.eq(AppointmentStatus::Booked.as_str()))
        .select(AppointmentRow::as_select())
        .order(appointments::eligibility_after.asc())
        .limit(limit)
        .load(conn)?;
    loaded(rows)
}

// Coverage.

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Coverage {
    pub payer: String,
    pub member_id: String,
    pub plan: String,
    pub updated_at: NaiveDateTime,
}

pub fn coverage(
    conn: &mut DbConnection,
    patient: PatientId,
) -> Result<Option<Coverage>, StoreError> {
    Ok(coverages::table
        .find(patient.to_string())
        .select((
            coverages::payer,
            coverages::member_id,
            coverages::plan,
            coverages::updated_at,
        ))
        .first::<(String, String, String, NaiveDateTime)>(conn)
        .optional()?
        .map(|(payer, member_id, plan, updated_at)| Coverage {
            payer,
            member_id,
            plan,
            updated_at,
        }))
}

/// Puts the patient's coverage on file, replacing what was there.
pub fn set_coverage(
    conn: &mut DbConnection,
    patient: PatientId,
    (payer, member_id, plan): (&str, &str, &str),
    by: UserId,
    now: NaiveDateTime,
) -> Result<(), StoreError> {
    diesel::delete(coverages::table.find(patient.to_string())).execute(conn)?;
    diesel::insert_into(coverages::table)
        .values((
            coverages::patient_id.eq(patient.to_string()),
            coverages::payer.eq(payer),
            coverages::member_id.eq(member_id),
            coverages::plan.eq(plan),
            coverages::updated_by.eq(by.to_string()),
            coverages::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}
