//! The files kept with a chart: where each one's sealed bytes are and how to open them.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::Bool;
use medvault_domain::files::{FileKind, FileName};
use medvault_domain::{FileId, PatientId, RecordId, UserId};

use super::prepared_once;
use crate::rows::{parse, parse_opt};
use crate::schema::{files, users};
use crate::{DbConnection, Page, StoreError};

#[derive(Clone, Debug)]
pub struct StoredFile {
    pub id: FileId,
    pub patient_id: PatientId,
    pub record_id: Option<RecordId>,
    pub name: String,
    pub kind: FileKind,
    pub size_bytes: i64,
    /// The plaintext's SHA-256, hex.
    pub sha256: String,
    pub key_id: String,
    /// The AES-GCM nonce, hex.
    pub nonce: String,
    pub object_path: String,
    pub uploaded_by: UserId,
    pub uploaded_by_name: String,
    pub uploaded_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
    pub deleted_by: Option<UserId>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = files)]
struct FileRow {
    id: String,
    patient_id: String,
    record_id: Option<String>,
    name: String,
    content_type: String,
    size_bytes: i64,
    sha256: String,
    key_id: String,
    nonce: String,
    object_path: String,
    uploaded_by: String,
    uploaded_at: NaiveDateTime,
    deleted_at: Option<NaiveDateTime>,
    deleted_by: Option<String>,
}

impl TryFrom<(FileRow, String)> for StoredFile {
    type Error = StoreError;

    fn try_from((row, uploaded_by_name): (FileRow, String)) -> Result<Self, StoreError> {
        const TABLE: &str = "files";
        Ok(StoredFile {
            id: parse(TABLE, &row.id)?,
            patient_id: parse(TABLE, &row.patient_id)?,
            record_id: parse_opt(TABLE, row.record_id.as_deref())?,
            kind: FileKind::of_content_type(&row.content_type).ok_or(StoreError::Corrupt(TABLE))?,
            uploaded_by: parse(TABLE, &row.uploaded_by)?,
            deleted_by: parse_opt(TABLE, row.deleted_by.as_deref())?,
            uploaded_by_name,
            name: row.name,
            size_bytes: row.size_bytes,
            sha256: row.sha256,
            key_id: row.key_id,
            nonce: row.nonce,
            object_path: row.object_path,
            uploaded_at: row.uploaded_at,
            deleted_at: row.deleted_at,
        })
    }
}

/// A file as stored: its row's fields.
pub struct NewFile {
    pub id: FileId,
    pub record_id: Option<RecordId>,
    pub name: FileName,
    pub kind: FileKind,
    pub size_bytes: i64,
    pub sha256: String,
    pub key_id: String,
    pub nonce: String,
    pub object_path: String,
}

pub fn insert(
    conn: &mut DbConnection,
    patient: PatientId,
    new: NewFile,
    by: UserId,
    now: NaiveDateTime,
) -> Result<(), StoreError> {
    diesel::insert_into(files::table)
        .values((
            files::patient_id.eq(patient.to_string()),
            files::id.eq(new.id.to_string()),
            files::record_id.eq(new.record_id.map(|id| id.to_string())),
            files::name.eq(new.name.into_inner()),
            files::content_type.eq(new.kind.content_type()),
            files::size_bytes.eq(new.size_bytes),
            files::sha256.eq(new.sha256),
            files::key_id.eq(new.key_id),
            files::nonce.eq(new.nonce),
            files::object_path.eq(new.object_path),
            files::uploaded_by.eq(by.to_string()),
            files::uploaded_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// The chart's files, newest first, those deleted too when `with_deleted`, `limit` at a time
/// before the cursor `before`.
pub fn of(
    conn: &mut DbConnection,
    patient: PatientId,
    with_deleted: bool,
    before: Option<&str>,
    limit: usize,
) -> Result<Page<StoredFile>, StoreError> {
    // Whether deleted files count is a bound value, not a second shape of the query.
    let before = before.unwrap_or("~").to_owned();
    let items = natively!(conn, |c| prepared_once(
        files::table
            .inner_join(users::table.on(users::id.eq(files::uploaded_by)))
            .filter(files::patient_id.eq(patient.to_string()))
            .filter(files::id.lt(before))
            .filter(
                files::deleted_at
                    .is_null()
                    .or(with_deleted.into_sql::<Bool>())
            )
            .select((FileRow::as_select(), users::name))
            .order(files::id.desc())
            .limit(super::clamp_limit(limit))
    )
    .load::<(FileRow, String)>(c))?
    .into_iter()
    .map(StoredFile::try_from)
    .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_overfetch(items, limit, |file| {
        file.id.to_string()
    }))
}

pub fn find(conn: &mut DbConnection, id: FileId) -> Result<Option<StoredFile>, StoreError> {
    files::table
        .inner_join(users::table.on(users::id.eq(files::uploaded_by)))
        .filter(files::id.eq(id.to_string()))
        .select((FileRow::as_select(), users::name))
        .first::<(FileRow, String)>(conn)
        .optional()?
        .map(StoredFile::try_from)
        .transpose()
}

/// Marks a file deleted, or (with `None`) restores it. `false` if it already was so.
pub fn set_deleted(
    conn: &mut DbConnection,
    file: &StoredFile,
    deleted: Option<(UserId, NaiveDateTime)>,
) -> Result<bool, StoreError> {
    let row = files::table
        .filter(files::patient_id.eq(file.patient_id.to_string()))
        .filter(files::id.eq(file.id.to_string()));
    let changed = match deleted {
        Some((by, at)) => diesel::update(row.filter(files::deleted_at.is_null()))
            .set((
                files::deleted_at.eq(Some(at)),
                files::deleted_by.eq(Some(by.to_string())),
            ))
            .execute(conn)?,
        None => diesel::update(row.filter(files::deleted_at.is_not_null()))
            .set((
                files::deleted_at.eq(None::<NaiveDateTime>),
                files::deleted_by.eq(None::<String>),
            ))
            .execute(conn)?,
    };
    Ok(changed == 1)
}

/// Up to `limit` files (deleted ones too) sealed under a key other than `current`.
pub fn sealed_under_other_keys(
    conn: &mut DbConnection,
    current: &str,
    limit: i64,
) -> Result<Vec<StoredFile>, StoreError> {
    files::table
        .inner_join(users::table.on(users::id.eq(files::uploaded_by)))
        .filter(files::key_id.ne(current.to_owned()))
        .select((FileRow::as_select(), users::name))
        .order(files::id.asc())
        .limit(limit)
        .load::<(FileRow, String)>(conn)?
        .into_iter()
        .map(StoredFile::try_from)
        .collect()
}

/// Switches a file to its re-sealed object, if it is still sealed as `file` says. `false` if
/// it changed meanwhile.
pub fn switch_seal(
    conn: &mut DbConnection,
    file: &StoredFile,
    key_id: &str,
    nonce: &str,
    object_path: &str,
) -> Result<bool, StoreError> {
    let as_read = files::table
        .filter(files::patient_id.eq(file.patient_id.to_string()))
        .filter(files::id.eq(file.id.to_string()))
        .filter(files::key_id.eq(file.key_id.clone()))
        .filter(files::object_path.eq(file.object_path.clone()));
    let changed = diesel::update(as_read)
        .set((
            files::key_id.eq(key_id.to_owned()),
            files::nonce.eq(nonce.to_owned()),
            files::object_path.eq(object_path.to_owned()),
        ))
        .execute(conn)?;
    Ok(changed == 1)
}
