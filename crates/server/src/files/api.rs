//! `/api/v1/patients/{id}/files` and `/api/v1/files/{id}`: upload, list, details, download,
//! delete and restore.

use axum::Json;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use medvault_store::repo::files::StoredFile;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::upload::UploadBody;
use crate::api::{ListBody, PageParams, Paging, path_id, timestamp};
use crate::app::AppState;
use crate::audit::RequestMeta;
use crate::auth::ApiCaller;
use crate::error::{AppResult, ErrorBody};
use crate::routes::uploads;

pub fn routes() -> OpenApiRouter<AppState> {
    // An upload is limited by `MEDVAULT_MAX_UPLOAD_BYTES` as it is read, not by the API's
    // 1 MiB body limit.
    let (schemas, paths, upload_and_list) = routes!(list, upload);
    let upload_and_list = uploads(upload_and_list, DefaultBodyLimit::disable());
    OpenApiRouter::new()
        .routes((schemas, paths, upload_and_list))
        .routes(routes!(details, delete))
        .routes(routes!(content))
        .routes(routes!(restore))
}

#[derive(Serialize, ToSchema)]
pub struct FileView {
    pub id: String,
    pub patient_id: String,
    /// The record it is attached to, if any.
    pub record_id: Option<String>,
    /// The name it was uploaded under (the stored object's name is the server's).
    pub name: String,
    /// Decided from the content: `application/pdf`, `image/png`, `image/jpeg`, `image/tiff` or
    /// `text/plain; charset=utf-8`.
    pub content_type: String,
    pub size_bytes: i64,
    /// The content's SHA-256, hex: checked on every download.
    pub sha256: String,
    pub uploaded_by: String,
    pub uploaded_by_name: String,
    pub uploaded_at: String,
    /// When it was deleted (shown to admins, who may restore it for 30 days).
    pub deleted_at: Option<String>,
}

impl From<StoredFile> for FileView {
    fn from(file: StoredFile) -> Self {
        FileView {
            id: file.id.to_string(),
            patient_id: file.patient_id.to_string(),
            record_id: file.record_id.map(|id| id.to_string()),
            content_type: file.kind.content_type().to_owned(),
            uploaded_by: file.uploaded_by.to_string(),
            uploaded_at: timestamp(file.uploaded_at),
            deleted_at: file.deleted_at.map(timestamp),
            name: file.name,
            size_bytes: file.size_bytes,
            sha256: file.sha256,
            uploaded_by_name: file.uploaded_by_name,
        }
    }
}

/// The upload's form, for the OpenAPI document.
#[derive(ToSchema)]
#[allow(dead_code)] // Only its schema is used: the parts are read as a stream.
pub struct UploadForm {
    /// The file: a PDF, PNG, JPEG, TIFF or plain text, at most `MEDVAULT_MAX_UPLOAD_BYTES`.
    #[schema(format = Binary, value_type = String)]
    file: Vec<u8>,
    /// The record of this chart to attach it to.
    record_id: Option<String>,
}

/// Add a file to the chart, as `multipart/form-data`. Care-team doctors and admins. Its kind is
/// decided from its content (PDF, PNG, JPEG, TIFF, plain text; 415 `file_type_not_allowed`
/// otherwise, or when it holds web markup); over the size limit it is 413 as soon as that is
/// known; an empty file, an absurdly large image or a path for a name is 422. Nothing is kept
/// of a refused upload.
#[utoipa::path(post, path = "/patients/{id}/files", tag = "files", security(("bearer" = [])),
    params(("id" = String, Path, description = "Patient id")),
    request_body(content_type = "multipart/form-data", content = UploadForm),
    responses((status = 201, body = FileView), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn upload(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    body: UploadBody,
) -> AppResult<(StatusCode, Json<FileView>)> {
    let patient = path_id(&id)?;
    super::may_upload(&state, caller.actor, &meta, patient).await?;
    let received = body.receive(state.config.max_upload_bytes).await?;
    let kept = super::keep(&state, caller.actor, &meta, patient, received).await?;
    Ok((StatusCode::CREATED, Json(FileView::from(kept))))
}

/// The chart's files, newest first, a page at a time. Whoever may read its records; admins see
/// deleted ones too.
#[utoipa::path(get, path = "/patients/{id}/files", tag = "files", security(("bearer" = [])),
    params(("id" = String, Path, description = "Patient id"), PageParams),
    responses((status = 200, body = ListBody<FileView>), (status = 404, body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    paging: Paging,
) -> AppResult<Json<ListBody<FileView>>> {
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
    Ok(ListBody::from_page(page, FileView::from))
}

/// A file's details.
#[utoipa::path(get, path = "/files/{id}", tag = "files", security(("bearer" = [])),
    params(("id" = String, Path, description = "File id")),
    responses((status = 200, body = FileView), (status = 404, body = ErrorBody)))]
async fn details(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> AppResult<Json<FileView>> {
    let file = super::details(&state, caller.actor, &meta, path_id(&id)?).await?;
    Ok(Json(FileView::from(file)))
}

/// A file's bytes as an attachment, checked against their SHA-256 first: a mismatch is 500
/// `file_integrity` (and an audit entry), never bytes.
#[utoipa::path(get, path = "/files/{id}/content", tag = "files", security(("bearer" = [])),
    params(("id" = String, Path, description = "File id")),
    responses((status = 200, description = "The file, as an attachment", content_type = "application/octet-stream"),
        (status = 404, body = ErrorBody), (status = 500, body = ErrorBody)))]
async fn content(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let (file, bytes) = super::download(&state, caller.actor, &meta, path_id(&id)?).await?;
    Ok(attachment(&file, bytes))
}

/// A file's bytes as a download the browser will not render or sniff.
pub fn attachment(file: &StoredFile, bytes: Vec<u8>) -> Response {
    let ascii: String = file
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._- ".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let disposition = format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
        utf8_percent_encode(&file.name, NON_ALPHANUMERIC)
    );
    let mut response = Body::from(bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(file.kind.content_type()),
    );
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    response
}

/// Delete a file: it leaves the chart at once, and an admin can restore it for 30 days.
/// Care-team doctors and admins.
#[utoipa::path(delete, path = "/files/{id}", tag = "files", security(("bearer" = [])),
    params(("id" = String, Path, description = "File id")),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn delete(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    super::delete(&state, caller.actor, &meta, path_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Restore a deleted file, within 30 days of its deletion. Admins.
#[utoipa::path(post, path = "/files/{id}/restore", tag = "files", security(("bearer" = [])),
    params(("id" = String, Path, description = "File id")),
    responses((status = 200, body = FileView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn restore(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> AppResult<Json<FileView>> {
    let restored = super::restore(&state, caller.actor, &meta, path_id(&id)?).await?;
    Ok(Json(FileView::from(restored)))
}
