//! Reading the audit trail: the filtered viewer (admins: everything; doctors: their patients')
//! and a patient's access report (who looked at their chart, and when). Reading the trail is
//! itself audited.

pub mod api;

use std::collections::HashMap;

use medvault_domain::policy::Action;
use medvault_domain::{Actor, PatientId, Role};
use medvault_store::repo::{audit, care_team, users};
use medvault_store::{AuditFilter, AuditRow, Page};

use crate::app::AppState;
use crate::audit::{Denial, Event, RequestMeta};
use crate::error::AppError;
use crate::patients::{Subject, authorize};

/// Entries matching `filter`, newest first, as far as the actor may see them.
pub async fn search(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    mut filter: AuditFilter,
    before: Option<i64>,
    limit: usize,
) -> Result<Page<AuditRow>, AppError> {
    state
        .run(actor, meta, move |conn, uc| {
            match actor.role {
                Role::Admin => {}
                Role::Doctor => match &filter.patient_id {
                    Some(patient) => {
                        let patient: PatientId = patient.parse().map_err(|_| AppError::NotFound)?;
                        authorize(
                            conn,
                            &actor,
                            patient,
                            Action::ReadChartAudit,
                            Subject::new("audit"),
                            uc.now,
                        )?;
                    }
                    None => filter.patient_ids = Some(care_team::charts_of(conn, actor.user_id)?),
                },
                _ => {
                    return Err(AppError::Denied(Denial {
                        action: Action::ReadChartAudit.as_str(),
                        resource_type: "audit",
                        resource_id: None,
                        patient_id: None,
                    }));
                }
            }
            let page = audit::list(conn, &filter, before, limit)?;
            uc.record(conn, Event::success(&actor, "audit.read", "audit"))?;
            Ok(page)
        })
        .await
}

/// One access to a chart, as its patient sees it.
pub struct Access {
    pub row: AuditRow,
    pub actor_name: Option<String>,
}

/// Who touched a chart and when, besides the patient themselves.
pub async fn access_report(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    patient: PatientId,
    before: Option<i64>,
    limit: usize,
) -> Result<Page<Access>, AppError> {
    state
        .run(actor, meta, move |conn, uc| {
            let granted = authorize(
                conn,
                &actor,
                patient,
                Action::ReadChartAudit,
                Subject::new("audit"),
                uc.now,
            )?;
            let filter = AuditFilter {
                patient_id: Some(patient.to_string()),
                ..AuditFilter::default()
            };
            let page = audit::list(conn, &filter, before, limit)?;
            let own_login = granted.chart.user_id.map(|id| id.to_string());
            let others: Vec<AuditRow> = page
                .items
                .into_iter()
                .filter(|row| row.entry.actor_id.is_some() && row.entry.actor_id != own_login)
                .collect();
            let ids: Vec<String> = others
                .iter()
                .filter_map(|row| row.entry.actor_id.clone())
                .collect();
            let names: HashMap<String, String> = users::names(conn, &ids)?.into_iter().collect();
            let event = Event::success(&actor, "audit.access_report", "audit").patient(patient);
            uc.record(conn, event)?;
            let items = others
                .into_iter()
                .map(|row| Access {
                    actor_name: row
                        .entry
                        .actor_id
                        .as_ref()
                        .and_then(|id| names.get(id).cloned()),
                    row,
                })
                .collect();
            Ok(Page {
                items,
                next: page.next,
            })
        })
        .await
}
