//! `/api/v1/patients/{id}/care-team` and `/guardians`: who is tied to a chart, and making and
//! ending those ties.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use medvault_domain::{Email, InvalidValue};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::UserRef;
use super::ties::{self, Member, Tie};
use crate::api::{ListBody, path_id};
use crate::app::AppState;
use crate::audit::RequestMeta;
use crate::auth::ApiCaller;
use crate::error::{AppResult, ErrorBody};
use crate::http::json::ApiJson;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(care_team, add_care_team_member))
        .routes(routes!(remove_care_team_member))
        .routes(routes!(guardians, add_guardian))
        .routes(routes!(end_guardianship))
}

/// The user a body names, by id or by email (one of the two), for `tie`.
fn named(id: Option<String>, email: Option<String>, tie: Tie) -> Result<UserRef, InvalidValue> {
    let (id_field, must_be) = tie.holder_field();
    let unfit = |field| InvalidValue::new(field, must_be);
    match (id, email) {
        (Some(id), None) => Ok(UserRef::Id(id.parse().map_err(|_| unfit(id_field))?)),
        (None, Some(email)) => Ok(UserRef::Email(
            Email::parse(&email).map_err(|_| unfit("email"))?,
        )),
        _ => Err(InvalidValue::new(
            id_field,
            "give the user's id or their email, one of the two",
        )),
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(min_properties = 1, max_properties = 1)]
pub struct CareTeamBody {
    /// The doctor's user id; or give `email` instead.
    #[schema(nullable = false)]
    pub doctor_id: Option<String>,
    /// The doctor's email, as a patient knows it.
    #[schema(max_length = 254, nullable = false)]
    pub email: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CareTeamMemberView {
    pub patient_id: String,
    pub doctor_id: String,
}

/// Put a doctor on the care team. Admins, or the patient themselves.
#[utoipa::path(post, path = "/patients/{id}/care-team", tag = "patients", request_body = CareTeamBody,
    security(("bearer" = [])), params(("id" = String, Path, description = "Patient id")),
    responses((status = 201, body = CareTeamMemberView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn add_care_team_member(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CareTeamBody>,
) -> AppResult<(StatusCode, Json<CareTeamMemberView>)> {
    let patient = path_id(&id)?;
    let doctor = named(body.doctor_id, body.email, Tie::CareTeam)?;
    let doctor = ties::add(&state, caller.actor, &meta, patient, doctor, Tie::CareTeam).await?;
    Ok((
        StatusCode::CREATED,
        Json(CareTeamMemberView {
            patient_id: id,
            doctor_id: doctor.to_string(),
        }),
    ))
}

/// Someone tied to a chart: a care-team doctor, a linked trainee.
#[derive(Serialize, ToSchema)]
pub struct MemberView {
    pub user_id: String,
    pub name: String,
}

impl MemberView {
    pub fn list(members: Vec<Member>) -> Json<ListBody<MemberView>> {
        Json(ListBody {
            items: members
                .into_iter()
                .map(|member| MemberView {
                    user_id: member.user_id.to_string(),
                    name: member.name,
                })
                .collect(),
            next: None,
        })
    }
}

/// The doctors on the care team, for whoever may see the chart.
#[utoipa::path(get, path = "/patients/{id}/care-team", tag = "patients", security(("bearer" = [])),
    params(("id" = String, Path, description = "Patient id")),
    responses((status = 200, body = ListBody<MemberView>), (status = 404, body = ErrorBody)))]
async fn care_team(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> AppResult<Json<ListBody<MemberView>>> {
    let members = ties::members(&state, caller.actor, &meta, path_id(&id)?, Tie::CareTeam).await?;
    Ok(MemberView::list(members))
}

/// Take a doctor off the care team; their access through it ends at once. Admins, or the
/// patient themselves. 204 whether or not the doctor was on it.
#[utoipa::path(delete, path = "/patients/{id}/care-team/{doctor_id}", tag = "patients", security(("bearer" = [])),
    params(("id" = String, Path, description = "Patient id"), ("doctor_id" = String, Path, description = "The doctor's user id")),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn remove_care_team_member(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path((id, doctor_id)): Path<(String, String)>,
) -> AppResult<StatusCode> {
    let (patient, doctor) = (path_id(&id)?, path_id(&doctor_id)?);
    ties::end(&state, caller.actor, &meta, patient, doctor, Tie::CareTeam).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(min_properties = 1, max_properties = 1)]
pub struct GuardianBody {
    /// The guardian's user id (a patient account); or give `email` instead.
    #[schema(nullable = false)]
    pub guardian_id: Option<String>,
    /// The email the guardian signs in with.
    #[schema(max_length = 254, nullable = false)]
    pub email: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct GuardianView {
    pub patient_id: String,
    pub guardian_id: String,
}

/// Make a patient account a guardian of this chart: they then see and manage it as its patient
/// would. Admins, or care-team doctors.
#[utoipa::path(post, path = "/patients/{id}/guardians", tag = "patients", request_body = GuardianBody,
    security(("bearer" = [])), params(("id" = String, Path, description = "Patient id")),
    responses((status = 201, body = GuardianView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn add_guardian(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<GuardianBody>,
) -> AppResult<(StatusCode, Json<GuardianView>)> {
    let patient = path_id(&id)?;
    let guardian = named(body.guardian_id, body.email, Tie::Guardian)?;
    let guardian = ties::add(
        &state,
        caller.actor,
        &meta,
        patient,
        guardian,
        Tie::Guardian,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(GuardianView {
            patient_id: id,
            guardian_id: guardian.to_string(),
        }),
    ))
}

/// The chart's guardians, for whoever may see the chart.
#[utoipa::path(get, path = "/patients/{id}/guardians", tag = "patients", security(("bearer" = [])),
    params(("id" = String, Path, description = "Patient id")),
    responses((status = 200, body = ListBody<MemberView>), (status = 404, body = ErrorBody)))]
async fn guardians(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> AppResult<Json<ListBody<MemberView>>> {
    let members = ties::members(&state, caller.actor, &meta, path_id(&id)?, Tie::Guardian).await?;
    Ok(MemberView::list(members))
}

/// End a guardianship; the guardian's access through it ends at once. Admins, or care-team
/// doctors. 204 whether or not they were a guardian.
#[utoipa::path(delete, path = "/patients/{id}/guardians/{guardian_id}", tag = "patients", security(("bearer" = [])),
    params(("id" = String, Path, description = "Patient id"), ("guardian_id" = String, Path, description = "The guardian's user id")),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn end_guardianship(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path((id, guardian_id)): Path<(String, String)>,
) -> AppResult<StatusCode> {
    let (patient, guardian) = (path_id(&id)?, path_id(&guardian_id)?);
    ties::end(
        &state,
        caller.actor,
        &meta,
        patient,
        guardian,
        Tie::Guardian,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
