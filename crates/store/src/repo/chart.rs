//! What a chart's page opens with: the chart, the caller's ties to it, which of its short lists
//! hold anything, and the people tied to it, in one statement on PostgreSQL. A list known to be
//! empty is not asked for, and each statement not sent is a round trip saved on both sides:
//! most charts have no open alerts, no lab reports and no files, and many no allergies,
//! problems or prescriptions.

use chrono::NaiveDateTime;
use diesel::dsl::exists;
use diesel::prelude::*;
use medvault_domain::{PatientId, Ties, UserId};

use super::access::{TieFacts, tie_exists, ties_of};
use super::patients::{Patient, PatientRow};
use super::pg_json::{fields, json_list, rows_of};
use super::prepared_once;
use super::tied::{self, Tied};
use crate::schema::{
    allergies, critical_alerts, files, lab_reports, patients, prescriptions, problems,
};
use crate::{DbConnection, StoreError};

/// Which of a chart's short lists hold at least one entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Holdings {
    pub allergies: bool,
    pub problems: bool,
    pub prescriptions: bool,
    /// Files, deleted ones included (whoever may restore them sees those too).
    pub files: bool,
    pub lab_reports: bool,
    /// Critical alerts not yet acknowledged.
    pub open_alerts: bool,
}

type HoldingFacts = (bool, bool, bool, bool, bool, bool);

/// Whether `$table` holds any row of chart `$id` (a bound id), selecting one column as
/// `tie_exists` does, and for the same reason.
macro_rules! holds {
    ($table:ident, $id:expr) => {
        exists(
            $table::table
                .filter($table::patient_id.eq($id.clone()))
                .select($table::patient_id),
        )
    };
}

/// Chart `$id` (a bound id), the ties `$user` has to it at `$now`, and whether each of its
/// short lists holds anything, as one row's columns; then `$more`, if given.
macro_rules! opened {
    ($id:expr, $user:expr, $now:expr $(, $more:expr)?) => {
        (
            PatientRow::as_select(),
            tie_exists!($user.to_string(), $id.clone(), $now),
            (
                holds!(allergies, $id),
                holds!(problems, $id),
                holds!(prescriptions, $id),
                holds!(files, $id),
                holds!(lab_reports, $id),
                exists(
                    critical_alerts::table
                        .filter(critical_alerts::patient_id.eq($id.clone()))
                        .filter(critical_alerts::acknowledged_at.is_null())
                        .select(critical_alerts::patient_id),
                ),
            ),
            $($more)?
        )
    };
}

/// A chart as its page opens it: the chart, the ties the caller has to it, what it holds, and
/// everyone tied to it.
pub struct Opened {
    pub chart: Patient,
    pub ties: Ties,
    pub holdings: Holdings,
    pub tied: Tied,
}

/// Chart `patient`, the ties `user` has to it at `now`, what it holds, and everyone tied to it;
/// `None` if there is no such chart. On PostgreSQL in one statement, the people as a JSON list
/// in the chart's row (`pg_json`): a statement of their own was a round trip, and on a busy
/// machine the waiting on both sides of one cost more than reading a chart's few ties (the
/// chart page ran 7 % faster with them in its row). SQLite, in the server's own process, reads
/// them apart.
pub fn opened(
    conn: &mut DbConnection,
    user: UserId,
    patient: PatientId,
    now: NaiveDateTime,
) -> Result<Option<Opened>, StoreError> {
    let id = patient.to_string();
    let chart = patients::table.find(id.clone()).limit(1);
    let found = match conn {
        DbConnection::Postgres(c) => {
            let people = json_list(everyone_tied!(id, fields));
            prepared_once(chart.select(opened!(id, user, now, people)))
                .get_result::<(PatientRow, TieFacts, HoldingFacts, String)>(c)
                .optional()?
                .map(|(chart, ties, holdings, people)| {
                    let tied = tied::tied_of(rows_of("care_team", &people)?)?;
                    Ok::<_, StoreError>((chart, ties, holdings, tied))
                })
                .transpose()?
        }
        DbConnection::Sqlite(c) => {
            let found = prepared_once(chart.select(opened!(id, user, now)))
                .get_result::<(PatientRow, TieFacts, HoldingFacts)>(c)
                .optional()?;
            match found {
                Some((chart, ties, holdings)) => {
                    Some((chart, ties, holdings, tied::tied_to(conn, patient)?))
                }
                None => None,
            }
        }
    };
    found
        .map(|(chart, ties, holdings, tied)| {
            Ok(Opened {
                chart: Patient::try_from(chart)?,
                ties: ties_of(ties),
                holdings: holdings_of(holdings),
                tied,
            })
        })
        .transpose()
}

fn holdings_of(
    (allergies, problems, prescriptions, files, lab_reports, open_alerts): HoldingFacts,
) -> Holdings {
    Holdings {
        allergies,
        problems,
        prescriptions,
        files,
        lab_reports,
        open_alerts,
    }
}
