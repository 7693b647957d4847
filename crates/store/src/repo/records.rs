use chrono::NaiveDateTime;
use diesel::prelude::*;
use medvault_domain::{PatientId, RecordId, RecordNotes, RecordTitle, UserId};

use crate::rows::parse;
use crate::schema::records;
use crate::{DbConnection, Page, StoreError};

#[derive(Clone, Debug)]
pub struct Record {
    pub id: RecordId,
    pub patient_id: PatientId,
    pub author_id: UserId,
    pub kind: String,
    pub title: String,
    pub notes: String,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = records)]
struct RecordRow {
    id: String,
    patient_id: String,
    author_id: String,
    kind: String,
    title: String,
    notes: String,
    version: i64,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl TryFrom<RecordRow> for Record {
    type Error = StoreError;

    fn try_from(row: RecordRow) -> Result<Self, StoreError> {
        Ok(Record {
            id: parse("records", &row.id)?,
            patient_id: parse("records", &row.patient_id)?,
            author_id: parse("records", &row.author_id)?,
            kind: row.kind,
            title: row.title,
            notes: row.notes,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

pub struct NewRecord {
    pub patient_id: PatientId,
    pub author_id: UserId,
    pub title: RecordTitle,
    pub notes: RecordNotes,
}

pub fn insert(
    conn: &mut DbConnection,
    new: NewRecord,
    now: NaiveDateTime,
) -> Result<Record, StoreError> {
    let row = RecordRow {
        id: RecordId::new().to_string(),
        patient_id: new.patient_id.to_string(),
        author_id: new.author_id.to_string(),
        kind: "note".to_owned(),
        title: new.title.into_inner(),
        notes: new.notes.into_inner(),
        version: 1,
        created_at: now,
        updated_at: now,
    };
    diesel::insert_into(records::table)
        .values(&row)
        .execute(conn)?;
    row.try_into()
}

pub fn find(conn: &mut DbConnection, id: RecordId) -> Result<Option<Record>, StoreError> {
    records::table
        .find(id.to_string())
        .select(RecordRow::as_select())
        .first(conn)
        .optional()?
        .map(Record::try_from)
        .transpose()
}

/// Whose records to list.
#[derive(Clone, Copy, Debug)]
pub enum RecordsOf {
    Patient(PatientId),
    Author(UserId),
}

/// Records newest first, `limit` at a time before the cursor `before`.
pub fn list(
    conn: &mut DbConnection,
    of: RecordsOf,
    before: Option<&str>,
    limit: usize,
) -> Result<Page<Record>, StoreError> {
    // Record ids are lowercase hex: every one sorts before "~", so no cursor is a cursor past
    // the end. One query shape per owner keeps the statement prepared once per connection
    // (a query built at run time is prepared again on every call, a round trip more).
    let before = before.unwrap_or("~").to_owned();
    let fetched = super::clamp_limit(limit);
    macro_rules! newest_of {
        ($owner:expr) => {
            natively!(conn, |c| records::table
                .select(RecordRow::as_select())
                .filter($owner)
                .filter(records::id.lt(before))
                .order(records::id.desc())
                .limit(fetched)
                .load(c))?
        };
    }
    let rows: Vec<RecordRow> = match of {
        RecordsOf::Patient(patient) => newest_of!(records::patient_id.eq(patient.to_string())),
        RecordsOf::Author(author) => newest_of!(records::author_id.eq(author.to_string())),
    };
    let items = rows
        .into_iter()
        .map(Record::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_overfetch(items, limit, |record| {
        record.id.to_string()
    }))
}
