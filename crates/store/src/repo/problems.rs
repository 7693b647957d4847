//! A chart's problem list.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use medvault_domain::clinical::{Condition, ProblemStatus};
use medvault_domain::{PatientId, ProblemId, UserId};

use super::prepared_once;
use crate::repo::patients::EditRefused;
use crate::rows::parse;
use crate::schema::{problems, users};
use crate::{DbConnection, StoreError};

#[derive(Clone, Debug)]
pub struct Problem {
    pub id: ProblemId,
    pub patient_id: PatientId,
    pub condition: String,
    pub onset: Option<NaiveDate>,
    pub status: ProblemStatus,
    pub recorded_by: UserId,
    pub recorded_by_name: String,
    pub recorded_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = problems)]
struct ProblemRow {
    id: String,
    patient_id: String,
    condition: String,
    onset: Option<NaiveDate>,
    status: String,
    recorded_by: String,
    recorded_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    version: i64,
}

impl TryFrom<(ProblemRow, String)> for Problem {
    type Error = StoreError;

    fn try_from((row, recorded_by_name): (ProblemRow, String)) -> Result<Self, StoreError> {
        Ok(Problem {
            id: parse("problems", &row.id)?,
            patient_id: parse("problems", &row.patient_id)?,
            status: ProblemStatus::parse(&row.status)
                .map_err(|_| StoreError::Corrupt("problems"))?,
            recorded_by: parse("problems", &row.recorded_by)?,
            recorded_by_name,
            condition: row.condition,
            onset: row.onset,
            recorded_at: row.recorded_at,
            updated_at: row.updated_at,
            version: row.version,
        })
    }
}

/// A problem as recorded or changed: every field, valid.
pub struct ProblemFields {
    pub condition: Condition,
    pub onset: Option<NaiveDate>,
    pub status: ProblemStatus,
}

pub fn insert(
    conn: &mut DbConnection,
    patient: PatientId,
    fields: ProblemFields,
    by: UserId,
    now: NaiveDateTime,
) -> Result<ProblemId, StoreError> {
    let id = ProblemId::new();
    diesel::insert_into(problems::table)
        .values((
            problems::patient_id.eq(patient.to_string()),
            problems::id.eq(id.to_string()),
            problems::condition.eq(fields.condition.into_inner()),
            problems::onset.eq(fields.onset),
            problems::status.eq(fields.status.as_str()),
            problems::recorded_by.eq(by.to_string()),
            problems::recorded_at.eq(now),
            problems::updated_by.eq(by.to_string()),
            problems::updated_at.eq(now),
            problems::version.eq(1),
        ))
        .execute(conn)?;
    Ok(id)
}

/// The chart's problems, active ones first, then the latest recorded first.
pub fn of(conn: &mut DbConnection, patient: PatientId) -> Result<Vec<Problem>, StoreError> {
    natively!(conn, |c| prepared_once(
        problems::table
            .inner_join(users::table.on(users::id.eq(problems::recorded_by)))
            .filter(problems::patient_id.eq(patient.to_string()))
            .order((problems::status.asc(), problems::recorded_at.desc()))
            .select((ProblemRow::as_select(), users::name))
    )
    .load::<(ProblemRow, String)>(c))?
    .into_iter()
    .map(Problem::try_from)
    .collect()
}

pub fn find(conn: &mut DbConnection, id: ProblemId) -> Result<Option<Problem>, StoreError> {
    problems::table
        .inner_join(users::table.on(users::id.eq(problems::recorded_by)))
        .filter(problems::id.eq(id.to_string()))
        .select((ProblemRow::as_select(), users::name))
        .first::<(ProblemRow, String)>(conn)
        .optional()?
        .map(Problem::try_from)
        .transpose()
}

/// Replaces the problem's fields if it is still at `version`; the problem afterwards.
pub fn update(
    conn: &mut DbConnection,
    current: &Problem,
    version: i64,
    fields: ProblemFields,
    by: UserId,
    now: NaiveDateTime,
) -> Result<Result<Problem, EditRefused>, StoreError> {
    let at_version = problems::table
        .filter(problems::patient_id.eq(current.patient_id.to_string()))
        .filter(problems::id.eq(current.id.to_string()))
        .filter(problems::version.eq(version));
    let changed = diesel::update(at_version)
        .set((
            problems::condition.eq(fields.condition.into_inner()),
            problems::onset.eq(fields.onset),
            problems::status.eq(fields.status.as_str()),
            problems::updated_by.eq(by.to_string()),
            problems::updated_at.eq(now),
            problems::version.eq(version + 1),
        ))
        .execute(conn)?;
    Ok(super::edited(changed, find(conn, current.id)?, |problem| {
        problem.version
    }))
}
