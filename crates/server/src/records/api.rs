//! `/api/v1/patients/{id}/records` and `/api/v1/records/{id}`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use medvault_store::Record;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::{ListBody, PageParams, Paging, path_id, timestamp};
use crate::app::AppState;
use crate::audit::RequestMeta;
use crate::auth::ApiCaller;
use crate::error::{AppResult, ErrorBody};
use crate::http::json::ApiJson;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get))
}

#[derive(Serialize, ToSchema)]
pub struct RecordView {
    pub id: String,
    pub patient_id: String,
    pub author_id: String,
    pub title: String,
    pub notes: String,
    pub created_at: String,
    /// Starts at 1; goes up with each edit.
    pub version: i64,
}

impl From<Record> for RecordView {
    fn from(record: Record) -> Self {
        RecordView {
            id: record.id.to_string(),
            patient_id: record.patient_id.to_string(),
            author_id: record.author_id.to_string(),
            title: record.title,
            notes: record.notes,
            created_at: timestamp(record.created_at),
            version: record.version,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRecordBody {
    /// 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
    /// 1 to 50,000 characters; line breaks kept.
    #[schema(min_length = 1, max_length = 50000)]
    pub notes: String,
}

/// Write a record into a chart. Care-team doctors and admins.
#[utoipa::path(post, path = "/patients/{id}/records", tag = "records", request_body = NewRecordBody,
    security(("bearer" = [])), params(("id" = String, Path, description = "Patient id")),
    responses((status = 201, body = RecordView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NewRecordBody>,
) -> AppResult<(StatusCode, Json<RecordView>)> {
    let record = super::create(
        &state,
        caller.actor,
        &meta,
        path_id(&id)?,
        &body.title,
        &body.notes,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(record.into())))
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

/// One record, if the caller may see its chart; 404 otherwise.
#[utoipa::path(get, path = "/records/{id}", tag = "records", security(("bearer" = [])),
    params(("id" = String, Path, description = "Record id")),
    responses((status = 200, body = RecordView), (status = 404, body = ErrorBody)))]
async fn get(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> AppResult<Json<RecordView>> {
    let record = super::get(&state, caller.actor, &meta, path_id(&id)?).await?;
    Ok(Json(record.into()))
}
