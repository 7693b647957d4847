//! Alerts raised by critical lab results, open until a doctor acknowledges them.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use medvault_domain::{AlertId, LabResultId, PatientId, UserId};

use super::prepared_once;
use crate::rows::{parse, parse_opt};
use crate::schema::{care_team, critical_alerts};
use crate::{DbConnection, StoreError};

#[derive(Clone, Debug)]
pub struct Alert {
    pub id: AlertId,
    pub patient_id: PatientId,
    pub lab_result_id: LabResultId,
    /// The insight rule that raised it.
    pub rule: String,
    pub title: String,
    pub raised_at: NaiveDateTime,
    pub acknowledged_by: Option<UserId>,
    pub acknowledged_at: Option<NaiveDateTime>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = critical_alerts)]
struct AlertRow {
    id: String,
    patient_id: String,
    lab_result_id: String,
    rule: String,
    title: String,
    raised_at: NaiveDateTime,
    acknowledged_by: Option<String>,
    acknowledged_at: Option<NaiveDateTime>,
}

impl TryFrom<AlertRow> for Alert {
    type Error = StoreError;

    fn try_from(row: AlertRow) -> Result<Self, StoreError> {
        const TABLE: &str = "critical_alerts";
        Ok(Alert {
            id: parse(TABLE, &row.id)?,
            patient_id: parse(TABLE, &row.patient_id)?,
            lab_result_id: parse(TABLE, &row.lab_result_id)?,
            acknowledged_by: parse_opt(TABLE, row.acknowledged_by.as_deref())?,
            rule: row.rule,
            title: row.title,
            raised_at: row.raised_at,
            acknowledged_at: row.acknowledged_at,
        })
    }
}

pub fn raise(
    conn: &mut DbConnection,
    patient: PatientId,
    result: LabResultId,
    (rule, title): (&str, &str),
    now: NaiveDateTime,
) -> Result<AlertId, StoreError> {
    let id = AlertId::new();
    diesel::insert_into(critical_alerts::table)
        .values((
            critical_alerts::patient_id.eq(patient.to_string()),
            critical_alerts::id.eq(id.to_string()),
            critical_alerts::lab_result_id.eq(result.to_string()),
            critical_alerts::rule.eq(rule),
            critical_alerts::title.eq(title),
            critical_alerts::raised_at.eq(now),
        ))
        .execute(conn)?;
    Ok(id)
}

/// The chart's alerts not yet acknowledged, newest first.
pub fn open(conn: &mut DbConnection, patient: PatientId) -> Result<Vec<Alert>, StoreError> {
    natively!(conn, |c| prepared_once(
        critical_alerts::table
            .select(AlertRow::as_select())
            .filter(critical_alerts::patient_id.eq(patient.to_string()))
            .filter(critical_alerts::acknowledged_at.is_null())
            .order(critical_alerts::raised_at.desc())
    )
    .load::<AlertRow>(c))?
    .into_iter()
    .map(Alert::try_from)
    .collect()
}

/// The open alerts of the charts on a doctor's care team, newest first, at most `limit`.
pub fn open_for_care_team(
    conn: &mut DbConnection,
    doctor: UserId,
    limit: usize,
) -> Result<Vec<Alert>, StoreError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    natively!(conn, |c| critical_alerts::table
        .inner_join(care_team::table.on(care_team::patient_id.eq(critical_alerts::patient_id)))
        .select(AlertRow::as_select())
        .filter(care_team::doctor_id.eq(doctor.to_string()))
        .filter(critical_alerts::acknowledged_at.is_null())
        .order(critical_alerts::raised_at.desc())
        .limit(limit)
        .load::<AlertRow>(c))?
    .into_iter()
    .map(Alert::try_from)
    .collect()
}

pub fn find(conn: &mut DbConnection, id: AlertId) -> Result<Option<Alert>, StoreError> {
    natively!(conn, |c| critical_alerts::table
        .select(AlertRow::as_select())
        .filter(critical_alerts::id.eq(id.to_string()))
        .first::<AlertRow>(c)
        .optional())?
    .map(Alert::try_from)
    .transpose()
}

/// Acknowledges an open alert: whether it was open.
pub fn acknowledge(
    conn: &mut DbConnection,
    alert: &Alert,
    by: UserId,
    now: NaiveDateTime,
) -> Result<bool, StoreError> {
    let changed = diesel::update(critical_alerts::table)
        .filter(critical_alerts::patient_id.eq(alert.patient_id.to_string()))
        .filter(critical_alerts::id.eq(alert.id.to_string()))
        .filter(critical_alerts::acknowledged_at.is_null())
        .set((
            critical_alerts::acknowledged_by.eq(by.to_string()),
            critical_alerts::acknowledged_at.eq(now),
        ))
        .execute(conn)?;
    Ok(changed == 1)
}
