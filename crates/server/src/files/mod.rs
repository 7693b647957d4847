//! Files kept with a chart: PDFs, images and text, attached to the chart or to one of its
//! records. An upload is read as a stream with the size limit enforced while reading, its kind
//! decided from its content against the allowlist, sealed (AES-256-GCM) and stored under a name
//! the server makes; every read checks it against its SHA-256 and gives an integrity error (and
//! an audit entry), never bytes, when they differ. Deleting is a recorded act an admin can undo
//! for 30 days. Reading files is reading the chart's clinical content (never interns); adding
//! and deleting them is writing it.

pub mod api;
pub mod upload;
pub mod vault;
pub mod web;

use chrono::Duration;
use medvault_domain::files::{self, FileKind, FileName, Refusal};
use medvault_domain::policy::Action;
use medvault_domain::{Actor, AuditAction, FileId, PatientId, RecordId};
use medvault_store::repo::files::{self as stored, NewFile, StoredFile};
use medvault_store::repo::records;
use medvault_store::{Outcome, Page};
use sha2::{Digest, Sha256};

use crate::app::AppState;
use crate::audit::{Event, RequestMeta};
use crate::error::AppError;
use crate::patients::{Subject, authorize};
use vault::OpenFailure;

/// How long a deleted file can be brought back.
pub const RESTORE_WINDOW: Duration = Duration::days(30);

/// A file as received: its name, its bytes, and the record it is attached to, if any.
pub struct Received {
    pub name: FileName,
    pub content: Vec<u8>,
    pub record: Option<RecordId>,
}

/// Whether `actor` may add files to the chart: asked before a byte of the upload is read, so
/// that nobody streams 25 MB at a chart they may not write to. A refusal is audited; leave is
/// not (the upload that follows is).
pub async fn may_upload(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    patient: PatientId,
) -> Result<(), AppError> {
    may_send(state, actor, meta, patient, Purpose::ChartFile).await
}

/// What a file is sent for: to be kept with the chart, or to be read as a lab report. Each is
/// its own permission and its own audited act.
#[derive(Clone, Copy)]
pub enum Purpose {
    ChartFile,
    LabReport,
}

impl Purpose {
    /// Whether a file of this kind serves the purpose: a report is read from a document or an
    /// image, never plain text.
    fn takes(self, kind: FileKind) -> bool {
        !matches!((self, kind), (Purpose::LabReport, FileKind::Text))
    }

    fn permission(self) -> (Action, AuditAction) {
        match self {
            Purpose::ChartFile => (Action::WriteRecord, AuditAction::FileUpload),
            Purpose::LabReport => (Action::UploadLabReport, AuditAction::LabReportSend),
        }
    }
}

/// Whether `actor` may send the chart a file for `purpose`, asked before the upload is read.
pub async fn may_send(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    patient: PatientId,
    purpose: Purpose,
) -> Result<(), AppError> {
    let (action, audited) = purpose.permission();
    state
        .view(actor, meta, move |conn, uc| {
            authorize(conn, &actor, patient, action, Subject::new(audited), uc.now)?;
            Ok(())
        })
        .await
}

/// Keeps a received file with the chart: checks it, seals and stores it, then records it. If
/// the record cannot be written, the stored object is removed: nothing is left behind.
pub async fn keep(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    patient: PatientId,
    received: Received,
) -> Result<StoredFile, AppError> {
    keep_then(
        state,
        actor,
        meta,
        patient,
        received,
        Purpose::ChartFile,
        |_, uc, file| {
            uc.record(
                Event::success(&uc.actor, AuditAction::FileUpload)
                    .resource(file.id)
                    .patient(file.patient_id),
            );
            Ok(file)
        },
    )
    .await
}

/// Keeps a received file for `purpose` and runs `then` with it in the same unit of work (which
/// records the act's audit entry): kept together, or not at all, and then the stored object is
/// removed too.
pub async fn keep_then<T, F>(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    patient: PatientId,
    received: Received,
    purpose: Purpose,
    then: F,
) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce(
            &mut medvault_store::DbConnection,
            &crate::app::UseCase,
            StoredFile,
        ) -> Result<T, AppError>
        + Send
        + 'static,
{
    let kind = files::check(&received.content).map_err(|refusal| match refusal {
        Refusal::NotAllowed | Refusal::ActiveContent => AppError::UnsupportedFile {
            message: refusal.message(),
        },
        _ => AppError::invalid_owned("file".to_owned(), refusal.message()),
    })?;
    if !purpose.takes(kind) {
        return Err(AppError::UnsupportedFile {
            message: "a lab report is read from a PDF, PNG, JPEG or TIFF".to_owned(),
        });
    }
    let size_bytes =
        i64::try_from(received.content.len()).map_err(|_| AppError::PayloadTooLarge)?;
    let sha256 = hex::encode(Sha256::digest(&received.content));
    let id = FileId::new();
    let sealed = state
        .files
        .put(patient, id, received.content)
        .await
        .map_err(|error| {
            tracing::warn!(error = %format!("{error:#}"), "file store unavailable");
            AppError::Unavailable
        })?;
    let object_path = sealed.object_path.clone();
    let new = NewFile {
        id,
        record_id: received.record,
        name: received.name,
        kind,
        size_bytes,
        sha256,
        key_id: sealed.key_id,
        nonce: sealed.nonce,
        object_path: sealed.object_path,
    };
    let (action, audited) = purpose.permission();
    let recorded = state
        .run(actor, meta, move |conn, uc| {
            authorize(conn, &actor, patient, action, Subject::new(audited), uc.now)?;
            if let Some(record) = new.record_id {
                let ours = records::find(conn, record)?.is_some_and(|r| r.patient_id == patient);
                if !ours {
                    let message = "is not a record of this chart";
                    return Err(medvault_domain::InvalidValue::new("record_id", message).into());
                }
            }
            stored::insert(conn, patient, new, actor.user_id, uc.now)?;
            let file = stored::find(conn, id)?.ok_or(AppError::NotFound)?;
            then(conn, uc, file)
        })
        .await;
    if recorded.is_err()
        && let Err(error) = state.files.remove(&object_path).await
    {
        tracing::warn!(error = %format!("{error:#}"), "a stored file without its record was left");
    }
    recorded
}

/// A page of the chart's files, newest first; deleted ones too for whoever may restore them.
pub async fn of(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    patient: PatientId,
    before: Option<String>,
    limit: usize,
) -> Result<Page<StoredFile>, AppError> {
    let audited = AuditAction::FileList;
    state
        .view(actor, meta, move |conn, uc| {
            let subject = Subject::new(audited);
            let granted = authorize(conn, &actor, patient, Action::ReadRecords, subject, uc.now)?;
            let with_deleted = granted.may(&actor, Action::RestoreFile);
            let found = stored::of(conn, patient, with_deleted, before.as_deref(), limit)?;
            let event = Event::success(&actor, audited)
                .patient(patient)
                .emergency(granted.emergency());
            uc.record(event);
            Ok(found)
        })
        .await
}

/// A file's details, for whoever may read the chart's records, audited as `audited`. A deleted
/// file is found only by whoever may restore it.
fn readable(
    conn: &mut medvault_store::DbConnection,
    uc: &crate::app::UseCase,
    id: FileId,
    audited: AuditAction,
) -> Result<(StoredFile, bool), AppError> {
    let file = stored::find(conn, id)?.ok_or(AppError::NotFound)?;
    let subject = Subject::id(audited, id);
    let granted = authorize(
        conn,
        &uc.actor,
        file.patient_id,
        Action::ReadRecords,
        subject,
        uc.now,
    )?;
    if file.deleted_at.is_some() && !granted.may(&uc.actor, Action::RestoreFile) {
        return Err(AppError::NotFound);
    }
    Ok((file, granted.emergency()))
}

pub async fn details(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    id: FileId,
) -> Result<StoredFile, AppError> {
    let audited = AuditAction::FileRead;
    state
        .view(actor, meta, move |conn, uc| {
            let (file, emergency) = readable(conn, uc, id, audited)?;
            let event = Event::success(&actor, audited)
                .resource(id)
                .patient(file.patient_id)
                .emergency(emergency);
            uc.record(event);
            Ok(file)
        })
        .await
}

/// A file's bytes, checked. The download is audited once, as a success or (when the stored
/// bytes do not open or do not match their SHA-256) as a failure, before anything is sent.
pub async fn download(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    id: FileId,
) -> Result<(StoredFile, Vec<u8>), AppError> {
    let audited = AuditAction::FileDownload;
    let (file, emergency) = state
        .view(actor, meta, move |conn, uc| {
            let (file, emergency) = readable(conn, uc, id, audited)?;
            if file.deleted_at.is_some() {
                return Err(AppError::NotFound);
            }
            Ok((file, emergency))
        })
        .await?;
    let checked = match state.files.open(&file).await {
        Ok(bytes) => Ok(bytes),
        Err(OpenFailure::Integrity) => Err(AppError::FileIntegrity),
        Err(OpenFailure::Unavailable(why)) => {
            tracing::warn!(error = %why, "file store unavailable");
            Err(AppError::Unavailable)
        }
    };
    let patient = file.patient_id;
    let outcome = match &checked {
        Ok(_) => Outcome::Success,
        Err(_) => Outcome::Failure,
    };
    let now = state.now();
    state
        .write_audited(now, meta, move |_, trail| {
            let mut event = Event::success(&actor, audited)
                .resource(id)
                .patient(patient)
                .emergency(emergency);
            event.outcome = outcome;
            if outcome == Outcome::Failure {
                event = event.reason("the stored bytes failed their integrity check");
            }
            trail.record(event);
            Ok(())
        })
        .await?;
    Ok((file, checked?))
}

/// Deletes a file from the chart: a recorded act an admin can undo for 30 days.
pub async fn delete(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    id: FileId,
) -> Result<StoredFile, AppError> {
    change_deletion(state, actor, meta, id, Deletion::Delete).await
}

/// Brings a deleted file back, within 30 days of its deletion: an admin's act.
pub async fn restore(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    id: FileId,
) -> Result<StoredFile, AppError> {
    change_deletion(state, actor, meta, id, Deletion::Restore).await
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Deletion {
    Delete,
    Restore,
}

impl Deletion {
    fn audited(self) -> AuditAction {
        match self {
            Deletion::Delete => AuditAction::FileDelete,
            Deletion::Restore => AuditAction::FileRestore,
        }
    }

    fn action(self) -> Action {
        match self {
            Deletion::Delete => Action::WriteRecord,
            Deletion::Restore => Action::RestoreFile,
        }
    }

    /// Why the change cannot be made to `file` at `now`, if it cannot.
    fn refused(self, file: &StoredFile, now: chrono::NaiveDateTime) -> Option<AppError> {
        let (code, message) = match (self, file.deleted_at) {
            (Deletion::Delete, None) => return None,
            (Deletion::Delete, Some(_)) => ("already_deleted", "this file is deleted already"),
            (Deletion::Restore, None) => ("not_deleted", "this file is not deleted"),
            (Deletion::Restore, Some(at)) if now - at <= RESTORE_WINDOW => return None,
            (Deletion::Restore, Some(_)) => (
                "restore_window_passed",
                "a deleted file can be restored for 30 days only",
            ),
        };
        Some(AppError::Conflict { code, message })
    }
}

/// Deletes or restores a file, as the policy allows, once: audited as such.
async fn change_deletion(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    id: FileId,
    change: Deletion,
) -> Result<StoredFile, AppError> {
    let audited = change.audited();
    state
        .run(actor, meta, move |conn, uc| {
            let file = stored::find(conn, id)?.ok_or(AppError::NotFound)?;
            let subject = Subject::id(audited, id);
            authorize(
                conn,
                &actor,
                file.patient_id,
                change.action(),
                subject,
                uc.now,
            )?;
            if let Some(refusal) = change.refused(&file, uc.now) {
                return Err(refusal);
            }
            let deleted = (change == Deletion::Delete).then_some((actor.user_id, uc.now));
            stored::set_deleted(conn, &file, deleted)?;
            uc.record(
                Event::success(&actor, audited)
                    .resource(id)
                    .patient(file.patient_id),
            );
            stored::find(conn, id)?.ok_or(AppError::NotFound)
        })
        .await
}

/// What re-sealing found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Resealed {
    pub resealed: usize,
    /// Files whose stored bytes did not open or did not match: left as they are.
    pub damaged: Vec<FileId>,
}

/// Re-seals every file sealed under an older key under the current one (`medvault files
/// reseal`): each is opened and checked, written to a new object, its row switched to it, and
/// the old object removed, so a stop half-way loses nothing and a second run goes on.
pub async fn reseal_all(state: &AppState) -> anyhow::Result<Resealed> {
    let current = state.files.current_key_id().to_owned();
    let mut outcome = Resealed::default();
    loop {
        let skip = outcome.damaged.clone();
        let key = current.clone();
        let batch = state
            .read(move |conn| Ok(stored::sealed_under_other_keys(conn, &key, 100)?))
            .await
            .map_err(crate::server::anyhow_of)?;
        let batch: Vec<StoredFile> = batch
            .into_iter()
            .filter(|f| !skip.contains(&f.id))
            .collect();
        if batch.is_empty() {
            return Ok(outcome);
        }
        for file in batch {
            let content = match state.files.open(&file).await {
                Ok(bytes) => bytes,
                Err(OpenFailure::Integrity) => {
                    outcome.damaged.push(file.id);
                    continue;
                }
                Err(OpenFailure::Unavailable(why)) => {
                    anyhow::bail!("file store unavailable: {why}")
                }
            };
            let sealed = state.files.put(file.patient_id, file.id, content).await?;
            let switched_to = sealed.object_path.clone();
            let row = file.clone();
            let switched = state
                .write(move |conn| {
                    Ok(stored::switch_seal(
                        conn,
                        &row,
                        &sealed.key_id,
                        &sealed.nonce,
                        &sealed.object_path,
                    )?)
                })
                .await
                .map_err(crate::server::anyhow_of)?;
            let leftover = if switched {
                &file.object_path
            } else {
                &switched_to
            };
            state.files.remove(leftover).await?;
            outcome.resealed += usize::from(switched);
        }
    }
}
