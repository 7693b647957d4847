//! The patient's copy: the whole chart as one document, the right of access that HIPAA and the
//! GDPR give. For the patient, a care-team doctor or an admin; audited as one export.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use medvault_domain::policy::Action;
use medvault_domain::{Actor, AuditAction, PatientId};
use medvault_store::repo::MAX_PAGE;
use medvault_store::repo::allergies::{self, Allergy};
use medvault_store::repo::lab_results::{self, LabFilter, LabOrder, LabResult};
use medvault_store::repo::prescriptions::{self, Prescription};
use medvault_store::repo::problems::{self, Problem};
use medvault_store::repo::records::{self, RecordVersion, RecordsOf};
use medvault_store::{Page, Patient, Record, StoreError};

use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::api::PatientView;
use super::ties::{Member, Tie};
use super::ties_api::MemberView;
use super::{Subject, authorize};
use crate::api::{path_id, timestamp};
use crate::app::AppState;
use crate::audit::{Event, RequestMeta};
use crate::auth::{ApiCaller, WebCaller};
use crate::clinical::api::{AllergyView, ProblemView};
use crate::error::{AppError, AppResult, ErrorBody};
use crate::labs::api::LabResultView;
use crate::prescriptions::api::PrescriptionView;
use crate::records::api::{RecordView, VersionView};

/// Everything a chart holds, as of one instant.
pub struct ChartCopy {
    pub chart: Patient,
    pub allergies: Vec<Allergy>,
    pub problems: Vec<Problem>,
    pub prescriptions: Vec<Prescription>,
    /// Every lab result, newest collected first, those entered in error included (marked).
    pub lab_results: Vec<LabResult>,
    /// Every record, newest first, with every version of those that were changed (the first
    /// first), or none for those that were not.
    pub records: Vec<(Record, Vec<RecordVersion>)>,
    pub care_team: Vec<Member>,
    pub guardians: Vec<Member>,
}

/// Every item of a list read a page at a time: `page` reads the page after a cursor.
fn every<T>(
    mut page: impl FnMut(Option<String>) -> Result<Page<T>, StoreError>,
) -> Result<Vec<T>, StoreError> {
    let mut all = Vec::new();
    let mut cursor = None;
    loop {
        let read = page(cursor)?;
        all.extend(read.items);
        match read.next {
            Some(next) => cursor = Some(next),
            None => return Ok(all),
        }
    }
}

pub async fn export(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    id: PatientId,
) -> Result<ChartCopy, AppError> {
    state
        .view(actor, meta, move |conn, uc| {
            let subject = Subject::id(AuditAction::ChartExport, id);
            let granted = authorize(conn, &actor, id, Action::ExportChart, subject, uc.now)?;
            let records = every(|cursor| {
                records::list(conn, RecordsOf::Patient(id), cursor.as_deref(), MAX_PAGE)
            })?;
            let mut all = Vec::with_capacity(records.len());
            for record in records {
                let history = if record.version > 1 {
                    records::history(conn, &record)?
                } else {
                    Vec::new()
                };
                all.push((record, history));
            }
            let lab_results = every(|cursor| {
                let after = cursor.as_deref().and_then(lab_results::parse_cursor);
                let (filter, order) = (LabFilter::default(), LabOrder::NewestFirst);
                lab_results::list(conn, id, &filter, order, after, MAX_PAGE)
            })?;
            let prescriptions =
                every(|cursor| prescriptions::of(conn, id, cursor.as_deref(), MAX_PAGE))?;
            let copy = ChartCopy {
                lab_results,
                allergies: allergies::of(conn, id)?,
                problems: problems::of(conn, id)?,
                prescriptions,
                records: all,
                care_team: Tie::CareTeam.named_members(conn, id)?,
                guardians: Tie::Guardian.named_members(conn, id)?,
                chart: granted.chart,
            };
            let event = Event::success(&actor, AuditAction::ChartExport)
                .resource(id)
                .patient(id);
            uc.record(event);
            Ok(copy)
        })
        .await
}

/// The copy as a document.
#[derive(Serialize, ToSchema)]
pub struct ChartCopyView {
    /// When the copy was made, RFC 3339.
    pub exported_at: String,
    pub patient: PatientView,
    pub allergies: Vec<AllergyView>,
    pub problems: Vec<ProblemView>,
    /// Every prescription, newest first.
    pub prescriptions: Vec<PrescriptionView>,
    /// Every lab result, newest collected first.
    pub lab_results: Vec<LabResultView>,
    /// Every record, newest first.
    pub records: Vec<ExportedRecord>,
    pub care_team: Vec<MemberView>,
    pub guardians: Vec<MemberView>,
}

/// A record in the copy, with every version of it when it was changed (the first first).
#[derive(Serialize, ToSchema)]
pub struct ExportedRecord {
    pub record: RecordView,
    pub versions: Vec<VersionView>,
}

impl ChartCopyView {
    fn new(copy: ChartCopy, now: chrono::NaiveDateTime) -> Self {
        ChartCopyView {
            exported_at: timestamp(now),
            patient: PatientView::from(copy.chart),
            allergies: copy.allergies.into_iter().map(AllergyView::from).collect(),
            problems: copy.problems.into_iter().map(ProblemView::from).collect(),
            lab_results: copy
                .lab_results
                .into_iter()
                .map(LabResultView::from)
                .collect(),
            prescriptions: copy
                .prescriptions
                .into_iter()
                .map(PrescriptionView::from)
                .collect(),
            records: copy
                .records
                .into_iter()
                .map(|(record, versions)| ExportedRecord {
                    versions: VersionView::list(&versions),
                    record: RecordView::from(record),
                })
                .collect(),
            care_team: MemberView::list(copy.care_team).0.items,
            guardians: MemberView::list(copy.guardians).0.items,
        }
    }
}

/// The copy as a download: JSON, saved under the chart's record number.
async fn download(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    id: PatientId,
) -> Result<Response, AppError> {
    let copy = export(state, actor, meta, id).await?;
    let name = format!("attachment; filename=\"chart-{}.json\"", copy.chart.mrn);
    let view = ChartCopyView::new(copy, state.now());
    let disposition = HeaderValue::try_from(name).unwrap_or(HeaderValue::from_static("attachment"));
    Ok(([(header::CONTENT_DISPOSITION, disposition)], Json(view)).into_response())
}

pub fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(api_export))
}

/// The whole chart as one JSON document, to keep: profile, allergies, problems, every record
/// with its versions, and the care team. The patient, a care-team doctor or an admin; audited
/// as an export.
#[utoipa::path(get, path = "/patients/{id}/export", tag = "patients", security(("bearer" = [])),
    params(("id" = String, Path, description = "Patient id")),
    responses((status = 200, body = ChartCopyView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn api_export(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> AppResult<Response> {
    download(&state, caller.actor, &meta, path_id(&id)?).await
}

/// The same download from the web: the patient's dashboard and the chart page link to it.
pub async fn web_export(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    Path(id): Path<String>,
) -> Response {
    let copy = async { download(&state, caller.actor, &meta, path_id(&id)?).await };
    copy.await.unwrap_or_else(AppError::into_response_html)
}
