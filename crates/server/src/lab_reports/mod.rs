//! Lab reports: a file sent to be read into the chart. It is kept as a chart file, and its
//! reading is a durable job (see [`worker`]) that turns it into draft result rows, each field
//! with a confidence. A care-team doctor then confirms, corrects or rejects each row; only
//! confirmed rows enter the chart, as lab results that name their report and the doctor who
//! confirmed them. Whoever sent a report sees its progress; the drafts are the clinical team's
//! (never the patient's, who sees confirmed results only, nor an intern's).

pub mod api;
pub mod cli;
pub mod web;
pub mod worker;

use medvault_domain::labs::{LabReportStatus, LabSource, RowDecision};
use medvault_domain::policy::Action;
use medvault_domain::{Actor, AuditAction, LabReportId, LabResultId, PatientId, Role};
use medvault_store::repo::lab_reports::{
    self as stored, Decided, LabReport, NewLabReport, StoredRow,
};
use medvault_store::repo::lab_results;
use serde::Deserialize;

use crate::app::AppState;
use crate::audit::{Event, RequestMeta};
use crate::error::AppError;
use crate::files::{self, Purpose, Received};
use crate::labs::LabInput;
use crate::patients::{Subject, authorize};

/// The most reports a chart's list shows.
const LISTED: usize = 100;

/// A report, and the rows read from it when the caller may see them.
pub struct ReportView {
    pub report: LabReport,
    pub rows: Option<Vec<StoredRow>>,
    /// Whether the caller may review its rows (a care-team doctor).
    pub can_review: bool,
}

/// Sends a received file to be read into the chart: kept as a chart file and queued, in one
/// unit of work. A patient's own upload is marked as provided by them.
pub async fn send(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    patient: PatientId,
    received: Received,
) -> Result<LabReport, AppError> {
    let id = LabReportId::new();
    let keep = move |conn: &mut medvault_store::DbConnection,
                     uc: &crate::app::UseCase,
                     file: medvault_store::repo::files::StoredFile| {
        let new = NewLabReport {
            id,
            file_id: file.id,
            uploaded_by: uc.actor.user_id,
            patient_provided: uc.actor.role == Role::Patient,
        };
        stored::insert(conn, patient, new, uc.now)?;
        uc.record(
            Event::success(&uc.actor, AuditAction::LabReportSend)
                .resource(id)
                .patient(patient),
        );
        stored::find(conn, id)?.ok_or(AppError::NotFound)
    };
    files::keep_then(
        state,
        actor,
        meta,
        patient,
        received,
        Purpose::LabReport,
        keep,
    )
    .await
}

/// Whether `actor` may send the chart a report: asked before the upload is read.
pub async fn may_send(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    patient: PatientId,
) -> Result<(), AppError> {
    files::may_send(state, actor, meta, patient, Purpose::LabReport).await
}

/// A report for one who may see it: its sender (the progress) or the clinical team (the
/// progress and the rows read).
fn visible(
    conn: &mut medvault_store::DbConnection,
    uc: &crate::app::UseCase,
    id: LabReportId,
    audited: AuditAction,
    needed_by_others: Action,
) -> Result<(LabReport, Access), AppError> {
    let report = stored::find(conn, id)?.ok_or(AppError::NotFound)?;
    let needed =
        if report.uploaded_by == uc.actor.user_id && needed_by_others == Action::ReadLabDrafts {
            Action::UploadLabReport
        } else {
            needed_by_others
        };
    let subject = Subject::id(audited, id);
    let granted = authorize(conn, &uc.actor, report.patient_id, needed, subject, uc.now)?;
    let access = Access {
        drafts: granted.may(&uc.actor, Action::ReadLabDrafts),
        review: granted.may(&uc.actor, Action::ReviewLabReport),
        emergency: granted.emergency(),
    };
    Ok((report, access))
}

/// What the caller may do with a report they may see.
struct Access {
    drafts: bool,
    review: bool,
    emergency: bool,
}

pub async fn details(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    id: LabReportId,
) -> Result<ReportView, AppError> {
    let audited = AuditAction::LabReportView;
    state
        .view(actor, meta, move |conn, uc| {
            let (report, access) = visible(conn, uc, id, audited, Action::ReadLabDrafts)?;
            let rows = if access.drafts {
                Some(stored::rows(conn, report.patient_id, id)?)
            } else {
                None
            };
            uc.record(
                Event::success(&actor, audited)
                    .resource(id)
                    .patient(report.patient_id)
                    .emergency(access.emergency),
            );
            Ok(ReportView {
                report,
                rows,
                can_review: access.review,
            })
        })
        .await
}

/// The chart's reports, newest first: all of them for the clinical team, one's own for whoever
/// else may send them (a patient, an intern).
pub async fn of(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    patient: PatientId,
) -> Result<Vec<LabReport>, AppError> {
    let audited = AuditAction::LabReportList;
    state
        .view(actor, meta, move |conn, uc| {
            let subject = Subject::new(audited);
            let granted = authorize(conn, &actor, patient, Action::ReadChart, subject, uc.now)?;
            let all = granted.may(&actor, Action::ReadLabDrafts);
            let reports = stored::of(conn, patient, LISTED)?
                .into_iter()
                .filter(|report| all || report.uploaded_by == actor.user_id)
                .collect();
            uc.record(
                Event::success(&actor, audited)
                    .patient(patient)
                    .emergency(granted.emergency()),
            );
            Ok(reports)
        })
        .await
}

/// A reviewer's decision on one row, with the fields they corrected (as typed).
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RowReview {
    /// The row's number in the report, from 0.
    pub n: i32,
    /// `confirm` (it enters the chart, corrected as given) or `reject`.
    pub decision: String,
    /// A LOINC code, to correct the test.
    pub code: Option<String>,
    pub test_name: Option<String>,
    pub value: Option<String>,
    pub unit: Option<String>,
    pub reference_low: Option<String>,
    pub reference_high: Option<String>,
    /// low, high, critical-low, critical-high, abnormal or normal.
    pub interpretation: Option<String>,
}

/// Settles the given rows of a report under review. Confirmed rows enter the chart (collected
/// at `collected_at`, as typed); a row already settled is a conflict. When every row is
/// settled the review is closed. One audited act.
pub async fn review(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    id: LabReportId,
    collected_at: String,
    reviews: Vec<RowReview>,
) -> Result<ReportView, AppError> {
    let audited = AuditAction::LabReportReview;
    state
        .run(actor, meta, move |conn, uc| {
            let (report, access) = visible(conn, uc, id, audited, Action::ReviewLabReport)?;
            if report.status != LabReportStatus::Review {
                return Err(AppError::Conflict {
                    code: "not_in_review",
                    message: "the report is not waiting for review",
                });
            }
            let patient = report.patient_id;
            let rows = stored::rows(conn, patient, id)?;
            for reviewed in reviews {
                let decision = RowDecision::parse(&reviewed.decision)
                    .map_err(|e| row_field(reviewed.n, "decision", e.message))?;
                let row = rows
                    .iter()
                    .find(|row| row.n == reviewed.n)
                    .ok_or_else(|| row_field(reviewed.n, "n", "is not a row of this report"))?;
                let result = match decision {
                    RowDecision::Confirm => Some(confirm(
                        conn,
                        uc,
                        patient,
                        id,
                        row,
                        &reviewed,
                        &collected_at,
                    )?),
                    RowDecision::Reject => None,
                };
                let decided = Decided {
                    n: row.n,
                    decision,
                    result,
                    by: actor.user_id,
                    at: uc.now,
                };
                if !stored::decide(conn, patient, id, decided)? {
                    return Err(AppError::Conflict {
                        code: "row_already_reviewed",
                        message: "a row was already confirmed or rejected",
                    });
                }
            }
            let rows = stored::rows(conn, patient, id)?;
            if rows.iter().all(|row| row.decision.is_some()) {
                stored::close_review(conn, patient, id, actor.user_id, uc.now)?;
            }
            uc.record(
                Event::success(&actor, audited)
                    .resource(id)
                    .patient(patient)
                    .emergency(access.emergency),
            );
            let report = stored::find(conn, id)?.ok_or(AppError::NotFound)?;
            Ok(ReportView {
                report,
                rows: Some(rows),
                can_review: true,
            })
        })
        .await
}

/// A row's field named for the reviewer: `rows.3.value`.
fn row_field(n: i32, field: &str, message: &str) -> AppError {
    AppError::InvalidField {
        field: format!("rows.{n}.{field}"),
        message: message.to_owned(),
    }
}

/// A draft row as the reader kept it (the reader's `DraftRow`, as JSON).
#[derive(Deserialize)]
pub(crate) struct Draft {
    #[serde(default)]
    pub line: String,
    #[serde(default)]
    pub page: u32,
    pub code: Option<String>,
    pub test_name: DraftField<String>,
    pub value: DraftField<f64>,
    pub comparator: Option<String>,
    pub unit: Option<DraftField<String>>,
    pub reference: Option<DraftField<DraftBounds>>,
    pub flag: Option<DraftField<String>>,
    #[serde(default)]
    pub needs_review: bool,
}

#[derive(Deserialize)]
pub(crate) struct DraftField<T> {
    pub value: T,
    /// Why the reader doubted it.
    #[serde(default)]
    pub notes: Vec<String>,
}

#[derive(Deserialize)]
pub(crate) struct DraftBounds {
    pub low: Option<f64>,
    pub high: Option<f64>,
}

impl Draft {
    pub(crate) fn of(row: &StoredRow) -> Result<Draft, AppError> {
        serde_json::from_str(&row.draft)
            .map_err(|_| AppError::Internal(anyhow::anyhow!("a stored draft row does not read")))
    }

    /// The value as printed, its bound's sign included ("<0.01").
    pub(crate) fn value_text(&self) -> String {
        format!(
            "{}{}",
            self.comparator.as_deref().unwrap_or(""),
            self.value.value
        )
    }
}

/// Puts a confirmed row in the chart: the draft as read, with the reviewer's corrections,
/// validated as any result entered by hand.
fn confirm(
    conn: &mut medvault_store::DbConnection,
    uc: &crate::app::UseCase,
    patient: PatientId,
    report: LabReportId,
    row: &StoredRow,
    reviewed: &RowReview,
    collected_at: &str,
) -> Result<LabResultId, AppError> {
    let draft = Draft::of(row)?;
    let read_value = draft.value_text();
    let or_read = |given: &Option<String>, read: Option<String>| given.clone().or(read);
    let input = LabInput {
        code: or_read(&reviewed.code, draft.code),
        test_name: or_read(&reviewed.test_name, Some(draft.test_name.value)),
        value: reviewed.value.clone().unwrap_or(read_value),
        unit: or_read(&reviewed.unit, draft.unit.map(|u| u.value)),
        reference_low: or_read(
            &reviewed.reference_low,
            draft
                .reference
                .as_ref()
                .and_then(|r| r.value.low)
                .map(|v| v.to_string()),
        ),
        reference_high: or_read(
            &reviewed.reference_high,
            draft
                .reference
                .as_ref()
                .and_then(|r| r.value.high)
                .map(|v| v.to_string()),
        ),
        interpretation: or_read(&reviewed.interpretation, draft.flag.map(|f| f.value)),
        collected_at: collected_at.to_owned(),
    };
    let mut new = input
        .parse(uc.now)
        .map_err(|invalid| row_field(row.n, invalid.field, invalid.message))?;
    new.source = LabSource::Report;
    let id = lab_results::insert_with_report(
        conn,
        patient,
        new,
        Some(report),
        uc.actor.user_id,
        uc.now,
    )?;
    let made = lab_results::find(conn, id)?.ok_or(AppError::NotFound)?;
    crate::alerts::raise_if_critical(conn, &made, uc.now)?;
    Ok(id)
}

/// A page of a report's file as an image, for whoever may see its drafts (or sent it), with
/// its content type. Audited as a look at the report.
pub async fn page_image(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    id: LabReportId,
    page: u32,
) -> Result<(Vec<u8>, &'static str), AppError> {
    let audited = AuditAction::LabReportView;
    let file = state
        .view(actor, meta, move |conn, uc| {
            let (report, access) = visible(conn, uc, id, audited, Action::ReadLabDrafts)?;
            let file = medvault_store::repo::files::find(conn, report.file_id)?
                .filter(|file| file.deleted_at.is_none())
                .ok_or(AppError::NotFound)?;
            uc.record(
                Event::success(&actor, audited)
                    .resource(id)
                    .patient(report.patient_id)
                    .emergency(access.emergency),
            );
            Ok(file)
        })
        .await?;
    let bytes = state
        .files
        .open(&file)
        .await
        .map_err(|_| AppError::FileIntegrity)?;
    let limits = state.config.lab_reading.limits.clone();
    state
        .heavy
        .run(move || {
            medvault_ingest::page_image(&bytes, page, PAGE_DPI, &limits)
                .map_err(|_| AppError::NotFound)
        })
        .await
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("drawing the page stopped")))?
}

/// The resolution a report's page is drawn at for the reviewer: legible, and light to send.
const PAGE_DPI: u32 = 110;
