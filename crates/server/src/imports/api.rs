//! `POST /api/v1/institutions/{id}/imports/patients|staff`: a CSV file as the body.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{Progress, Report};
use crate::api::path_id;
use crate::app::AppState;
use crate::audit::RequestMeta;
use crate::auth::ApiCaller;
use crate::error::{AppResult, ErrorBody};
use crate::http::json::ApiQuery;

/// The largest file an import takes: room for [`super::MOST_ROWS`] rows of a few hundred bytes.
const MOST_BYTES: usize = 64 * 1024 * 1024;

pub fn routes() -> OpenApiRouter<AppState> {
    let (schemas, paths, patients) = routes!(patients);
    let (staff_schemas, staff_paths, staff) = routes!(staff);
    OpenApiRouter::new()
        .routes((
            schemas,
            paths,
            patients.layer(DefaultBodyLimit::max(MOST_BYTES)),
        ))
        .routes((
            staff_schemas,
            staff_paths,
            staff.layer(DefaultBodyLimit::max(MOST_BYTES)),
        ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ImportParams {
    /// `true`: check every row and say what would happen, changing nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// Import patients from a CSV file (`text/csv`), all or nothing: columns `mrn`, `name`,
/// `birth_date`, `sex`, `phone`, `email`, `address_line`, `city`, `region`, `postal_code`,
/// `country`, `preferred_language`; every row needs `name`, and an `mrn` or an `email` by
/// which a second import finds it. **422** `invalid_rows` lists every fault by line and column,
/// and nothing is imported. The institution's admins and front desk, and admins.
#[utoipa::path(post, path = "/institutions/{id}/imports/patients", tag = "institutions",
    request_body(content = String, content_type = "text/csv"), security(("bearer" = [])),
    params(("id" = String, Path, description = "Institution id"), ImportParams),
    responses((status = 200, body = Report), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn patients(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    ApiQuery(params): ApiQuery<ImportParams>,
    body: Bytes,
) -> AppResult<Json<Report>> {
    let file = (path_id(&id)?, body.as_ref());
    let done = super::patients::import(
        &state,
        caller.actor,
        &meta,
        file,
        params.dry_run,
        Progress::default(),
    )
    .await?;
    Ok(Json(done))
}

/// Give people their place on the staff from a CSV file, all or nothing: columns `email`,
/// `role` (`admin`, `clinician`, `reception`), and for an account that does not exist yet
/// `name` and `account_role` (`doctor`, `trainee`, `intern`, `staff`); such an account is made
/// with no password, and its owner signs in once an administrator has set one. **422**
/// `invalid_rows` as for patients. The institution's admins, and admins.
#[utoipa::path(post, path = "/institutions/{id}/imports/staff", tag = "institutions",
    request_body(content = String, content_type = "text/csv"), security(("bearer" = [])),
    params(("id" = String, Path, description = "Institution id"), ImportParams),
    responses((status = 200, body = Report), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn staff(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    ApiQuery(params): ApiQuery<ImportParams>,
    body: Bytes,
) -> AppResult<Json<Report>> {
    let file = (path_id(&id)?, body.as_ref());
    let done = super::staff::import(
        &state,
        caller.actor,
        &meta,
        file,
        params.dry_run,
        Progress::default(),
    )
    .await?;
    Ok(Json(done))
}
