//! A chart's allergies and problem list: the use cases. Reading them is reading the chart's
//! clinical content (as records are: never interns); recording and changing them is writing it.

pub mod api;
pub mod web;

use chrono::{NaiveDate, NaiveDateTime};
use medvault_domain::clinical::{
    AllergyStatus, Condition, ProblemStatus, Reaction, Severity, Substance,
};
use medvault_domain::policy::Action;
use medvault_domain::{Actor, AllergyId, AuditAction, InvalidValue, PatientId, ProblemId, UserId};
use medvault_store::repo::EditRefused;
use medvault_store::repo::allergies::{self, Allergy, AllergyFields};
use medvault_store::repo::problems::{self, Problem, ProblemFields};
use medvault_store::{DbConnection, StoreError};

use crate::app::AppState;
use crate::audit::{Event, RequestMeta};
use crate::error::AppError;
use crate::patients::profile;
use crate::patients::{Subject, authorize};

/// An allergy's fields as submitted: `None` for one not sent (kept as it is, when changing),
/// blank to clear an optional one.
#[derive(Clone, Debug, Default)]
pub struct AllergyInput {
    pub substance: Option<String>,
    pub reaction: Option<String>,
    pub severity: Option<String>,
    pub status: Option<String>,
}

/// Text sent for an optional field, made to what it held: blank clears it.
pub(crate) fn optional<T>(
    sent: Option<String>,
    kept: Option<T>,
    parse: impl FnOnce(&str) -> Result<T, InvalidValue>,
) -> Result<Option<T>, InvalidValue> {
    Ok(profile::change(sent, parse)?.over(kept))
}

impl AllergyInput {
    /// The allergy's fields: those sent, over `current`'s (or, for a new one, the defaults).
    fn over(self, current: Option<&Allergy>) -> Result<AllergyFields, InvalidValue> {
        let substance = match (self.substance, current) {
            (Some(text), _) => Substance::parse(&text)?,
            (None, Some(current)) => Substance::parse(&current.substance)?,
            (None, None) => Substance::parse("")?,
        };
        let kept_reaction = current
            .and_then(|c| c.reaction.as_deref())
            .map(Reaction::parse)
            .transpose()?;
        Ok(AllergyFields {
            substance,
            reaction: optional(self.reaction, kept_reaction, Reaction::parse)?,
            severity: optional(
                self.severity,
                current.and_then(|c| c.severity),
                Severity::parse,
            )?,
            status: match self.status {
                Some(text) => AllergyStatus::parse(&text)?,
                None => current.map_or(AllergyStatus::Active, |c| c.status),
            },
        })
    }
}

/// A problem's fields as submitted, as for allergies.
#[derive(Clone, Debug, Default)]
pub struct ProblemInput {
    pub condition: Option<String>,
    pub onset: Option<String>,
    pub status: Option<String>,
}

impl ProblemInput {
    fn over(
        self,
        current: Option<&Problem>,
        today: NaiveDate,
    ) -> Result<ProblemFields, InvalidValue> {
        let condition = match (self.condition, current) {
            (Some(text), _) => Condition::parse(&text)?,
            (None, Some(current)) => Condition::parse(&current.condition)?,
            (None, None) => Condition::parse("")?,
        };
        let onset = optional(self.onset, current.and_then(|c| c.onset), |raw| {
            let date = NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
                .map_err(|_| InvalidValue::new("onset", "must be a date as YYYY-MM-DD"))?;
            if date > today {
                return Err(InvalidValue::new("onset", "is in the future"));
            }
            Ok(date)
        })?;
        Ok(ProblemFields {
            condition,
            onset,
            status: match self.status {
                Some(text) => ProblemStatus::parse(&text)?,
                None => current.map_or(ProblemStatus::Active, |c| c.status),
            },
        })
    }
}

/// One of the chart's lists, for whoever may read its clinical content, audited as `audited`.
pub(crate) async fn read_list<T: Send + 'static>(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    patient: PatientId,
    audited: AuditAction,
    read: impl FnOnce(&mut DbConnection, PatientId) -> Result<T, StoreError> + Clone + Send + 'static,
) -> Result<T, AppError> {
    state
        .view(actor, meta, move |conn, uc| {
            let subject = Subject::new(audited);
            let granted = authorize(conn, &actor, patient, Action::ReadRecords, subject, uc.now)?;
            let found = read(conn, patient)?;
            let event = Event::success(&actor, audited)
                .patient(patient)
                .emergency(granted.emergency());
            uc.record(event);
            Ok(found)
        })
        .await
}

pub async fn allergies_of(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    patient: PatientId,
) -> Result<Vec<Allergy>, AppError> {
    read_list(
        state,
        actor,
        meta,
        patient,
        AuditAction::AllergyList,
        allergies::of,
    )
    .await
}

pub async fn problems_of(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    patient: PatientId,
) -> Result<Vec<Problem>, AppError> {
    read_list(
        state,
        actor,
        meta,
        patient,
        AuditAction::ProblemList,
        problems::of,
    )
    .await
}

/// An entry on one of the chart's lists: recorded and changed by the care team (or an admin),
/// each change made on the version it names, each audited.
pub trait ListEntry: Sized + Send + 'static {
    type Id: Copy + std::fmt::Display + Send + 'static;
    /// The fields as submitted.
    type Input: Default + Send + 'static;
    /// The fields as stored, valid.
    type Fields: Send + 'static;
    const RECORDED: AuditAction;
    const UPDATED: AuditAction;
    /// The chart page's section that shows the list.
    const SECTION: &'static str;

    /// The input over `current`'s fields (or a new entry's defaults).
    fn fields(
        input: Self::Input,
        current: Option<&Self>,
        today: NaiveDate,
    ) -> Result<Self::Fields, InvalidValue>;
    /// An input that changes the status alone.
    fn status_only(status: String) -> Self::Input;
    fn insert(
        conn: &mut DbConnection,
        patient: PatientId,
        fields: Self::Fields,
        by: UserId,
        now: NaiveDateTime,
    ) -> Result<Self::Id, StoreError>;
    fn find(conn: &mut DbConnection, id: Self::Id) -> Result<Option<Self>, StoreError>;
    fn update(
        conn: &mut DbConnection,
        current: &Self,
        version: i64,
        fields: Self::Fields,
        by: UserId,
        now: NaiveDateTime,
    ) -> Result<Result<Self, EditRefused>, StoreError>;
    fn patient(&self) -> PatientId;
    fn version(&self) -> i64;
}

impl ListEntry for Allergy {
    type Id = AllergyId;
    type Input = AllergyInput;
    type Fields = AllergyFields;
    const RECORDED: AuditAction = AuditAction::AllergyRecord;
    const UPDATED: AuditAction = AuditAction::AllergyUpdate;
    const SECTION: &'static str = "allergies";

    fn fields(
        input: AllergyInput,
        current: Option<&Self>,
        _today: NaiveDate,
    ) -> Result<AllergyFields, InvalidValue> {
        input.over(current)
    }

    fn status_only(status: String) -> AllergyInput {
        AllergyInput {
            status: Some(status),
            ..AllergyInput::default()
        }
    }

    fn insert(
        conn: &mut DbConnection,
        patient: PatientId,
        fields: AllergyFields,
        by: UserId,
        now: NaiveDateTime,
    ) -> Result<AllergyId, StoreError> {
        allergies::insert(conn, patient, fields, by, now)
    }

    fn find(conn: &mut DbConnection, id: AllergyId) -> Result<Option<Self>, StoreError> {
        allergies::find(conn, id)
    }

    fn update(
        conn: &mut DbConnection,
        current: &Self,
        version: i64,
        fields: AllergyFields,
        by: UserId,
        now: NaiveDateTime,
    ) -> Result<Result<Self, EditRefused>, StoreError> {
        allergies::update(conn, current, version, fields, by, now)
    }

    fn patient(&self) -> PatientId {
        self.patient_id
    }

    fn version(&self) -> i64 {
        self.version
    }
}

impl ListEntry for Problem {
    type Id = ProblemId;
    type Input = ProblemInput;
    type Fields = ProblemFields;
    const RECORDED: AuditAction = AuditAction::ProblemRecord;
    const UPDATED: AuditAction = AuditAction::ProblemUpdate;
    const SECTION: &'static str = "problems";

    fn fields(
        input: ProblemInput,
        current: Option<&Self>,
        today: NaiveDate,
    ) -> Result<ProblemFields, InvalidValue> {
        input.over(current, today)
    }

    fn status_only(status: String) -> ProblemInput {
        ProblemInput {
            status: Some(status),
            ..ProblemInput::default()
        }
    }

    fn insert(
        conn: &mut DbConnection,
        patient: PatientId,
        fields: ProblemFields,
        by: UserId,
        now: NaiveDateTime,
    ) -> Result<ProblemId, StoreError> {
        problems::insert(conn, patient, fields, by, now)
    }

    fn find(conn: &mut DbConnection, id: ProblemId) -> Result<Option<Self>, StoreError> {
        problems::find(conn, id)
    }

    fn update(
        conn: &mut DbConnection,
        current: &Self,
        version: i64,
        fields: ProblemFields,
        by: UserId,
        now: NaiveDateTime,
    ) -> Result<Result<Self, EditRefused>, StoreError> {
        problems::update(conn, current, version, fields, by, now)
    }

    fn patient(&self) -> PatientId {
        self.patient_id
    }

    fn version(&self) -> i64 {
        self.version
    }
}

/// Records an entry on the chart's list.
pub async fn record<E: ListEntry>(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    patient: PatientId,
    input: E::Input,
) -> Result<E, AppError> {
    let fields = E::fields(input, None, state.now().date())?;
    state
        .run(actor, meta, move |conn, uc| {
            let subject = Subject::new(E::RECORDED);
            authorize(conn, &actor, patient, Action::WriteRecord, subject, uc.now)?;
            let id = E::insert(conn, patient, fields, actor.user_id, uc.now)?;
            let entry = E::find(conn, id)?.ok_or(AppError::NotFound)?;
            uc.record(
                Event::success(&actor, E::RECORDED)
                    .resource(id)
                    .patient(patient),
            );
            Ok(entry)
        })
        .await
}

/// Changes an entry, made on `version` of it: the fields sent, over the rest as they are.
pub async fn change<E: ListEntry>(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    id: E::Id,
    version: i64,
    input: E::Input,
) -> Result<E, AppError> {
    let today = state.now().date();
    state
        .run(actor, meta, move |conn, uc| {
            let current = E::find(conn, id)?.ok_or(AppError::NotFound)?;
            let patient = current.patient();
            let subject = Subject::id(E::UPDATED, id);
            authorize(conn, &actor, patient, Action::WriteRecord, subject, uc.now)?;
            let fields = E::fields(input, Some(&current), today)?;
            let changed = E::update(conn, &current, version, fields, actor.user_id, uc.now)??;
            uc.record(
                Event::success(&actor, E::UPDATED)
                    .resource(id)
                    .patient(patient),
            );
            Ok(changed)
        })
        .await
}
