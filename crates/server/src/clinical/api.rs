//! `/api/v1/patients/{id}/allergies`, `/api/v1/patients/{id}/problems`, `/api/v1/allergies/{id}`
//! and `/api/v1/problems/{id}`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use medvault_store::repo::allergies::Allergy;
use medvault_store::repo::problems::Problem;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{AllergyInput, ListEntry, ProblemInput};
use crate::api::{ListBody, null_as_blank, path_id, timestamp};
use crate::app::AppState;
use crate::audit::RequestMeta;
use crate::auth::ApiCaller;
use crate::error::{AppResult, ErrorBody};
use crate::http::json::ApiJson;
use crate::http::versions;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_allergies, record_allergy))
        .routes(routes!(change_allergy))
        .routes(routes!(list_problems, record_problem))
        .routes(routes!(change_problem))
}

/// An entry as the API shows it, with its version as the `ETag`.
fn versioned<E: ListEntry, V: From<E> + Serialize>(entry: E) -> impl IntoResponse {
    let etag = versions::etag(entry.version());
    ([(header::ETAG, etag)], Json(V::from(entry)))
}

#[derive(Serialize, ToSchema)]
pub struct AllergyView {
    pub id: String,
    pub patient_id: String,
    pub substance: String,
    pub reaction: Option<String>,
    /// `mild`, `moderate` or `severe`.
    pub severity: Option<String>,
    /// `active`, `inactive` or `resolved`.
    pub status: String,
    pub recorded_by: String,
    pub recorded_by_name: String,
    pub recorded_at: String,
    pub updated_at: String,
    /// Also the `ETag`.
    pub version: i64,
}

impl From<Allergy> for AllergyView {
    fn from(allergy: Allergy) -> Self {
        AllergyView {
            id: allergy.id.to_string(),
            patient_id: allergy.patient_id.to_string(),
            substance: allergy.substance,
            reaction: allergy.reaction,
            severity: allergy.severity.map(|s| s.as_str().to_owned()),
            status: allergy.status.as_str().to_owned(),
            recorded_by: allergy.recorded_by.to_string(),
            recorded_by_name: allergy.recorded_by_name,
            recorded_at: timestamp(allergy.recorded_at),
            updated_at: timestamp(allergy.updated_at),
            version: allergy.version,
        }
    }
}

/// An allergy's fields. Recording one needs `substance`; a change sends what changes (`null`
/// clears `reaction` or `severity`).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AllergyBody {
    #[schema(max_length = 200)]
    #[serde(default, deserialize_with = "null_as_blank")]
    pub substance: Option<String>,
    #[schema(max_length = 500)]
    #[serde(default, deserialize_with = "null_as_blank")]
    pub reaction: Option<String>,
    /// `mild`, `moderate` or `severe`.
    #[serde(default, deserialize_with = "null_as_blank")]
    pub severity: Option<String>,
    /// `active` (the default), `inactive` or `resolved`.
    #[serde(default, deserialize_with = "null_as_blank")]
    pub status: Option<String>,
}

impl From<AllergyBody> for AllergyInput {
    fn from(body: AllergyBody) -> Self {
        AllergyInput {
            substance: body.substance,
            reaction: body.reaction,
            severity: body.severity,
            status: body.status,
        }
    }
}

/// The chart's allergies, active first. Whoever may read its records.
#[utoipa::path(get, path = "/patients/{id}/allergies", tag = "chart", security(("bearer" = [])),
    params(("id" = String, Path, description = "Patient id")),
    responses((status = 200, body = ListBody<AllergyView>), (status = 404, body = ErrorBody)))]
async fn list_allergies(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> AppResult<Json<ListBody<AllergyView>>> {
    let found = super::allergies_of(&state, caller.actor, &meta, path_id(&id)?).await?;
    let items = found.into_iter().map(AllergyView::from).collect();
    Ok(Json(ListBody { items, next: None }))
}

/// Record an allergy. Care-team doctors and admins.
#[utoipa::path(post, path = "/patients/{id}/allergies", tag = "chart", request_body = AllergyBody,
    security(("bearer" = [])), params(("id" = String, Path, description = "Patient id")),
    responses((status = 201, body = AllergyView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn record_allergy(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AllergyBody>,
) -> AppResult<impl IntoResponse> {
    let patient = path_id(&id)?;
    let allergy: Allergy = super::record(&state, caller.actor, &meta, patient, body.into()).await?;
    Ok((StatusCode::CREATED, versioned::<_, AllergyView>(allergy)))
}

/// Change an allergy (its status, say). Needs `If-Match` with its version: 428 without, 412
/// when someone changed it since.
#[utoipa::path(patch, path = "/allergies/{id}", tag = "chart", request_body = AllergyBody, security(("bearer" = [])),
    params(("id" = String, Path, description = "Allergy id"),
        ("If-Match" = String, Header, description = "The allergy's version, as \"1\"")),
    responses((status = 200, body = AllergyView), (status = 404, body = ErrorBody), (status = 412, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 428, body = ErrorBody)))]
async fn change_allergy(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<AllergyBody>,
) -> AppResult<impl IntoResponse> {
    let (id, version) = (path_id(&id)?, versions::if_match(&headers)?);
    let allergy: Allergy =
        super::change(&state, caller.actor, &meta, id, version, body.into()).await?;
    Ok(versioned::<_, AllergyView>(allergy))
}

#[derive(Serialize, ToSchema)]
pub struct ProblemView {
    pub id: String,
    pub patient_id: String,
    pub condition: String,
    /// `YYYY-MM-DD`.
    pub onset: Option<String>,
    /// `active` or `resolved`.
    pub status: String,
    pub recorded_by: String,
    pub recorded_by_name: String,
    pub recorded_at: String,
    pub updated_at: String,
    /// Also the `ETag`.
    pub version: i64,
}

impl From<Problem> for ProblemView {
    fn from(problem: Problem) -> Self {
        ProblemView {
            id: problem.id.to_string(),
            patient_id: problem.patient_id.to_string(),
            condition: problem.condition,
            onset: problem
                .onset
                .map(|date| date.format("%Y-%m-%d").to_string()),
            status: problem.status.as_str().to_owned(),
            recorded_by: problem.recorded_by.to_string(),
            recorded_by_name: problem.recorded_by_name,
            recorded_at: timestamp(problem.recorded_at),
            updated_at: timestamp(problem.updated_at),
            version: problem.version,
        }
    }
}

/// A problem's fields. Recording one needs `condition`; a change sends what changes (`null`
/// clears `onset`).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProblemBody {
    #[schema(max_length = 200)]
    #[serde(default, deserialize_with = "null_as_blank")]
    pub condition: Option<String>,
    /// `YYYY-MM-DD`, not in the future.
    #[serde(default, deserialize_with = "null_as_blank")]
    pub onset: Option<String>,
    /// `active` (the default) or `resolved`.
    #[serde(default, deserialize_with = "null_as_blank")]
    pub status: Option<String>,
}

impl From<ProblemBody> for ProblemInput {
    fn from(body: ProblemBody) -> Self {
        ProblemInput {
            condition: body.condition,
            onset: body.onset,
            status: body.status,
        }
    }
}

/// The chart's problem list, active first. Whoever may read its records.
#[utoipa::path(get, path = "/patients/{id}/problems", tag = "chart", security(("bearer" = [])),
    params(("id" = String, Path, description = "Patient id")),
    responses((status = 200, body = ListBody<ProblemView>), (status = 404, body = ErrorBody)))]
async fn list_problems(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> AppResult<Json<ListBody<ProblemView>>> {
    let found = super::problems_of(&state, caller.actor, &meta, path_id(&id)?).await?;
    let items = found.into_iter().map(ProblemView::from).collect();
    Ok(Json(ListBody { items, next: None }))
}

/// Add a problem to the list. Care-team doctors and admins.
#[utoipa::path(post, path = "/patients/{id}/problems", tag = "chart", request_body = ProblemBody,
    security(("bearer" = [])), params(("id" = String, Path, description = "Patient id")),
    responses((status = 201, body = ProblemView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn record_problem(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ProblemBody>,
) -> AppResult<impl IntoResponse> {
    let patient = path_id(&id)?;
    let problem: Problem = super::record(&state, caller.actor, &meta, patient, body.into()).await?;
    Ok((StatusCode::CREATED, versioned::<_, ProblemView>(problem)))
}

/// Change a problem (resolve it, say). Needs `If-Match`, as for allergies.
#[utoipa::path(patch, path = "/problems/{id}", tag = "chart", request_body = ProblemBody, security(("bearer" = [])),
    params(("id" = String, Path, description = "Problem id"),
        ("If-Match" = String, Header, description = "The problem's version, as \"1\"")),
    responses((status = 200, body = ProblemView), (status = 404, body = ErrorBody), (status = 412, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 428, body = ErrorBody)))]
async fn change_problem(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<ProblemBody>,
) -> AppResult<impl IntoResponse> {
    let (id, version) = (path_id(&id)?, versions::if_match(&headers)?);
    let problem: Problem =
        super::change(&state, caller.actor, &meta, id, version, body.into()).await?;
    Ok(versioned::<_, ProblemView>(problem))
}
