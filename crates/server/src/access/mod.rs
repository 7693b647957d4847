//! Access beyond the care team: trainee links, intern grants and emergency (break-the-glass)
//! access. The use cases; the policy decides who may issue each.

pub mod api;
pub mod web;

use chrono::{Duration, NaiveDateTime};
use medvault_domain::AuditAction;
use medvault_domain::policy::{self, Action, OversightScope, Relation, TieKind};
use medvault_domain::{Actor, GrantId, InvalidValue, PatientId, UserId};
use medvault_store::repo::access::{self, EmergencyAccess, InternGrant};

use medvault_store::DbConnection;

use crate::app::AppState;
use crate::audit::{Denial, Event, RequestMeta};
use crate::error::AppError;
use crate::patients::{PatientRef, Subject, UserRef, authorize};

fn duration(std: std::time::Duration) -> Result<Duration, AppError> {
    Duration::from_std(std).map_err(|e| AppError::Internal(e.into()))
}

/// Issues an intern a grant to one patient for a shift of `hours` (default 8), at most the
/// configured maximum.
pub async fn grant_intern(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    patient: PatientId,
    intern: UserRef,
    shift_hours: Option<f64>,
) -> Result<InternGrant, AppError> {
    let max = duration(state.config.intern_max_shift)?;
    let hours = shift_hours.unwrap_or(8.0);
    if !hours.is_finite() || hours <= 0.0 {
        return Err(InvalidValue::new("hours", "must be a positive number of hours").into());
    }
    // Compared before converting: a huge number of hours does not fit a duration.
    if hours * 3600.0 > max.num_seconds() as f64 {
        return Err(InvalidValue::new("hours", "is longer than the longest shift allowed").into());
    }
    let shift = Duration::seconds((hours * 3600.0).round() as i64);
    state
        .run(actor, meta, move |conn, uc| {
            authorize(
                conn,
                &actor,
                patient,
                Action::GrantIntern,
                Subject::new(AuditAction::InternGrantIssue),
                uc.now,
            )?;
            let intern = intern.tieable(
                conn,
                TieKind::InternGrant,
                "intern_id",
                "is not an active intern",
            )?;
            let grant =
                access::issue_grant(conn, intern, patient, actor.user_id, uc.now, uc.now + shift)?;
            let event = Event::success(&actor, AuditAction::InternGrantIssue)
                .resource(grant.id)
                .patient(patient);
            uc.record(event);
            Ok(grant)
        })
        .await
}

/// Ends a grant at once ("exit"): its issuer, a care-team doctor, or an admin.
pub async fn end_grant(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    id: GrantId,
) -> Result<InternGrant, AppError> {
    let done = state
        .run(actor, meta, move |conn, uc| {
            let grant = access::find_grant(conn, id)?.ok_or(AppError::NotFound)?;
            if grant.issued_by != actor.user_id {
                let subject = Subject::id(AuditAction::InternGrantEnd, id);
                authorize(
                    conn,
                    &actor,
                    grant.patient_id,
                    Action::GrantIntern,
                    subject,
                    uc.now,
                )?;
            }
            access::end_grant(conn, id, actor.user_id, uc.now)?;
            let event = Event::success(&actor, AuditAction::InternGrantEnd)
                .resource(id)
                .patient(grant.patient_id);
            uc.record(event);
            Ok(InternGrant {
                ended_at: grant.ended_at.or(Some(uc.now)),
                ended_by: grant.ended_by.or(Some(actor.user_id)),
                ..grant
            })
        })
        .await;
    state.sessions_ended(done)
}

/// Grants an admin may see (all) or a doctor (those they issued).
pub async fn list_grants(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
) -> Result<Vec<InternGrant>, AppError> {
    state
        .view(actor, meta, move |conn, uc| {
            let grants = grants_in(conn, &actor, AuditAction::InternGrantList)?;
            uc.record(Event::success(&actor, AuditAction::InternGrantList));
            Ok(grants)
        })
        .await
}

/// The grants `actor` oversees, newest first, inside the use case `audited` (which a refusal
/// names).
pub fn grants_in(
    conn: &mut DbConnection,
    actor: &Actor,
    audited: AuditAction,
) -> Result<Vec<InternGrant>, AppError> {
    let issuer = listing_scope(actor, audited)?;
    Ok(access::list_grants(conn, issuer, 200)?)
}

/// The emergency accesses `actor` oversees, newest first, inside the use case `audited`.
pub fn emergencies_in(
    conn: &mut DbConnection,
    actor: &Actor,
    audited: AuditAction,
) -> Result<Vec<EmergencyAccess>, AppError> {
    let doctor = listing_scope(actor, audited)?;
    Ok(access::list_emergency(conn, doctor, 200)?)
}

/// The maker whose ties the actor may list (`None`: everyone's), as the policy says, or a denial.
fn listing_scope(actor: &Actor, audited: AuditAction) -> Result<Option<UserId>, AppError> {
    match policy::oversight_scope(actor) {
        OversightScope::All => Ok(None),
        OversightScope::MadeBy(maker) => Ok(Some(maker)),
        OversightScope::Nothing => Err(AppError::Denied(Denial::of_function(audited))),
    }
}

/// Opens emergency access to a chart for a doctor off its care team, with a stated reason.
pub async fn break_glass(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    patient: PatientRef,
    reason: &str,
) -> Result<EmergencyAccess, AppError> {
    let reason = reason.trim().to_owned();
    if reason.chars().count() < 10 || reason.chars().count() > 500 {
        return Err(InvalidValue::new("reason", "must say why, in 10 to 500 characters").into());
    }
    let lasts = duration(state.config.emergency_access)?;
    state
        .run(actor, meta, move |conn, uc| {
            let patient = patient.resolve(conn)?;
            let subject = Subject::new(AuditAction::EmergencyOpen);
            let granted = authorize(conn, &actor, patient, Action::BreakGlass, subject, uc.now);
            if let Err(AppError::Denied(_)) = &granted {
                // Refused because the chart is open to them already (a care-team doctor, an
                // admin)? Say so rather than "not found": its existence is no secret to them.
                let ties = access::ties(conn, actor.user_id, patient, uc.now)?;
                let relation = Relation::of(&actor, patient, ties);
                if policy::decide(&actor, Action::ReadChart, relation).is_allowed() {
                    return Err(AppError::Conflict {
                        code: "already_in_care",
                        message: "this chart is open to you already: read it directly",
                    });
                }
            }
            granted?;
            let opened = match access::open_emergency(conn, actor.user_id, patient, uc.now)? {
                Some(open) => open,
                None => access::open_emergency_access(
                    conn,
                    actor.user_id,
                    patient,
                    &reason,
                    uc.now,
                    uc.now + lasts,
                )?,
            };
            let event = Event::success(&actor, AuditAction::EmergencyOpen)
                .resource(opened.id)
                .patient(patient)
                .reason(reason)
                .emergency(true);
            uc.record(event);
            Ok(opened)
        })
        .await
}

/// Emergency accesses an admin may see (all) or a doctor (their own).
pub async fn list_emergency(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
) -> Result<Vec<EmergencyAccess>, AppError> {
    state
        .view(actor, meta, move |conn, uc| {
            let accesses = emergencies_in(conn, &actor, AuditAction::EmergencyList)?;
            uc.record(Event::success(&actor, AuditAction::EmergencyList));
            Ok(accesses)
        })
        .await
}

/// Whether an intern may be signed in at `now`, and until when: the end of their latest active
/// grant.
pub fn intern_session_end(
    conn: &mut medvault_store::DbConnection,
    intern: UserId,
    now: NaiveDateTime,
) -> Result<Option<NaiveDateTime>, AppError> {
    Ok(access::active_grants_end(conn, intern, now)?)
}
