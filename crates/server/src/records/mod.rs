//! Clinical records: the use cases. Access follows the chart the record belongs to.

pub mod api;
pub mod web;

use medvault_domain::AuditAction;
use medvault_domain::policy::{self, Action, Relation};
use medvault_domain::{
    Actor, ErrorReason, PatientId, RecordId, RecordKind, RecordNotes, RecordStatus, RecordTitle,
};
use medvault_store::repo::care_team;
use medvault_store::repo::records::{self, Amendment, RecordVersion, RecordsOf};
use medvault_store::{DbConnection, NewRecord, Page, Record};

use crate::app::{AppState, UseCase};
use crate::audit::{Event, RequestMeta};
use crate::error::AppError;
use crate::patients::{Authorized, Subject, authorize, relation_allowing};

pub async fn create(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    patient: PatientId,
    text: RecordText,
) -> Result<Record, AppError> {
    let (kind, title, notes) = text.parse()?;
    state
        .run(actor, meta, move |conn, uc| {
            authorize(
                conn,
                &actor,
                patient,
                Action::WriteRecord,
                Subject::new(AuditAction::RecordCreate),
                uc.now,
            )?;
            let new = NewRecord {
                patient_id: patient,
                author_id: actor.user_id,
                kind,
                title,
                notes,
            };
            let id = records::insert(conn, new, uc.now)?;
            let record = records::find(conn, id)?.ok_or(AppError::NotFound)?;
            let event = Event::success(&actor, AuditAction::RecordCreate)
                .resource(record.id)
                .patient(patient);
            uc.record(event);
            Ok(record)
        })
        .await
}

/// A chart's records, newest first. The records and the caller's ties to the chart are read
/// in one statement; the records are dropped unseen if the policy refuses the list.
pub async fn list_for_patient(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    patient: PatientId,
    cursor: Option<String>,
    limit: usize,
) -> Result<Page<Record>, AppError> {
    state
        .view(actor, meta, move |conn, uc| {
            let (page, ties) = records::of_chart_with_ties(
                conn,
                patient,
                actor.user_id,
                uc.now,
                cursor.as_deref(),
                limit,
            )?
            .ok_or(AppError::NotFound)?;
            let subject = Subject::new(AuditAction::RecordList);
            let relation = relation_allowing(&actor, patient, ties, Action::ReadRecords, subject)?;
            let event = Event::success(&actor, AuditAction::RecordList)
                .patient(patient)
                .emergency(relation.is_emergency());
            uc.record(event);
            Ok(page)
        })
        .await
}

pub async fn get(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    id: RecordId,
) -> Result<Record, AppError> {
    state
        .view(actor, meta, move |conn, uc| {
            let read = AuditAction::RecordRead;
            let (record, granted) = with_access(conn, &actor, id, Action::ReadRecords, read, uc)?;
            uc.record(acted_on(&actor, read, &record, &granted));
            Ok(record)
        })
        .await
}

/// A record, and how the actor stands to its chart, if the policy lets them do `action` to it;
/// a refusal is audited as `audited`.
fn with_access(
    conn: &mut DbConnection,
    actor: &Actor,
    id: RecordId,
    action: Action,
    audited: AuditAction,
    uc: &UseCase,
) -> Result<(Record, Authorized), AppError> {
    let record = records::find(conn, id)?.ok_or(AppError::NotFound)?;
    let subject = Subject::id(audited, id);
    let granted = authorize(conn, actor, record.patient_id, action, subject, uc.now)?;
    Ok((record, granted))
}

/// The audit entry of an act on a record.
fn acted_on<'a>(
    actor: &'a Actor,
    audited: AuditAction,
    record: &Record,
    granted: &Authorized,
) -> Event<'a> {
    Event::success(actor, audited)
        .resource(record.id)
        .patient(record.patient_id)
        .emergency(granted.emergency())
}

/// A record's text as submitted: its kind (a progress note when not given), title and notes.
pub struct RecordText {
    pub kind: Option<String>,
    pub title: String,
    pub notes: String,
}

impl RecordText {
    fn parse(&self) -> Result<(RecordKind, RecordTitle, RecordNotes), AppError> {
        let kind = match self.kind.as_deref().map(str::trim) {
            None | Some("") => RecordKind::default(),
            Some(raw) => RecordKind::parse(raw)?,
        };
        Ok((
            kind,
            RecordTitle::parse(&self.title)?,
            RecordNotes::parse(&self.notes)?,
        ))
    }
}

/// What is done to a record: a new text, or marking it entered in error.
pub enum Change {
    Amend(RecordText),
    EnteredInError { reason: String },
}

/// Changes a record, made on `version` of it, by its author or another care-team doctor (or an
/// admin); the earlier version stays in its history. A record entered in error is not changed
/// again.
pub async fn change(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    id: RecordId,
    version: i64,
    change: Change,
) -> Result<Record, AppError> {
    let (amendment, audited) = match change {
        Change::Amend(text) => {
            let (kind, title, notes) = text.parse()?;
            let amendment = Amendment::Text { kind, title, notes };
            (amendment, AuditAction::RecordAmend)
        }
        Change::EnteredInError { reason } => (
            Amendment::EnteredInError(ErrorReason::parse(&reason)?),
            AuditAction::RecordEnteredInError,
        ),
    };
    state
        .run(actor, meta, move |conn, uc| {
            let (record, granted) =
                with_access(conn, &actor, id, Action::WriteRecord, audited, uc)?;
            if record.status == RecordStatus::EnteredInError {
                return Err(AppError::Conflict {
                    code: "entered_in_error",
                    message: "this record was marked entered in error; write a new one instead",
                });
            }
            let changed =
                records::amend(conn, &record, version, amendment, actor.user_id, uc.now)??;
            uc.record(acted_on(&actor, audited, &record, &granted));
            Ok(changed)
        })
        .await
}

/// A record with every version of it, the first first, and how the caller stands to its chart.
pub struct History {
    pub record: Record,
    pub versions: Vec<RecordVersion>,
    pub relation: Relation,
}

/// Every version of a record, for whoever may read the chart's records.
pub async fn history(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    id: RecordId,
) -> Result<History, AppError> {
    state
        .view(actor, meta, move |conn, uc| {
            let read = AuditAction::RecordHistoryRead;
            let (record, granted) = with_access(conn, &actor, id, Action::ReadRecords, read, uc)?;
            let versions = records::history(conn, &record)?;
            uc.record(acted_on(&actor, read, &record, &granted));
            Ok(History {
                record,
                versions,
                relation: granted.relation,
            })
        })
        .await
}

/// The records `actor` wrote, newest first, for patients still in their care: a doctor's, as
/// the policy says; nobody else's. Read inside the use case of the page that shows them.
pub fn authored_in(
    conn: &mut DbConnection,
    actor: &Actor,
    limit: usize,
) -> Result<Vec<Record>, AppError> {
    let Some(author) = policy::authored_records_of(actor) else {
        return Ok(Vec::new());
    };
    let page = records::list(conn, RecordsOf::Author(author), None, limit)?;
    let in_care: std::collections::HashSet<PatientId> =
        care_team::charts_of(conn, author)?.into_iter().collect();
    Ok(page
        .items
        .into_iter()
        .filter(|record| in_care.contains(&record.patient_id))
        .collect())
}
