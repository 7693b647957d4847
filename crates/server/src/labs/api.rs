//! `/api/v1/patients/{id}/lab-results`, its `trend`, and `/api/v1/lab-results/{id}`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use medvault_domain::InvalidValue;
use medvault_domain::labs::LoincCode;
use medvault_store::repo::lab_results::{self, LabFilter, LabOrder, LabResult, StoredValue};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{LabInput, LabQuery, collection_time};
use crate::api::{ListBody, given, page_limit, path_id, timestamp};
use crate::app::AppState;
use crate::audit::RequestMeta;
use crate::auth::ApiCaller;
use crate::error::{AppResult, ErrorBody};
use crate::http::json::{ApiJson, ApiQuery};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, record))
        .routes(routes!(trend))
        .routes(routes!(entered_in_error))
}

#[derive(Serialize, ToSchema)]
pub struct LabResultView {
    pub id: String,
    pub patient_id: String,
    /// The LOINC code, where known.
    pub code: Option<String>,
    pub test_name: String,
    /// A number, or text ("negative") for a test that reports words.
    #[schema(value_type = Object)]
    pub value: serde_json::Value,
    pub unit: Option<String>,
    pub reference_low: Option<f64>,
    pub reference_high: Option<f64>,
    /// `low`, `high`, `critical-low`, `critical-high`, `abnormal` or `normal`: FHIR's
    /// ObservationInterpretation `L`, `H`, `LL`, `HH`, `A`, `N`.
    pub interpretation: Option<String>,
    pub collected_at: String,
    /// `entered`, or `report` for one read from a lab report.
    pub source: String,
    /// `final`, or `entered-in-error`.
    pub status: String,
    pub status_reason: Option<String>,
    pub recorded_by: String,
    pub recorded_by_name: String,
    pub recorded_at: String,
}

impl From<LabResult> for LabResultView {
    fn from(r: LabResult) -> Self {
        LabResultView {
            id: r.reading.id.to_string(),
            patient_id: r.patient_id.to_string(),
            value: match r.reading.value {
                StoredValue::Number(number) => serde_json::json!(number),
                StoredValue::Text(text) => serde_json::Value::String(text),
            },
            interpretation: r.reading.interpretation.map(|i| i.as_str().to_owned()),
            collected_at: timestamp(r.reading.collected_at),
            source: r.source.as_str().to_owned(),
            status: r.status.as_str().to_owned(),
            recorded_by: r.recorded_by.to_string(),
            recorded_at: timestamp(r.recorded_at),
            code: r.reading.code,
            test_name: r.reading.test_name,
            unit: r.reading.unit,
            reference_low: r.reading.reference_low,
            reference_high: r.reading.reference_high,
            status_reason: r.status_reason,
            recorded_by_name: r.recorded_by_name,
        }
    }
}

/// A list's filters, order and page.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// Only this test, by LOINC code.
    pub code: Option<String>,
    /// Only results collected at or after this time (RFC 3339, or a day).
    pub from: Option<String>,
    /// Only results collected before this time.
    pub to: Option<String>,
    /// `-collected_at` (newest first, the default) or `collected_at`.
    pub sort: Option<String>,
    /// Items per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<usize>,
    /// The `next` value of the previous page.
    pub cursor: Option<String>,
}

impl ListParams {
    fn query(self) -> Result<LabQuery, InvalidValue> {
        let time =
            |raw: Option<&str>, field| given(raw).map(|t| collection_time(t, field)).transpose();
        let order = match given(self.sort.as_deref()) {
            None | Some("-collected_at") => LabOrder::NewestFirst,
            Some("collected_at") => LabOrder::OldestFirst,
            Some(_) => {
                return Err(InvalidValue::new(
                    "sort",
                    "must be collected_at or -collected_at",
                ));
            }
        };
        let after = given(self.cursor.as_deref())
            .map(|c| {
                lab_results::parse_cursor(c)
                    .ok_or(InvalidValue::new("cursor", "is not a cursor from this API"))
            })
            .transpose()?;
        Ok(LabQuery {
            filter: LabFilter {
                code: given(self.code.as_deref())
                    .map(LoincCode::parse)
                    .transpose()?
                    .map(LoincCode::into_inner),
                from: time(self.from.as_deref(), "from")?,
                to: time(self.to.as_deref(), "to")?,
            },
            order,
            after,
            limit: page_limit(self.limit)
                .map_err(|_| InvalidValue::new("limit", "must be between 1 and 200"))?,
        })
    }
}

/// The chart's lab results, newest collected first (or oldest with `sort=collected_at`),
/// filtered by test and time, a page at a time. Whoever may read its records.
#[utoipa::path(get, path = "/patients/{id}/lab-results", tag = "chart", security(("bearer" = [])),
    params(("id" = String, Path, description = "Patient id"), ListParams),
    responses((status = 200, body = ListBody<LabResultView>), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> AppResult<Json<ListBody<LabResultView>>> {
    let patient = path_id(&id)?;
    let page = super::list(&state, caller.actor, &meta, patient, params.query()?).await?;
    Ok(ListBody::from_page(page, LabResultView::from))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LabResultBody {
    /// The LOINC code; with a known code the name, unit and range may be left out.
    pub code: Option<String>,
    #[schema(max_length = 200)]
    pub test_name: Option<String>,
    /// A number, or text for a test that reports words.
    #[schema(value_type = Object)]
    pub value: serde_json::Value,
    #[schema(max_length = 40)]
    pub unit: Option<String>,
    pub reference_low: Option<f64>,
    pub reference_high: Option<f64>,
    /// Read from the range for a number when left out.
    pub interpretation: Option<String>,
    /// When the sample was collected: RFC 3339, or a day.
    pub collected_at: String,
}

impl LabResultBody {
    fn input(self) -> Result<LabInput, InvalidValue> {
        let value = match self.value {
            serde_json::Value::Number(number) => number.to_string(),
            serde_json::Value::String(text) => text,
            _ => return Err(InvalidValue::new("value", "must be a number or text")),
        };
        Ok(LabInput {
            code: self.code,
            test_name: self.test_name,
            value,
            unit: self.unit,
            reference_low: self.reference_low.map(|n| n.to_string()),
            reference_high: self.reference_high.map(|n| n.to_string()),
            interpretation: self.interpretation,
            collected_at: self.collected_at,
        })
    }
}

/// Enter a lab result. Care-team doctors and admins.
#[utoipa::path(post, path = "/patients/{id}/lab-results", tag = "chart", request_body = LabResultBody,
    security(("bearer" = [])), params(("id" = String, Path, description = "Patient id")),
    responses((status = 201, body = LabResultView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn record(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<LabResultBody>,
) -> AppResult<(StatusCode, Json<LabResultView>)> {
    let patient = path_id(&id)?;
    let made = super::record(&state, caller.actor, &meta, patient, body.input()?).await?;
    Ok((StatusCode::CREATED, Json(LabResultView::from(made))))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TrendParams {
    /// The test's LOINC code.
    pub code: String,
}

/// One test's trend as an SVG image: the values over time, the reference range as a band, the
/// results outside it marked. Whoever may read the chart's records.
#[utoipa::path(get, path = "/patients/{id}/lab-results/trend", tag = "chart", security(("bearer" = [])),
    params(("id" = String, Path, description = "Patient id"), TrendParams),
    responses((status = 200, content_type = "image/svg+xml", body = String), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn trend(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    ApiQuery(params): ApiQuery<TrendParams>,
) -> AppResult<Response> {
    let patient = path_id(&id)?;
    let trend = super::trend(&state, caller.actor, &meta, patient, &params.code).await?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("image/svg+xml"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        trend.svg(),
    )
        .into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonBody {
    #[schema(min_length = 3, max_length = 500)]
    pub reason: String,
}

/// Mark a result entered in error, saying why; it stays, marked, and leaves the trend.
/// Care-team doctors and admins; 409 when it is marked already.
#[utoipa::path(post, path = "/lab-results/{id}/entered-in-error", tag = "chart", request_body = ReasonBody,
    security(("bearer" = [])), params(("id" = String, Path, description = "Lab result id")),
    responses((status = 200, body = LabResultView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn entered_in_error(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ReasonBody>,
) -> AppResult<Json<LabResultView>> {
    let marked =
        super::entered_in_error(&state, caller.actor, &meta, path_id(&id)?, &body.reason).await?;
    Ok(Json(LabResultView::from(marked)))
}
