//! `/api/v1/patients`: charts and care teams.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use chrono::NaiveDate;
use medvault_domain::{InvalidValue, Mrn};
use medvault_store::Patient;
use medvault_store::repo::patients::ChartSearch;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ProfileInput;
use crate::api::{
    ListBody, PageParams, Paging, given, null_as_blank, path_id, search_text, timestamp,
};
use crate::app::AppState;
use crate::audit::RequestMeta;
use crate::auth::ApiCaller;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::http::json::{ApiJson, ApiQuery};
use crate::http::versions;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get, edit))
        .merge(super::ties_api::routes())
}

/// A patient chart's profile. Its `version` is also its `ETag`.
#[derive(Serialize, ToSchema)]
pub struct PatientView {
    pub id: String,
    /// The medical record number MedVault gave the chart: `MV-` and at least six digits.
    #[schema(example = "MV-000123")]
    pub mrn: String,
    pub name: String,
    /// `YYYY-MM-DD`.
    pub birth_date: Option<String>,
    /// `female`, `male`, `other` or `unknown` (FHIR's administrative gender).
    pub sex: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    /// Street, number, building; may span lines.
    pub address_line: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
    pub emergency_contact_name: Option<String>,
    pub emergency_contact_relationship: Option<String>,
    pub emergency_contact_phone: Option<String>,
    /// A BCP 47 language tag: `en`, `pt-BR`.
    pub preferred_language: Option<String>,
    /// The login linked to this chart, if the patient has one.
    pub user_id: Option<String>,
    /// Counts the profile's edits; send it back in `If-Match` (as `"3"`) to edit.
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl From<Patient> for PatientView {
    fn from(chart: Patient) -> Self {
        let contact = chart.contact;
        PatientView {
            id: chart.id.to_string(),
            mrn: chart.mrn.to_string(),
            name: chart.name,
            birth_date: chart
                .birth_date
                .map(|date| date.format("%Y-%m-%d").to_string()),
            sex: chart.sex.as_str().to_owned(),
            phone: contact.phone,
            email: contact.email,
            address_line: contact.address_line,
            city: contact.city,
            region: contact.region,
            postal_code: contact.postal_code,
            country: contact.country,
            emergency_contact_name: contact.emergency_contact_name,
            emergency_contact_relationship: contact.emergency_contact_relationship,
            emergency_contact_phone: contact.emergency_contact_phone,
            preferred_language: contact.preferred_language,
            user_id: chart.user_id.map(|id| id.to_string()),
            version: chart.version,
            created_at: timestamp(chart.created_at),
            updated_at: timestamp(chart.updated_at),
        }
    }
}

/// A chart with its version as the `ETag`.
fn versioned(chart: Patient) -> impl IntoResponse {
    let etag = versions::etag(chart.version);
    ([(header::ETAG, etag)], Json(PatientView::from(chart)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChartQuery {
    /// Only charts whose name contains this, in any case (at most 100 characters).
    #[param(max_length = 100)]
    pub q: Option<String>,
    /// Only the chart with this medical record number (`MV-000123`, or its digits).
    pub mrn: Option<String>,
    /// Only charts of patients born on this day, `YYYY-MM-DD`.
    pub birth_date: Option<String>,
}

impl ChartQuery {
    fn search(self) -> Result<ChartSearch, AppError> {
        let born = given(self.birth_date.as_deref())
            .map(|raw| {
                NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                    .map_err(|_| InvalidValue::new("birth_date", "must be a date as YYYY-MM-DD"))
            })
            .transpose()?;
        Ok(ChartSearch {
            name: search_text(self.q.as_deref(), "q")?,
            mrn: given(self.mrn.as_deref()).map(Mrn::parse).transpose()?,
            birth_date: born,
        })
    }
}

/// Charts the caller may see: all (admin), their care team's (doctor), their own (patient);
/// narrowed by name, MRN and birth date, all that are given.
#[utoipa::path(get, path = "/patients", tag = "patients", params(PageParams, ChartQuery), security(("bearer" = [])),
    responses((status = 200, body = ListBody<PatientView>), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    paging: Paging,
    ApiQuery(query): ApiQuery<ChartQuery>,
) -> AppResult<Json<ListBody<PatientView>>> {
    let search = query.search()?;
    let page = super::list(
        &state,
        caller.actor,
        &meta,
        search,
        paging.cursor,
        paging.limit,
    )
    .await?;
    Ok(ListBody::from_page(page, PatientView::from))
}

/// Profile fields in a body: any may be left out; in an edit, `null` clears one.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ProfileBody {
    #[schema(min_length = 1, max_length = 200)]
    #[serde(default, deserialize_with = "null_as_blank")]
    pub name: Option<String>,
    /// `YYYY-MM-DD`.
    #[schema(example = "1984-03-09")]
    #[serde(default, deserialize_with = "null_as_blank")]
    pub birth_date: Option<String>,
    /// `female`, `male`, `other` or `unknown` (the default for a new chart).
    #[serde(default, deserialize_with = "null_as_blank")]
    pub sex: Option<String>,
    #[schema(max_length = 32)]
    #[serde(default, deserialize_with = "null_as_blank")]
    pub phone: Option<String>,
    #[schema(max_length = 254)]
    #[serde(default, deserialize_with = "null_as_blank")]
    pub email: Option<String>,
    #[schema(max_length = 200)]
    #[serde(default, deserialize_with = "null_as_blank")]
    pub address_line: Option<String>,
    #[schema(max_length = 100)]
    #[serde(default, deserialize_with = "null_as_blank")]
    pub city: Option<String>,
    #[schema(max_length = 100)]
    #[serde(default, deserialize_with = "null_as_blank")]
    pub region: Option<String>,
    #[schema(max_length = 20)]
    #[serde(default, deserialize_with = "null_as_blank")]
    pub postal_code: Option<String>,
    #[schema(max_length = 100)]
    #[serde(default, deserialize_with = "null_as_blank")]
    pub country: Option<String>,
    #[schema(max_length = 200)]
    #[serde(default, deserialize_with = "null_as_blank")]
    pub emergency_contact_name: Option<String>,
    #[schema(max_length = 60)]
    #[serde(default, deserialize_with = "null_as_blank")]
    pub emergency_contact_relationship: Option<String>,
    #[schema(max_length = 32)]
    #[serde(default, deserialize_with = "null_as_blank")]
    pub emergency_contact_phone: Option<String>,
    /// A BCP 47 language tag: `en`, `pt-BR`.
    #[schema(max_length = 16)]
    #[serde(default, deserialize_with = "null_as_blank")]
    pub preferred_language: Option<String>,
}

impl From<ProfileBody> for ProfileInput {
    fn from(body: ProfileBody) -> Self {
        ProfileInput {
            name: body.name,
            birth_date: body.birth_date,
            sex: body.sex,
            phone: body.phone,
            email: body.email,
            address_line: body.address_line,
            city: body.city,
            region: body.region,
            postal_code: body.postal_code,
            country: body.country,
            emergency_contact_name: body.emergency_contact_name,
            emergency_contact_relationship: body.emergency_contact_relationship,
            emergency_contact_phone: body.emergency_contact_phone,
            preferred_language: body.preferred_language,
        }
    }
}

/// Open a chart; `name` is required. Doctors and admins; a doctor who opens one joins its care
/// team. MedVault gives it the next medical record number.
#[utoipa::path(post, path = "/patients", tag = "patients", request_body = ProfileBody, security(("bearer" = [])),
    responses((status = 201, body = PatientView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    ApiJson(body): ApiJson<ProfileBody>,
) -> AppResult<impl IntoResponse> {
    let chart = super::create(&state, caller.actor, &meta, body.into()).await?;
    Ok((StatusCode::CREATED, versioned(chart)))
}

/// One chart, if the caller may see it (404 otherwise), with its version as the `ETag`.
#[utoipa::path(get, path = "/patients/{id}", tag = "patients", security(("bearer" = [])),
    params(("id" = String, Path, description = "Patient id")),
    responses((status = 200, body = PatientView, headers(("ETag" = String, description = "The profile's version"))),
        (status = 404, body = ErrorBody)))]
async fn get(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> AppResult<impl IntoResponse> {
    let chart = super::get(&state, caller.actor, &meta, path_id(&id)?).await?;
    Ok(versioned(chart.chart))
}

/// Edit a chart's profile (JSON merge patch: fields left out stay, `null` clears one). Needs
/// `If-Match` with the `ETag` it was read with: 428 without, 412 when someone changed it since.
/// Name, birth date and sex are the care team's and admins' to change; the patient may change
/// their contact details.
#[utoipa::path(patch, path = "/patients/{id}", tag = "patients", request_body = ProfileBody, security(("bearer" = [])),
    params(("id" = String, Path, description = "Patient id"),
        ("If-Match" = String, Header, description = "The ETag the chart was read with, as \"3\"")),
    responses((status = 200, body = PatientView), (status = 404, body = ErrorBody), (status = 412, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 428, body = ErrorBody)))]
async fn edit(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<ProfileBody>,
) -> AppResult<impl IntoResponse> {
    let patient = path_id(&id)?;
    let version = versions::if_match(&headers)?;
    let chart =
        super::edit_profile(&state, caller.actor, &meta, patient, version, body.into()).await?;
    Ok(versioned(chart))
}
