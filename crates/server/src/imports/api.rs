//! `POST /api/v1/institutions/{id}/imports/patients|staff`: a CSV file as the body.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{Kind, Progress, Report};
use crate::api::path_id;
use crate::app::AppState;
use crate::audit::RequestMeta;
use crate::auth::ApiCaller;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::http::json::ApiQuery;
use crate::routes::uploads;

/// The largest file an import takes: room for [`super::MOST_ROWS`] rows of a few hundred bytes.
pub const MOST_BYTES: usize = 64 * 1024 * 1024;

pub fn routes() -> OpenApiRouter<AppState> {
    let (schemas, paths, import) = routes!(import);
    OpenApiRouter::new().routes((
        schemas,
        paths,
        uploads(import, DefaultBodyLimit::max(MOST_BYTES)),
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

/// Import patients or staff from a CSV file (`text/csv`), all or nothing. **422**
/// `invalid_rows` lists every fault by line and column, and nothing is imported.
///
/// `patients` (the institution's admins and front desk, and admins): columns `mrn`, `name`,
/// `birth_date`, `sex`, `phone`, `email`, `address_line`, `city`, `region`, `postal_code`,
/// `country`, `preferred_language`; every row needs `name`, and an `mrn` (a chart that exists)
/// or an `email`, by which a second import finds what the first made.
///
/// `staff` (the institution's admins, and admins): columns `email`, `role` (`admin`,
/// `clinician`, `reception`), and for an account that does not exist yet `name` and
/// `account_role` (`doctor`, `trainee`, `intern`, `staff`); such an account is made with no
/// password, and its owner signs in once an administrator has set one.
#[utoipa::path(post, path = "/institutions/{id}/imports/{kind}", tag = "institutions",
    request_body(content = String, content_type = "text/csv"), security(("bearer" = [])),
    params(("id" = String, Path, description = "Institution id"),
        ("kind" = String, Path, description = "`patients` or `staff`"), ImportParams),
    responses((status = 200, body = Report), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn import(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path((id, kind)): Path<(String, String)>,
    ApiQuery(params): ApiQuery<ImportParams>,
    body: Bytes,
) -> AppResult<Json<Report>> {
    let kind = Kind::parse(&kind).ok_or(AppError::NotFound)?;
    let file = (kind, path_id(&id)?, body.as_ref());
    let progress = Progress::default();
    let done = super::import(
        &state,
        (caller.actor, &meta),
        file,
        params.dry_run,
        progress,
    )
    .await?;
    Ok(Json(done))
}
