//! The JSON API under `/api/v1`: its router, the OpenAPI document generated from the handlers,
//! and the pieces every resource shares.

use axum::Json;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use medvault_domain::InvalidValue;
use serde::{Deserialize, Serialize};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;

pub mod spec;

use crate::app::AppState;
use crate::error::{AppError, ErrorBody};
use crate::http::json::ApiQuery;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "MedVault API",
        description = "Patient records with strict role-based access. Every error has the shape \
                       `{\"error\": {\"code\", \"message\", \"correlation_id\"}}`; a resource the \
                       caller may not see answers 404. Any POST may carry `Idempotency-Key` (1 to \
                       255 visible ASCII characters): a retry with the same key gets the first \
                       answer, with `Idempotent-Replayed: true`, instead of a second record.",
        license(name = "AGPL-3.0-or-later")
    ),
    modifiers(&BearerAuth),
    components(schemas(ErrorBody)),
    tags(
        (name = "auth", description = "Registration, sign-in and sessions"),
        (name = "users", description = "User administration (admins)"),
        (name = "patients", description = "Patient charts, care teams and guardians"),
        (name = "records", description = "Clinical records"),
        (name = "access", description = "Trainee links, intern grants and emergency access"),
        (name = "audit", description = "The audit trail and access reports"),
        (name = "chart", description = "A chart's allergies, problems, prescriptions and lab results"),
        (name = "files", description = "Files kept with a chart, encrypted at rest"),
        (name = "lab reports", description = "Lab reports read into draft results, reviewed by a doctor"),
        (name = "institutions", description = "Hospitals, clinics, labs and pharmacies: their staff and patients"),
        (name = "appointments", description = "Doctors' hours, slots, bookings and insurance eligibility"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The API routes and the OpenAPI document that describes them, from one source.
pub fn router() -> (axum::Router<AppState>, utoipa::openapi::OpenApi) {
    let v1 = OpenApiRouter::new()
        .merge(crate::auth::api::routes())
        .merge(crate::users::api::routes())
        .merge(crate::patients::api::routes())
        .merge(crate::records::api::routes())
        .merge(crate::clinical::api::routes())
        .merge(crate::prescriptions::api::routes())
        .merge(crate::labs::api::routes())
        .merge(crate::files::api::routes())
        .merge(crate::lab_reports::api::routes())
        .merge(crate::insights::api::routes())
        .merge(crate::alerts::api::routes())
        .merge(crate::institutions::api::routes())
        .merge(crate::appointments::api::routes())
        .merge(crate::imports::api::routes())
        .merge(crate::patients::export::api_routes())
        .merge(crate::access::api::routes())
        .merge(crate::audit_log::api::routes());
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest("/api/v1", v1)
        .split_for_parts()
}

/// `?limit=&cursor=` on every list.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Items per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<usize>,
    /// The `next` value of the previous page.
    pub cursor: Option<String>,
}

/// Validated paging: a sane limit, and a cursor that is an id.
pub struct Paging {
    pub limit: usize,
    pub cursor: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for Paging {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let ApiQuery(params) = ApiQuery::<PageParams>::from_request_parts(parts, state).await?;
        let limit = page_limit(params.limit)?;
        let cursor = given(params.cursor.as_deref()).map(str::to_owned);
        if let Some(cursor) = &cursor {
            uuid::Uuid::parse_str(cursor).map_err(|_| {
                medvault_domain::InvalidValue::new("cursor", "is not a cursor from this API")
            })?;
        }
        Ok(Paging { limit, cursor })
    }
}

/// A page of results.
#[derive(Serialize, ToSchema)]
pub struct ListBody<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

impl<T> ListBody<T> {
    pub fn from_page<S>(page: medvault_store::Page<S>, view: impl Fn(S) -> T) -> Json<Self> {
        Json(ListBody {
            items: page.items.into_iter().map(view).collect(),
            next: page.next,
        })
    }
}

/// A page's length: 1 to 200, default 50.
pub fn page_limit(limit: Option<usize>) -> Result<usize, AppError> {
    let limit = limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(InvalidValue::new("limit", "must be between 1 and 200").into());
    }
    Ok(limit)
}

/// For a field of an edit: not sent stays `None` (with `#[serde(default)]`), sent as `null`
/// becomes blank text, which clears the field as a blank form field does.
pub fn null_as_blank<'de, D: serde::Deserializer<'de>>(
    field: D,
) -> Result<Option<String>, D::Error> {
    use serde::Deserialize;
    Option::<String>::deserialize(field).map(|sent| Some(sent.unwrap_or_default()))
}

/// A value typed into a filter, trimmed; blank is no filter.
pub fn given(raw: Option<&str>) -> Option<&str> {
    raw.map(str::trim).filter(|text| !text.is_empty())
}

/// Search text as typed: trimmed, blank is no search, at most 100 characters.
pub fn search_text(raw: Option<&str>, field: &'static str) -> Result<Option<String>, AppError> {
    let text = given(raw);
    if text.is_some_and(|text| text.chars().count() > 100) {
        return Err(InvalidValue::new(field, "must be at most 100 characters").into());
    }
    Ok(text.map(str::to_owned))
}

/// Parses an id from the path, answering 404 (not 422) for one that cannot exist.
pub fn path_id<T: std::str::FromStr>(raw: &str) -> Result<T, AppError> {
    raw.parse().map_err(|_| AppError::NotFound)
}

/// Timestamps on the wire: RFC 3339, UTC.
pub fn timestamp(at: chrono::NaiveDateTime) -> String {
    at.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
