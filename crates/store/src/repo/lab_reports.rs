//! Lab reports sent to be read, their reading as a durable job, and the rows read from them.
//!
//! A job is claimed with a conditional update (its status is still open and no other server's
//! lease on it is running): of two servers that try at once, one updates the row and the other
//! finds nothing to update. This works alike on SQLite, PostgreSQL and Citus, where `SELECT …
//! FOR UPDATE SKIP LOCKED` across shards is not available.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use medvault_domain::labs::{LabReportStatus, RowDecision};
use medvault_domain::{FileId, LabReportId, LabResultId, PatientId, UserId};

use super::prepared_once;
use crate::rows::{parse, parse_opt};
use crate::schema::{lab_report_rows, lab_reports, users};
use crate::{DbConnection, StoreError};

#[derive(Clone, Debug)]
pub struct LabReport {
    pub id: LabReportId,
    pub patient_id: PatientId,
    pub file_id: FileId,
    pub uploaded_by: UserId,
    pub uploaded_by_name: String,
    pub patient_provided: bool,
    pub status: LabReportStatus,
    pub attempts: i32,
    pub run_after: NaiveDateTime,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub pages: Option<i32>,
    pub text_source: Option<String>,
    pub document_kind: Option<String>,
    pub kind_confidence: Option<f64>,
    pub created_at: NaiveDateTime,
    pub read_at: Option<NaiveDateTime>,
    pub reviewed_by: Option<UserId>,
    pub reviewed_at: Option<NaiveDateTime>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = lab_reports)]
struct ReportRow {
    id: String,
    patient_id: String,
    file_id: String,
    uploaded_by: String,
    patient_provided: bool,
    status: String,
    attempts: i32,
    run_after: NaiveDateTime,
    error_code: Option<String>,
    error_message: Option<String>,
    pages: Option<i32>,
    text_source: Option<String>,
    document_kind: Option<String>,
    kind_confidence: Option<f64>,
    created_at: NaiveDateTime,
    read_at: Option<NaiveDateTime>,
    reviewed_by: Option<String>,
    reviewed_at: Option<NaiveDateTime>,
}

impl TryFrom<(ReportRow, String)> for LabReport {
    type Error = StoreError;

    fn try_from((row, uploaded_by_name): (ReportRow, String)) -> Result<Self, StoreError> {
        const TABLE: &str = "lab_reports";
        Ok(LabReport {
            id: parse(TABLE, &row.id)?,
            patient_id: parse(TABLE, &row.patient_id)?,
            file_id: parse(TABLE, &row.file_id)?,
            uploaded_by: parse(TABLE, &row.uploaded_by)?,
            status: LabReportStatus::parse(&row.status).map_err(|_| StoreError::Corrupt(TABLE))?,
            reviewed_by: parse_opt(TABLE, row.reviewed_by.as_deref())?,
            uploaded_by_name,
            patient_provided: row.patient_provided,
            attempts: row.attempts,
            run_after: row.run_after,
            error_code: row.error_code,
            error_message: row.error_message,
            pages: row.pages,
            text_source: row.text_source,
            document_kind: row.document_kind,
            kind_confidence: row.kind_confidence,
            created_at: row.created_at,
            read_at: row.read_at,
            reviewed_at: row.reviewed_at,
        })
    }
}

/// A report as it is sent.
pub struct NewLabReport {
    pub id: LabReportId,
    pub file_id: FileId,
    pub uploaded_by: UserId,
    pub patient_provided: bool,
}

pub fn insert(
    conn: &mut DbConnection,
    patient: PatientId,
    new: NewLabReport,
    now: NaiveDateTime,
) -> Result<(), StoreError> {
    diesel::insert_into(lab_reports::table)
        .values((
            lab_reports::patient_id.eq(patient.to_string()),
            lab_reports::id.eq(new.id.to_string()),
            lab_reports::file_id.eq(new.file_id.to_string()),
            lab_reports::uploaded_by.eq(new.uploaded_by.to_string()),
            lab_reports::patient_provided.eq(new.patient_provided),
            lab_reports::status.eq(LabReportStatus::Queued.as_str()),
            lab_reports::attempts.eq(0),
            lab_reports::run_after.eq(now),
            lab_reports::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConnection, id: LabReportId) -> Result<Option<LabReport>, StoreError> {
    natively!(conn, |c| lab_reports::table
        .inner_join(users::table.on(users::id.eq(lab_reports::uploaded_by)))
        .select((ReportRow::as_select(), users::name))
        .filter(lab_reports::id.eq(id.to_string()))
        .first::<(ReportRow, String)>(c)
        .optional())?
    .map(LabReport::try_from)
    .transpose()
}

/// The chart's reports, newest first, at most `limit`.
pub fn of(
    conn: &mut DbConnection,
    patient: PatientId,
    limit: usize,
) -> Result<Vec<LabReport>, StoreError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    natively!(conn, |c| prepared_once(
        lab_reports::table
            .inner_join(users::table.on(users::id.eq(lab_reports::uploaded_by)))
            .select((ReportRow::as_select(), users::name))
            .filter(lab_reports::patient_id.eq(patient.to_string()))
            .order((lab_reports::created_at.desc(), lab_reports::id.desc()))
            .limit(limit)
    )
    .load::<(ReportRow, String)>(c))?
    .into_iter()
    .map(LabReport::try_from)
    .collect()
}

/// Jobs that may be taken now: queued and due, or being read under a lease that has run out
/// (its server died), oldest first.
pub fn due(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    limit: usize,
) -> Result<Vec<(PatientId, LabReportId)>, StoreError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let open = [
        LabReportStatus::Queued.as_str(),
        LabReportStatus::Reading.as_str(),
    ];
    let found: Vec<(String, String)> = natively!(conn, |c| lab_reports::table
        .select((lab_reports::patient_id, lab_reports::id))
        .filter(lab_reports::status.eq_any(open))
        .filter(lab_reports::run_after.le(now))
        .filter(
            lab_reports::lease_until
                .is_null()
                .or(lab_reports::lease_until.lt(now)),
        )
        .order(lab_reports::run_after.asc())
        .limit(limit)
        .load(c))?;
    found
        .into_iter()
        .map(|(patient, id)| Ok((parse("lab_reports", &patient)?, parse("lab_reports", &id)?)))
        .collect()
}

/// Takes the job for `server` until `lease_until`, if no other server holds it: whether it was
/// taken. Counts the attempt.
pub fn claim(
    conn: &mut DbConnection,
    patient: PatientId,
    id: LabReportId,
    server: &str,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
) -> Result<bool, StoreError> {
    let open = [
        LabReportStatus::Queued.as_str(),
        LabReportStatus::Reading.as_str(),
    ];
    let taken = diesel::update(lab_reports::table)
        .filter(lab_reports::patient_id.eq(patient.to_string()))
        .filter(lab_reports::id.eq(id.to_string()))
        .filter(lab_reports::status.eq_any(open))
        .filter(lab_reports::run_after.le(now))
        .filter(
            lab_reports::lease_until
                .is_null()
                .or(lab_reports::lease_until.lt(now)),
        )
        .set((
            lab_reports::status.eq(LabReportStatus::Reading.as_str()),
            lab_reports::claimed_by.eq(server),
            lab_reports::lease_until.eq(lease_until),
            lab_reports::attempts.eq(lab_reports::attempts + 1),
        ))
        .execute(conn)?;
    Ok(taken == 1)
}

/// Extends `server`'s claim on a job it is reading: whether the job is still its own.
pub fn renew(
    conn: &mut DbConnection,
    patient: PatientId,
    id: LabReportId,
    server: &str,
    lease_until: NaiveDateTime,
) -> Result<bool, StoreError> {
    let renewed = diesel::update(lab_reports::table)
        .filter(lab_reports::patient_id.eq(patient.to_string()))
        .filter(lab_reports::id.eq(id.to_string()))
        .filter(lab_reports::status.eq(LabReportStatus::Reading.as_str()))
        .filter(lab_reports::claimed_by.eq(server))
        .set(lab_reports::lease_until.eq(lease_until))
        .execute(conn)?;
    Ok(renewed == 1)
}

/// What reading a report found.
pub struct ReadResult {
    pub pages: i32,
    pub text_source: String,
    pub document_kind: String,
    pub kind_confidence: f64,
    /// Each row as read, as JSON.
    pub rows: Vec<String>,
}

/// Keeps what `server` read, if the job is still its own: whether it was. The report waits for
/// review.
pub fn finish_reading(
    conn: &mut DbConnection,
    patient: PatientId,
    id: LabReportId,
    server: &str,
    read: ReadResult,
    now: NaiveDateTime,
) -> Result<bool, StoreError> {
    let kept = diesel::update(lab_reports::table)
        .filter(lab_reports::patient_id.eq(patient.to_string()))
        .filter(lab_reports::id.eq(id.to_string()))
        .filter(lab_reports::status.eq(LabReportStatus::Reading.as_str()))
        .filter(lab_reports::claimed_by.eq(server))
        .set((
            lab_reports::status.eq(LabReportStatus::Review.as_str()),
            lab_reports::lease_until.eq(None::<NaiveDateTime>),
            lab_reports::pages.eq(read.pages),
            lab_reports::text_source.eq(read.text_source),
            lab_reports::document_kind.eq(read.document_kind),
            lab_reports::kind_confidence.eq(read.kind_confidence),
            lab_reports::error_code.eq(None::<String>),
            lab_reports::error_message.eq(None::<String>),
            lab_reports::read_at.eq(now),
        ))
        .execute(conn)?;
    if kept != 1 {
        return Ok(false);
    }
    for (n, draft) in read.rows.into_iter().enumerate() {
        diesel::insert_into(lab_report_rows::table)
            .values((
                lab_report_rows::patient_id.eq(patient.to_string()),
                lab_report_rows::report_id.eq(id.to_string()),
                lab_report_rows::n.eq(i32::try_from(n).unwrap_or(i32::MAX)),
                lab_report_rows::draft.eq(draft),
            ))
            .execute(conn)?;
    }
    Ok(true)
}

/// Records why `server` could not read the report: it is queued again for `retry_at`, or has
/// failed for good when there is none. Whether the job was still its own.
pub fn fail_reading(
    conn: &mut DbConnection,
    patient: PatientId,
    id: LabReportId,
    server: &str,
    (code, message): (&str, &str),
    retry_at: Option<NaiveDateTime>,
) -> Result<bool, StoreError> {
    let ours = lab_reports::table
        .filter(lab_reports::patient_id.eq(patient.to_string()))
        .filter(lab_reports::id.eq(id.to_string()))
        .filter(lab_reports::status.eq(LabReportStatus::Reading.as_str()))
        .filter(lab_reports::claimed_by.eq(server));
    let reason = (
        lab_reports::lease_until.eq(None::<NaiveDateTime>),
        lab_reports::error_code.eq(code),
        lab_reports::error_message.eq(message),
    );
    let changed = match retry_at {
        Some(at) => diesel::update(ours)
            .set((
                lab_reports::status.eq(LabReportStatus::Queued.as_str()),
                lab_reports::run_after.eq(at),
                reason,
            ))
            .execute(conn)?,
        None => diesel::update(ours)
            .set((
                lab_reports::status.eq(LabReportStatus::Failed.as_str()),
                reason,
            ))
            .execute(conn)?,
    };
    Ok(changed == 1)
}

/// A row read from a report, and what the reviewer decided.
#[derive(Clone, Debug)]
pub struct StoredRow {
    pub n: i32,
    /// The row as read, as JSON.
    pub draft: String,
    pub decision: Option<RowDecision>,
    pub lab_result_id: Option<LabResultId>,
    pub decided_by: Option<UserId>,
    pub decided_at: Option<NaiveDateTime>,
}

pub fn rows(
    conn: &mut DbConnection,
    patient: PatientId,
    id: LabReportId,
) -> Result<Vec<StoredRow>, StoreError> {
    const TABLE: &str = "lab_report_rows";
    type Row = (
        i32,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<NaiveDateTime>,
    );
    let found: Vec<Row> = natively!(conn, |c| lab_report_rows::table
        .select((
            lab_report_rows::n,
            lab_report_rows::draft,
            lab_report_rows::decision,
            lab_report_rows::lab_result_id,
            lab_report_rows::decided_by,
            lab_report_rows::decided_at,
        ))
        .filter(lab_report_rows::patient_id.eq(patient.to_string()))
        .filter(lab_report_rows::report_id.eq(id.to_string()))
        .order(lab_report_rows::n.asc())
        .load(c))?;
    found
        .into_iter()
        .map(|(n, draft, decision, result, by, at)| {
            Ok(StoredRow {
                n,
                draft,
                decision: decision
                    .as_deref()
                    .map(RowDecision::parse)
                    .transpose()
                    .map_err(|_| StoreError::Corrupt(TABLE))?,
                lab_result_id: parse_opt(TABLE, result.as_deref())?,
                decided_by: parse_opt(TABLE, by.as_deref())?,
                decided_at: at,
            })
        })
        .collect()
}

/// A reviewer's decision on one row: the result it became, if confirmed.
pub struct Decided {
    pub n: i32,
    pub decision: RowDecision,
    pub result: Option<LabResultId>,
    pub by: UserId,
    pub at: NaiveDateTime,
}

/// Records a reviewer's decision on a row not yet decided: whether it was undecided.
pub fn decide(
    conn: &mut DbConnection,
    patient: PatientId,
    id: LabReportId,
    decided: Decided,
) -> Result<bool, StoreError> {
    let changed = diesel::update(lab_report_rows::table)
        .filter(lab_report_rows::patient_id.eq(patient.to_string()))
        .filter(lab_report_rows::report_id.eq(id.to_string()))
        .filter(lab_report_rows::n.eq(decided.n))
        .filter(lab_report_rows::decision.is_null())
        .set((
            lab_report_rows::decision.eq(decided.decision.as_str()),
            lab_report_rows::lab_result_id.eq(decided.result.map(|r| r.to_string())),
            lab_report_rows::decided_by.eq(decided.by.to_string()),
            lab_report_rows::decided_at.eq(decided.at),
        ))
        .execute(conn)?;
    Ok(changed == 1)
}

/// Marks the report reviewed once every row has its decision.
pub fn close_review(
    conn: &mut DbConnection,
    patient: PatientId,
    id: LabReportId,
    by: UserId,
    now: NaiveDateTime,
) -> Result<(), StoreError> {
    diesel::update(lab_reports::table)
        .filter(lab_reports::patient_id.eq(patient.to_string()))
        .filter(lab_reports::id.eq(id.to_string()))
        .filter(lab_reports::status.eq(LabReportStatus::Review.as_str()))
        .set((
            lab_reports::status.eq(LabReportStatus::Done.as_str()),
            lab_reports::reviewed_by.eq(by.to_string()),
            lab_reports::reviewed_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}
