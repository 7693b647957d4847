//! Prescriptions: the use cases. Reading them is reading the chart's clinical content (never
//! interns); prescribing and changing a status is a care-team doctor's act. A drug that matches
//! a recorded allergy is held until the prescriber acknowledges the warning, and the
//! prescription keeps what they acknowledged.

pub mod api;
pub mod web;

use medvault_domain::clinical::AllergyStatus;
use medvault_domain::medication::{
    self, AllergyWarning, Dose, DrugName, Duration, Frequency, Instructions, NeedsReason,
    PrescriptionStatus, Quantity, Route, StatusReason, Strength,
};
use medvault_domain::policy::Action;
use medvault_domain::{Actor, AuditAction, InvalidValue, PatientId, PrescriptionId};
use medvault_store::repo::allergies;
use medvault_store::repo::prescriptions::{self, NewPrescription, Prescription};
use medvault_store::{DbConnection, Page};

use crate::app::AppState;
use crate::audit::{Event, RequestMeta};
use crate::clinical::optional;
use crate::error::AppError;
use crate::patients::{Subject, authorize};

/// A prescription as submitted.
#[derive(Clone, Debug, Default)]
pub struct PrescriptionInput {
    pub drug: String,
    pub strength: Option<String>,
    pub dose: String,
    pub route: String,
    pub frequency: String,
    pub duration: Option<String>,
    pub quantity: Option<String>,
    pub instructions: Option<String>,
    /// The prescriber has read the allergy warnings and prescribes anyway.
    pub acknowledge_allergy_warnings: bool,
}

impl PrescriptionInput {
    fn parse(self) -> Result<(NewPrescription, bool), InvalidValue> {
        let new = NewPrescription {
            drug: DrugName::parse(&self.drug)?,
            strength: optional(self.strength, None, Strength::parse)?,
            dose: Dose::parse(&self.dose)?,
            route: Route::parse(&self.route)?,
            frequency: Frequency::parse(&self.frequency)?,
            duration: optional(self.duration, None, Duration::parse)?,
            quantity: optional(self.quantity, None, Quantity::parse)?,
            instructions: optional(self.instructions, None, Instructions::parse)?,
            acknowledged_warnings: None,
        };
        Ok((new, self.acknowledge_allergy_warnings))
    }
}

/// The warnings for prescribing `drug` on this chart, from its active allergies.
fn warnings_for(
    conn: &mut DbConnection,
    patient: PatientId,
    drug: &DrugName,
) -> Result<Vec<AllergyWarning>, AppError> {
    let allergies = allergies::of(conn, patient)?;
    let active = allergies
        .iter()
        .filter(|allergy| allergy.status == AllergyStatus::Active)
        .map(|allergy| allergy.substance.as_str());
    Ok(medication::allergy_warnings(drug.as_str(), active))
}

/// A page of the chart's prescriptions, newest first.
pub async fn of(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    patient: PatientId,
    before: Option<String>,
    limit: usize,
) -> Result<Page<Prescription>, AppError> {
    let audited = AuditAction::PrescriptionList;
    let read = move |conn: &mut DbConnection, patient| {
        prescriptions::of(conn, patient, before.as_deref(), limit)
    };
    crate::clinical::read_list(state, actor, meta, patient, audited, read).await
}

/// Prescribes a drug. Held with [`AppError::AllergyWarning`] when it matches an active allergy
/// and the warnings were not acknowledged; made, with them kept, when they were.
pub async fn prescribe(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    patient: PatientId,
    input: PrescriptionInput,
) -> Result<Prescription, AppError> {
    let (mut new, acknowledged) = input.parse()?;
    let audited = AuditAction::PrescriptionCreate;
    state
        .run(actor, meta, move |conn, uc| {
            authorize(
                conn,
                &actor,
                patient,
                Action::Prescribe,
                Subject::new(audited),
                uc.now,
            )?;
            let warnings = warnings_for(conn, patient, &new.drug)?;
            if !warnings.is_empty() && !acknowledged {
                return Err(AppError::AllergyWarning(warnings));
            }
            let reasons: Vec<String> = warnings.into_iter().map(|w| w.reason).collect();
            new.acknowledged_warnings = (!reasons.is_empty()).then(|| reasons.join("\n"));
            let mut event = Event::success(&actor, audited).patient(patient);
            if let Some(acknowledged) = &new.acknowledged_warnings {
                event = event.reason(format!("allergy warning acknowledged: {acknowledged}"));
            }
            let id = prescriptions::insert(conn, patient, new, actor.user_id, uc.now)?;
            let made = prescriptions::find(conn, id)?.ok_or(AppError::NotFound)?;
            uc.record(event.resource(id));
            Ok(made)
        })
        .await
}

/// Changes a prescription's status, made on `version` of it: completed, stopped (saying why) or
/// entered in error (saying why).
pub async fn change_status(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    id: PrescriptionId,
    version: i64,
    status: &str,
    reason: Option<String>,
) -> Result<Prescription, AppError> {
    let status = PrescriptionStatus::parse(status)?;
    let reason = optional(reason, None, StatusReason::parse)?;
    let audited = AuditAction::PrescriptionUpdate;
    state
        .run(actor, meta, move |conn, uc| {
            let current = prescriptions::find(conn, id)?.ok_or(AppError::NotFound)?;
            let patient = current.patient_id;
            let subject = Subject::id(audited, id);
            authorize(conn, &actor, patient, Action::Prescribe, subject, uc.now)?;
            if current.version != version {
                return Err(AppError::Stale {
                    current: current.version,
                });
            }
            let NeedsReason(needs_reason) = current.status.change_to(status)?;
            if needs_reason && reason.is_none() {
                return Err(
                    InvalidValue::new("reason", "must say why, in 3 to 500 characters").into(),
                );
            }
            let changed = prescriptions::set_status(
                conn,
                &current,
                version,
                status,
                reason,
                actor.user_id,
                uc.now,
            )??;
            uc.record(
                Event::success(&actor, audited)
                    .resource(id)
                    .patient(patient),
            );
            Ok(changed)
        })
        .await
}
