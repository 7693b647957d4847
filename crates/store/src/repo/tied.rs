//! Everyone tied to a chart, as its page lists them: its care team, its linked trainees and its
//! guardians, in one statement where they took three. Each statement is a round trip to
//! PostgreSQL, and on a busy machine the waiting on either side of one costs more than reading
//! a chart's few ties.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::Integer;
use medvault_domain::{PatientId, UserId};

use super::prepared_once;
use crate::rows::parse;
use crate::schema::{care_team, guardians, trainee_links, users};
use crate::stamp::Stamp;
use crate::{DbConnection, StoreError};

/// The people tied to one chart by each tie, named, earliest tie first.
#[derive(Debug, Default)]
pub struct Tied {
    pub care_team: Vec<(UserId, String)>,
    pub trainees: Vec<(UserId, String)>,
    pub guardians: Vec<(UserId, String)>,
}

// Which tie a row of the union is of.
const CARE_TEAM: i32 = 0;
const TRAINEE: i32 = 1;
const GUARDIAN: i32 = 2;

#[derive(Queryable)]
struct TieRow {
    tie: i32,
    person: String,
    name: String,
    #[diesel(deserialize_as = Stamp)]
    since: NaiveDateTime,
}

/// Everyone tied to chart `patient`.
pub fn tied_to(conn: &mut DbConnection, patient: PatientId) -> Result<Tied, StoreError> {
    let patient = patient.to_string();
    let mut rows: Vec<TieRow> = natively!(conn, |c| prepared_once(
        care_team::table
            .inner_join(users::table.on(users::id.eq(care_team::doctor_id)))
            .filter(care_team::patient_id.eq(patient.clone()))
            .select((
                CARE_TEAM.into_sql::<Integer>(),
                care_team::doctor_id,
                users::name,
                care_team::created_at,
            ))
            .union_all(
                trainee_links::table
                    .inner_join(users::table.on(users::id.eq(trainee_links::trainee_id)))
                    .filter(trainee_links::patient_id.eq(patient.clone()))
                    .select((
                        TRAINEE.into_sql::<Integer>(),
                        trainee_links::trainee_id,
                        users::name,
                        trainee_links::created_at,
                    )),
            )
            .union_all(
                guardians::table
                    .inner_join(users::table.on(users::id.eq(guardians::guardian_id)))
                    .filter(guardians::patient_id.eq(patient.clone()))
                    .select((
                        GUARDIAN.into_sql::<Integer>(),
                        guardians::guardian_id,
                        users::name,
                        guardians::added_at,
                    )),
            )
    )
    .load(c))?;
    rows.sort_by_key(|row| (row.tie, row.since));
    let mut tied = Tied::default();
    for row in rows {
        let (list, table) = match row.tie {
            CARE_TEAM => (&mut tied.care_team, "care_team"),
            TRAINEE => (&mut tied.trainees, "trainee_links"),
            _ => (&mut tied.guardians, "guardians"),
        };
        list.push((parse(table, &row.person)?, row.name));
    }
    Ok(tied)
}
