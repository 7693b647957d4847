//! Patient charts and care teams: the use cases. Every one asks the policy first.

pub mod api;
pub mod export;
pub mod printable;
pub mod profile;
pub mod profile_web;
pub mod ties;
pub mod ties_api;
pub mod view;
pub mod web;

use chrono::NaiveDateTime;
use medvault_domain::AuditAction;
use medvault_domain::policy::{
    self, Action, AppointmentAct, AppointmentTies, Decision, Relation, TieKind,
};
use medvault_domain::{
    Actor, Change, Email, InvalidValue, Mrn, PatientId, Ties, UserId, UserStatus,
};
use medvault_store::repo::patients::ChartSearch;
use medvault_store::repo::{access, care_team, patients, users};
use medvault_store::{DbConnection, NewPatient, Page, Patient};

pub use profile::ProfileInput;

use crate::app::{AppState, UseCase};
use crate::audit::{Denial, Event, RequestMeta};
use crate::error::AppError;

/// A chart the actor may act on, and how they stand to it.
pub struct Authorized {
    pub chart: Patient,
    pub relation: Relation,
}

impl Authorized {
    /// Whether the actor may also do `action` on this chart, as the policy decides.
    pub fn may(&self, actor: &Actor, action: Action) -> bool {
        policy::decide(actor, action, self.relation).is_allowed()
    }

    /// Whether the actor may book visits for this chart: the patient's side, an admin, its care
    /// team, or the desk of an institution where it is registered.
    pub fn may_book(&self, actor: &Actor) -> bool {
        let ties = AppointmentTies {
            relation: self.relation,
            desk: self.relation == Relation::Institution,
            its_doctor: false,
        };
        policy::decide_appointment(actor, AppointmentAct::Book, ties).is_allowed()
    }

    /// Access under break-the-glass: every audit entry it leads to is flagged.
    pub fn emergency(&self) -> bool {
        self.relation.is_emergency()
    }
}

/// The use case an authorization is for, and the resource it concerns: what a denial's audit
/// entry names.
pub struct Subject {
    pub action: AuditAction,
    pub resource_id: Option<String>,
}

impl Subject {
    pub fn new(action: AuditAction) -> Self {
        Subject {
            action,
            resource_id: None,
        }
    }

    pub fn id(action: AuditAction, id: impl ToString) -> Self {
        Subject {
            action,
            resource_id: Some(id.to_string()),
        }
    }
}

/// Loads a chart and checks that `actor` may do `action` on it at `now`. A chart that does not
/// exist and one the actor may not touch look the same from outside; only the second is a denial.
pub fn authorize(
    conn: &mut DbConnection,
    actor: &Actor,
    patient: PatientId,
    action: Action,
    subject: Subject,
    now: NaiveDateTime,
) -> Result<Authorized, AppError> {
    let (chart, ties) =
        access::chart_and_ties(conn, actor.user_id, patient, now)?.ok_or(AppError::NotFound)?;
    granted(actor, chart, ties, action, subject)
}

/// `chart`, read with the `ties` the actor has to it, if the policy lets them do `action` on it;
/// a denial names `subject`.
pub fn granted(
    actor: &Actor,
    chart: Patient,
    ties: Ties,
    action: Action,
    subject: Subject,
) -> Result<Authorized, AppError> {
    let relation = relation_allowing(actor, chart.id, ties, action, subject)?;
    Ok(Authorized { chart, relation })
}

/// How `actor` stands to chart `patient`, which exists and to which they have `ties`, if the
/// policy lets them do `action` on it; a denial names `subject`.
pub fn relation_allowing(
    actor: &Actor,
    patient: PatientId,
    ties: Ties,
    action: Action,
    subject: Subject,
) -> Result<Relation, AppError> {
    let relation = Relation::of(actor, patient, ties);
    match policy::decide(actor, action, relation) {
        Decision::Allow => Ok(relation),
        Decision::Deny => Err(AppError::Denied(Denial {
            action: subject.action,
            visible: policy::decide(actor, Action::ReadChart, relation).is_allowed(),
            resource_id: subject.resource_id,
            patient_id: Some(patient),
        })),
    }
}

/// Refuses an action that concerns no particular patient, unless the policy allows it.
pub fn authorize_global(
    actor: &Actor,
    action: Action,
    audited: AuditAction,
) -> Result<(), AppError> {
    match policy::decide(actor, action, Relation::Unrelated) {
        Decision::Allow => Ok(()),
        Decision::Deny => Err(AppError::Denied(Denial::of_function(audited))),
    }
}

pub async fn list(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    search: ChartSearch,
    cursor: Option<String>,
    limit: usize,
) -> Result<Page<Patient>, AppError> {
    state
        .view(actor, meta, move |conn, uc| {
            let page = patients::list(
                conn,
                policy::patient_scope(&actor),
                &search,
                uc.now,
                cursor.as_deref(),
                limit,
            )?;
            uc.record(Event::success(&actor, AuditAction::PatientList));
            Ok(page)
        })
        .await
}

/// What one search box finds: the chart with a medical record number typed as one (`MV-000123`),
/// or else the charts whose name contains the text.
pub fn typed_search(text: &str) -> ChartSearch {
    let looks_like_mrn = text
        .trim()
        .get(..Mrn::PREFIX.len())
        .is_some_and(|prefix| prefix.eq_ignore_ascii_case(Mrn::PREFIX));
    match Mrn::parse(text) {
        Ok(mrn) if looks_like_mrn => ChartSearch {
            mrn: Some(mrn),
            ..ChartSearch::default()
        },
        _ => ChartSearch {
            name: Some(text.to_owned()),
            ..ChartSearch::default()
        },
    }
}

/// A new chart from a profile whose name is given; the rest is optional.
pub fn new_chart(
    mut input: ProfileInput,
    actor: &Actor,
    now: NaiveDateTime,
) -> Result<NewPatient, AppError> {
    let name = input.name.take().unwrap_or_default();
    // A new chart's sex, left blank, is not known yet.
    input.sex = input.sex.filter(|sex| !sex.trim().is_empty());
    let profile = input.parse(now.date())?;
    Ok(NewPatient {
        name: medvault_domain::PersonName::parse(&name)?,
        birth_date: match profile.birth_date {
            Change::Set(date) => Some(date),
            Change::Keep | Change::Clear => None,
        },
        sex: profile.sex.unwrap_or_default(),
        contact: profile.contact,
        user_id: None,
        created_by: Some(actor.user_id),
    })
}

/// Opens a chart in the caller's unit of work, which has decided that the actor may; a doctor
/// who opens one looks after that patient.
pub fn open_chart(
    conn: &mut DbConnection,
    uc: &UseCase,
    actor: &Actor,
    new: NewPatient,
) -> Result<Patient, AppError> {
    let chart = patients::insert(conn, new, uc.now)?;
    if policy::joins_care_team_of_new_chart(actor) {
        care_team::add(conn, chart.id, actor.user_id, actor.user_id, uc.now)?;
    }
    let event = Event::success(actor, AuditAction::PatientCreate)
        .resource(chart.id)
        .patient(chart.id);
    uc.record(event);
    Ok(chart)
}

/// Opens a chart from a profile whose name is given; the rest is optional.
pub async fn create(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    input: ProfileInput,
) -> Result<Patient, AppError> {
    let new = new_chart(input, &actor, state.now())?;
    state
        .run(actor, meta, move |conn, uc| {
            authorize_global(&actor, Action::CreatePatient, AuditAction::PatientCreate)?;
            open_chart(conn, uc, &actor, new)
        })
        .await
}

/// Edits a chart's profile, made on `version` of it. Who the patient is (name, birth date, sex)
/// is the care team's and admins' to change; contact details the patient's too.
pub async fn edit_profile(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    id: PatientId,
    version: i64,
    input: ProfileInput,
) -> Result<Patient, AppError> {
    let edit = input.parse(state.now().date())?;
    if edit.changes_nothing() {
        return Err(AppError::invalid("profile", "names no field to change"));
    }
    let action = if edit.touches_identity() {
        Action::EditProfile
    } else {
        Action::EditContactDetails
    };
    state
        .run(actor, meta, move |conn, uc| {
            let subject = Subject::id(AuditAction::PatientUpdate, id);
            authorize(conn, &actor, id, action, subject, uc.now)?;
            let chart = patients::edit_profile(conn, id, version, edit, uc.now)??;
            let event = Event::success(&actor, AuditAction::PatientUpdate)
                .resource(id)
                .patient(id);
            uc.record(event);
            Ok(chart)
        })
        .await
}

pub async fn get(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    id: PatientId,
) -> Result<Authorized, AppError> {
    state
        .view(actor, meta, move |conn, uc| {
            let granted = authorize(
                conn,
                &actor,
                id,
                Action::ReadChart,
                Subject::id(AuditAction::PatientRead, id),
                uc.now,
            )?;
            let event = Event::success(&actor, AuditAction::PatientRead)
                .resource(id)
                .patient(id)
                .emergency(granted.emergency());
            uc.record(event);
            Ok(granted)
        })
        .await
}

/// A chart opened for editing its details, for whoever may change at least its contact
/// details; anyone else is refused, and the refusal audited as a refused update.
pub async fn open_for_edit(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    id: PatientId,
) -> Result<Authorized, AppError> {
    state
        .view(actor, meta, move |conn, uc| {
            let subject = Subject::id(AuditAction::PatientUpdate, id);
            let granted = authorize(
                conn,
                &actor,
                id,
                Action::EditContactDetails,
                subject,
                uc.now,
            )?;
            let event = Event::success(&actor, AuditAction::PatientRead)
                .resource(id)
                .patient(id);
            uc.record(event);
            Ok(granted)
        })
        .await
}

/// Loads a user and checks they are active and may be given `tie`, or names the field at fault.
fn may_be_tied(
    conn: &mut DbConnection,
    id: UserId,
    tie: TieKind,
    field: &'static str,
    message: &'static str,
) -> Result<(), AppError> {
    let fits = users::find(conn, id)?
        .is_some_and(|user| user.status == UserStatus::Active && policy::may_hold(user.role, tie));
    if fits {
        Ok(())
    } else {
        Err(medvault_domain::InvalidValue::new(field, message).into())
    }
}

/// A chart named in a request: by its id, or (in a form) by the email its patient signs in with.
pub enum PatientRef {
    Id(PatientId),
    Email(Email),
}

impl PatientRef {
    /// A chart as typed into the form field `patient`: a chart id or a patient's email.
    pub fn typed(typed: &str) -> Result<Self, AppError> {
        let chosen = typed.trim();
        if chosen.is_empty() {
            return Err(InvalidValue::new("patient", "choose a patient").into());
        }
        if let Ok(id) = chosen.parse::<PatientId>() {
            return Ok(PatientRef::Id(id));
        }
        Email::parse(chosen)
            .map(PatientRef::Email)
            .map_err(|_| InvalidValue::new("patient", "is not a patient id or email").into())
    }

    /// The chart's id. An email no patient signs in with is "not found", like a chart id that
    /// names nothing.
    pub fn resolve(&self, conn: &mut DbConnection) -> Result<PatientId, AppError> {
        match self {
            PatientRef::Id(id) => Ok(*id),
            PatientRef::Email(email) => {
                let user = users::find_by_email(conn, email)?.ok_or(AppError::NotFound)?;
                Ok(patients::find_by_user(conn, user.id)?
                    .ok_or(AppError::NotFound)?
                    .id)
            }
        }
    }
}

/// A user named in a request: by id (the API), or by the email people know them by.
pub enum UserRef {
    Id(UserId),
    Email(Email),
}

impl UserRef {
    /// A user named by the email typed into `field`; `message` says what they must be.
    pub fn email(typed: &str, message: &'static str) -> Result<Self, AppError> {
        Email::parse(typed)
            .map(UserRef::Email)
            .map_err(|_| InvalidValue::new("email", message).into())
    }

    /// The field that named the user: `id_field` for an id, `email` for an email.
    pub fn field(&self, id_field: &'static str) -> &'static str {
        match self {
            UserRef::Id(_) => id_field,
            UserRef::Email(_) => "email",
        }
    }

    /// The id of an active user who may be given `tie`, or the field at fault (`id_field` for
    /// an id, `email` for an email) with `message`.
    pub fn tieable(
        &self,
        conn: &mut DbConnection,
        tie: TieKind,
        id_field: &'static str,
        message: &'static str,
    ) -> Result<UserId, AppError> {
        let field = self.field(id_field);
        let found = match self {
            UserRef::Id(id) => Some(*id),
            UserRef::Email(email) => users::find_by_email(conn, email)?.map(|user| user.id),
        };
        let unfit = || AppError::from(InvalidValue::new(field, message));
        let id = found.ok_or_else(unfit)?;
        may_be_tied(conn, id, tie, field, message)?;
        Ok(id)
    }
}
