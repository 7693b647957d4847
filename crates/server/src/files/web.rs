//! The chart page's files: the list with download, delete and (for admins) restore buttons, and
//! the upload form. The upload is `multipart/form-data`, so its CSRF token rides in the form's
//! address rather than its body, which is streamed, never held whole by the CSRF layer.

use axum::extract::{Path, State};
use axum::response::Response;
use medvault_store::repo::files::StoredFile;

use super::upload::UploadBody;
use crate::api::path_id;
use crate::app::AppState;
use crate::audit::RequestMeta;
use crate::auth::WebCaller;
use crate::auth::csrf::Csrf;
use crate::error::AppError;
use crate::web::dates::Day;
use crate::web::kept::Kept;
use crate::web::refused::{Context, after_chart_form, back_to_section};

/// A chart's files as its page shows them.
pub struct FileRows {
    pub files: Vec<FileRow>,
    /// The largest upload taken, in words ("25 MB").
    pub limit: String,
}

pub struct FileRow {
    pub id: String,
    pub name: String,
    pub kind: &'static str,
    pub size: String,
    pub uploaded: String,
    /// When it was deleted, for the admins who see deleted files.
    pub deleted: Option<String>,
}

/// A size in words.
pub fn size_in_words(bytes: u64) -> String {
    match bytes {
        b if b >= 1024 * 1024 => format!("{:.1} MB", b as f64 / (1024.0 * 1024.0)),
        b if b >= 1024 => format!("{:.0} KB", b as f64 / 1024.0),
        b => format!("{b} bytes"),
    }
}

impl FileRows {
    pub fn new(files: &[StoredFile], limit: u64) -> Self {
        FileRows {
            files: files
                .iter()
                .map(|file| FileRow {
                    id: file.id.to_string(),
                    name: file.name.clone(),
                    kind: file.kind.label(),
                    size: size_in_words(u64::try_from(file.size_bytes).unwrap_or_default()),
                    uploaded: format!("{}, {}", file.uploaded_by_name, Day(file.uploaded_at)),
                    deleted: file.deleted_at.map(|at| Day(at).to_string()),
                })
                .collect(),
            limit: size_in_words(limit),
        }
    }
}

/// Uploads from the chart page: back to the chart with a notice, or to the chart with the
/// refusal beside the form.
pub async fn upload(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    csrf: Csrf,
    kept: Kept,
    Path(id): Path<String>,
    body: Result<UploadBody, AppError>,
) -> Response {
    let outcome = async {
        let patient = path_id(&id)?;
        let body = body?;
        super::may_upload(&state, caller.actor, &meta, patient).await?;
        let received = body.receive(state.config.max_upload_bytes).await?;
        super::keep(&state, caller.actor, &meta, patient, received)
            .await
            .map(|_| ())
    };
    let context = Context::new(&state, &meta, &caller, &csrf);
    after_chart_form(context, kept, &id, outcome.await, "file_uploaded", "files").await
}

/// A file's bytes, for a signed-in browser.
pub async fn download(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    Path(id): Path<String>,
) -> Response {
    let downloaded = async { super::download(&state, caller.actor, &meta, path_id(&id)?).await };
    match downloaded.await {
        Ok((file, bytes)) => super::api::attachment(&file, bytes),
        Err(error) => error.into_response_html(),
    }
}

/// Deletes or restores a file from its button on the chart, and goes back to the chart.
async fn change(
    state: &AppState,
    caller: &crate::auth::Caller,
    meta: &RequestMeta,
    id: &str,
    restore: bool,
) -> Response {
    let changed = async {
        let id = path_id(id)?;
        if restore {
            super::restore(state, caller.actor, meta, id).await
        } else {
            super::delete(state, caller.actor, meta, id).await
        }
    };
    let notice = if restore {
        "file_restored"
    } else {
        "file_deleted"
    };
    back_to_section(changed.await.map(|file| file.patient_id), notice, "files")
}

pub async fn delete(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    Path(id): Path<String>,
) -> Response {
    change(&state, &caller, &meta, &id, false).await
}

pub async fn restore(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    Path(id): Path<String>,
) -> Response {
    change(&state, &caller, &meta, &id, true).await
}
