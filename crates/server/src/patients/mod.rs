//! Patient charts and care teams: the use cases. Every one asks the policy first.

pub mod api;

use medvault_domain::policy::{self, Action, Decision, Relation};
use medvault_domain::{
    Actor, BirthDate, PatientId, PersonName, Phone, Role, Sex, UserId, UserStatus,
};
use medvault_store::repo::{care_team, patients, users};
use medvault_store::{DbConnection, NewPatient, Page, Patient};

use crate::app::AppState;
use crate::audit::{self, Denial, Event, RequestMeta};
use crate::error::AppError;

/// Loads a chart and checks that `actor` may do `action` on it. A chart that does not exist and
/// one the actor may not touch look the same from outside; only the second is a denial.
pub fn authorize(
    conn: &mut DbConnection,
    actor: &Actor,
    patient: PatientId,
    action: Action,
    resource: (&'static str, Option<String>),
) -> Result<Patient, AppError> {
    let chart = patients::find(conn, patient)?.ok_or(AppError::NotFound)?;
    let on_care_team =
        actor.role == Role::Doctor && care_team::is_member(conn, patient, actor.user_id)?;
    let relation = Relation::of(actor, patient, on_care_team);
    match policy::decide(actor, action, relation) {
        Decision::Allow => Ok(chart),
        Decision::Deny => Err(AppError::Denied(Denial {
            action: action.as_str(),
            resource_type: resource.0,
            resource_id: resource.1,
            patient_id: Some(patient),
        })),
    }
}

/// Refuses an action that concerns no particular patient, unless the policy allows it.
pub fn authorize_global(
    actor: &Actor,
    action: Action,
    resource_type: &'static str,
) -> Result<(), AppError> {
    match policy::decide(actor, action, Relation::Unrelated) {
        Decision::Allow => Ok(()),
        Decision::Deny => Err(AppError::Denied(Denial {
            action: action.as_str(),
            resource_type,
            resource_id: None,
            patient_id: None,
        })),
    }
}

pub async fn list(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    cursor: Option<String>,
    limit: usize,
) -> Result<Page<Patient>, AppError> {
    let now = state.now();
    let meta_in = meta.clone();
    state
        .run(actor, meta, move |conn| {
            let page = patients::list(
                conn,
                policy::patient_scope(&actor),
                cursor.as_deref(),
                limit,
            )?;
            audit::record(
                conn,
                &meta_in,
                now,
                Event::success(&actor, "patient.list", "patient"),
            )?;
            Ok(page)
        })
        .await
}

/// A new chart as submitted, before validation.
pub struct ChartInput {
    pub name: String,
    pub birth_date: Option<String>,
    pub sex: Option<String>,
    pub phone: Option<String>,
}

pub async fn create(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    input: ChartInput,
) -> Result<Patient, AppError> {
    let now = state.now();
    let new = NewPatient {
        name: PersonName::parse(&input.name)?,
        birth_date: input
            .birth_date
            .filter(|raw| !raw.trim().is_empty())
            .map(|raw| BirthDate::parse(&raw, now.date()))
            .transpose()?,
        sex: input
            .sex
            .filter(|raw| !raw.trim().is_empty())
            .map(|raw| Sex::parse(&raw))
            .transpose()?
            .unwrap_or_default(),
        phone: input
            .phone
            .filter(|raw| !raw.trim().is_empty())
            .map(|raw| Phone::parse(&raw))
            .transpose()?,
        user_id: None,
        created_by: Some(actor.user_id),
    };
    let meta_in = meta.clone();
    state
        .run(actor, meta, move |conn| {
            authorize_global(&actor, Action::CreatePatient, "patient")?;
            let chart = patients::insert(conn, new, now)?;
            // A doctor who opens a chart looks after that patient.
            if actor.role == Role::Doctor {
                care_team::add(conn, chart.id, actor.user_id, actor.user_id, now)?;
            }
            let event = Event::success(&actor, "patient.create", "patient")
                .resource(chart.id)
                .patient(chart.id);
            audit::record(conn, &meta_in, now, event)?;
            Ok(chart)
        })
        .await
}

pub async fn get(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    id: PatientId,
) -> Result<Patient, AppError> {
    let now = state.now();
    let meta_in = meta.clone();
    state
        .run(actor, meta, move |conn| {
            let chart = authorize(
                conn,
                &actor,
                id,
                Action::ReadChart,
                ("patient", Some(id.to_string())),
            )?;
            audit::record(
                conn,
                &meta_in,
                now,
                Event::success(&actor, "patient.read", "patient")
                    .resource(id)
                    .patient(id),
            )?;
            Ok(chart)
        })
        .await
}

/// Puts a doctor on a patient's care team; `true` if newly added.
pub async fn add_to_care_team(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    patient: PatientId,
    doctor: UserId,
) -> Result<bool, AppError> {
    let now = state.now();
    let meta_in = meta.clone();
    state
        .run(actor, meta, move |conn| {
            authorize(
                conn,
                &actor,
                patient,
                Action::AssignCareTeam,
                ("care_team", None),
            )?;
            let is_doctor = users::find(conn, doctor)?
                .is_some_and(|user| user.role == Role::Doctor && user.status == UserStatus::Active);
            if !is_doctor {
                return Err(AppError::Invalid(medvault_domain::InvalidValue::new(
                    "doctor_id",
                    "is not an active doctor",
                )));
            }
            let added = care_team::add(conn, patient, doctor, actor.user_id, now)?;
            let event = Event::success(&actor, "care_team.assign", "care_team")
                .resource(doctor)
                .patient(patient);
            audit::record(conn, &meta_in, now, event)?;
            Ok(added)
        })
        .await
}
