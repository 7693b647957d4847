//! What a chart's page opens with: the chart, the caller's ties to it, and which of its short
//! lists hold anything, in one statement. A list known to be empty is not asked for, and each
//! statement not sent is a round trip saved on both sides: most charts have no open alerts, no
//! lab reports and no files, and many no allergies, problems or prescriptions.

use chrono::NaiveDateTime;
use diesel::dsl::exists;
use diesel::prelude::*;
use medvault_domain::{PatientId, Ties, UserId};

use super::access::{TieFacts, tie_exists, ties_of};
use super::patients::{Patient, PatientRow};
use super::prepared_once;
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

/// Chart `patient`, the ties `user` has to it at `now`, and what it holds; `None` if there is no
/// such chart.
pub fn opened(
    conn: &mut DbConnection,
    user: UserId,
    patient: PatientId,
    now: NaiveDateTime,
) -> Result<Option<(Patient, Ties, Holdings)>, StoreError> {
    let id = patient.to_string();
    let found = natively!(conn, |c| prepared_once(
        patients::table
            .find(id.clone())
            .select((
                PatientRow::as_select(),
                tie_exists!(user.to_string(), id.clone(), now),
                (
                    exists(allergies::table.filter(allergies::patient_id.eq(id.clone()))),
                    exists(problems::table.filter(problems::patient_id.eq(id.clone()))),
                    exists(prescriptions::table.filter(prescriptions::patient_id.eq(id.clone()))),
                    exists(files::table.filter(files::patient_id.eq(id.clone()))),
                    exists(lab_reports::table.filter(lab_reports::patient_id.eq(id.clone()))),
                    exists(
                        critical_alerts::table
                            .filter(critical_alerts::patient_id.eq(id.clone()))
                            .filter(critical_alerts::acknowledged_at.is_null()),
                    ),
                ),
            ))
            .limit(1)
    )
    .get_result::<(PatientRow, TieFacts, HoldingFacts)>(c)
    .optional())?;
    found
        .map(|(chart, ties, holdings)| {
            Ok((
                Patient::try_from(chart)?,
                ties_of(ties),
                holdings_of(holdings),
            ))
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
