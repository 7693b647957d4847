use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::schema::audit_log;
use crate::{DbConnection, Page, StoreError};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Success,
    /// The policy refused.
    Denied,
    /// Tried and failed (a wrong password, say).
    Failure,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Denied => "denied",
            Outcome::Failure => "failure",
        }
    }
}

/// One audit entry to append. Ids and codes only: never a name, a note or any other PHI.
#[derive(Clone, Debug, Insertable, Queryable, Selectable)]
#[diesel(table_name = audit_log)]
pub struct AuditEntry {
    pub at: NaiveDateTime,
    pub actor_id: Option<String>,
    pub actor_role: Option<String>,
    pub action: String,
    pub resource_type: String,
    pub resource_id: Option<String>,
    pub patient_id: Option<String>,
    pub outcome: String,
    pub client_addr: Option<String>,
    pub correlation_id: Option<String>,
}

/// A stored entry: its sequence number and what was appended.
#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = audit_log)]
pub struct AuditRow {
    pub id: i64,
    #[diesel(embed)]
    pub entry: AuditEntry,
}

pub fn append(conn: &mut DbConnection, entry: &AuditEntry) -> Result<(), StoreError> {
    diesel::insert_into(audit_log::table)
        .values(entry)
        .execute(conn)?;
    Ok(())
}

#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub actor_id: Option<String>,
    pub patient_id: Option<String>,
    pub action: Option<String>,
    pub outcome: Option<String>,
}

/// Entries newest first, `limit` at a time before the cursor `before`.
pub fn list(
    conn: &mut DbConnection,
    filter: &AuditFilter,
    before: Option<i64>,
    limit: usize,
) -> Result<Page<AuditRow>, StoreError> {
    let mut query = audit_log::table
        .select(AuditRow::as_select())
        .order(audit_log::id.desc())
        .into_boxed();
    if let Some(actor) = &filter.actor_id {
        query = query.filter(audit_log::actor_id.eq(actor.clone()));
    }
    if let Some(patient) = &filter.patient_id {
        query = query.filter(audit_log::patient_id.eq(patient.clone()));
    }
    if let Some(action) = &filter.action {
        query = query.filter(audit_log::action.eq(action.clone()));
    }
    if let Some(outcome) = &filter.outcome {
        query = query.filter(audit_log::outcome.eq(outcome.clone()));
    }
    if let Some(before) = before {
        query = query.filter(audit_log::id.lt(before));
    }
    let rows = query.limit(super::clamp_limit(limit)).load(conn)?;
    Ok(Page::from_overfetch(rows, limit, |row| row.id.to_string()))
}
