//! Clinical records: the use cases. Access follows the chart the record belongs to.

pub mod api;

use medvault_domain::policy::Action;
use medvault_domain::{Actor, PatientId, RecordId, RecordNotes, RecordTitle, Role};
use medvault_store::repo::care_team;
use medvault_store::repo::records::{self, RecordsOf};
use medvault_store::{NewRecord, Page, Record};

use crate::app::AppState;
use crate::audit::{self, Event, RequestMeta};
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
    let now = state.now();
    let title = RecordTitle::parse(title)?;
    let notes = RecordNotes::parse(notes)?;
    let meta_in = meta.clone();
    state
        .run(actor, meta, move |conn| {
            authorize(
                conn,
                &actor,
                patient,
                Action::WriteRecord,
                Subject::new("record"),
                now,
            )?;
            let new = NewRecord {
                patient_id: patient,
                author_id: actor.user_id,
                title,
                notes,
            };
            let record = records::insert(conn, new, now)?;
            let event = Event::success(&actor, "record.create", "record")
                .resource(record.id)
                .patient(patient);
            audit::record(conn, &meta_in, now, event)?;
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
    let now = state.now();
    let meta_in = meta.clone();
    state
        .run(actor, meta, move |conn| {
            let granted = authorize(
                conn,
                &actor,
                patient,
                Action::ReadRecords,
                Subject::new("record"),
                now,
            )?;
            let page = records::list(conn, RecordsOf::Patient(patient), cursor.as_deref(), limit)?;
            let event = Event::success(&actor, "record.list", "record")
                .patient(patient)
                .emergency(granted.emergency());
            audit::record(conn, &meta_in, now, event)?;
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
    let now = state.now();
    let meta_in = meta.clone();
    state
        .run(actor, meta, move |conn| {
            let record = records::find(conn, id)?.ok_or(AppError::NotFound)?;
            let subject = Subject::id("record", id);
            let granted = authorize(
                conn,
                &actor,
                record.patient_id,
                Action::ReadRecords,
                subject,
                now,
            )?;
            let event = Event::success(&actor, "record.read", "record")
                .resource(id)
                .patient(record.patient_id)
                .emergency(granted.emergency());
            audit::record(conn, &meta_in, now, event)?;
            Ok(record)
        })
        .await
}

/// The records a doctor wrote, newest first, for patients still in their care.
pub async fn list_authored(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    limit: usize,
) -> Result<Vec<Record>, AppError> {
    if actor.role != Role::Doctor {
        return Ok(Vec::new());
    }
    let now = state.now();
    let meta_in = meta.clone();
    state
        .run(actor, meta, move |conn| {
            let page = records::list(conn, RecordsOf::Author(actor.user_id), None, limit)?;
            let mut visible = Vec::with_capacity(page.items.len());
            for record in page.items {
                if care_team::is_member(conn, record.patient_id, actor.user_id)? {
                    visible.push(record);
                }
            }
            audit::record(
                conn,
                &meta_in,
                now,
                Event::success(&actor, "record.list", "record"),
            )?;
            Ok(visible)
        })
        .await
}
