//! A chart's allergy list.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use medvault_domain::clinical::{AllergyStatus, Reaction, Severity, Substance};
use medvault_domain::{AllergyId, PatientId, UserId};

use super::prepared_once;
use crate::repo::patients::EditRefused;
use crate::rows::parse;
use crate::schema::{allergies, users};
use crate::{DbConnection, StoreError};

#[derive(Clone, Debug)]
pub struct Allergy {
    pub id: AllergyId,
    pub patient_id: PatientId,
    pub substance: String,
    pub reaction: Option<String>,
    pub severity: Option<Severity>,
    pub status: AllergyStatus,
    pub recorded_by: UserId,
    pub recorded_by_name: String,
    pub recorded_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = allergies)]
struct AllergyRow {
    id: String,
    patient_id: String,
    substance: String,
    reaction: Option<String>,
    severity: Option<String>,
    status: String,
    recorded_by: String,
    recorded_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    version: i64,
}

impl TryFrom<(AllergyRow, String)> for Allergy {
    type Error = StoreError;

    fn try_from((row, recorded_by_name): (AllergyRow, String)) -> Result<Self, StoreError> {
        let corrupt = |_| StoreError::Corrupt("allergies");
        Ok(Allergy {
            id: parse("allergies", &row.id)?,
            patient_id: parse("allergies", &row.patient_id)?,
            severity: row
                .severity
                .as_deref()
                .map(Severity::parse)
                .transpose()
                .map_err(corrupt)?,
            status: AllergyStatus::parse(&row.status).map_err(corrupt)?,
            recorded_by: parse("allergies", &row.recorded_by)?,
            recorded_by_name,
            substance: row.substance,
            reaction: row.reaction,
            recorded_at: row.recorded_at,
            updated_at: row.updated_at,
            version: row.version,
        })
    }
}

/// An allergy as recorded or changed: every field, valid.
pub struct AllergyFields {
    pub substance: Substance,
    pub reaction: Option<Reaction>,
    pub severity: Option<Severity>,
    pub status: AllergyStatus,
}

pub fn insert(
    conn: &mut DbConnection,
    patient: PatientId,
    fields: AllergyFields,
    by: UserId,
    now: NaiveDateTime,
) -> Result<AllergyId, StoreError> {
    let id = AllergyId::new();
    diesel::insert_into(allergies::table)
        .values((
            allergies::patient_id.eq(patient.to_string()),
            allergies::id.eq(id.to_string()),
            allergies::substance.eq(fields.substance.into_inner()),
            allergies::reaction.eq(fields.reaction.map(Reaction::into_inner)),
            allergies::severity.eq(fields.severity.map(Severity::as_str)),
            allergies::status.eq(fields.status.as_str()),
            allergies::recorded_by.eq(by.to_string()),
            allergies::recorded_at.eq(now),
            allergies::updated_by.eq(by.to_string()),
            allergies::updated_at.eq(now),
            allergies::version.eq(1),
        ))
        .execute(conn)?;
    Ok(id)
}

/// The chart's allergies, active ones first, then by substance.
pub fn of(conn: &mut DbConnection, patient: PatientId) -> Result<Vec<Allergy>, StoreError> {
    natively!(conn, |c| prepared_once(
        allergies::table
            .inner_join(users::table.on(users::id.eq(allergies::recorded_by)))
            .filter(allergies::patient_id.eq(patient.to_string()))
            .order((allergies::status.asc(), allergies::substance.asc()))
            .select((AllergyRow::as_select(), users::name))
    )
    .load::<(AllergyRow, String)>(c))?
    .into_iter()
    .map(Allergy::try_from)
    .collect()
}

pub fn find(conn: &mut DbConnection, id: AllergyId) -> Result<Option<Allergy>, StoreError> {
    allergies::table
        .inner_join(users::table.on(users::id.eq(allergies::recorded_by)))
        .filter(allergies::id.eq(id.to_string()))
        .select((AllergyRow::as_select(), users::name))
        .first::<(AllergyRow, String)>(conn)
        .optional()?
        .map(Allergy::try_from)
        .transpose()
}

/// Replaces the allergy's fields if it is still at `version`; the allergy afterwards.
pub fn update(
    conn: &mut DbConnection,
    current: &Allergy,
    version: i64,
    fields: AllergyFields,
    by: UserId,
    now: NaiveDateTime,
) -> Result<Result<Allergy, EditRefused>, StoreError> {
    let at_version = allergies::table
        .filter(allergies::patient_id.eq(current.patient_id.to_string()))
        .filter(allergies::id.eq(current.id.to_string()))
        .filter(allergies::version.eq(version));
    let changed = diesel::update(at_version)
        .set((
            allergies::substance.eq(fields.substance.into_inner()),
            allergies::reaction.eq(fields.reaction.map(Reaction::into_inner)),
            allergies::severity.eq(fields.severity.map(Severity::as_str)),
            allergies::status.eq(fields.status.as_str()),
            allergies::updated_by.eq(by.to_string()),
            allergies::updated_at.eq(now),
            allergies::version.eq(version + 1),
        ))
        .execute(conn)?;
    Ok(super::edited(changed, find(conn, current.id)?, |allergy| {
        allergy.version
    }))
}
