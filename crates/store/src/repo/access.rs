//! Ties between people and charts besides the care team: trainee links, intern grants and
//! emergency accesses, and [`ties`], which gathers all of them for one actor and one chart.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use medvault_domain::{EmergencyAccessId, GrantId, PatientId, Ties, UserId};

use crate::repo::patients::{Patient, PatientRow};
use crate::repo::prepared_once;
use crate::rows::{parse, parse_opt};
use crate::schema::{emergency_accesses, guardians, intern_grants, patients, trainee_links};
use crate::{DbConnection, StoreError, watch};

/// Whether `user` has each kind of tie to `patient` at `now`: six `EXISTS` expressions, for a
/// select list. Each probe selects one column: PostgreSQL ignores what an `EXISTS` selects, but
/// diesel walks every column named each time it binds the statement's values, and with every
/// column of every table probed, that walk was a twentieth of a chart page's time in the server.
macro_rules! tie_exists {
    ($user:expr, $patient:expr, $now:expr) => {{
        use diesel::dsl::exists;
        use $crate::schema::{
            care_team, emergency_accesses, guardians, institution_staff, intern_grants,
            patient_registrations, trainee_links,
        };
        let (user, patient, now): (String, String, chrono::NaiveDateTime) = ($user, $patient, $now);
        (
            exists(
                care_team::table
                    .find((patient.clone(), user.clone()))
                    .select(care_team::patient_id),
            ),
            exists(
                trainee_links::table
                    .find((patient.clone(), user.clone()))
                    .select(trainee_links::patient_id),
            ),
            exists(
                intern_grants::table
                    .filter(intern_grants::intern_id.eq(user.clone()))
                    .filter(intern_grants::patient_id.eq(patient.clone()))
                    .filter(intern_grants::ended_at.is_null())
                    .filter(intern_grants::starts_at.le(now))
                    .filter(intern_grants::ends_at.gt(now))
                    .select(intern_grants::patient_id),
            ),
            exists(
                emergency_accesses::table
                    .filter(emergency_accesses::doctor_id.eq(user.clone()))
                    .filter(emergency_accesses::patient_id.eq(patient.clone()))
                    .filter(emergency_accesses::ended_at.is_null())
                    .filter(emergency_accesses::ends_at.gt(now))
                    .select(emergency_accesses::patient_id),
            ),
            exists(
                guardians::table
                    .find((patient.clone(), user.clone()))
                    .select(guardians::patient_id),
            ),
            exists(
                patient_registrations::table
                    .inner_join(institution_staff::table.on(
                        institution_staff::institution_id.eq(patient_registrations::institution_id),
                    ))
                    .filter(patient_registrations::patient_id.eq(patient))
                    .filter(institution_staff::user_id.eq(user))
                    .filter($crate::repo::institutions::at_a_desk())
                    .select(patient_registrations::patient_id),
            ),
        )
    }};
}
pub(crate) use tie_exists;

/// The answers of [`tie_exists`], in its order.
pub(crate) type TieFacts = (bool, bool, bool, bool, bool, bool);

pub(crate) fn ties_of(
    (care_team, trainee_link, intern_grant, emergency, guardian, institution_desk): TieFacts,
) -> Ties {
    Ties {
        care_team,
        trainee_link,
        intern_grant,
        emergency,
        guardian,
        institution_desk,
    }
}

/// Every tie `user` has to `patient` at `now`, whatever their role: which ties count for whom
/// is the policy's to say (`Relation::of`). One round trip.
pub fn ties(
    conn: &mut DbConnection,
    user: UserId,
    patient: PatientId,
    now: NaiveDateTime,
) -> Result<Ties, StoreError> {
    let found = natively!(conn, |c| prepared_once(diesel::select(tie_exists!(
        user.to_string(),
        patient.to_string(),
        now
    )))
    .get_result::<TieFacts>(c))?;
    Ok(ties_of(found))
}

/// A chart and every tie `user` has to it at `now`, in one round trip: what authorizing an act
/// on a chart needs. `None` if there is no such chart.
pub fn chart_and_ties(
    conn: &mut DbConnection,
    user: UserId,
    patient: PatientId,
    now: NaiveDateTime,
) -> Result<Option<(Patient, Ties)>, StoreError> {
    let found = natively!(conn, |c| prepared_once(
        patients::table
            .find(patient.to_string())
            .select((
                PatientRow::as_select(),
                tie_exists!(user.to_string(), patient.to_string(), now),
            ))
            .limit(1)
    )
    .get_result::<(PatientRow, TieFacts)>(c)
    .optional())?;
    found
        .map(|(chart, ties)| Ok((Patient::try_from(chart)?, ties_of(ties))))
        .transpose()
}

// Trainee links.

/// Links a trainee to a patient; `false` if they were linked already.
pub fn link_trainee(
    conn: &mut DbConnection,
    patient: PatientId,
    trainee: UserId,
    by: UserId,
    now: NaiveDateTime,
) -> Result<bool, StoreError> {
    if is_linked_trainee(conn, patient, trainee)? {
        return Ok(false);
    }
    diesel::insert_into(trainee_links::table)
        .values((
            trainee_links::patient_id.eq(patient.to_string()),
            trainee_links::trainee_id.eq(trainee.to_string()),
            trainee_links::linked_by.eq(by.to_string()),
            trainee_links::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(true)
}

/// Ends a trainee's link to a patient. `false` if there was none.
pub fn unlink_trainee(
    conn: &mut DbConnection,
    patient: PatientId,
    trainee: UserId,
) -> Result<bool, StoreError> {
    let removed =
        diesel::delete(trainee_links::table.find((patient.to_string(), trainee.to_string())))
            .execute(conn)?;
    Ok(removed == 1)
}

/// The trainees linked to a chart with their names, earliest first.
pub fn trainees_of(
    conn: &mut DbConnection,
    patient: PatientId,
) -> Result<Vec<(UserId, String)>, StoreError> {
    tied_people!(conn, patient, trainee_links, trainee_id, created_at)
}

pub fn is_linked_trainee(
    conn: &mut DbConnection,
    patient: PatientId,
    trainee: UserId,
) -> Result<bool, StoreError> {
    let found = trainee_links::table
        .find((patient.to_string(), trainee.to_string()))
        .select(trainee_links::trainee_id)
        .first::<String>(conn)
        .optional()?;
    Ok(found.is_some())
}

// Guardians.

/// Makes `guardian` a guardian of the chart; `false` if they were one already.
pub fn add_guardian(
    conn: &mut DbConnection,
    patient: PatientId,
    guardian: UserId,
    by: UserId,
    now: NaiveDateTime,
) -> Result<bool, StoreError> {
    let row = (
        guardians::patient_id.eq(patient.to_string()),
        guardians::guardian_id.eq(guardian.to_string()),
        guardians::added_by.eq(by.to_string()),
        guardians::added_at.eq(now),
    );
    let added = natively!(conn, |c| diesel::insert_into(guardians::table)
        .values(row)
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(added == 1)
}

/// Ends a guardianship. `false` if there was none.
pub fn end_guardian(
    conn: &mut DbConnection,
    patient: PatientId,
    guardian: UserId,
) -> Result<bool, StoreError> {
    let removed =
        diesel::delete(guardians::table.find((patient.to_string(), guardian.to_string())))
            .execute(conn)?;
    Ok(removed == 1)
}

/// A chart's guardians with their names, earliest first.
pub fn guardians_of(
    conn: &mut DbConnection,
    patient: PatientId,
) -> Result<Vec<(UserId, String)>, StoreError> {
    tied_people!(conn, patient, guardians, guardian_id, added_at)
}

// Intern grants.

#[derive(Clone, Debug)]
pub struct InternGrant {
    pub id: GrantId,
    pub intern_id: UserId,
    pub patient_id: PatientId,
    pub issued_by: UserId,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub ended_at: Option<NaiveDateTime>,
    pub ended_by: Option<UserId>,
}

impl InternGrant {
    pub fn is_active(&self, now: NaiveDateTime) -> bool {
        self.ended_at.is_none() && self.starts_at <= now && now < self.ends_at
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = intern_grants)]
struct GrantRow {
    id: String,
    intern_id: String,
    patient_id: String,
    issued_by: String,
    starts_at: NaiveDateTime,
    ends_at: NaiveDateTime,
    ended_at: Option<NaiveDateTime>,
    ended_by: Option<String>,
}

impl TryFrom<GrantRow> for InternGrant {
    type Error = StoreError;

    fn try_from(row: GrantRow) -> Result<Self, StoreError> {
        Ok(InternGrant {
            intern_id: parse("intern_grants", &row.intern_id)?,
            patient_id: parse("intern_grants", &row.patient_id)?,
            issued_by: parse("intern_grants", &row.issued_by)?,
            ended_by: parse_opt("intern_grants", row.ended_by.as_deref())?,
            id: parse("intern_grants", &row.id)?,
            starts_at: row.starts_at,
            ends_at: row.ends_at,
            ended_at: row.ended_at,
        })
    }
}

pub fn issue_grant(
    conn: &mut DbConnection,
    intern: UserId,
    patient: PatientId,
    by: UserId,
    starts_at: NaiveDateTime,
    ends_at: NaiveDateTime,
) -> Result<InternGrant, StoreError> {
    let id = GrantId::new();
    diesel::insert_into(intern_grants::table)
        .values((
            intern_grants::id.eq(id.to_string()),
            intern_grants::intern_id.eq(intern.to_string()),
            intern_grants::patient_id.eq(patient.to_string()),
            intern_grants::issued_by.eq(by.to_string()),
            intern_grants::starts_at.eq(starts_at),
            intern_grants::ends_at.eq(ends_at),
        ))
        .execute(conn)?;
    Ok(InternGrant {
        id,
        intern_id: intern,
        patient_id: patient,
        issued_by: by,
        starts_at,
        ends_at,
        ended_at: None,
        ended_by: None,
    })
}

pub fn find_grant(conn: &mut DbConnection, id: GrantId) -> Result<Option<InternGrant>, StoreError> {
    intern_grants::table
        .find(id.to_string())
        .select(GrantRow::as_select())
        .first(conn)
        .optional()?
        .map(InternGrant::try_from)
        .transpose()
}

/// Ends a grant at `now`; `false` if it had ended already.
pub fn end_grant(
    conn: &mut DbConnection,
    id: GrantId,
    by: UserId,
    now: NaiveDateTime,
) -> Result<bool, StoreError> {
    let changed = diesel::update(
        intern_grants::table
            .find(id.to_string())
            .filter(intern_grants::ended_at.is_null()),
    )
    .set((
        intern_grants::ended_at.eq(now),
        intern_grants::ended_by.eq(by.to_string()),
    ))
    .execute(conn)?;
    // An intern is signed in only while a grant is active.
    watch::announce(conn, changed)?;
    Ok(changed == 1)
}

/// Ends every open grant of an intern (their account was deactivated).
pub fn end_grants_of(
    conn: &mut DbConnection,
    intern: UserId,
    by: UserId,
    now: NaiveDateTime,
) -> Result<usize, StoreError> {
    let ended = diesel::update(
        intern_grants::table
            .filter(intern_grants::intern_id.eq(intern.to_string()))
            .filter(intern_grants::ended_at.is_null())
            .filter(intern_grants::ends_at.gt(now)),
    )
    .set((
        intern_grants::ended_at.eq(now),
        intern_grants::ended_by.eq(by.to_string()),
    ))
    .execute(conn)?;
    watch::announce(conn, ended)?;
    Ok(ended)
}

/// Whether the intern holds a grant active at `now` (for `patient`, or for anyone).
pub fn has_active_grant(
    conn: &mut DbConnection,
    intern: UserId,
    patient: Option<PatientId>,
    now: NaiveDateTime,
) -> Result<bool, StoreError> {
    let mut query = intern_grants::table
        .filter(intern_grants::intern_id.eq(intern.to_string()))
        .filter(intern_grants::ended_at.is_null())
        .filter(intern_grants::starts_at.le(now))
        .filter(intern_grants::ends_at.gt(now))
        .select(intern_grants::id)
        .into_boxed();
    if let Some(patient) = patient {
        query = query.filter(intern_grants::patient_id.eq(patient.to_string()));
    }
    Ok(query.first::<String>(conn).optional()?.is_some())
}

/// The end of the intern's latest active grant: their sessions end then.
pub fn active_grants_end(
    conn: &mut DbConnection,
    intern: UserId,
    now: NaiveDateTime,
) -> Result<Option<NaiveDateTime>, StoreError> {
    let ends = intern_grants::table
        .filter(intern_grants::intern_id.eq(intern.to_string()))
        .filter(intern_grants::ended_at.is_null())
        .filter(intern_grants::starts_at.le(now))
        .filter(intern_grants::ends_at.gt(now))
        .select(intern_grants::ends_at)
        .load::<NaiveDateTime>(conn)?;
    Ok(ends.into_iter().max())
}

/// Grants newest first: all, or those issued by one person.
pub fn list_grants(
    conn: &mut DbConnection,
    issued_by: Option<UserId>,
    limit: i64,
) -> Result<Vec<InternGrant>, StoreError> {
    let mut query = intern_grants::table
        .select(GrantRow::as_select())
        .order(intern_grants::id.desc())
        .into_boxed();
    if let Some(issuer) = issued_by {
        query = query.filter(intern_grants::issued_by.eq(issuer.to_string()));
    }
    query
        .limit(limit)
        .load(conn)?
        .into_iter()
        .map(InternGrant::try_from)
        .collect()
}

// Emergency accesses.

#[derive(Clone, Debug)]
pub struct EmergencyAccess {
    pub id: EmergencyAccessId,
    pub doctor_id: UserId,
    pub patient_id: PatientId,
    pub reason: String,
    pub started_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub ended_at: Option<NaiveDateTime>,
}

impl EmergencyAccess {
    pub fn is_open(&self, now: NaiveDateTime) -> bool {
        self.ended_at.is_none() && now < self.ends_at
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = emergency_accesses)]
struct EmergencyRow {
    id: String,
    doctor_id: String,
    patient_id: String,
    reason: String,
    started_at: NaiveDateTime,
    ends_at: NaiveDateTime,
    ended_at: Option<NaiveDateTime>,
}

impl TryFrom<EmergencyRow> for EmergencyAccess {
    type Error = StoreError;

    fn try_from(row: EmergencyRow) -> Result<Self, StoreError> {
        Ok(EmergencyAccess {
            doctor_id: parse("emergency_accesses", &row.doctor_id)?,
            patient_id: parse("emergency_accesses", &row.patient_id)?,
            id: parse("emergency_accesses", &row.id)?,
            reason: row.reason,
            started_at: row.started_at,
            ends_at: row.ends_at,
            ended_at: row.ended_at,
        })
    }
}

pub fn open_emergency_access(
    conn: &mut DbConnection,
    doctor: UserId,
    patient: PatientId,
    reason: &str,
    now: NaiveDateTime,
    ends_at: NaiveDateTime,
) -> Result<EmergencyAccess, StoreError> {
    let id = EmergencyAccessId::new();
    diesel::insert_into(emergency_accesses::table)
        .values((
            emergency_accesses::id.eq(id.to_string()),
            emergency_accesses::doctor_id.eq(doctor.to_string()),
            emergency_accesses::patient_id.eq(patient.to_string()),
            emergency_accesses::reason.eq(reason),
            emergency_accesses::started_at.eq(now),
            emergency_accesses::ends_at.eq(ends_at),
        ))
        .execute(conn)?;
    Ok(EmergencyAccess {
        id,
        doctor_id: doctor,
        patient_id: patient,
        reason: reason.to_owned(),
        started_at: now,
        ends_at,
        ended_at: None,
    })
}

/// The doctor's emergency access to the chart that is open at `now`, if any.
pub fn open_emergency(
    conn: &mut DbConnection,
    doctor: UserId,
    patient: PatientId,
    now: NaiveDateTime,
) -> Result<Option<EmergencyAccess>, StoreError> {
    emergency_accesses::table
        .filter(emergency_accesses::doctor_id.eq(doctor.to_string()))
        .filter(emergency_accesses::patient_id.eq(patient.to_string()))
        .filter(emergency_accesses::ended_at.is_null())
        .filter(emergency_accesses::ends_at.gt(now))
        .select(EmergencyRow::as_select())
        .order(emergency_accesses::id.desc())
        .first(conn)
        .optional()?
        .map(EmergencyAccess::try_from)
        .transpose()
}

/// Emergency accesses newest first: all, or one doctor's.
pub fn list_emergency(
    conn: &mut DbConnection,
    doctor: Option<UserId>,
    limit: i64,
) -> Result<Vec<EmergencyAccess>, StoreError> {
    let mut query = emergency_accesses::table
        .select(EmergencyRow::as_select())
        .order(emergency_accesses::id.desc())
        .into_boxed();
    if let Some(doctor) = doctor {
        query = query.filter(emergency_accesses::doctor_id.eq(doctor.to_string()));
    }
    query
        .limit(limit)
        .load(conn)?
        .into_iter()
        .map(EmergencyAccess::try_from)
        .collect()
}
