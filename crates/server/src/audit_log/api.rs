//! `/api/v1/audit` and `/api/v1/patients/{id}/access-report`.

use axum::Json;
use axum::extract::{Path, State};
use medvault_store::AuditRow;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{Access, AuditQuery, Who, paging};
use crate::api::{ListBody, PageParams, given, path_id, timestamp};
use crate::app::AppState;
use crate::audit::RequestMeta;
use crate::auth::ApiCaller;
use crate::error::{AppResult, ErrorBody};
use crate::http::json::ApiQuery;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(search))
        .routes(routes!(access_report))
}

/// One audit entry. Ids only: what was touched, never its content.
#[derive(Serialize, ToSchema)]
pub struct AuditView {
    pub id: i64,
    pub at: String,
    pub actor_id: Option<String>,
    pub actor_role: Option<String>,
    pub action: String,
    pub resource_type: String,
    pub resource_id: Option<String>,
    pub patient_id: Option<String>,
    pub outcome: String,
    pub client_addr: Option<String>,
    pub correlation_id: Option<String>,
    pub reason: Option<String>,
    /// Done under emergency (break-the-glass) access.
    pub emergency: bool,
}

impl From<AuditRow> for AuditView {
    fn from(row: AuditRow) -> Self {
        let entry = row.entry;
        AuditView {
            id: row.id,
            at: timestamp(entry.at),
            actor_id: entry.actor_id,
            actor_role: entry.actor_role,
            action: entry.action,
            resource_type: entry.resource_type,
            resource_id: entry.resource_id,
            patient_id: entry.patient_id,
            outcome: entry.outcome,
            client_addr: entry.client_addr,
            correlation_id: entry.correlation_id,
            reason: entry.reason,
            emergency: entry.emergency,
        }
    }
}

/// Search the audit trail, newest first. Admins see everything; a doctor sees the entries about
/// the patients on their care team.
#[utoipa::path(get, path = "/audit", tag = "audit", params(AuditQuery), security(("bearer" = [])),
    responses((status = 200, body = ListBody<AuditView>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 404, description = "`patient_id` names a chart the caller may not see", body = ErrorBody)))]
async fn search(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> AppResult<Json<ListBody<AuditView>>> {
    let (before, limit) = query.page()?;
    let page = super::search(&state, caller.actor, &meta, query.filter()?, before, limit)
        .await?
        .entries;
    Ok(ListBody::from_page(page, AuditView::from))
}

/// One act on a chart by someone other than its patient. Staff are named; another patient is
/// only "another patient's account", with no id or name.
#[derive(Serialize, ToSchema)]
pub struct AccessView {
    pub at: String,
    /// The member of staff's user id; absent for another patient.
    pub actor_id: Option<String>,
    /// The member of staff's name, or "Another patient's account".
    pub actor_name: String,
    pub actor_role: Option<String>,
    pub action: String,
    /// The act in words: "Dr Amara Okafor viewed your chart".
    pub summary: String,
    pub outcome: String,
    pub emergency: bool,
    pub reason: Option<String>,
}

impl From<Access> for AccessView {
    fn from(access: Access) -> Self {
        let summary = access.sentence();
        let entry = access.row.entry;
        let actor_id = match &access.who {
            Who::Named { id, .. } => Some(id.clone()),
            Who::AnotherPatient => None,
        };
        AccessView {
            at: timestamp(entry.at),
            actor_id,
            actor_name: access.who.name().to_owned(),
            summary,
            actor_role: entry.actor_role,
            action: entry.action,
            outcome: entry.outcome,
            emergency: entry.emergency,
            reason: entry.reason,
        }
    }
}

/// Who accessed a chart and when: for the patient (and their care team and admins).
#[utoipa::path(get, path = "/patients/{id}/access-report", tag = "audit", security(("bearer" = [])),
    params(("id" = String, Path, description = "Patient id"), PageParams),
    responses((status = 200, body = ListBody<AccessView>), (status = 404, body = ErrorBody)))]
async fn access_report(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<PageParams>,
) -> AppResult<Json<ListBody<AccessView>>> {
    let (before, limit) = paging(given(query.cursor.as_deref()), query.limit)?;
    let page =
        super::access_report(&state, caller.actor, &meta, path_id(&id)?, before, limit).await?;
    Ok(ListBody::from_page(page, AccessView::from))
}
