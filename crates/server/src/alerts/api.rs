//! `/api/v1/patients/{id}/alerts` and `/api/v1/alerts/{id}/acknowledge`.

use axum::Json;
use axum::extract::{Path, State};
use medvault_store::repo::alerts::Alert;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::{path_id, timestamp};
use crate::app::AppState;
use crate::audit::RequestMeta;
use crate::auth::ApiCaller;
use crate::error::{AppResult, ErrorBody};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(open))
        .routes(routes!(acknowledge))
}

#[derive(Serialize, ToSchema)]
pub struct AlertView {
    pub id: String,
    pub patient_id: String,
    /// The critical result.
    pub lab_result_id: String,
    /// The insight rule that raised it (`critical-value`).
    pub rule: String,
    pub title: String,
    pub raised_at: String,
    pub acknowledged_by: Option<String>,
    pub acknowledged_at: Option<String>,
}

impl From<Alert> for AlertView {
    fn from(alert: Alert) -> Self {
        AlertView {
            id: alert.id.to_string(),
            patient_id: alert.patient_id.to_string(),
            lab_result_id: alert.lab_result_id.to_string(),
            rule: alert.rule,
            title: alert.title,
            raised_at: timestamp(alert.raised_at),
            acknowledged_by: alert.acknowledged_by.map(|id| id.to_string()),
            acknowledged_at: alert.acknowledged_at.map(timestamp),
        }
    }
}

/// The chart's critical-result alerts not yet acknowledged, newest first. The clinical team.
#[utoipa::path(get, path = "/patients/{id}/alerts", tag = "lab reports", security(("bearer" = [])),
    params(("id" = String, Path, description = "Patient id")),
    responses((status = 200, body = [AlertView]), (status = 404, body = ErrorBody)))]
async fn open(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> AppResult<Json<Vec<AlertView>>> {
    let alerts = super::open(&state, caller.actor, &meta, path_id(&id)?).await?;
    Ok(Json(alerts.into_iter().map(AlertView::from).collect()))
}

/// Acknowledge a critical-result alert: it leaves the open list, with who acknowledged it and
/// when kept (409 `already_acknowledged` the second time). Doctors on the care team or under
/// emergency access.
#[utoipa::path(post, path = "/alerts/{id}/acknowledge", tag = "lab reports", security(("bearer" = [])),
    params(("id" = String, Path, description = "Alert id")),
    responses((status = 200, body = AlertView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn acknowledge(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> AppResult<Json<AlertView>> {
    let alert = super::acknowledge(&state, caller.actor, &meta, path_id(&id)?).await?;
    Ok(Json(AlertView::from(alert)))
}
