//! A chart's prescriptions.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use medvault_domain::medication::{
    Dose, DrugName, Duration, Frequency, Instructions, PrescriptionStatus, Quantity, Route,
    StatusReason, Strength,
};
use medvault_domain::{PatientId, PrescriptionId, UserId};

use super::prepared_once;
use crate::repo::EditRefused;
use crate::rows::parse;
use crate::schema::{prescriptions, users};
use crate::{DbConnection, Page, StoreError};

#[derive(Clone, Debug)]
pub struct Prescription {
    pub id: PrescriptionId,
    pub patient_id: PatientId,
    pub drug: String,
    pub strength: Option<String>,
    pub dose: String,
    pub route: Route,
    pub frequency: String,
    pub duration: Option<String>,
    pub quantity: Option<String>,
    pub instructions: Option<String>,
    pub status: PrescriptionStatus,
    pub status_reason: Option<String>,
    /// The allergy warnings the prescriber acknowledged, one per line.
    pub acknowledged_warnings: Option<String>,
    pub prescribed_by: UserId,
    pub prescribed_by_name: String,
    pub prescribed_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = prescriptions)]
struct PrescriptionRow {
    id: String,
    patient_id: String,
    drug: String,
    strength: Option<String>,
    dose: String,
    route: String,
    frequency: String,
    duration: Option<String>,
    quantity: Option<String>,
    instructions: Option<String>,
    status: String,
    status_reason: Option<String>,
    acknowledged_warnings: Option<String>,
    prescribed_by: String,
    prescribed_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    version: i64,
}

impl TryFrom<(PrescriptionRow, String)> for Prescription {
    type Error = StoreError;

    fn try_from((row, prescribed_by_name): (PrescriptionRow, String)) -> Result<Self, StoreError> {
        let corrupt = |_| StoreError::Corrupt("prescriptions");
        Ok(Prescription {
            id: parse("prescriptions", &row.id)?,
            patient_id: parse("prescriptions", &row.patient_id)?,
            route: Route::parse(&row.route).map_err(corrupt)?,
            status: PrescriptionStatus::parse(&row.status).map_err(corrupt)?,
            prescribed_by: parse("prescriptions", &row.prescribed_by)?,
            prescribed_by_name,
            drug: row.drug,
            strength: row.strength,
            dose: row.dose,
            frequency: row.frequency,
            duration: row.duration,
            quantity: row.quantity,
            instructions: row.instructions,
            status_reason: row.status_reason,
            acknowledged_warnings: row.acknowledged_warnings,
            prescribed_at: row.prescribed_at,
            updated_at: row.updated_at,
            version: row.version,
        })
    }
}

/// A new prescription: every field, valid.
pub struct NewPrescription {
    pub drug: DrugName,
    pub strength: Option<Strength>,
    pub dose: Dose,
    pub route: Route,
    pub frequency: Frequency,
    pub duration: Option<Duration>,
    pub quantity: Option<Quantity>,
    pub instructions: Option<Instructions>,
    /// The allergy warnings acknowledged, one per line; `None` when there were none.
    pub acknowledged_warnings: Option<String>,
}

pub fn insert(
    conn: &mut DbConnection,
    patient: PatientId,
    new: NewPrescription,
    by: UserId,
    now: NaiveDateTime,
) -> Result<PrescriptionId, StoreError> {
    let id = PrescriptionId::new();
    diesel::insert_into(prescriptions::table)
        .values((
            prescriptions::patient_id.eq(patient.to_string()),
            prescriptions::id.eq(id.to_string()),
            prescriptions::drug.eq(new.drug.into_inner()),
            prescriptions::strength.eq(new.strength.map(Strength::into_inner)),
            prescriptions::dose.eq(new.dose.into_inner()),
            prescriptions::route.eq(new.route.as_str()),
            prescriptions::frequency.eq(new.frequency.into_inner()),
            prescriptions::duration.eq(new.duration.map(Duration::into_inner)),
            prescriptions::quantity.eq(new.quantity.map(Quantity::into_inner)),
            prescriptions::instructions.eq(new.instructions.map(Instructions::into_inner)),
            prescriptions::status.eq(PrescriptionStatus::Active.as_str()),
            prescriptions::acknowledged_warnings.eq(new.acknowledged_warnings),
            prescriptions::prescribed_by.eq(by.to_string()),
            prescriptions::prescribed_at.eq(now),
            prescriptions::updated_by.eq(by.to_string()),
            prescriptions::updated_at.eq(now),
            prescriptions::version.eq(1),
        ))
        .execute(conn)?;
    Ok(id)
}

/// The chart's prescriptions, newest first, `limit` at a time before the cursor `before`.
pub fn of(
    conn: &mut DbConnection,
    patient: PatientId,
    before: Option<&str>,
    limit: usize,
) -> Result<Page<Prescription>, StoreError> {
    // Ids are lowercase hex: every one sorts before "~", so no cursor is a cursor past the end.
    let before = before.unwrap_or("~").to_owned();
    let items = natively!(conn, |c| prepared_once(
        prescriptions::table
            .inner_join(users::table.on(users::id.eq(prescriptions::prescribed_by)))
            .filter(prescriptions::patient_id.eq(patient.to_string()))
            .filter(prescriptions::id.lt(before))
            .order(prescriptions::id.desc())
            .limit(super::clamp_limit(limit))
            .select((PrescriptionRow::as_select(), users::name))
    )
    .load::<(PrescriptionRow, String)>(c))?
    .into_iter()
    .map(Prescription::try_from)
    .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_overfetch(items, limit, |p| p.id.to_string()))
}

pub fn find(
    conn: &mut DbConnection,
    id: PrescriptionId,
) -> Result<Option<Prescription>, StoreError> {
    prescriptions::table
        .inner_join(users::table.on(users::id.eq(prescriptions::prescribed_by)))
        .filter(prescriptions::id.eq(id.to_string()))
        .select((PrescriptionRow::as_select(), users::name))
        .first::<(PrescriptionRow, String)>(conn)
        .optional()?
        .map(Prescription::try_from)
        .transpose()
}

/// Sets the prescription's status (and why) if it is still at `version`; it afterwards.
pub fn set_status(
    conn: &mut DbConnection,
    current: &Prescription,
    version: i64,
    status: PrescriptionStatus,
    reason: Option<StatusReason>,
    by: UserId,
    now: NaiveDateTime,
) -> Result<Result<Prescription, EditRefused>, StoreError> {
    let at_version = prescriptions::table
        .filter(prescriptions::patient_id.eq(current.patient_id.to_string()))
        .filter(prescriptions::id.eq(current.id.to_string()))
        .filter(prescriptions::version.eq(version));
    let changed = diesel::update(at_version)
        .set((
            prescriptions::status.eq(status.as_str()),
            prescriptions::status_reason.eq(reason.map(StatusReason::into_inner)),
            prescriptions::updated_by.eq(by.to_string()),
            prescriptions::updated_at.eq(now),
            prescriptions::version.eq(version + 1),
        ))
        .execute(conn)?;
    Ok(super::edited(changed, find(conn, current.id)?, |found| {
        found.version
    }))
}
