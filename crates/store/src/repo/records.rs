use chrono::NaiveDateTime;
use diesel::prelude::*;
use medvault_domain::{
    ErrorReason, PatientId, RecordId, RecordKind, RecordNotes, RecordStatus, RecordTitle, Ties,
    UserId,
};

use super::access::{self, TieFacts, tie_exists, ties_of};
use super::prepared_once;
use crate::repo::patients::EditRefused;
use crate::rows::{parse, parse_opt};
use crate::schema::{record_versions, records, users};
use crate::stamp::Stamp;
use crate::{DbConnection, Page, StoreError};

/// A clinical record as it is now, with its author's name.
#[derive(Clone, Debug)]
pub struct Record {
    pub id: RecordId,
    pub patient_id: PatientId,
    pub author_id: UserId,
    pub author_name: String,
    pub kind: RecordKind,
    pub title: String,
    pub notes: String,
    pub status: RecordStatus,
    /// Why it was marked entered in error.
    pub status_reason: Option<String>,
    pub version: i64,
    /// Who wrote this version, when it is not the first.
    pub updated_by: Option<UserId>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl Record {
    /// Who wrote this version: the author, or whoever amended it last.
    pub fn written_by(&self) -> UserId {
        self.updated_by.unwrap_or(self.author_id)
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = records)]
struct RecordRow {
    id: String,
    patient_id: String,
    author_id: String,
    kind: String,
    title: String,
    notes: String,
    status: String,
    status_reason: Option<String>,
    version: i64,
    updated_by: Option<String>,
    #[diesel(deserialize_as = Stamp)]
    created_at: NaiveDateTime,
    #[diesel(deserialize_as = Stamp)]
    updated_at: NaiveDateTime,
}

fn kind_of(table: &'static str, raw: &str) -> Result<RecordKind, StoreError> {
    RecordKind::parse(raw).map_err(|_| StoreError::Corrupt(table))
}

fn status_of(table: &'static str, raw: &str) -> Result<RecordStatus, StoreError> {
    RecordStatus::parse(raw).map_err(|_| StoreError::Corrupt(table))
}

impl TryFrom<(RecordRow, String)> for Record {
    type Error = StoreError;

    fn try_from((row, author_name): (RecordRow, String)) -> Result<Self, StoreError> {
        Ok(Record {
            id: parse("records", &row.id)?,
            patient_id: parse("records", &row.patient_id)?,
            author_id: parse("records", &row.author_id)?,
            author_name,
            kind: kind_of("records", &row.kind)?,
            status: status_of("records", &row.status)?,
            status_reason: row.status_reason,
            title: row.title,
            notes: row.notes,
            version: row.version,
            updated_by: parse_opt("records", row.updated_by.as_deref())?,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

pub struct NewRecord {
    pub patient_id: PatientId,
    pub author_id: UserId,
    pub kind: RecordKind,
    pub title: RecordTitle,
    pub notes: RecordNotes,
}

/// Writes a new record; its id. (The record with its author's name is [`find`]'s to read.)
pub fn insert(
    conn: &mut DbConnection,
    new: NewRecord,
    now: NaiveDateTime,
) -> Result<RecordId, StoreError> {
    let id = RecordId::new();
    diesel::insert_into(records::table)
        .values((
            records::id.eq(id.to_string()),
            records::patient_id.eq(new.patient_id.to_string()),
            records::author_id.eq(new.author_id.to_string()),
            records::kind.eq(new.kind.as_str()),
            records::title.eq(new.title.as_str()),
            records::notes.eq(new.notes.as_str()),
            records::status.eq(RecordStatus::Final.as_str()),
            records::version.eq(1),
            records::created_at.eq(now),
            records::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(id)
}

pub fn find(conn: &mut DbConnection, id: RecordId) -> Result<Option<Record>, StoreError> {
    records::table
        .find(id.to_string())
        .inner_join(users::table.on(users::id.eq(records::author_id)))
        .select((RecordRow::as_select(), users::name))
        .first::<(RecordRow, String)>(conn)
        .optional()?
        .map(Record::try_from)
        .transpose()
}

/// A change to a record: a new text, or its being marked entered in error.
pub enum Amendment {
    Text {
        kind: RecordKind,
        title: RecordTitle,
        notes: RecordNotes,
    },
    EnteredInError(ErrorReason),
}

/// Makes `change` to the record if it is still at `version`, keeping the version it replaces
/// in its history; the record as it is afterwards. Of two changes made on one version, one
/// wins and the other is told the version is stale, whichever server makes them: the update
/// itself checks the version.
pub fn amend(
    conn: &mut DbConnection,
    current: &Record,
    version: i64,
    change: Amendment,
    by: UserId,
    now: NaiveDateTime,
) -> Result<Result<Record, EditRefused>, StoreError> {
    if current.version != version {
        return Ok(Err(EditRefused::Stale {
            current: current.version,
        }));
    }
    let (kind, title, notes, status, reason) = match change {
        Amendment::Text { kind, title, notes } => (
            kind,
            title.into_inner(),
            notes.into_inner(),
            RecordStatus::Amended,
            None,
        ),
        Amendment::EnteredInError(reason) => (
            current.kind,
            current.title.clone(),
            current.notes.clone(),
            RecordStatus::EnteredInError,
            Some(reason.into_inner()),
        ),
    };
    let at_version = records::table
        .filter(records::patient_id.eq(current.patient_id.to_string()))
        .filter(records::id.eq(current.id.to_string()))
        .filter(records::version.eq(version));
    let changed = diesel::update(at_version)
        .set((
            records::kind.eq(kind.as_str()),
            records::title.eq(title),
            records::notes.eq(notes),
            records::status.eq(status.as_str()),
            records::status_reason.eq(reason),
            records::version.eq(version + 1),
            records::updated_by.eq(by.to_string()),
            records::updated_at.eq(now),
        ))
        .execute(conn)?;
    if changed != 1 {
        let now_at = find(conn, current.id)?.map_or(version + 1, |record| record.version);
        return Ok(Err(EditRefused::Stale { current: now_at }));
    }
    diesel::insert_into(record_versions::table)
        .values((
            record_versions::patient_id.eq(current.patient_id.to_string()),
            record_versions::record_id.eq(current.id.to_string()),
            record_versions::version.eq(current.version),
            record_versions::kind.eq(current.kind.as_str()),
            record_versions::title.eq(&current.title),
            record_versions::notes.eq(&current.notes),
            record_versions::status.eq(current.status.as_str()),
            record_versions::status_reason.eq(&current.status_reason),
            record_versions::written_by.eq(current.written_by().to_string()),
            record_versions::written_at.eq(current.updated_at),
        ))
        .execute(conn)?;
    Ok(find(conn, current.id)?.ok_or(EditRefused::NotFound))
}

/// One version of a record, as its history shows it.
#[derive(Clone, Debug)]
pub struct RecordVersion {
    pub version: i64,
    pub kind: RecordKind,
    pub title: String,
    pub notes: String,
    pub status: RecordStatus,
    pub status_reason: Option<String>,
    pub written_by: UserId,
    pub written_by_name: String,
    pub written_at: NaiveDateTime,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = record_versions)]
struct VersionRow {
    version: i64,
    kind: String,
    title: String,
    notes: String,
    status: String,
    status_reason: Option<String>,
    written_by: String,
    written_at: NaiveDateTime,
}

/// Every version of `record`, the first first, the current one last.
pub fn history(conn: &mut DbConnection, record: &Record) -> Result<Vec<RecordVersion>, StoreError> {
    let earlier: Vec<(VersionRow, String)> = record_versions::table
        .inner_join(users::table.on(users::id.eq(record_versions::written_by)))
        .filter(record_versions::patient_id.eq(record.patient_id.to_string()))
        .filter(record_versions::record_id.eq(record.id.to_string()))
        .order(record_versions::version.asc())
        .select((VersionRow::as_select(), users::name))
        .load(conn)?;
    let mut versions = earlier
        .into_iter()
        .map(|(row, written_by_name)| {
            Ok(RecordVersion {
                version: row.version,
                kind: kind_of("record_versions", &row.kind)?,
                title: row.title,
                notes: row.notes,
                status: status_of("record_versions", &row.status)?,
                status_reason: row.status_reason,
                written_by: parse("record_versions", &row.written_by)?,
                written_by_name,
                written_at: row.written_at,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let written_by = record.written_by();
    let written_by_name = if written_by == record.author_id {
        record.author_name.clone()
    } else {
        users::table
            .find(written_by.to_string())
            .select(users::name)
            .first(conn)?
    };
    versions.push(RecordVersion {
        version: record.version,
        kind: record.kind,
        title: record.title.clone(),
        notes: record.notes.clone(),
        status: record.status,
        status_reason: record.status_reason.clone(),
        written_by,
        written_by_name,
        written_at: record.updated_at,
    });
    Ok(versions)
}

/// Whose records to list.
#[derive(Clone, Copy, Debug)]
pub enum RecordsOf {
    Patient(PatientId),
    Author(UserId),
}

/// Records of `$owner` (a filter on `records`) newest first, with their authors, before the
/// cursor `$before`: the query every record list shares, to be given its select list.
macro_rules! newest_records {
    ($owner:expr, $before:expr, $fetched:expr) => {
        records::table
            .inner_join(users::table.on(users::id.eq(records::author_id)))
            .filter($owner)
            .filter(records::id.lt($before))
            .order(records::id.desc())
            .limit($fetched)
    };
}

/// Record ids are lowercase hex: every one sorts before "~", so no cursor is a cursor past the
/// end.
fn cursor_or_end(before: Option<&str>) -> String {
    before.unwrap_or("~").to_owned()
}

/// Records newest first, `limit` at a time before the cursor `before`.
pub fn list(
    conn: &mut DbConnection,
    of: RecordsOf,
    before: Option<&str>,
    limit: usize,
) -> Result<Page<Record>, StoreError> {
    // One query shape per owner keeps the statement prepared once per connection (a query built
    // at run time is prepared again on every call, a round trip more).
    let before = cursor_or_end(before);
    let fetched = super::clamp_limit(limit);
    macro_rules! newest_of {
        ($owner:expr) => {
            natively!(conn, |c| prepared_once(
                newest_records!($owner, before, fetched)
                    .select((RecordRow::as_select(), users::name))
            )
            .load(c))?
        };
    }
    let rows: Vec<(RecordRow, String)> = match of {
        RecordsOf::Patient(patient) => newest_of!(records::patient_id.eq(patient.to_string())),
        RecordsOf::Author(author) => newest_of!(records::author_id.eq(author.to_string())),
    };
    page_of(rows, limit)
}

/// A chart's records as [`list`] pages them, and every tie `user` has to the chart at `now`
/// (what [`access::chart_and_ties`] reads): a record list and what its authorization needs, in
/// one round trip. The ties come with each row (evaluated once for the statement), so only a
/// page without records reads them apart, with whether the chart exists: `None` if it does not.
/// Until the policy has allowed the list, its records must not leave the use case.
pub fn of_chart_with_ties(
    conn: &mut DbConnection,
    patient: PatientId,
    user: UserId,
    now: NaiveDateTime,
    before: Option<&str>,
    limit: usize,
) -> Result<Option<(Page<Record>, Ties)>, StoreError> {
    let before = cursor_or_end(before);
    let fetched = super::clamp_limit(limit);
    let owner = records::patient_id.eq(patient.to_string());
    let rows: Vec<(RecordRow, String, TieFacts)> = natively!(conn, |c| prepared_once(
        newest_records!(owner, before, fetched).select((
            RecordRow::as_select(),
            users::name,
            tie_exists!(user.to_string(), patient.to_string(), now),
        ))
    )
    .load(c))?;
    let ties = match rows.first() {
        Some(&(_, _, facts)) => ties_of(facts),
        None => match access::chart_and_ties(conn, user, patient, now)? {
            Some((_, ties)) => ties,
            None => return Ok(None),
        },
    };
    let page = page_of(rows.into_iter().map(|(row, name, _)| (row, name)), limit)?;
    Ok(Some((page, ties)))
}

/// A page of `limit` records from the rows read for it (one more, when there are more).
fn page_of(
    rows: impl IntoIterator<Item = (RecordRow, String)>,
    limit: usize,
) -> Result<Page<Record>, StoreError> {
    let items = rows
        .into_iter()
        .map(Record::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_overfetch(items, limit, |record| {
        record.id.to_string()
    }))
}
