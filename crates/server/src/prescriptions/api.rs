//! `/api/v1/patients/{id}/prescriptions` and `/api/v1/prescriptions/{id}`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use medvault_store::repo::prescriptions::Prescription;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::PrescriptionInput;
use crate::api::{ListBody, PageParams, Paging, path_id, timestamp};
use crate::app::AppState;
use crate::audit::RequestMeta;
use crate::auth::ApiCaller;
use crate::error::{AppResult, ErrorBody};
use crate::http::json::ApiJson;
use crate::http::versions;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, prescribe))
        .routes(routes!(change_status))
}

#[derive(Serialize, ToSchema)]
pub struct PrescriptionView {
    pub id: String,
    pub patient_id: String,
    pub drug: String,
    pub strength: Option<String>,
    pub dose: String,
    /// `oral`, `sublingual`, `buccal`, `inhaled`, `nasal`, `topical`, `transdermal`, `eye`,
    /// `ear`, `rectal`, `vaginal`, `subcutaneous`, `intramuscular` or `intravenous`.
    pub route: String,
    pub frequency: String,
    pub duration: Option<String>,
    pub quantity: Option<String>,
    pub instructions: Option<String>,
    /// `active`, `completed`, `stopped` or `entered-in-error` (FHIR's MedicationRequest.status).
    pub status: String,
    /// Why it was stopped or entered in error.
    pub status_reason: Option<String>,
    /// The allergy warnings the prescriber acknowledged, when there were any.
    pub acknowledged_warnings: Vec<String>,
    pub prescribed_by: String,
    pub prescribed_by_name: String,
    pub prescribed_at: String,
    pub updated_at: String,
    /// Also the `ETag`.
    pub version: i64,
}

impl From<Prescription> for PrescriptionView {
    fn from(p: Prescription) -> Self {
        PrescriptionView {
            id: p.id.to_string(),
            patient_id: p.patient_id.to_string(),
            route: p.route.as_str().to_owned(),
            status: p.status.as_str().to_owned(),
            acknowledged_warnings: p
                .acknowledged_warnings
                .map(|text| text.lines().map(str::to_owned).collect())
                .unwrap_or_default(),
            prescribed_by: p.prescribed_by.to_string(),
            prescribed_at: timestamp(p.prescribed_at),
            updated_at: timestamp(p.updated_at),
            drug: p.drug,
            strength: p.strength,
            dose: p.dose,
            frequency: p.frequency,
            duration: p.duration,
            quantity: p.quantity,
            instructions: p.instructions,
            status_reason: p.status_reason,
            prescribed_by_name: p.prescribed_by_name,
            version: p.version,
        }
    }
}

fn versioned(prescription: Prescription) -> impl IntoResponse {
    let etag = versions::etag(prescription.version);
    (
        [(header::ETAG, etag)],
        Json(PrescriptionView::from(prescription)),
    )
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrescriptionBody {
    #[schema(max_length = 200)]
    pub drug: String,
    /// "500 mg"
    #[schema(max_length = 100)]
    pub strength: Option<String>,
    /// "1 capsule"
    #[schema(max_length = 100)]
    pub dose: String,
    pub route: String,
    /// "three times a day"
    #[schema(max_length = 100)]
    pub frequency: String,
    /// "7 days"
    #[schema(max_length = 100)]
    pub duration: Option<String>,
    /// "21 capsules"
    #[schema(max_length = 100)]
    pub quantity: Option<String>,
    #[schema(max_length = 2000)]
    pub instructions: Option<String>,
    /// Prescribe even though the drug matches a recorded allergy: send it after reading the
    /// warnings of a 409 `allergy_warning`.
    #[serde(default)]
    pub acknowledge_allergy_warnings: bool,
}

impl From<PrescriptionBody> for PrescriptionInput {
    fn from(body: PrescriptionBody) -> Self {
        PrescriptionInput {
            drug: body.drug,
            strength: body.strength,
            dose: body.dose,
            route: body.route,
            frequency: body.frequency,
            duration: body.duration,
            quantity: body.quantity,
            instructions: body.instructions,
            acknowledge_allergy_warnings: body.acknowledge_allergy_warnings,
        }
    }
}

/// The chart's prescriptions, newest first, a page at a time. Whoever may read its records.
#[utoipa::path(get, path = "/patients/{id}/prescriptions", tag = "chart", security(("bearer" = [])),
    params(("id" = String, Path, description = "Patient id"), PageParams),
    responses((status = 200, body = ListBody<PrescriptionView>), (status = 404, body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    paging: Paging,
) -> AppResult<Json<ListBody<PrescriptionView>>> {
    let patient = path_id(&id)?;
    let page = super::of(
        &state,
        caller.actor,
        &meta,
        patient,
        paging.cursor,
        paging.limit,
    )
    .await?;
    Ok(ListBody::from_page(page, PrescriptionView::from))
}

/// Prescribe. Care-team doctors. A drug that matches a recorded active allergy (by name, by
/// drug class, or by a class known to cross-react) is held with 409 `allergy_warning` and its
/// `warnings`, until sent again with `acknowledge_allergy_warnings: true`.
#[utoipa::path(post, path = "/patients/{id}/prescriptions", tag = "chart", request_body = PrescriptionBody,
    security(("bearer" = [])), params(("id" = String, Path, description = "Patient id")),
    responses((status = 201, body = PrescriptionView), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn prescribe(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<PrescriptionBody>,
) -> AppResult<impl IntoResponse> {
    let patient = path_id(&id)?;
    let made = super::prescribe(&state, caller.actor, &meta, patient, body.into()).await?;
    Ok((StatusCode::CREATED, versioned(made)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    /// `completed`, `stopped` or `entered-in-error`.
    pub status: String,
    /// Why: needed to stop it or mark it entered in error.
    #[schema(max_length = 500)]
    pub reason: Option<String>,
}

/// Complete, stop or mark entered-in-error. Care-team doctors. Needs `If-Match` with its
/// version: 428 without, 412 when someone changed it since.
#[utoipa::path(patch, path = "/prescriptions/{id}", tag = "chart", request_body = StatusBody, security(("bearer" = [])),
    params(("id" = String, Path, description = "Prescription id"),
        ("If-Match" = String, Header, description = "The prescription's version, as \"1\"")),
    responses((status = 200, body = PrescriptionView), (status = 404, body = ErrorBody), (status = 412, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 428, body = ErrorBody)))]
async fn change_status(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<StatusBody>,
) -> AppResult<impl IntoResponse> {
    let (id, version) = (path_id(&id)?, versions::if_match(&headers)?);
    let changed = super::change_status(
        &state,
        caller.actor,
        &meta,
        id,
        version,
        &body.status,
        body.reason,
    )
    .await?;
    Ok(versioned(changed))
}
