use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use medvault_domain::policy::PatientScope;
use medvault_domain::{BirthDate, PatientId, PersonName, Phone, Sex, UserId};

use crate::rows::{parse, parse_opt};
use crate::schema::{care_team, intern_grants, patients, trainee_links, users};
use crate::{DbConnection, Page, StoreError};

#[derive(Clone, Debug)]
pub struct Patient {
    pub id: PatientId,
    /// The login linked to this chart, if the patient has one.
    pub user_id: Option<UserId>,
    pub name: String,
    pub birth_date: Option<NaiveDate>,
    pub sex: Sex,
    pub phone: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = patients)]
pub(crate) struct PatientRow {
    id: String,
    user_id: Option<String>,
    name: String,
    birth_date: Option<NaiveDate>,
    sex: String,
    phone: Option<String>,
    created_by: Option<String>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl TryFrom<PatientRow> for Patient {
    type Error = StoreError;

    fn try_from(row: PatientRow) -> Result<Self, StoreError> {
        Ok(Patient {
            id: parse("patients", &row.id)?,
            user_id: parse_opt("patients", row.user_id.as_deref())?,
            sex: Sex::parse(&row.sex).map_err(|_| StoreError::Corrupt("patients"))?,
            name: row.name,
            birth_date: row.birth_date,
            phone: row.phone,
            created_at: row.created_at,
        })
    }
}

pub struct NewPatient {
    pub name: PersonName,
    pub birth_date: Option<BirthDate>,
    pub sex: Sex,
    pub phone: Option<Phone>,
    pub user_id: Option<UserId>,
    pub created_by: Option<UserId>,
}

pub fn insert(
    conn: &mut DbConnection,
    new: NewPatient,
    now: NaiveDateTime,
) -> Result<Patient, StoreError> {
    let row = PatientRow {
        id: PatientId::new().to_string(),
        user_id: new.user_id.map(|id| id.to_string()),
        name: new.name.into_inner(),
        birth_date: new.birth_date.map(|date| date.date()),
        sex: new.sex.as_str().to_owned(),
        phone: new.phone.map(|phone| phone.as_str().to_owned()),
        created_by: new.created_by.map(|id| id.to_string()),
        created_at: now,
        updated_at: now,
    };
    diesel::insert_into(patients::table)
        .values(&row)
        .execute(conn)?;
    if let Some(user) = &row.user_id {
        // The user finds their chart through this pointer (one read with their session); a
        // user signs in to one chart at most.
        let pointed = diesel::update(users::table.find(user))
            .filter(users::patient_id.is_null())
            .set(users::patient_id.eq(&row.id))
            .execute(conn)?;
        if pointed != 1 {
            return Err(StoreError::Conflict("one chart per user".to_owned()));
        }
    }
    row.try_into()
}

pub fn find(conn: &mut DbConnection, id: PatientId) -> Result<Option<Patient>, StoreError> {
    patients::table
        .find(id.to_string())
        .select(PatientRow::as_select())
        .first(conn)
        .optional()?
        .map(Patient::try_from)
        .transpose()
}

/// Names of the given charts, by id (unknown ids are left out).
pub fn names(
    conn: &mut DbConnection,
    ids: &[PatientId],
) -> Result<Vec<(String, String)>, StoreError> {
    let ids: Vec<String> = ids.iter().map(PatientId::to_string).collect();
    Ok(patients::table
        .filter(patients::id.eq_any(ids))
        .select((patients::id, patients::name))
        .load(conn)?)
}

/// The chart linked to a login.
pub fn find_by_user(conn: &mut DbConnection, user: UserId) -> Result<Option<Patient>, StoreError> {
    patients::table
        .filter(patients::user_id.eq(user.to_string()))
        .select(PatientRow::as_select())
        .first(conn)
        .optional()?
        .map(Patient::try_from)
        .transpose()
}

/// The charts a scope allows, oldest first, `limit` at a time after the cursor `after`; with
/// `name`, only those whose name contains it, in any case.
pub fn list(
    conn: &mut DbConnection,
    scope: PatientScope,
    name: Option<&str>,
    now: NaiveDateTime,
    after: Option<&str>,
    limit: usize,
) -> Result<Page<Patient>, StoreError> {
    let mut query = patients::table
        .select(PatientRow::as_select())
        .order(patients::id.asc())
        .into_boxed();
    if let Some(name) = name {
        let pattern = super::containing(&name.to_lowercase());
        query = query.filter(super::lower(patients::name).like(pattern).escape('\\'));
    }
    match scope {
        PatientScope::All => {}
        PatientScope::CareTeamOf(doctor) => {
            let charts = care_team::table
                .filter(care_team::doctor_id.eq(doctor.to_string()))
                .select(care_team::patient_id);
            query = query.filter(patients::id.eq_any(charts));
        }
        PatientScope::LinkedTrainee(trainee) => {
            let charts = trainee_links::table
                .filter(trainee_links::trainee_id.eq(trainee.to_string()))
                .select(trainee_links::patient_id);
            query = query.filter(patients::id.eq_any(charts));
        }
        PatientScope::GrantedIntern(intern) => {
            let charts = intern_grants::table
                .filter(intern_grants::intern_id.eq(intern.to_string()))
                .filter(intern_grants::ended_at.is_null())
                .filter(intern_grants::starts_at.le(now))
                .filter(intern_grants::ends_at.gt(now))
                .select(intern_grants::patient_id);
            query = query.filter(patients::id.eq_any(charts));
        }
        PatientScope::Only(id) => query = query.filter(patients::id.eq(id.to_string())),
        PatientScope::Nothing => {
            return Ok(Page {
                items: Vec::new(),
                next: None,
            });
        }
    }
    if let Some(after) = after {
        query = query.filter(patients::id.gt(after.to_owned()));
    }
    let rows = query.limit(super::clamp_limit(limit)).load(conn)?;
    let items = rows
        .into_iter()
        .map(Patient::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_overfetch(items, limit, |patient| {
        patient.id.to_string()
    }))
}
