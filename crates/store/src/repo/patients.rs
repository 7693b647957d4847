use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use medvault_domain::policy::PatientScope;
use medvault_domain::{
    BirthDate, ContactEdit, Mrn, PatientId, PersonName, ProfileEdit, Sex, UserId,
};

use crate::rows::{parse, parse_opt};
use crate::schema::{
    care_team, guardians, institution_staff, intern_grants, patient_mrns, patient_registrations,
    patients, trainee_links, users,
};
use crate::{DbConnection, Page, StoreError};

#[derive(Clone, Debug)]
pub struct Patient {
    pub id: PatientId,
    pub mrn: Mrn,
    /// The login linked to this chart, if the patient has one.
    pub user_id: Option<UserId>,
    pub name: String,
    pub birth_date: Option<NaiveDate>,
    pub sex: Sex,
    pub contact: Contact,
    /// Counts the profile's edits; an edit names the version it was made on.
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// How to reach the patient, and whom to call for them; every part optional.
#[derive(Clone, Debug, Default, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = patients)]
pub struct Contact {
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address_line: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
    pub emergency_contact_name: Option<String>,
    pub emergency_contact_relationship: Option<String>,
    pub emergency_contact_phone: Option<String>,
    /// A BCP 47 tag.
    pub preferred_language: Option<String>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = patients)]
pub(crate) struct PatientRow {
    id: String,
    mrn: String,
    user_id: Option<String>,
    name: String,
    birth_date: Option<NaiveDate>,
    sex: String,
    #[diesel(embed)]
    contact: Contact,
    version: i64,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl TryFrom<PatientRow> for Patient {
    type Error = StoreError;

    fn try_from(row: PatientRow) -> Result<Self, StoreError> {
        Ok(Patient {
            id: parse("patients", &row.id)?,
            mrn: Mrn::parse(&row.mrn).map_err(|_| StoreError::Corrupt("patients"))?,
            user_id: parse_opt("patients", row.user_id.as_deref())?,
            sex: Sex::parse(&row.sex).map_err(|_| StoreError::Corrupt("patients"))?,
            name: row.name,
            birth_date: row.birth_date,
            contact: row.contact,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

/// The contact columns an edit writes: `None` leaves a column, `Some(None)` clears it.
#[derive(AsChangeset, Default)]
#[diesel(table_name = patients)]
struct ContactChanges {
    phone: Option<Option<String>>,
    email: Option<Option<String>>,
    address_line: Option<Option<String>>,
    city: Option<Option<String>>,
    region: Option<Option<String>>,
    postal_code: Option<Option<String>>,
    country: Option<Option<String>>,
    emergency_contact_name: Option<Option<String>>,
    emergency_contact_relationship: Option<Option<String>>,
    emergency_contact_phone: Option<Option<String>>,
    preferred_language: Option<Option<String>>,
}

impl From<ContactEdit> for ContactChanges {
    fn from(edit: ContactEdit) -> Self {
        ContactChanges {
            phone: edit.phone.into_column(|v| v.as_str().to_owned()),
            email: edit.email.into_column(|v| v.as_str().to_owned()),
            address_line: edit.address_line.into_column(|v| v.into_inner()),
            city: edit.city.into_column(|v| v.into_inner()),
            region: edit.region.into_column(|v| v.into_inner()),
            postal_code: edit.postal_code.into_column(|v| v.as_str().to_owned()),
            country: edit.country.into_column(|v| v.into_inner()),
            emergency_contact_name: edit.emergency_contact_name.into_column(|v| v.into_inner()),
            emergency_contact_relationship: edit
                .emergency_contact_relationship
                .into_column(|v| v.into_inner()),
            emergency_contact_phone: edit
                .emergency_contact_phone
                .into_column(|v| v.as_str().to_owned()),
            preferred_language: edit
                .preferred_language
                .into_column(|v| v.as_str().to_owned()),
        }
    }
}

impl ContactChanges {
    /// The contact as a new chart holds it: what the edit sets, nothing else.
    fn into_new(self) -> Contact {
        Contact {
            phone: self.phone.flatten(),
            email: self.email.flatten(),
            address_line: self.address_line.flatten(),
            city: self.city.flatten(),
            region: self.region.flatten(),
            postal_code: self.postal_code.flatten(),
            country: self.country.flatten(),
            emergency_contact_name: self.emergency_contact_name.flatten(),
            emergency_contact_relationship: self.emergency_contact_relationship.flatten(),
            emergency_contact_phone: self.emergency_contact_phone.flatten(),
            preferred_language: self.preferred_language.flatten(),
        }
    }
}

#[derive(Clone)]
pub struct NewPatient {
    pub name: PersonName,
    pub birth_date: Option<BirthDate>,
    pub sex: Sex,
    pub contact: ContactEdit,
    pub user_id: Option<UserId>,
    pub created_by: Option<UserId>,
}

/// Opens a chart, giving it the next medical record number.
pub fn insert(
    conn: &mut DbConnection,
    new: NewPatient,
    now: NaiveDateTime,
) -> Result<Patient, StoreError> {
    let id = PatientId::new();
    let mrn = next_mrn(conn)?;
    diesel::insert_into(patient_mrns::table)
        .values((
            patient_mrns::mrn.eq(mrn.to_string()),
            patient_mrns::number.eq(mrn.number()),
            patient_mrns::patient_id.eq(id.to_string()),
        ))
        .execute(conn)?;
    let contact = ContactChanges::from(new.contact).into_new();
    let user_id = new.user_id.map(|user| user.to_string());
    diesel::insert_into(patients::table)
        .values((
            patients::id.eq(id.to_string()),
            patients::mrn.eq(mrn.to_string()),
            patients::user_id.eq(&user_id),
            patients::name.eq(new.name.into_inner()),
            patients::birth_date.eq(new.birth_date.map(|date| date.date())),
            patients::sex.eq(new.sex.as_str()),
            patients::phone.eq(&contact.phone),
            patients::email.eq(&contact.email),
            patients::address_line.eq(&contact.address_line),
            patients::city.eq(&contact.city),
            patients::region.eq(&contact.region),
            patients::postal_code.eq(&contact.postal_code),
            patients::country.eq(&contact.country),
            patients::emergency_contact_name.eq(&contact.emergency_contact_name),
            patients::emergency_contact_relationship.eq(&contact.emergency_contact_relationship),
            patients::emergency_contact_phone.eq(&contact.emergency_contact_phone),
            patients::preferred_language.eq(&contact.preferred_language),
            patients::version.eq(1),
            patients::created_by.eq(new.created_by.map(|by| by.to_string())),
            patients::created_at.eq(now),
            patients::updated_at.eq(now),
        ))
        .execute(conn)?;
    if let Some(user) = &user_id {
        // The user finds their chart through this pointer (one read with their session); a
        // user signs in to one chart at most.
        let pointed = diesel::update(users::table.find(user))
            .filter(users::patient_id.is_null())
            .set(users::patient_id.eq(id.to_string()))
            .execute(conn)?;
        if pointed != 1 {
            return Err(StoreError::Conflict("one chart per user".to_owned()));
        }
    }
    find(conn, id)?.ok_or(StoreError::Corrupt("patients"))
}

/// A chart's row, as a batch of new charts inserts it.
#[derive(Insertable)]
#[diesel(table_name = patients, treat_none_as_default_value = false)]
struct ChartRow {
    id: String,
    mrn: String,
    name: String,
    birth_date: Option<NaiveDate>,
    sex: &'static str,
    phone: Option<String>,
    email: Option<String>,
    address_line: Option<String>,
    city: Option<String>,
    region: Option<String>,
    postal_code: Option<String>,
    country: Option<String>,
    preferred_language: Option<String>,
    version: i64,
    created_by: Option<String>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = patient_mrns)]
struct MrnRow {
    mrn: String,
    number: i64,
    patient_id: String,
}

/// Rows per statement when charts are opened in a batch: under both backends' limits on bound
/// values (PostgreSQL's 65,535; SQLite's 32,766).
pub const BATCH: usize = 1_000;

/// Opens charts in batches (an import), with no login tied to them: their ids, in order, each
/// with the next record number. Far fewer round trips than [`insert`] one by one.
pub fn insert_many(
    conn: &mut DbConnection,
    new: Vec<NewPatient>,
    now: NaiveDateTime,
) -> Result<Vec<PatientId>, StoreError> {
    let numbers = next_mrns(conn, new.len())?;
    let mut ids = Vec::with_capacity(new.len());
    let mut mrns = Vec::with_capacity(new.len());
    let mut charts = Vec::with_capacity(new.len());
    for (chart, mrn) in new.into_iter().zip(numbers) {
        let id = PatientId::new();
        let contact = ContactChanges::from(chart.contact).into_new();
        mrns.push(MrnRow {
            mrn: mrn.to_string(),
            number: mrn.number(),
            patient_id: id.to_string(),
        });
        charts.push(ChartRow {
            id: id.to_string(),
            mrn: mrn.to_string(),
            name: chart.name.into_inner(),
            birth_date: chart.birth_date.map(|date| date.date()),
            sex: chart.sex.as_str(),
            phone: contact.phone,
            email: contact.email,
            address_line: contact.address_line,
            city: contact.city,
            region: contact.region,
            postal_code: contact.postal_code,
            country: contact.country,
            preferred_language: contact.preferred_language,
            version: 1,
            created_by: chart.created_by.map(|by| by.to_string()),
            created_at: now,
            updated_at: now,
        });
        ids.push(id);
    }
    for batch in mrns.chunks(BATCH) {
        natively!(conn, |c| diesel::insert_into(patient_mrns::table)
            .values(batch)
            .execute(c))?;
    }
    for batch in charts.chunks(BATCH) {
        natively!(conn, |c| diesel::insert_into(patients::table)
            .values(batch)
            .execute(c))?;
    }
    Ok(ids)
}

/// `count` new medical record numbers, in one round trip.
fn next_mrns(conn: &mut DbConnection, count: usize) -> Result<Vec<Mrn>, StoreError> {
    #[derive(QueryableByName)]
    struct Number {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let wanted = i64::try_from(count).map_err(|_| StoreError::Corrupt("patient_mrns"))?;
    let numbers: Vec<i64> = match conn {
        DbConnection::Postgres(pg) => {
            diesel::sql_query("SELECT nextval('patient_mrn_seq') AS n FROM generate_series(1, $1)")
                .bind::<diesel::sql_types::BigInt, _>(wanted)
                .load::<Number>(pg)?
                .into_iter()
                .map(|number| number.n)
                .collect()
        }
        DbConnection::Sqlite(sqlite) => {
            let largest = patient_mrns::table
                .select(diesel::dsl::max(patient_mrns::number))
                .get_result::<Option<i64>>(sqlite)?
                .unwrap_or(0);
            (largest + 1..=largest + wanted).collect()
        }
    };
    numbers
        .into_iter()
        .map(|n| Mrn::new(n).ok_or(StoreError::Corrupt("patient_mrns")))
        .collect()
}

/// The next medical record number: PostgreSQL's sequence; on SQLite, whose one writer holds the
/// file, one past the highest given.
fn next_mrn(conn: &mut DbConnection) -> Result<Mrn, StoreError> {
    let number = match conn {
        DbConnection::Postgres(pg) => diesel::select(
            diesel::dsl::sql::<diesel::sql_types::BigInt>("nextval('patient_mrn_seq')"),
        )
        .get_result::<i64>(pg)?,
        DbConnection::Sqlite(sqlite) => {
            patient_mrns::table
                .select(diesel::dsl::max(patient_mrns::number))
                .get_result::<Option<i64>>(sqlite)?
                .unwrap_or(0)
                + 1
        }
    };
    Mrn::new(number).ok_or(StoreError::Corrupt("patient_mrns"))
}

pub use super::EditRefused;

/// Applies `edit` to the chart if it is still at `version`; the chart as it is afterwards.
pub fn edit_profile(
    conn: &mut DbConnection,
    id: PatientId,
    version: i64,
    edit: ProfileEdit,
    now: NaiveDateTime,
) -> Result<Result<Patient, EditRefused>, StoreError> {
    let at_version = patients::table
        .find(id.to_string())
        .filter(patients::version.eq(version));
    let changed = diesel::update(at_version)
        .set((
            ContactChanges::from(edit.contact),
            edit.name.map(|name| patients::name.eq(name.into_inner())),
            edit.birth_date
                .into_column(|date| date.date())
                .map(|date| patients::birth_date.eq(date)),
            edit.sex.map(|sex| patients::sex.eq(sex.as_str())),
            patients::version.eq(version + 1),
            patients::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(super::edited(changed, find(conn, id)?, |chart| {
        chart.version
    }))
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

/// What a chart search asks for; every part given must match.
#[derive(Clone, Debug, Default)]
pub struct ChartSearch {
    /// Part of the name, in any case.
    pub name: Option<String>,
    pub mrn: Option<Mrn>,
    pub birth_date: Option<NaiveDate>,
}

/// The charts a scope allows that match `search`, oldest first, `limit` at a time after the
/// cursor `after`.
pub fn list(
    conn: &mut DbConnection,
    scope: PatientScope,
    search: &ChartSearch,
    now: NaiveDateTime,
    after: Option<&str>,
    limit: usize,
) -> Result<Page<Patient>, StoreError> {
    let mut query = patients::table
        .select(PatientRow::as_select())
        .order(patients::id.asc())
        .into_boxed();
    if let Some(name) = &search.name {
        let pattern = super::containing(&name.to_lowercase());
        query = query.filter(super::lower(patients::name).like(pattern).escape('\\'));
    }
    if let Some(mrn) = search.mrn {
        query = query.filter(patients::mrn.eq(mrn.to_string()));
    }
    if let Some(born) = search.birth_date {
        query = query.filter(patients::birth_date.eq(born));
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
        PatientScope::OwnAndDependents { own, guardian } => {
            let dependents = guardians::table
                .filter(guardians::guardian_id.eq(guardian.to_string()))
                .select(guardians::patient_id);
            let own = own.map(|own| own.to_string()).unwrap_or_default();
            query = query.filter(patients::id.eq(own).or(patients::id.eq_any(dependents)));
        }
        PatientScope::AtDesksOf(user) => {
            let desks = institution_staff::table
                .filter(institution_staff::user_id.eq(user.to_string()))
                .filter(super::institutions::at_a_desk())
                .select(institution_staff::institution_id);
            let charts = patient_registrations::table
                .filter(patient_registrations::institution_id.eq_any(desks))
                .select(patient_registrations::patient_id);
            query = query.filter(patients::id.eq_any(charts));
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
