use chrono::NaiveDateTime;
use diesel::prelude::*;
use medvault_domain::{Email, PersonName, Role, UserId, UserStatus};

use crate::rows::parse;
use crate::schema::users;
use crate::{DbConnection, Page, StoreError, watch};

#[derive(Clone, Debug)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub status: UserStatus,
    pub password_hash: String,
    pub created_at: NaiveDateTime,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub(crate) struct UserRow {
    id: String,
    email: String,
    email_key: String,
    name: String,
    role: String,
    status: String,
    password_hash: String,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl TryFrom<UserRow> for User {
    type Error = StoreError;

    fn try_from(row: UserRow) -> Result<Self, StoreError> {
        Ok(User {
            id: parse("users", &row.id)?,
            role: parse("users", &row.role)?,
            status: parse("users", &row.status)?,
            email: row.email,
            name: row.name,
            password_hash: row.password_hash,
            created_at: row.created_at,
        })
    }
}

pub struct NewUser<'a> {
    pub email: &'a Email,
    pub name: &'a PersonName,
    pub role: Role,
    pub status: UserStatus,
    pub password_hash: &'a str,
}

/// Inserts a user; a taken email (by its normalised key) is a [`StoreError::Conflict`].
pub fn insert(
    conn: &mut DbConnection,
    new: NewUser<'_>,
    now: NaiveDateTime,
) -> Result<User, StoreError> {
    let row = UserRow {
        id: UserId::new().to_string(),
        email: new.email.as_str().to_owned(),
        email_key: new.email.key().to_owned(),
        name: new.name.as_str().to_owned(),
        role: new.role.as_str().to_owned(),
        status: new.status.as_str().to_owned(),
        password_hash: new.password_hash.to_owned(),
        created_at: now,
        updated_at: now,
    };
    diesel::insert_into(users::table)
        .values(&row)
        .execute(conn)?;
    row.try_into()
}

pub fn find(conn: &mut DbConnection, id: UserId) -> Result<Option<User>, StoreError> {
    users::table
        .find(id.to_string())
        .select(UserRow::as_select())
        .first(conn)
        .optional()?
        .map(User::try_from)
        .transpose()
}

pub fn find_by_email(conn: &mut DbConnection, email: &Email) -> Result<Option<User>, StoreError> {
    users::table
        .filter(users::email_key.eq(email.key()))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?
        .map(User::try_from)
        .transpose()
}

/// Which users a list holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserFilter {
    pub status: Option<UserStatus>,
    pub role: Option<Role>,
    /// Part of the email or the name, in any case.
    pub text: Option<String>,
}

/// Users in creation order, as far as `filter` lets them through.
pub fn list(
    conn: &mut DbConnection,
    filter: &UserFilter,
    after: Option<&str>,
    limit: usize,
) -> Result<Page<User>, StoreError> {
    let mut query = users::table
        .select(UserRow::as_select())
        .order(users::id.asc())
        .into_boxed();
    if let Some(status) = filter.status {
        query = query.filter(users::status.eq(status.as_str()));
    }
    if let Some(role) = filter.role {
        query = query.filter(users::role.eq(role.as_str()));
    }
    if let Some(text) = &filter.text {
        let pattern = super::containing(&text.to_lowercase());
        query = query.filter(
            users::email_key
                .like(pattern.clone())
                .escape('\\')
                .or(super::lower(users::name).like(pattern).escape('\\')),
        );
    }
    if let Some(after) = after {
        query = query.filter(users::id.gt(after.to_owned()));
    }
    let rows = query.limit(super::clamp_limit(limit)).load(conn)?;
    let items = rows
        .into_iter()
        .map(User::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_overfetch(items, limit, |user| {
        user.id.to_string()
    }))
}

/// Sets a user's status; `false` when there is no such user.
pub fn set_status(
    conn: &mut DbConnection,
    id: UserId,
    status: UserStatus,
    now: NaiveDateTime,
) -> Result<bool, StoreError> {
    let changed = diesel::update(users::table.find(id.to_string()))
        .set((users::status.eq(status.as_str()), users::updated_at.eq(now)))
        .execute(conn)?;
    // Only an active account is signed in.
    watch::announce(conn, changed)?;
    Ok(changed == 1)
}

/// Names of the given users, by id (unknown ids are left out).
pub fn names(conn: &mut DbConnection, ids: &[UserId]) -> Result<Vec<(String, String)>, StoreError> {
    let ids: Vec<String> = ids.iter().map(UserId::to_string).collect();
    Ok(users::table
        .filter(users::id.eq_any(ids))
        .select((users::id, users::name))
        .load(conn)?)
}

/// Replaces a user's password hash.
pub fn set_password(
    conn: &mut DbConnection,
    id: UserId,
    hash: &str,
    now: NaiveDateTime,
) -> Result<bool, StoreError> {
    let changed = diesel::update(users::table.find(id.to_string()))
        .set((users::password_hash.eq(hash), users::updated_at.eq(now)))
        .execute(conn)?;
    Ok(changed == 1)
}

pub fn any_admin(conn: &mut DbConnection) -> Result<bool, StoreError> {
    let found = users::table
        .filter(users::role.eq(Role::Admin.as_str()))
        .select(users::id)
        .first::<String>(conn)
        .optional()?;
    Ok(found.is_some())
}
