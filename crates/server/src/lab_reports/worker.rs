//! Reading sent reports, on every server that has workers (`MEDVAULT_LAB_WORKERS`). Each
//! second a server looks for due jobs and claims as many as it has free workers; a claim is a
//! conditional update only one server can win (see the store's `lab_reports`). While a report
//! is read its lease is renewed; a server that dies lets its lease lapse and the job is taken
//! again, so a kill mid-job loses nothing. A failure that may pass (a tool missing, a page over
//! its time) is tried again later, waiting twice as long each time, up to [`ATTEMPTS`]; a file
//! that cannot be read as a report fails at once, with its reason for the sender.
//!
//! Reading runs on the blocking pool, and OCR in child processes of one thread each, so it
//! takes at most `MEDVAULT_LAB_WORKERS` cores from requests.

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDateTime;
use medvault_domain::{AuditAction, LabReportId, PatientId};
use medvault_ingest::{DraftRow, ReadError};
use medvault_store::Outcome;
use medvault_store::repo::files as stored_files;
use medvault_store::repo::lab_reports::{self as stored, ReadResult};
use tokio::sync::Semaphore;
use tracing::Instrument;

use crate::app::AppState;
use crate::audit::{Event, RequestMeta};
use crate::error::AppError;
use crate::telemetry::{self, Kind, TRACE_ONLY};

/// Attempts at reading a report before it is failed for good.
pub const ATTEMPTS: i32 = 4;

/// The first wait before another attempt; each later one waits twice as long.
const FIRST_RETRY: Duration = Duration::from_secs(30);

/// How often a server looks for due jobs.
const POLL: Duration = Duration::from_secs(1);

/// Runs this server's readers until the server stops.
pub async fn run(state: AppState) {
    let workers = state.config.lab_reading.workers;
    if workers == 0 {
        return;
    }
    // Names this server's claims; a restarted server is another claimant.
    let server = format!("server-{}", uuid::Uuid::new_v4());
    let free = Arc::new(Semaphore::new(workers));
    let mut every = tokio::time::interval(POLL);
    loop {
        every.tick().await;
        if free.available_permits() == 0 {
            continue;
        }
        let now = state.now();
        let due = match state
            .read(move |conn| Ok(stored::due(conn, now, workers * 2)?))
            .await
        {
            Ok(due) => due,
            Err(error) => {
                tracing::warn!(error = %error.public_message(), "cannot look for lab reports to read");
                continue;
            }
        };
        for (patient, id) in due {
            let Ok(worker) = free.clone().try_acquire_owned() else {
                break;
            };
            let lease_until = state.now() + lease(&state);
            let claimant = server.clone();
            let claimed = state
                .write(move |conn| {
                    Ok(stored::claim(
                        conn,
                        patient,
                        id,
                        &claimant,
                        now,
                        lease_until,
                    )?)
                })
                .await;
            if !matches!(claimed, Ok(true)) {
                continue;
            }
            let state = state.clone();
            let server = server.clone();
            tokio::spawn(
                async move {
                    read_one(&state, &server, patient, id).await;
                    drop(worker);
                }
                .instrument(job_span(id)),
            );
        }
    }
}

fn lease(state: &AppState) -> chrono::Duration {
    chrono::Duration::from_std(state.config.lab_reading.lease)
        .unwrap_or(chrono::Duration::minutes(2))
}

/// The correlation id of a report's reading, in its log lines and audit entries.
fn job_id(id: LabReportId) -> String {
    format!("lab-report-{id}")
}

/// The span of one report's reading: the root of a trace of its own.
fn job_span(id: LabReportId) -> tracing::Span {
    let span = tracing::info_span!(
        parent: None,
        "job",
        correlation_id = %job_id(id),
        trace_id = tracing::field::Empty,
        otel.name = tracing::field::Empty,
        otel.kind = tracing::field::Empty,
    );
    telemetry::begin(&span, "lab report reading", Kind::Job, None);
    span
}

/// Reads one claimed report, renewing the claim meanwhile, and keeps what it found or why not.
async fn read_one(state: &AppState, server: &str, patient: PatientId, id: LabReportId) {
    let renewing = tokio::spawn(renew(state.clone(), server.to_owned(), patient, id));
    let outcome = read_file(state, patient, id).await;
    renewing.abort();
    let meta = RequestMeta {
        correlation_id: job_id(id),
        ..RequestMeta::default()
    };
    let now = state.now();
    let claimant = server.to_owned();
    let kept = match outcome {
        Ok(read) => {
            let rows = read.rows.len();
            let kept = state
                .write_audited(now, &meta, move |conn, trail| {
                    let kept = stored::finish_reading(conn, patient, id, &claimant, read, now)?;
                    if kept {
                        trail.record(read_event(Outcome::Success, id, patient));
                    }
                    Ok(kept)
                })
                .await;
            tracing::info!(report = %id, rows, "read a lab report");
            kept
        }
        Err(failure) => {
            let attempts = state
                .read(move |conn| Ok(stored::find(conn, id)?.map_or(ATTEMPTS, |r| r.attempts)))
                .await
                .unwrap_or(ATTEMPTS);
            let retry_at =
                (failure.may_pass() && attempts < ATTEMPTS).then(|| now + retry_wait(attempts));
            let (code, message) = failure.reason();
            tracing::warn!(report = %id, code, attempts, retrying = retry_at.is_some(), "a lab report could not be read");
            state
                .write_audited(now, &meta, move |conn, trail| {
                    let kept = stored::fail_reading(
                        conn,
                        patient,
                        id,
                        &claimant,
                        (code, &message),
                        retry_at,
                    )?;
                    if kept {
                        trail.record(read_event(Outcome::Failure, id, patient));
                    }
                    Ok(kept)
                })
                .await
        }
    };
    if let Err(error) = kept {
        tracing::warn!(report = %id, error = %error.public_message(), "cannot keep a lab report's reading");
    }
}

/// The entry for MedVault's own reading of a report, with no actor.
fn read_event(outcome: Outcome, id: LabReportId, patient: PatientId) -> Event<'static> {
    Event::anonymous(AuditAction::LabReportRead, outcome)
        .resource(id)
        .patient(patient)
}

/// The wait before attempt `attempts + 1`: 30 s, 60 s, 120 s…
fn retry_wait(attempts: i32) -> chrono::Duration {
    let doubling = u32::try_from(attempts.saturating_sub(1))
        .unwrap_or(0)
        .min(10);
    chrono::Duration::from_std(FIRST_RETRY * 2u32.pow(doubling))
        .unwrap_or(chrono::Duration::hours(1))
}

/// Keeps the claim while the report is read: renewed at a third of the lease.
async fn renew(state: AppState, server: String, patient: PatientId, id: LabReportId) {
    let every = state.config.lab_reading.lease / 3;
    loop {
        tokio::time::sleep(every).await;
        let until = state.now() + lease(&state);
        let claimant = server.clone();
        let renewed = state
            .write(move |conn| Ok(stored::renew(conn, patient, id, &claimant, until)?))
            .await;
        if !matches!(renewed, Ok(true)) {
            return;
        }
    }
}

/// Why a report was not read.
enum Failure {
    Unreadable(ReadError),
    /// The stored file could not be opened (the store is down, or its bytes fail their check).
    Storage(String),
}

impl Failure {
    /// Whether trying again later may succeed.
    fn may_pass(&self) -> bool {
        match self {
            Failure::Unreadable(error) => matches!(
                error,
                ReadError::TimedOut | ReadError::OcrFailed(_) | ReadError::ToolMissing(_)
            ),
            Failure::Storage(_) => true,
        }
    }

    /// A code and a message for the sender.
    fn reason(&self) -> (&'static str, String) {
        match self {
            Failure::Unreadable(error) => (error.code(), error.to_string()),
            Failure::Storage(message) => ("file_unavailable", message.clone()),
        }
    }
}

/// Opens the report's file and reads it, on a thread for heavy work.
async fn read_file(
    state: &AppState,
    patient: PatientId,
    id: LabReportId,
) -> Result<ReadResult, Failure> {
    let file = state
        .read(move |conn| {
            let report = stored::find(conn, id)?.ok_or(AppError::NotFound)?;
            Ok(stored_files::find(conn, report.file_id)?.filter(|f| f.patient_id == patient))
        })
        .await
        .map_err(|error| Failure::Storage(error.public_message()))?
        .ok_or_else(|| Failure::Storage("the report's file is gone".to_owned()))?;
    let bytes = state
        .files
        .open(&file)
        .await
        .map_err(|_| Failure::Storage("the report's file could not be opened".to_owned()))?;
    let limits = state.config.lab_reading.limits.clone();
    let reading = tracing::info_span!(target: TRACE_ONLY, "read", otel.name = "text layer and OCR");
    let read = state
        .heavy
        .run(move || reading.in_scope(|| read_bytes(&bytes, &limits)))
        .await
        .ok_or_else(|| {
            Failure::Unreadable(ReadError::OcrFailed("the reader stopped".to_owned()))
        })?;
    read.map_err(Failure::Unreadable)
}

/// The reading itself: pages, rows, and what kind of document it is.
fn read_bytes(bytes: &[u8], limits: &medvault_ingest::Limits) -> Result<ReadResult, ReadError> {
    let pages = medvault_ingest::read(bytes, limits)?;
    let rows: Vec<DraftRow> = medvault_ingest::rows(&pages);
    let (kind, confidence) = medvault_ingest::classify(&pages, rows.len());
    let source = if pages
        .iter()
        .any(|p| p.source == medvault_ingest::TextSource::Ocr)
    {
        "ocr"
    } else {
        "text-layer"
    };
    Ok(ReadResult {
        pages: i32::try_from(pages.len()).unwrap_or(i32::MAX),
        text_source: source.to_owned(),
        document_kind: kind.as_str().to_owned(),
        kind_confidence: f64::from(confidence),
        rows: rows
            .iter()
            .filter_map(|row| serde_json::to_string(row).ok())
            .collect(),
    })
}

/// The time a report waits before it may be read again, for the API's view.
pub fn waits_until(report: &medvault_store::repo::lab_reports::LabReport) -> Option<NaiveDateTime> {
    (report.status == medvault_domain::labs::LabReportStatus::Queued && report.attempts > 0)
        .then_some(report.run_after)
}
