//! `/api/v1/institutions`: institutions, their staff and their registered patients.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use medvault_domain::institutions::StaffRole;
use medvault_store::repo::institutions::{Institution, Member};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{InstitutionInput, Registration, StaffInput, StaffMember};
use crate::api::{ListBody, Paging, path_id, timestamp};
use crate::app::AppState;
use crate::audit::RequestMeta;
use crate::auth::ApiCaller;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::http::json::ApiJson;
use crate::patients::api::{PatientView, ProfileBody};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get))
        .routes(routes!(staff, put_staff))
        .routes(routes!(remove_staff))
        .routes(routes!(patients, register))
}

#[derive(Serialize, ToSchema)]
pub struct InstitutionView {
    pub id: String,
    pub name: String,
    /// `hospital`, `clinic`, `lab` or `pharmacy`.
    pub kind: &'static str,
    pub address: String,
    /// IANA time zone, in which its hours and visits are shown.
    #[schema(example = "Europe/Lisbon")]
    pub time_zone: &'static str,
    pub phone: Option<String>,
    pub email: Option<String>,
    /// The caller's role there, if they work there: `admin`, `clinician` or `reception`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub my_role: Option<&'static str>,
}

impl InstitutionView {
    fn of(place: Institution, my_role: Option<StaffRole>) -> Self {
        InstitutionView {
            id: place.id.to_string(),
            name: place.name,
            kind: place.kind.as_str(),
            address: place.address,
            time_zone: place.time_zone.name(),
            phone: place.phone,
            email: place.email,
            my_role: my_role.map(StaffRole::as_str),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InstitutionBody {
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// `hospital`, `clinic`, `lab` or `pharmacy`.
    pub kind: String,
    #[serde(default)]
    pub address: Option<String>,
    #[schema(example = "Europe/Lisbon")]
    pub time_zone: String,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
}

/// Every institution, by name, with the caller's role at those they work at. Anyone signed in.
#[utoipa::path(get, path = "/institutions", tag = "institutions", security(("bearer" = [])),
    responses((status = 200, body = [InstitutionView]), (status = 401, body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
) -> AppResult<Json<Vec<InstitutionView>>> {
    let places = super::list(&state, caller.actor).await?;
    Ok(Json(
        places
            .into_iter()
            .map(|(place, role)| InstitutionView::of(place, role))
            .collect(),
    ))
}

/// Open an institution. System administrators.
#[utoipa::path(post, path = "/institutions", tag = "institutions", request_body = InstitutionBody,
    security(("bearer" = [])),
    responses((status = 201, body = InstitutionView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    ApiJson(body): ApiJson<InstitutionBody>,
) -> AppResult<impl IntoResponse> {
    let input = InstitutionInput {
        name: body.name,
        kind: body.kind,
        address: body.address,
        time_zone: body.time_zone,
        phone: body.phone,
        email: body.email,
    };
    let place = super::create(&state, caller.actor, &meta, input).await?;
    Ok((StatusCode::CREATED, Json(InstitutionView::of(place, None))))
}

/// One institution.
#[utoipa::path(get, path = "/institutions/{id}", tag = "institutions", security(("bearer" = [])),
    params(("id" = String, Path, description = "Institution id")),
    responses((status = 200, body = InstitutionView), (status = 404, body = ErrorBody)))]
async fn get(
    State(state): State<AppState>,
    ApiCaller(_caller): ApiCaller,
    Path(id): Path<String>,
) -> AppResult<Json<InstitutionView>> {
    let place = super::get(&state, path_id(&id)?).await?;
    Ok(Json(InstitutionView::of(place, None)))
}

#[derive(Serialize, ToSchema)]
pub struct MemberView {
    pub user_id: String,
    pub name: String,
    /// Shown to the institution's own staff and system admins only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Their account's role: `doctor`, `staff`, …
    pub account_role: &'static str,
    /// Their role at the institution: `admin`, `clinician` or `reception`.
    pub role: &'static str,
    pub since: String,
}

impl MemberView {
    fn of(member: Member, with_email: bool) -> Self {
        MemberView {
            user_id: member.user_id.to_string(),
            name: member.name,
            email: with_email.then_some(member.email),
            account_role: member.account_role.as_str(),
            role: member.role.as_str(),
            since: timestamp(member.since),
        }
    }
}

/// The institution's staff, by name. Its members and system admins see everyone; anyone else
/// the clinicians, whom patients book with.
#[utoipa::path(get, path = "/institutions/{id}/staff", tag = "institutions", security(("bearer" = [])),
    params(("id" = String, Path, description = "Institution id")),
    responses((status = 200, body = [MemberView]), (status = 404, body = ErrorBody)))]
async fn staff(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> AppResult<Json<Vec<MemberView>>> {
    let (members, insiders) = super::staff(&state, caller.actor, path_id(&id)?).await?;
    Ok(Json(
        members
            .into_iter()
            .map(|m| MemberView::of(m, insiders))
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffBody {
    /// The user, by id …
    #[serde(default)]
    pub user_id: Option<String>,
    /// … or by email.
    #[serde(default)]
    pub email: Option<String>,
    /// `admin`, `clinician` (a doctor, trainee or intern) or `reception`.
    pub role: String,
}

/// Give a user a place on the staff (201), or change their role there (200). The
/// institution's admins and system admins.
#[utoipa::path(post, path = "/institutions/{id}/staff", tag = "institutions", request_body = StaffBody,
    security(("bearer" = [])), params(("id" = String, Path, description = "Institution id")),
    responses((status = 201, body = MemberView), (status = 200, body = MemberView),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn put_staff(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<StaffBody>,
) -> AppResult<impl IntoResponse> {
    let user = match (body.user_id, body.email) {
        (Some(id), None) => StaffMember::Id(
            id.parse()
                .map_err(|_| AppError::invalid("user_id", "is not a user id"))?,
        ),
        (None, Some(email)) => StaffMember::Email(email),
        _ => {
            return Err(AppError::invalid(
                "user_id",
                "name the user by user_id or by email",
            ));
        }
    };
    let input = StaffInput {
        user,
        role: body.role,
    };
    let (member, added) =
        super::put_staff(&state, caller.actor, &meta, path_id(&id)?, input).await?;
    let status = if added {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(MemberView::of(member, true))))
}

/// Take a user off the staff. The institution's admins and system admins.
#[utoipa::path(delete, path = "/institutions/{id}/staff/{user_id}", tag = "institutions",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Institution id"), ("user_id" = String, Path, description = "User id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn remove_staff(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path((id, user_id)): Path<(String, String)>,
) -> AppResult<StatusCode> {
    super::remove_staff(
        &state,
        caller.actor,
        &meta,
        path_id(&id)?,
        path_id(&user_id)?,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The patients registered at the institution, oldest chart first. Its admins and front desk,
/// and system admins.
#[utoipa::path(get, path = "/institutions/{id}/patients", tag = "institutions",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Institution id"), crate::api::PageParams),
    responses((status = 200, body = ListBody<PatientView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn patients(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    paging: Paging,
) -> AppResult<Json<ListBody<PatientView>>> {
    let page = super::patients_of(
        &state,
        caller.actor,
        &meta,
        path_id(&id)?,
        (paging.cursor, paging.limit),
    )
    .await?;
    Ok(ListBody::from_page(page, PatientView::from))
}

#[derive(Deserialize, ToSchema)]
pub struct RegistrationBody {
    /// A chart the caller may see already; or leave it out and give a new chart's profile.
    #[serde(default)]
    pub patient_id: Option<String>,
    #[serde(flatten)]
    pub profile: ProfileBody,
}

/// Register a patient at the institution: a chart the caller may see, by `patient_id`, or a
/// new chart from its profile (`name` required). 201 when newly registered, 200 when they were
/// already. Its admins and front desk, and system admins.
#[utoipa::path(post, path = "/institutions/{id}/patients", tag = "institutions",
    request_body = RegistrationBody, security(("bearer" = [])),
    params(("id" = String, Path, description = "Institution id")),
    responses((status = 201, body = PatientView), (status = 200, body = PatientView),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn register(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RegistrationBody>,
) -> AppResult<impl IntoResponse> {
    let who = match body.patient_id {
        Some(patient) => Registration::Existing(
            patient
                .parse()
                .map_err(|_| AppError::invalid("patient_id", "is not a patient id"))?,
        ),
        None => Registration::New(Box::new(body.profile.into())),
    };
    let (chart, added) = super::register(&state, caller.actor, &meta, path_id(&id)?, who).await?;
    let status = if added {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(PatientView::from(chart))))
}
