//! Institutions (hospitals, clinics, labs, pharmacies), their staff and the patients registered
//! at them. A system administrator opens institutions; an institution's admin runs its staff;
//! its admin and front desk register patients. Someone outside an institution is answered
//! "not found" about its staff and patients, as about a chart they may not see.

pub mod api;
pub mod web;

use medvault_domain::institutions::{
    Address, InstitutionKind, InstitutionName, StaffRole, TimeZone,
};
use medvault_domain::policy::{self, InstitutionAct, Standing};
use medvault_domain::{Action, Actor, AuditAction, Email, InstitutionId, PatientId, Phone, UserId};
use medvault_store::repo::institutions::{self as stored, Institution, Member, NewInstitution};
use medvault_store::repo::patients::Patient;
use medvault_store::repo::users;
use medvault_store::{DbConnection, NewPatient, Page};

use crate::app::AppState;
use crate::audit::{Denial, Event, RequestMeta};
use crate::error::AppError;
use crate::patients::{self, ProfileInput, Subject, authorize};

/// How `actor` stands at `institution`.
pub fn standing(
    conn: &mut DbConnection,
    institution: InstitutionId,
    actor: &Actor,
) -> Result<Standing, AppError> {
    Ok(stored::role_of(conn, institution, actor.user_id)?
        .map_or(Standing::Outsider, Standing::Member))
}

/// Finds an institution and checks that `actor` may do `act` there. An institution whose staff
/// the actor is not among (and not a system admin) is not found; a member refused is told so.
pub fn authorize_at(
    conn: &mut DbConnection,
    actor: &Actor,
    institution: InstitutionId,
    act: InstitutionAct,
    audited: AuditAction,
) -> Result<(Institution, Standing), AppError> {
    let found = stored::find(conn, institution)?.ok_or(AppError::NotFound)?;
    let standing = standing(conn, institution, actor)?;
    if policy::decide_at(actor, act, standing).is_allowed() {
        return Ok((found, standing));
    }
    Err(AppError::Denied(Denial {
        action: audited,
        visible: standing != Standing::Outsider,
        resource_id: Some(institution.to_string()),
        patient_id: None,
    }))
}

/// What an institution is opened with, as sent.
#[derive(Default)]
pub struct InstitutionInput {
    pub name: String,
    pub kind: String,
    pub address: Option<String>,
    pub time_zone: String,
    pub phone: Option<String>,
    pub email: Option<String>,
}

pub async fn create(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    input: InstitutionInput,
) -> Result<Institution, AppError> {
    let name = InstitutionName::parse(&input.name)?;
    let kind = InstitutionKind::parse(&input.kind)?;
    let address = Address::parse(input.address.as_deref().unwrap_or_default())?;
    let time_zone = TimeZone::parse(&input.time_zone)?;
    let phone = crate::api::given(input.phone.as_deref())
        .map(Phone::parse)
        .transpose()?;
    let email = crate::api::given(input.email.as_deref())
        .map(Email::parse)
        .transpose()?;
    let audited = AuditAction::InstitutionCreate;
    state
        .run(actor, meta, move |conn, uc| {
            if !policy::decide_at(&actor, InstitutionAct::Create, Standing::Outsider).is_allowed() {
                return Err(AppError::Denied(Denial::of_function(audited)));
            }
            let new = NewInstitution {
                name: name.as_str(),
                kind,
                address: address.as_str(),
                time_zone,
                phone: phone.as_ref().map(Phone::as_str),
                email: email.as_ref().map(Email::as_str),
            };
            let id = stored::create(conn, &new, actor.user_id, uc.now)?;
            uc.record(Event::success(&actor, audited).resource(id));
            stored::find(conn, id)?.ok_or(AppError::NotFound)
        })
        .await
}

/// Every institution, with the caller's role at each they work at. Where care is given is no
/// secret: patients choose where to book from this list.
pub async fn list(
    state: &AppState,
    actor: Actor,
) -> Result<Vec<(Institution, Option<StaffRole>)>, AppError> {
    state
        .read(move |conn| {
            let mine = stored::memberships(conn, actor.user_id)?;
            let all = stored::all(conn)?;
            Ok(all
                .into_iter()
                .map(|place| {
                    let role = mine.iter().find(|(id, _)| *id == place.id).map(|m| m.1);
                    (place, role)
                })
                .collect())
        })
        .await
}

pub async fn get(state: &AppState, id: InstitutionId) -> Result<Institution, AppError> {
    state
        .read(move |conn| stored::find(conn, id)?.ok_or(AppError::NotFound))
        .await
}

/// An institution's staff: all of them for its members and system admins (and `true`); for
/// anyone else, the clinicians, whom patients may book with.
pub async fn staff(
    state: &AppState,
    actor: Actor,
    id: InstitutionId,
) -> Result<(Vec<Member>, bool), AppError> {
    state
        .read(move |conn| {
            stored::find(conn, id)?.ok_or(AppError::NotFound)?;
            let standing = standing(conn, id, &actor)?;
            let all = policy::decide_at(&actor, InstitutionAct::ListStaff, standing).is_allowed();
            let only = (!all).then_some(StaffRole::Clinician);
            Ok((stored::staff(conn, id, only)?, all))
        })
        .await
}

/// Who to give a place at an institution, and which.
pub struct StaffInput {
    pub user: StaffMember,
    pub role: String,
}

/// A user, named by their id or their email.
pub enum StaffMember {
    Id(UserId),
    Email(String),
}

/// Gives an active user a place on the staff, or changes their role there. Their account's
/// role must fit the place (a clinician is a doctor, trainee or intern; no patient works here).
pub async fn put_staff(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    institution: InstitutionId,
    input: StaffInput,
) -> Result<(Member, bool), AppError> {
    let role = StaffRole::parse(&input.role)?;
    let email = match &input.user {
        StaffMember::Email(raw) => Some(Email::parse(raw)?),
        StaffMember::Id(_) => None,
    };
    let audited = AuditAction::StaffAdd;
    state
        .run(actor, meta, move |conn, uc| {
            authorize_at(
                conn,
                &actor,
                institution,
                InstitutionAct::ManageStaff,
                audited,
            )?;
            let user = match (&input.user, email) {
                (StaffMember::Id(id), _) => users::find(conn, *id)?,
                (_, Some(email)) => users::find_by_email(conn, &email)?,
                (StaffMember::Email(_), None) => None,
            }
            .ok_or(AppError::invalid("user", "names no user of MedVault"))?;
            if user.status != medvault_domain::UserStatus::Active {
                return Err(AppError::invalid("user", "is not an active account"));
            }
            if !role.may_be_held_by(user.role) {
                return Err(AppError::invalid_owned(
                    "role".into(),
                    format!("{role} is not a place for a {} account", user.role),
                ));
            }
            let added =
                stored::put_member(conn, institution, user.id, role, actor.user_id, uc.now)?;
            uc.record(
                Event::success(&actor, audited)
                    .resource(institution)
                    .reason(format!("{} as {role}", user.id)),
            );
            let member = stored::staff(conn, institution, None)?
                .into_iter()
                .find(|m| m.user_id == user.id)
                .ok_or(AppError::NotFound)?;
            Ok((member, added))
        })
        .await
}

pub async fn remove_staff(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    institution: InstitutionId,
    user: UserId,
) -> Result<(), AppError> {
    let audited = AuditAction::StaffRemove;
    state
        .run(actor, meta, move |conn, uc| {
            authorize_at(
                conn,
                &actor,
                institution,
                InstitutionAct::ManageStaff,
                audited,
            )?;
            // Taking off someone who is not on the staff leaves it as asked: no error.
            stored::remove_member(conn, institution, user)?;
            uc.record(
                Event::success(&actor, audited)
                    .resource(institution)
                    .reason(user.to_string()),
            );
            Ok(())
        })
        .await
}

/// The patients registered at an institution, for its admin and front desk.
pub async fn patients_of(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    institution: InstitutionId,
    (cursor, limit): (Option<String>, usize),
) -> Result<Page<Patient>, AppError> {
    let audited = AuditAction::RegistrationList;
    state
        .view(actor, meta, move |conn, uc| {
            let act = InstitutionAct::RegisterPatients;
            authorize_at(conn, &actor, institution, act, audited)?;
            let page = stored::patients_of(conn, institution, cursor.as_deref(), limit)?;
            uc.record(Event::success(&actor, audited).resource(institution));
            Ok(page)
        })
        .await
}

/// Whom to register: a chart the caller may see already, or a new one.
pub enum Registration {
    Existing(PatientId),
    New(Box<ProfileInput>),
}

enum Chart {
    Existing(PatientId),
    New(Box<NewPatient>),
}

/// Registers a patient at an institution (opening their chart first when new): the chart, and
/// whether it was new there.
pub async fn register(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    institution: InstitutionId,
    who: Registration,
) -> Result<(Patient, bool), AppError> {
    let audited = AuditAction::RegistrationAdd;
    let who = match who {
        Registration::New(input) => {
            Chart::New(Box::new(patients::new_chart(*input, &actor, state.now())?))
        }
        Registration::Existing(id) => Chart::Existing(id),
    };
    state
        .run(actor, meta, move |conn, uc| {
            let act = InstitutionAct::RegisterPatients;
            authorize_at(conn, &actor, institution, act, audited)?;
            let chart = match who {
                Chart::New(new) => patients::open_chart(conn, uc, &actor, *new)?,
                Chart::Existing(id) => {
                    let subject = Subject::id(audited, institution);
                    authorize(conn, &actor, id, Action::ReadChart, subject, uc.now)?.chart
                }
            };
            let added = stored::register(conn, chart.id, institution, actor.user_id, uc.now)?;
            uc.record(
                Event::success(&actor, audited)
                    .resource(institution)
                    .patient(chart.id),
            );
            Ok((chart, added))
        })
        .await
}
