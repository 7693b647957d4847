//! Alerts on critical results: a lab result beyond its analyte's critical limits (the insight
//! rule `critical-value`), entered or confirmed from a report, raises an alert in the same unit
//! of work. The care team sees it on the chart and their dashboard until a doctor looking after
//! the patient acknowledges it, which is audited.

pub mod api;

use chrono::NaiveDateTime;
use medvault_domain::insights;
use medvault_domain::policy::Action;
use medvault_domain::{Actor, AlertId, AuditAction, PatientId};
use medvault_store::DbConnection;
use medvault_store::repo::alerts::{self as stored, Alert};
use medvault_store::repo::lab_results::LabResult;

use crate::app::AppState;
use crate::audit::{Event, RequestMeta};
use crate::error::AppError;
use crate::patients::{Subject, authorize};

/// Raises an alert when `result` is critical, in the unit of work that put it in the chart.
pub fn raise_if_critical(
    conn: &mut DbConnection,
    result: &LabResult,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let critical = result
        .standing()
        .and_then(crate::insights::observation)
        .and_then(|o| insights::critical_value(&o));
    if let Some(insight) = critical {
        stored::raise(
            conn,
            result.patient_id,
            result.reading.id,
            (insight.rule, &insight.title),
            now,
        )?;
    }
    Ok(())
}

/// The chart's open alerts, for the clinical team.
pub async fn open(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    patient: PatientId,
) -> Result<Vec<Alert>, AppError> {
    let audited = AuditAction::AlertList;
    state
        .view(actor, meta, move |conn, uc| {
            let subject = Subject::new(audited);
            let granted = authorize(conn, &actor, patient, Action::ReadInsights, subject, uc.now)?;
            let alerts = stored::open(conn, patient)?;
            uc.record(
                Event::success(&actor, audited)
                    .patient(patient)
                    .emergency(granted.emergency()),
            );
            Ok(alerts)
        })
        .await
}

/// A doctor looking after the patient acknowledges an open alert; one acknowledged before is a
/// conflict.
pub async fn acknowledge(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    id: AlertId,
) -> Result<Alert, AppError> {
    let audited = AuditAction::AlertAcknowledge;
    state
        .run(actor, meta, move |conn, uc| {
            let alert = stored::find(conn, id)?.ok_or(AppError::NotFound)?;
            let subject = Subject::id(audited, id);
            let granted = authorize(
                conn,
                &actor,
                alert.patient_id,
                Action::AcknowledgeAlert,
                subject,
                uc.now,
            )?;
            if !stored::acknowledge(conn, &alert, actor.user_id, uc.now)? {
                return Err(AppError::Conflict {
                    code: "already_acknowledged",
                    message: "the alert was acknowledged already",
                });
            }
            uc.record(
                Event::success(&actor, audited)
                    .resource(id)
                    .patient(alert.patient_id)
                    .emergency(granted.emergency()),
            );
            stored::find(conn, id)?.ok_or(AppError::NotFound)
        })
        .await
}
