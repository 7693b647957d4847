use chrono::NaiveDateTime;
use diesel::prelude::*;
use medvault_domain::{PatientId, UserId};

use crate::rows::parse;
use crate::schema::care_team;
use crate::{DbConnection, StoreError};

/// Puts a doctor on a patient's care team. `false` if they were on it already.
pub fn add(
    conn: &mut DbConnection,
    patient: PatientId,
    doctor: UserId,
    added_by: UserId,
    now: NaiveDateTime,
) -> Result<bool, StoreError> {
    if is_member(conn, patient, doctor)? {
        return Ok(false);
    }
    diesel::insert_into(care_team::table)
        .values((
            care_team::patient_id.eq(patient.to_string()),
            care_team::doctor_id.eq(doctor.to_string()),
            care_team::added_by.eq(added_by.to_string()),
            care_team::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(true)
}

/// Takes a doctor off a patient's care team. `false` if they were not on it.
pub fn remove(
    conn: &mut DbConnection,
    patient: PatientId,
    doctor: UserId,
) -> Result<bool, StoreError> {
    let removed = diesel::delete(care_team::table.find((patient.to_string(), doctor.to_string())))
        .execute(conn)?;
    Ok(removed == 1)
}

pub fn is_member(
    conn: &mut DbConnection,
    patient: PatientId,
    doctor: UserId,
) -> Result<bool, StoreError> {
    let found = care_team::table
        .find((patient.to_string(), doctor.to_string()))
        .select(care_team::doctor_id)
        .first::<String>(conn)
        .optional()?;
    Ok(found.is_some())
}

/// The charts a doctor looks after.
pub fn charts_of(conn: &mut DbConnection, doctor: UserId) -> Result<Vec<PatientId>, StoreError> {
    care_team::table
        .filter(care_team::doctor_id.eq(doctor.to_string()))
        .select(care_team::patient_id)
        .load::<String>(conn)?
        .iter()
        .map(|id| parse("care_team", id))
        .collect()
}

/// The doctors on a chart's care team with their names, earliest first.
pub fn members(
    conn: &mut DbConnection,
    patient: PatientId,
) -> Result<Vec<(UserId, String)>, StoreError> {
    tied_people!(conn, patient, care_team, doctor_id, created_at)
}
