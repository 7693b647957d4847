//! `/api/v1/patients/{id}/lab-reports` and `/api/v1/lab-reports/{id}`: send a report to be
//! read, follow its reading, and review the rows read from it.

use axum::Json;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use medvault_store::repo::lab_reports::{LabReport, StoredRow};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ReportView, RowReview};
use crate::api::{path_id, timestamp};
use crate::app::AppState;
use crate::audit::RequestMeta;
use crate::auth::ApiCaller;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::files::upload::UploadBody;
use crate::http::json::ApiJson;
use crate::routes::uploads;

pub fn routes() -> OpenApiRouter<AppState> {
    // A report is limited by `MEDVAULT_MAX_UPLOAD_BYTES` as it is read, as any file.
    let (schemas, paths, send_and_list) = routes!(send, list);
    let send_and_list = uploads(send_and_list, DefaultBodyLimit::disable());
    OpenApiRouter::new()
        .routes((schemas, paths, send_and_list))
        .routes(routes!(details))
        .routes(routes!(review))
}

/// A report and its reading.
#[derive(Serialize, ToSchema)]
pub struct LabReportView {
    pub id: String,
    pub patient_id: String,
    /// The chart file that holds the report as sent.
    pub file_id: String,
    pub uploaded_by: String,
    pub uploaded_by_name: String,
    /// Sent by the patient (or their guardian) rather than by staff.
    pub patient_provided: bool,
    /// `queued`, `reading`, `review` (rows wait for a doctor), `done` or `failed`.
    pub status: String,
    /// Attempts at reading it so far.
    pub attempts: i32,
    /// When it will be tried again, after a failure that may pass.
    pub retry_at: Option<String>,
    /// Why it could not be read: `code` (as `medvault labs parse` gives it) and `message`.
    pub error: Option<ReportError>,
    pub pages: Option<i32>,
    /// `text-layer` or `ocr`.
    pub text_source: Option<String>,
    /// What the document seems to be: `lab-report`, `prescription`, `discharge-summary`,
    /// `imaging-report` or `other`, with how sure that is (0 to 1).
    pub document_kind: Option<String>,
    pub kind_confidence: Option<f64>,
    pub created_at: String,
    pub read_at: Option<String>,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<String>,
    /// The rows read, with each field's confidence: for the clinical team only (absent for the
    /// patient and for interns, who see confirmed results in the chart).
    pub rows: Option<Vec<ReportRowView>>,
}

#[derive(Serialize, ToSchema)]
pub struct ReportError {
    pub code: String,
    pub message: String,
}

/// A row read from a report.
#[derive(Serialize, ToSchema)]
pub struct ReportRowView {
    pub n: i32,
    /// The row as read: `code`, `test_name`, `value`, `unit`, `reference`, `flag` (each a
    /// field with `value`, `confidence` and `notes`), `line`, `page`, `bounds` and
    /// `needs_review`.
    #[schema(value_type = Object)]
    pub draft: serde_json::Value,
    /// `confirm` or `reject`, once decided.
    pub decision: Option<String>,
    /// The lab result a confirmed row became.
    pub lab_result_id: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
}

impl From<&StoredRow> for ReportRowView {
    fn from(row: &StoredRow) -> Self {
        ReportRowView {
            n: row.n,
            draft: serde_json::from_str(&row.draft).unwrap_or(serde_json::Value::Null),
            decision: row.decision.map(|d| d.as_str().to_owned()),
            lab_result_id: row.lab_result_id.map(|id| id.to_string()),
            decided_by: row.decided_by.map(|id| id.to_string()),
            decided_at: row.decided_at.map(timestamp),
        }
    }
}

impl LabReportView {
    fn new(report: LabReport, rows: Option<&[StoredRow]>) -> Self {
        LabReportView {
            id: report.id.to_string(),
            patient_id: report.patient_id.to_string(),
            file_id: report.file_id.to_string(),
            uploaded_by: report.uploaded_by.to_string(),
            patient_provided: report.patient_provided,
            status: report.status.as_str().to_owned(),
            attempts: report.attempts,
            retry_at: super::worker::waits_until(&report).map(timestamp),
            error: report.error_code.clone().map(|code| ReportError {
                code,
                message: report.error_message.clone().unwrap_or_default(),
            }),
            pages: report.pages,
            text_source: report.text_source,
            document_kind: report.document_kind,
            kind_confidence: report.kind_confidence,
            created_at: timestamp(report.created_at),
            read_at: report.read_at.map(timestamp),
            reviewed_by: report.reviewed_by.map(|id| id.to_string()),
            reviewed_at: report.reviewed_at.map(timestamp),
            uploaded_by_name: report.uploaded_by_name,
            rows: rows.map(|rows| rows.iter().map(ReportRowView::from).collect()),
        }
    }
}

impl From<ReportView> for LabReportView {
    fn from(view: ReportView) -> Self {
        LabReportView::new(view.report, view.rows.as_deref())
    }
}

/// The upload's form, for the OpenAPI document.
#[derive(ToSchema)]
#[allow(dead_code)] // Only its schema is used: the parts are read as a stream.
pub struct ReportForm {
    /// The report: a PDF (with a text layer, or scanned), PNG, JPEG or TIFF, at most
    /// `MEDVAULT_MAX_UPLOAD_BYTES`.
    #[schema(format = Binary, value_type = String)]
    file: Vec<u8>,
}

/// Send a lab report to be read into the chart, as `multipart/form-data`: 202 with the report,
/// queued. It is kept as a chart file, and read by the next free reader (text layer, or OCR):
/// follow it at `GET /lab-reports/{id}`. Care-team doctors, admins, linked trainees, interns
/// within their grant, and the patient (marked `patient_provided`). The file is checked as any
/// chart file (415 for a kind not kept, 413 over the size limit, 422 when empty).
#[utoipa::path(post, path = "/patients/{id}/lab-reports", tag = "lab reports", security(("bearer" = [])),
    params(("id" = String, Path, description = "Patient id")),
    request_body(content_type = "multipart/form-data", content = ReportForm),
    responses((status = 202, body = LabReportView), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn send(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    body: UploadBody,
) -> AppResult<(StatusCode, Json<LabReportView>)> {
    let patient = path_id(&id)?;
    super::may_send(&state, caller.actor, &meta, patient).await?;
    let received = body.receive(state.config.max_upload_bytes).await?;
    let report = super::send(&state, caller.actor, &meta, patient, received).await?;
    Ok((StatusCode::ACCEPTED, Json(LabReportView::new(report, None))))
}

/// The chart's lab reports, newest first (at most 100), without their rows: every one for the
/// clinical team, one's own for a patient or an intern.
#[utoipa::path(get, path = "/patients/{id}/lab-reports", tag = "lab reports", security(("bearer" = [])),
    params(("id" = String, Path, description = "Patient id")),
    responses((status = 200, body = [LabReportView]), (status = 404, body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> AppResult<Json<Vec<LabReportView>>> {
    let reports = super::of(&state, caller.actor, &meta, path_id(&id)?).await?;
    Ok(Json(
        reports
            .into_iter()
            .map(|report| LabReportView::new(report, None))
            .collect(),
    ))
}

/// A report's reading: its status, its error if it could not be read, and (for the clinical
/// team) the rows read, each field with its confidence and `needs_review` where a field is
/// doubtful. Its sender sees its progress.
#[utoipa::path(get, path = "/lab-reports/{id}", tag = "lab reports", security(("bearer" = [])),
    params(("id" = String, Path, description = "Lab report id")),
    responses((status = 200, body = LabReportView), (status = 404, body = ErrorBody)))]
async fn details(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> AppResult<Json<LabReportView>> {
    let view = super::details(&state, caller.actor, &meta, path_id(&id)?).await?;
    Ok(Json(LabReportView::from(view)))
}

/// A review of some or all of a report's rows.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewBody {
    /// When the sample was taken (RFC 3339, or a day): the confirmed results' collection time.
    pub collected_at: String,
    /// The rows decided now; the others stay for later.
    pub rows: Vec<RowReview>,
}

/// Confirm, correct or reject rows of a report waiting for review. A confirmed row enters the
/// chart as a lab result (source `report`, naming the report, recorded by the reviewer), with
/// the corrections given, validated as any entered result (422 naming `rows.N.field`). A row
/// already decided is 409 `row_already_reviewed`; a report not in review, 409 `not_in_review`.
/// When every row is decided the report is `done`. Care-team doctors.
#[utoipa::path(post, path = "/lab-reports/{id}/review", tag = "lab reports", security(("bearer" = [])),
    params(("id" = String, Path, description = "Lab report id")),
    request_body = ReviewBody,
    responses((status = 200, body = LabReportView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn review(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ReviewBody>,
) -> AppResult<Json<LabReportView>> {
    if body.rows.is_empty() {
        return Err(AppError::InvalidField {
            field: "rows".to_owned(),
            message: "must decide at least one row".to_owned(),
        });
    }
    let id = path_id(&id)?;
    let view = super::review(
        &state,
        caller.actor,
        &meta,
        id,
        body.collected_at,
        body.rows,
    )
    .await?;
    Ok(Json(LabReportView::from(view)))
}
