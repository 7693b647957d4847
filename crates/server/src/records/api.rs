//! `/api/v1/patients/{id}/records` and `/api/v1/records/{id}`: records, their versions, and
//! their history.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use medvault_store::Record;
use medvault_store::repo::records::RecordVersion;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{Change, RecordText};
use crate::api::{ListBody, PageParams, Paging, path_id, timestamp};
use crate::app::AppState;
use crate::audit::RequestMeta;
use crate::auth::ApiCaller;
use crate::error::{AppResult, ErrorBody};
use crate::http::json::ApiJson;
use crate::http::versions;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get, amend))
        .routes(routes!(history))
        .routes(routes!(entered_in_error))
}

#[derive(Serialize, ToSchema)]
pub struct RecordView {
    pub id: String,
    pub patient_id: String,
    pub author_id: String,
    /// The author's name, as shown beside the record.
    pub author_name: String,
    /// `progress_note`, `diagnosis`, `procedure`, `discharge_summary` or `other`.
    pub kind: String,
    pub title: String,
    pub notes: String,
    /// `final`, `amended` or `entered-in-error` (FHIR's composition statuses).
    pub status: String,
    /// Why it was marked entered in error.
    pub status_reason: Option<String>,
    pub created_at: String,
    /// When this version was written.
    pub updated_at: String,
    /// Who wrote this version, when it is not the first.
    pub updated_by: Option<String>,
    /// Starts at 1; goes up with each change. Also the `ETag`.
    pub version: i64,
}

impl From<Record> for RecordView {
    fn from(record: Record) -> Self {
        RecordView {
            id: record.id.to_string(),
            patient_id: record.patient_id.to_string(),
            author_id: record.author_id.to_string(),
            author_name: record.author_name,
            kind: record.kind.as_str().to_owned(),
            title: record.title,
            notes: record.notes,
            status: record.status.as_str().to_owned(),
            status_reason: record.status_reason,
            created_at: timestamp(record.created_at),
            updated_at: timestamp(record.updated_at),
            updated_by: record.updated_by.map(|id| id.to_string()),
            version: record.version,
        }
    }
}

/// A record with its version as the `ETag`.
fn versioned(record: Record) -> impl IntoResponse {
    let etag = versions::etag(record.version);
    ([(header::ETAG, etag)], Json(RecordView::from(record)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordBody {
    /// `progress_note` (the default), `diagnosis`, `procedure`, `discharge_summary` or `other`.
    pub kind: Option<String>,
    /// 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
    /// 1 to 50,000 characters; line breaks kept.
    #[schema(min_length = 1, max_length = 50000)]
    pub notes: String,
}

impl From<RecordBody> for RecordText {
    fn from(body: RecordBody) -> Self {
        RecordText {
            kind: body.kind,
            title: body.title,
            notes: body.notes,
        }
    }
}

/// Write a record into a chart. Care-team doctors and admins.
#[utoipa::path(post, path = "/patients/{id}/records", tag = "records", request_body = RecordBody,
    security(("bearer" = [])), params(("id" = String, Path, description = "Patient id")),
    responses((status = 201, body = RecordView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RecordBody>,
) -> AppResult<impl IntoResponse> {
    let patient = path_id(&id)?;
    let record = super::create(&state, caller.actor, &meta, patient, body.into()).await?;
    Ok((StatusCode::CREATED, versioned(record)))
}

/// A chart's records, newest first.
#[utoipa::path(get, path = "/patients/{id}/records", tag = "records", security(("bearer" = [])),
    params(("id" = String, Path, description = "Patient id"), PageParams),
    responses((status = 200, body = ListBody<RecordView>), (status = 404, body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    paging: Paging,
) -> AppResult<Json<ListBody<RecordView>>> {
    let page = super::list_for_patient(
        &state,
        caller.actor,
        &meta,
        path_id(&id)?,
        paging.cursor,
        paging.limit,
    )
    .await?;
    Ok(ListBody::from_page(page, RecordView::from))
}

/// One record, if the caller may see its chart (404 otherwise), with its version as the `ETag`.
#[utoipa::path(get, path = "/records/{id}", tag = "records", security(("bearer" = [])),
    params(("id" = String, Path, description = "Record id")),
    responses((status = 200, body = RecordView, headers(("ETag" = String, description = "The record's version"))),
        (status = 404, body = ErrorBody)))]
async fn get(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> AppResult<impl IntoResponse> {
    let record = super::get(&state, caller.actor, &meta, path_id(&id)?).await?;
    Ok(versioned(record))
}

/// Amend a record: its new kind, title and notes. Its author or another care-team doctor, or an
/// admin. Needs `If-Match` with the `ETag` it was read with: 428 without, 412 when someone
/// changed it since; 409 `entered_in_error` for a record marked entered in error.
#[utoipa::path(put, path = "/records/{id}", tag = "records", request_body = RecordBody, security(("bearer" = [])),
    params(("id" = String, Path, description = "Record id"),
        ("If-Match" = String, Header, description = "The ETag the record was read with, as \"1\"")),
    responses((status = 200, body = RecordView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 412, body = ErrorBody), (status = 422, body = ErrorBody), (status = 428, body = ErrorBody)))]
async fn amend(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<RecordBody>,
) -> AppResult<impl IntoResponse> {
    let record = path_id(&id)?;
    let version = versions::if_match(&headers)?;
    let change = Change::Amend(body.into());
    let changed = super::change(&state, caller.actor, &meta, record, version, change).await?;
    Ok(versioned(changed))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnteredInErrorBody {
    /// Why the record should never have been written: 5 to 500 characters.
    #[schema(min_length = 5, max_length = 500)]
    pub reason: String,
}

/// Mark a record entered in error, with the reason. It stays in the chart and its history, so
/// marked. As for amending: `If-Match` needed.
#[utoipa::path(post, path = "/records/{id}/entered-in-error", tag = "records", request_body = EnteredInErrorBody,
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Record id"),
        ("If-Match" = String, Header, description = "The ETag the record was read with, as \"1\"")),
    responses((status = 200, body = RecordView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 412, body = ErrorBody), (status = 422, body = ErrorBody), (status = 428, body = ErrorBody)))]
async fn entered_in_error(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<EnteredInErrorBody>,
) -> AppResult<impl IntoResponse> {
    let record = path_id(&id)?;
    let version = versions::if_match(&headers)?;
    let change = Change::EnteredInError {
        reason: body.reason,
    };
    let changed = super::change(&state, caller.actor, &meta, record, version, change).await?;
    Ok(versioned(changed))
}

/// One version of a record.
#[derive(Serialize, ToSchema)]
pub struct VersionView {
    pub version: i64,
    pub kind: String,
    pub title: String,
    pub notes: String,
    pub status: String,
    pub status_reason: Option<String>,
    pub written_by: String,
    pub written_by_name: String,
    pub written_at: String,
    /// What this version changed from the one before: `kind`, `title`, `notes`, `status`.
    pub changed: Vec<&'static str>,
}

impl VersionView {
    /// Each of `versions` (the first first), with what it changed from the one before.
    pub fn list(versions: &[RecordVersion]) -> Vec<VersionView> {
        versions
            .iter()
            .enumerate()
            .map(|(n, version)| VersionView {
                version: version.version,
                kind: version.kind.as_str().to_owned(),
                title: version.title.clone(),
                notes: version.notes.clone(),
                status: version.status.as_str().to_owned(),
                status_reason: version.status_reason.clone(),
                written_by: version.written_by.to_string(),
                written_by_name: version.written_by_name.clone(),
                written_at: timestamp(version.written_at),
                changed: changed(n.checked_sub(1).and_then(|i| versions.get(i)), version),
            })
            .collect()
    }
}

/// What `version` changed from `before`.
pub fn changed(before: Option<&RecordVersion>, version: &RecordVersion) -> Vec<&'static str> {
    let Some(before) = before else {
        return Vec::new();
    };
    [
        ("kind", before.kind != version.kind),
        ("title", before.title != version.title),
        ("notes", before.notes != version.notes),
        ("status", before.status != version.status),
    ]
    .into_iter()
    .filter_map(|(field, differs)| differs.then_some(field))
    .collect()
}

/// Every version of a record, the first first: who wrote each, when, and what it changed. For
/// whoever may read the chart's records.
#[utoipa::path(get, path = "/records/{id}/history", tag = "records", security(("bearer" = [])),
    params(("id" = String, Path, description = "Record id")),
    responses((status = 200, body = ListBody<VersionView>), (status = 404, body = ErrorBody)))]
async fn history(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> AppResult<Json<ListBody<VersionView>>> {
    let versions = super::history(&state, caller.actor, &meta, path_id(&id)?)
        .await?
        .versions;
    Ok(Json(ListBody {
        items: VersionView::list(&versions),
        next: None,
    }))
}
