//! Everyone tied to a chart, as its page lists them: its care team, its linked trainees and its
//! guardians, in one statement where they took three. Each statement is a round trip to
//! PostgreSQL, and on a busy machine the waiting on either side of one costs more than reading
//! a chart's few ties: there the page reads them in the chart's own row (`repo::chart`).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use medvault_domain::{PatientId, UserId};
use serde::Deserialize;

use super::prepared_once;
use crate::rows::parse;
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
pub(super) const CARE_TEAM: i32 = 0;
pub(super) const TRAINEE: i32 = 1;
pub(super) const GUARDIAN: i32 = 2;

/// A row of [`everyone_tied`]'s union, read as a row or from JSON (`repo::chart`).
#[derive(Queryable, Deserialize)]
pub(super) struct TieRow {
    tie: i32,
    person: String,
    name: String,
    #[diesel(deserialize_as = Stamp)]
    since: NaiveDateTime,
}

/// Everyone tied to chart `patient`.
pub(super) fn tied_to(conn: &mut DbConnection, patient: PatientId) -> Result<Tied, StoreError> {
    let patient = patient.to_string();
    let rows: Vec<TieRow> = natively!(conn, |c| prepared_once(everyone_tied!(
        patient,
        std::convert::identity
    ))
    .load(c))?;
    tied_of(rows)
}

/// The people of [`everyone_tied`]'s rows, each tie's earliest first.
pub(super) fn tied_of(mut rows: Vec<TieRow>) -> Result<Tied, StoreError> {
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
