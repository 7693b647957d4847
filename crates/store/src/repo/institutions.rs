//! Institutions, their staff, the patients registered at them, and doctors' hours there.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use medvault_domain::appointments::{self, Availability, TimeOff};
use medvault_domain::institutions::{InstitutionKind, StaffRole, TimeZone};
use medvault_domain::{InstitutionId, PatientId, Role, UserId};

use crate::repo::patients::{Patient, PatientRow};
use crate::rows::parse;
use crate::schema::{
    availability, institution_staff, institutions, patient_mrns, patient_registrations, patients,
    users,
};
use crate::{DbConnection, Page, StoreError};

/// Whether a staff member works at an institution's admin or front desk: two comparisons rather
/// than `eq_any`, so that the statements holding it have one SQL text and are prepared once
/// (see [`super::prepared_once`]).
pub(crate) fn at_a_desk() -> diesel::dsl::Or<
    diesel::dsl::Eq<institution_staff::role, &'static str>,
    diesel::dsl::Eq<institution_staff::role, &'static str>,
> {
    institution_staff::role
        .eq(StaffRole::Admin.as_str())
        .or(institution_staff::role.eq(StaffRole::Reception.as_str()))
}

#[derive(Clone, Debug)]
pub struct Institution {
    pub id: InstitutionId,
    pub name: String,
    pub kind: InstitutionKind,
    pub address: String,
    pub time_zone: TimeZone,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = institutions)]
struct InstitutionRow {
    id: String,
    name: String,
    kind: String,
    address: String,
    time_zone: String,
    phone: Option<String>,
    email: Option<String>,
    created_at: NaiveDateTime,
}

impl TryFrom<InstitutionRow> for Institution {
    type Error = StoreError;

    fn try_from(row: InstitutionRow) -> Result<Self, StoreError> {
        const TABLE: &str = "institutions";
        Ok(Institution {
            id: parse(TABLE, &row.id)?,
            kind: InstitutionKind::parse(&row.kind).map_err(|_| StoreError::Corrupt(TABLE))?,
            time_zone: TimeZone::parse(&row.time_zone).map_err(|_| StoreError::Corrupt(TABLE))?,
            name: row.name,
            address: row.address,
            phone: row.phone,
            email: row.email,
            created_at: row.created_at,
        })
    }
}

/// A new institution, its values checked.
pub struct NewInstitution<'a> {
    pub name: &'a str,
    pub kind: InstitutionKind,
    pub address: &'a str,
    pub time_zone: TimeZone,
    pub phone: Option<&'a str>,
    pub email: Option<&'a str>,
}

pub fn create(
    conn: &mut DbConnection,
    new: &NewInstitution<'_>,
    by: UserId,
    now: NaiveDateTime,
) -> Result<InstitutionId, StoreError> {
    let id = InstitutionId::new();
    diesel::insert_into(institutions::table)
        .values((
            institutions::id.eq(id.to_string()),
            institutions::name.eq(new.name),
            institutions::kind.eq(new.kind.as_str()),
            institutions::address.eq(new.address),
            institutions::time_zone.eq(new.time_zone.name()),
            institutions::phone.eq(new.phone),
            institutions::email.eq(new.email),
            institutions::created_by.eq(by.to_string()),
            institutions::created_at.eq(now),
            institutions::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(id)
}

pub fn find(conn: &mut DbConnection, id: InstitutionId) -> Result<Option<Institution>, StoreError> {
    institutions::table
        .find(id.to_string())
        .select(InstitutionRow::as_select())
        .first(conn)
        .optional()?
        .map(Institution::try_from)
        .transpose()
}

/// Every institution, by name: where patients may book, so not a secret.
pub fn all(conn: &mut DbConnection) -> Result<Vec<Institution>, StoreError> {
    institutions::table
        .select(InstitutionRow::as_select())
        .order((institutions::name.asc(), institutions::id.asc()))
        .load(conn)?
        .into_iter()
        .map(Institution::try_from)
        .collect()
}

// Staff.

/// One member of staff, with who they are.
#[derive(Clone, Debug)]
pub struct Member {
    pub user_id: UserId,
    pub name: String,
    pub email: String,
    pub account_role: Role,
    pub role: StaffRole,
    pub since: NaiveDateTime,
}

fn staff_role(raw: &str) -> Result<StaffRole, StoreError> {
    StaffRole::parse(raw).map_err(|_| StoreError::Corrupt("institution_staff"))
}

/// How `user` stands at `institution`: their role there, if they work there.
pub fn role_of(
    conn: &mut DbConnection,
    institution: InstitutionId,
    user: UserId,
) -> Result<Option<StaffRole>, StoreError> {
    institution_staff::table
        .find((institution.to_string(), user.to_string()))
        .select(institution_staff::role)
        .first::<String>(conn)
        .optional()?
        .map(|role| staff_role(&role))
        .transpose()
}

/// Gives `user` a place at `institution`, or changes their role there: whether they were new.
pub fn put_member(
    conn: &mut DbConnection,
    institution: InstitutionId,
    user: UserId,
    role: StaffRole,
    by: UserId,
    now: NaiveDateTime,
) -> Result<bool, StoreError> {
    let changed =
        diesel::update(institution_staff::table.find((institution.to_string(), user.to_string())))
            .set(institution_staff::role.eq(role.as_str()))
            .execute(conn)?;
    if changed == 1 {
        return Ok(false);
    }
    diesel::insert_into(institution_staff::table)
        .values((
            institution_staff::institution_id.eq(institution.to_string()),
            institution_staff::user_id.eq(user.to_string()),
            institution_staff::role.eq(role.as_str()),
            institution_staff::added_by.eq(by.to_string()),
            institution_staff::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(true)
}

/// Takes `user` off the staff, if they are on it.
pub fn remove_member(
    conn: &mut DbConnection,
    institution: InstitutionId,
    user: UserId,
) -> Result<(), StoreError> {
    diesel::delete(institution_staff::table.find((institution.to_string(), user.to_string())))
        .execute(conn)?;
    Ok(())
}

/// The staff of an institution, by name; `only` narrows them to one role.
pub fn staff(
    conn: &mut DbConnection,
    institution: InstitutionId,
    only: Option<StaffRole>,
) -> Result<Vec<Member>, StoreError> {
    let mut query = institution_staff::table
        .inner_join(users::table.on(users::id.eq(institution_staff::user_id)))
        .filter(institution_staff::institution_id.eq(institution.to_string()))
        .select((
            institution_staff::user_id,
            users::name,
            users::email,
            users::role,
            institution_staff::role,
            institution_staff::created_at,
        ))
        .order((users::name.asc(), users::id.asc()))
        .into_boxed();
    if let Some(role) = only {
        query = query.filter(institution_staff::role.eq(role.as_str()));
    }
    query
        .load::<(String, String, String, String, String, NaiveDateTime)>(conn)?
        .into_iter()
        .map(|(id, name, email, account_role, role, since)| {
            Ok(Member {
                user_id: parse("institution_staff", &id)?,
                account_role: parse("users", &account_role)?,
                role: staff_role(&role)?,
                name,
                email,
                since,
            })
        })
        .collect()
}

/// The institutions `user` works at, with their role at each.
pub fn memberships(
    conn: &mut DbConnection,
    user: UserId,
) -> Result<Vec<(InstitutionId, StaffRole)>, StoreError> {
    institution_staff::table
        .filter(institution_staff::user_id.eq(user.to_string()))
        .select((institution_staff::institution_id, institution_staff::role))
        .order(institution_staff::institution_id.asc())
        .load::<(String, String)>(conn)?
        .into_iter()
        .map(|(id, role)| Ok((parse("institution_staff", &id)?, staff_role(&role)?)))
        .collect()
}

// Registrations.

/// Registers a patient at an institution: whether they were new there.
pub fn register(
    conn: &mut DbConnection,
    patient: PatientId,
    institution: InstitutionId,
    by: UserId,
    now: NaiveDateTime,
) -> Result<bool, StoreError> {
    if is_registered(conn, patient, institution)? {
        return Ok(false);
    }
    register_new(conn, patient, institution, by, now)?;
    Ok(true)
}

/// Registers a chart known not to be registered there yet (one just opened, say).
pub fn register_new(
    conn: &mut DbConnection,
    patient: PatientId,
    institution: InstitutionId,
    by: UserId,
    now: NaiveDateTime,
) -> Result<(), StoreError> {
    diesel::insert_into(patient_registrations::table)
        .values((
            patient_registrations::patient_id.eq(patient.to_string()),
            patient_registrations::institution_id.eq(institution.to_string()),
            patient_registrations::registered_by.eq(by.to_string()),
            patient_registrations::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

#[derive(Insertable)]
#[diesel(table_name = patient_registrations)]
struct RegistrationRow {
    patient_id: String,
    institution_id: String,
    registered_by: String,
    created_at: NaiveDateTime,
}

/// Registers charts known not to be registered there yet, in batches (an import).
pub fn register_many(
    conn: &mut DbConnection,
    charts: &[PatientId],
    institution: InstitutionId,
    by: UserId,
    now: NaiveDateTime,
) -> Result<(), StoreError> {
    let rows: Vec<RegistrationRow> = charts
        .iter()
        .map(|chart| RegistrationRow {
            patient_id: chart.to_string(),
            institution_id: institution.to_string(),
            registered_by: by.to_string(),
            created_at: now,
        })
        .collect();
    for batch in rows.chunks(super::patients::BATCH) {
        natively!(conn, |c| diesel::insert_into(patient_registrations::table)
            .values(batch)
            .execute(c))?;
    }
    Ok(())
}

pub fn is_registered(
    conn: &mut DbConnection,
    patient: PatientId,
    institution: InstitutionId,
) -> Result<bool, StoreError> {
    Ok(diesel::select(diesel::dsl::exists(
        patient_registrations::table.find((patient.to_string(), institution.to_string())),
    ))
    .get_result(conn)?)
}

/// The charts registered at an institution, oldest first, `limit` after the cursor `after`.
pub fn patients_of(
    conn: &mut DbConnection,
    institution: InstitutionId,
    after: Option<&str>,
    limit: usize,
) -> Result<Page<Patient>, StoreError> {
    let registered = patient_registrations::table
        .filter(patient_registrations::institution_id.eq(institution.to_string()))
        .select(patient_registrations::patient_id);
    let mut query = patients::table
        .filter(patients::id.eq_any(registered))
        .select(PatientRow::as_select())
        .order(patients::id.asc())
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(patients::id.gt(after.to_owned()));
    }
    let items = query
        .limit(super::clamp_limit(limit))
        .load(conn)?
        .into_iter()
        .map(Patient::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_overfetch(items, limit, |p| p.id.to_string()))
}

/// The charts registered at an institution, with what an import matches them by: their record
/// number and their email.
pub fn registered_keys(
    conn: &mut DbConnection,
    institution: InstitutionId,
) -> Result<Vec<(PatientId, String, Option<String>)>, StoreError> {
    patient_registrations::table
        .inner_join(patients::table.on(patients::id.eq(patient_registrations::patient_id)))
        .filter(patient_registrations::institution_id.eq(institution.to_string()))
        .select((patients::id, patients::mrn, patients::email))
        .load::<(String, String, Option<String>)>(conn)?
        .into_iter()
        .map(|(id, mrn, email)| Ok((parse("patient_registrations", &id)?, mrn, email)))
        .collect()
}

/// The chart given a record number, if any (found by the number's own table, which is
/// distributed by it on Citus).
pub fn chart_with_mrn(
    conn: &mut DbConnection,
    mrn: &medvault_domain::Mrn,
) -> Result<Option<PatientId>, StoreError> {
    patient_mrns::table
        .find(mrn.to_string())
        .select(patient_mrns::patient_id)
        .first::<String>(conn)
        .optional()?
        .map(|id| parse("patient_mrns", &id))
        .transpose()
}

// Availability.

/// A doctor's week at one institution.
#[derive(Clone, Debug)]
pub struct Week {
    pub doctor_id: UserId,
    pub institution_id: InstitutionId,
    pub availability: Availability,
    pub time_off: Vec<TimeOff>,
    pub updated_at: NaiveDateTime,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = availability)]
struct WeekRow {
    doctor_id: String,
    institution_id: String,
    slot_minutes: i32,
    hours: String,
    time_off: String,
    updated_at: NaiveDateTime,
}

impl TryFrom<WeekRow> for Week {
    type Error = StoreError;

    fn try_from(row: WeekRow) -> Result<Self, StoreError> {
        const TABLE: &str = "availability";
        let corrupt = |_| StoreError::Corrupt(TABLE);
        let minutes = u32::try_from(row.slot_minutes).map_err(|_| StoreError::Corrupt(TABLE))?;
        Ok(Week {
            doctor_id: parse(TABLE, &row.doctor_id)?,
            institution_id: parse(TABLE, &row.institution_id)?,
            availability: Availability::from_stored(minutes, &row.hours).map_err(corrupt)?,
            time_off: appointments::time_off_from_stored(&row.time_off).map_err(corrupt)?,
            updated_at: row.updated_at,
        })
    }
}

/// Replaces a doctor's week at an institution.
pub fn set_week(
    conn: &mut DbConnection,
    doctor: UserId,
    institution: InstitutionId,
    (week, days_off): (&Availability, &[TimeOff]),
    by: UserId,
    now: NaiveDateTime,
) -> Result<(), StoreError> {
    let key = (doctor.to_string(), institution.to_string());
    diesel::delete(availability::table.find(key.clone())).execute(conn)?;
    diesel::insert_into(availability::table)
        .values((
            availability::doctor_id.eq(key.0),
            availability::institution_id.eq(key.1),
            availability::slot_minutes.eq(i32::try_from(week.slot_minutes).unwrap_or(i32::MAX)),
            availability::hours.eq(week.hours_text()),
            availability::time_off.eq(appointments::time_off_text(days_off)),
            availability::updated_by.eq(by.to_string()),
            availability::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn week(
    conn: &mut DbConnection,
    doctor: UserId,
    institution: InstitutionId,
) -> Result<Option<Week>, StoreError> {
    availability::table
        .find((doctor.to_string(), institution.to_string()))
        .select(WeekRow::as_select())
        .first(conn)
        .optional()?
        .map(Week::try_from)
        .transpose()
}

/// A doctor's weeks at every institution they have hours at.
pub fn weeks_of(conn: &mut DbConnection, doctor: UserId) -> Result<Vec<Week>, StoreError> {
    availability::table
        .filter(availability::doctor_id.eq(doctor.to_string()))
        .select(WeekRow::as_select())
        .order(availability::institution_id.asc())
        .load(conn)?
        .into_iter()
        .map(Week::try_from)
        .collect()
}
