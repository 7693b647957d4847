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

/// One tie's people as rows of the union: which tie, who, their name, and since when.
macro_rules! tie_rows {
    ($tie:ident, $person:ident, $since:ident, $which:expr, $patient:expr) => {
        ties_with_users!($tie, $person, $patient).select((
            $which.into_sql::<Integer>(),
            $tie::$person,
            users::name,
            $tie::$since,
        ))
    };
}

/// Everyone tied to chart `patient`.
pub fn tied_to(conn: &mut DbConnection, patient: PatientId) -> Result<Tied, StoreError> {
    let patient = patient.to_string();
    let mut rows: Vec<TieRow> = natively!(conn, |c| prepared_once(
        tie_rows!(care_team, doctor_id, created_at, CARE_TEAM, patient.clone())
            .union_all(tie_rows!(
                trainee_links,
                trainee_id,
                created_at,
                TRAINEE,
                patient.clone()
            ))
            .union_all(tie_rows!(
                guardians,
                guardian_id,
                added_at,
                GUARDIAN,
                patient.clone()
            ))
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
