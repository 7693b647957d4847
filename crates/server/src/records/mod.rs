//! Clinical records: the use cases. Access follows the chart the record belongs to.

pub mod api;

use medvault_domain::AuditAction;
use medvault_domain::policy::{self, Action};
use medvault_domain::{Actor, PatientId, RecordId, RecordNotes, RecordTitle};
use medvault_store::repo::care_team;
use medvault_store::repo::records::{self, RecordsOf};
use medvault_store::{DbConnection, NewRecord, Page, Record};

use crate::app::AppState;
use crate::audit::{Event, RequestMeta};
use crate::error::AppError;
use crate::patients::{Subject, authorize};

pub async fn create(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    patient: PatientId,
    title: &str,
    notes: &str,
) -> Result<Record, AppError> {
    let title = RecordTitle::parse(title)?;
    let notes = RecordNotes::parse(notes)?;
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
                title,
                notes,
            };
            let record = records::insert(conn, new, uc.now)?;
            let event = Event::success(&actor, AuditAction::RecordCreate)
                .resource(record.id)
                .patient(patient);
            uc.record(event);
            Ok(record)
        })
        .await
}

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
            let granted = authorize(
                conn,
                &actor,
                patient,
                Action::ReadRecords,
                Subject::new(AuditAction::RecordList),
                uc.now,
            )?;
            let page = records::list(conn, RecordsOf::Patient(patient), cursor.as_deref(), limit)?;
            let event = Event::success(&actor, AuditAction::RecordList)
                .patient(patient)
                .emergency(granted.emergency());
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
            let record = records::find(conn, id)?.ok_or(AppError::NotFound)?;
            let subject = Subject::id(AuditAction::RecordRead, id);
            let granted = authorize(
                conn,
                &actor,
                record.patient_id,
                Action::ReadRecords,
                subject,
                uc.now,
            )?;
            let event = Event::success(&actor, AuditAction::RecordRead)
                .resource(id)
                .patient(record.patient_id)
                .emergency(granted.emergency());
            uc.record(event);
            Ok(record)
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
