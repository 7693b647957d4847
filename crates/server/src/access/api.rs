//! `/api/v1/patients/{id}/trainees`, `…/intern-grants`, `…/emergency-access`,
//! `/api/v1/intern-grants` and `/api/v1/emergency-accesses`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use medvault_store::repo::access::{EmergencyAccess, InternGrant};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::{ListBody, path_id, timestamp};
use crate::app::AppState;
use crate::audit::RequestMeta;
use crate::auth::ApiCaller;
use crate::error::{AppResult, ErrorBody};
use crate::http::json::ApiJson;
use crate::patients::ties::{self, Tie};
use crate::patients::ties_api::MemberView;
use crate::patients::{PatientRef, UserRef};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(linked_trainees, link_trainee))
        .routes(routes!(unlink_trainee))
        .routes(routes!(grant_intern))
        .routes(routes!(list_grants))
        .routes(routes!(end_grant))
        .routes(routes!(break_glass))
        .routes(routes!(list_emergency))
}

fn field_id<T: std::str::FromStr>(
    raw: &str,
    field: &'static str,
    message: &'static str,
) -> Result<T, medvault_domain::InvalidValue> {
    raw.parse()
        .map_err(|_| medvault_domain::InvalidValue::new(field, message))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TraineeBody {
    pub trainee_id: String,
}

#[derive(Serialize, ToSchema)]
pub struct TraineeLinkView {
    pub patient_id: String,
    pub trainee_id: String,
}

/// Link a trainee to a patient: they may then read the chart. Admins, or care-team doctors.
#[utoipa::path(post, path = "/patients/{id}/trainees", tag = "access", request_body = TraineeBody,
    security(("bearer" = [])), params(("id" = String, Path, description = "Patient id")),
    responses((status = 201, body = TraineeLinkView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn link_trainee(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<TraineeBody>,
) -> AppResult<(StatusCode, Json<TraineeLinkView>)> {
    let trainee = UserRef::Id(field_id(
        &body.trainee_id,
        "trainee_id",
        "is not an active trainee",
    )?);
    let patient = path_id(&id)?;
    ties::add(
        &state,
        caller.actor,
        &meta,
        patient,
        trainee,
        Tie::TraineeLink,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(TraineeLinkView {
            patient_id: id,
            trainee_id: body.trainee_id,
        }),
    ))
}

/// The trainees linked to a patient. Admins, or care-team doctors.
#[utoipa::path(get, path = "/patients/{id}/trainees", tag = "access", security(("bearer" = [])),
    params(("id" = String, Path, description = "Patient id")),
    responses((status = 200, body = ListBody<MemberView>), (status = 404, body = ErrorBody)))]
async fn linked_trainees(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> AppResult<Json<ListBody<MemberView>>> {
    let patient = path_id(&id)?;
    let trainees = ties::members(&state, caller.actor, &meta, patient, Tie::TraineeLink).await?;
    Ok(MemberView::list(trainees))
}

/// End a trainee's link to a patient; their access ends at once. Admins, or care-team doctors.
/// 204 whether or not the trainee was linked.
#[utoipa::path(delete, path = "/patients/{id}/trainees/{trainee_id}", tag = "access", security(("bearer" = [])),
    params(("id" = String, Path, description = "Patient id"), ("trainee_id" = String, Path, description = "The trainee's user id")),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn unlink_trainee(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path((id, trainee_id)): Path<(String, String)>,
) -> AppResult<StatusCode> {
    let (patient, trainee) = (path_id(&id)?, path_id(&trainee_id)?);
    ties::end(
        &state,
        caller.actor,
        &meta,
        patient,
        trainee,
        Tie::TraineeLink,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantBody {
    pub intern_id: String,
    /// The shift's length in hours, from now (default 8, at most 12 unless configured).
    #[schema(exclusive_minimum = 0)]
    pub hours: Option<f64>,
}

/// An intern's access to one patient for a shift.
#[derive(Serialize, ToSchema)]
pub struct GrantView {
    pub id: String,
    pub intern_id: String,
    pub patient_id: String,
    pub issued_by: String,
    pub starts_at: String,
    pub ends_at: String,
    pub ended_at: Option<String>,
}

impl From<InternGrant> for GrantView {
    fn from(grant: InternGrant) -> Self {
        GrantView {
            id: grant.id.to_string(),
            intern_id: grant.intern_id.to_string(),
            patient_id: grant.patient_id.to_string(),
            issued_by: grant.issued_by.to_string(),
            starts_at: timestamp(grant.starts_at),
            ends_at: timestamp(grant.ends_at),
            ended_at: grant.ended_at.map(timestamp),
        }
    }
}

/// Grant an intern access to a patient for a shift. It ends by itself; ending it sooner takes
/// effect at once. Admins, or care-team doctors.
#[utoipa::path(post, path = "/patients/{id}/intern-grants", tag = "access", request_body = GrantBody,
    security(("bearer" = [])), params(("id" = String, Path, description = "Patient id")),
    responses((status = 201, body = GrantView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn grant_intern(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<GrantBody>,
) -> AppResult<(StatusCode, Json<GrantView>)> {
    let intern = UserRef::Id(field_id(
        &body.intern_id,
        "intern_id",
        "is not an active intern",
    )?);
    let grant = super::grant_intern(
        &state,
        caller.actor,
        &meta,
        path_id(&id)?,
        intern,
        body.hours,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(grant.into())))
}

/// Intern grants: all (admins) or those the caller issued (doctors).
#[utoipa::path(get, path = "/intern-grants", tag = "access", security(("bearer" = [])),
    responses((status = 200, body = ListBody<GrantView>), (status = 403, body = ErrorBody)))]
async fn list_grants(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
) -> AppResult<Json<ListBody<GrantView>>> {
    let grants = super::list_grants(&state, caller.actor, &meta).await?;
    Ok(Json(ListBody {
        items: grants.into_iter().map(GrantView::from).collect(),
        next: None,
    }))
}

/// End a grant now ("exit"): the intern loses access at once, on every server.
#[utoipa::path(post, path = "/intern-grants/{id}/end", tag = "access", security(("bearer" = [])),
    params(("id" = String, Path, description = "Grant id")),
    responses((status = 200, body = GrantView), (status = 404, body = ErrorBody)))]
async fn end_grant(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> AppResult<Json<GrantView>> {
    let id = path_id(&id)?;
    Ok(Json(
        super::end_grant(&state, caller.actor, &meta, id)
            .await?
            .into(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BreakGlassBody {
    /// Why the chart must be opened now: 10 to 500 characters, kept in the audit trail.
    #[schema(min_length = 10, max_length = 500)]
    pub reason: String,
}

/// An emergency (break-the-glass) access.
#[derive(Serialize, ToSchema)]
pub struct EmergencyView {
    pub id: String,
    pub doctor_id: String,
    pub patient_id: String,
    pub reason: String,
    pub started_at: String,
    pub ends_at: String,
}

impl From<EmergencyAccess> for EmergencyView {
    fn from(access: EmergencyAccess) -> Self {
        EmergencyView {
            id: access.id.to_string(),
            doctor_id: access.doctor_id.to_string(),
            patient_id: access.patient_id.to_string(),
            reason: access.reason,
            started_at: timestamp(access.started_at),
            ends_at: timestamp(access.ends_at),
        }
    }
}

/// Open a chart in an emergency, off the care team, with a stated reason. Lasts a configured
/// time (default 1 hour); every access under it is flagged in the audit trail. Doctors.
#[utoipa::path(post, path = "/patients/{id}/emergency-access", tag = "access", request_body = BreakGlassBody,
    security(("bearer" = [])), params(("id" = String, Path, description = "Patient id")),
    responses((status = 201, body = EmergencyView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 409, description = "`already_in_care`: the patient is in the doctor's care already", body = ErrorBody)))]
async fn break_glass(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<BreakGlassBody>,
) -> AppResult<(StatusCode, Json<EmergencyView>)> {
    let opened = super::break_glass(
        &state,
        caller.actor,
        &meta,
        PatientRef::Id(path_id(&id)?),
        &body.reason,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(opened.into())))
}

/// Emergency accesses, open and past: all (admins) or the caller's own (doctors).
#[utoipa::path(get, path = "/emergency-accesses", tag = "access", security(("bearer" = [])),
    responses((status = 200, body = ListBody<EmergencyView>), (status = 403, body = ErrorBody)))]
async fn list_emergency(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
) -> AppResult<Json<ListBody<EmergencyView>>> {
    let accesses = super::list_emergency(&state, caller.actor, &meta).await?;
    Ok(Json(ListBody {
        items: accesses.into_iter().map(EmergencyView::from).collect(),
        next: None,
    }))
}
