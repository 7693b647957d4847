//! `/api/v1/patients`: charts and care teams.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use medvault_store::Patient;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ChartInput;
use super::UserRef;
use super::ties::{self, Member, Tie};
use crate::api::{ListBody, PageParams, Paging, path_id, search_text, timestamp};
use crate::app::AppState;
use crate::audit::RequestMeta;
use crate::auth::ApiCaller;
use crate::error::{AppResult, ErrorBody};
use crate::http::json::{ApiJson, ApiQuery};
use medvault_domain::Email;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get))
        .routes(routes!(care_team, add_care_team_member))
        .routes(routes!(remove_care_team_member))
}

/// A patient chart's demographics.
#[derive(Serialize, ToSchema)]
pub struct PatientView {
    pub id: String,
    pub name: String,
    /// `YYYY-MM-DD`.
    pub birth_date: Option<String>,
    /// `female`, `male`, `other` or `unknown`.
    pub sex: String,
    pub phone: Option<String>,
    /// The login linked to this chart, if the patient has one.
    pub user_id: Option<String>,
    pub created_at: String,
}

impl From<Patient> for PatientView {
    fn from(chart: Patient) -> Self {
        PatientView {
            id: chart.id.to_string(),
            name: chart.name,
            birth_date: chart
                .birth_date
                .map(|date| date.format("%Y-%m-%d").to_string()),
            sex: chart.sex.as_str().to_owned(),
            phone: chart.phone,
            user_id: chart.user_id.map(|id| id.to_string()),
            created_at: timestamp(chart.created_at),
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChartSearch {
    /// Only charts whose name contains this, in any case (at most 100 characters).
    #[param(max_length = 100)]
    pub q: Option<String>,
}

/// Charts the caller may see: all (admin), their care team's (doctor), their own (patient).
#[utoipa::path(get, path = "/patients", tag = "patients", params(PageParams, ChartSearch), security(("bearer" = [])),
    responses((status = 200, body = ListBody<PatientView>), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    paging: Paging,
    ApiQuery(search): ApiQuery<ChartSearch>,
) -> AppResult<Json<ListBody<PatientView>>> {
    let name = search_text(search.q.as_deref(), "q")?;
    let page = super::list(
        &state,
        caller.actor,
        &meta,
        name,
        paging.cursor,
        paging.limit,
    )
    .await?;
    Ok(ListBody::from_page(page, PatientView::from))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPatientBody {
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// `YYYY-MM-DD`.
    #[schema(example = "1984-03-09")]
    pub birth_date: Option<String>,
    /// `female`, `male`, `other` or `unknown` (default).
    pub sex: Option<String>,
    pub phone: Option<String>,
}

/// Open a chart. Doctors and admins; a doctor who opens one joins its care team.
#[utoipa::path(post, path = "/patients", tag = "patients", request_body = NewPatientBody, security(("bearer" = [])),
    responses((status = 201, body = PatientView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    ApiJson(body): ApiJson<NewPatientBody>,
) -> AppResult<(StatusCode, Json<PatientView>)> {
    let input = ChartInput {
        name: body.name,
        birth_date: body.birth_date,
        sex: body.sex,
        phone: body.phone,
    };
    let chart = super::create(&state, caller.actor, &meta, input).await?;
    Ok((StatusCode::CREATED, Json(chart.into())))
}

/// One chart, if the caller may see it; 404 otherwise.
#[utoipa::path(get, path = "/patients/{id}", tag = "patients", security(("bearer" = [])),
    params(("id" = String, Path, description = "Patient id")),
    responses((status = 200, body = PatientView), (status = 404, body = ErrorBody)))]
async fn get(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> AppResult<Json<PatientView>> {
    let chart = super::get(&state, caller.actor, &meta, path_id(&id)?).await?;
    Ok(Json(chart.chart.into()))
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
    let not_a_doctor = |field| medvault_domain::InvalidValue::new(field, "is not an active doctor");
    let doctor = match (body.doctor_id, body.email) {
        (Some(id), None) => UserRef::Id(id.parse().map_err(|_| not_a_doctor("doctor_id"))?),
        (None, Some(email)) => {
            UserRef::Email(Email::parse(&email).map_err(|_| not_a_doctor("email"))?)
        }
        _ => {
            let message = "give the doctor's id or their email, one of the two";
            return Err(medvault_domain::InvalidValue::new("doctor_id", message).into());
        }
    };
    let doctor = super::add_to_care_team(&state, caller.actor, &meta, patient, doctor).await?;
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
