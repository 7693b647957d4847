//! The group commit's statements on PostgreSQL, each of one shape whatever the group's size, so
//! that a writer's connection prepares them once. (A multi-row `VALUES` list is a new statement
//! for every count of rows, parsed and planned afresh for every group.)

use chrono::NaiveDateTime;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Bool, Integer, Nullable, Text, Timestamp};
use diesel::{PgConnection, QueryResult, RunQueryDsl};

use super::audit::AuditEntry;

/// `count` fresh ids from the trail's sequence, in one round trip.
#[derive(QueryId)]
pub(super) struct NextIds {
    pub count: i64,
}

impl Query for NextIds {
    type SqlType = BigInt;
}

impl QueryFragment<Pg> for NextIds {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("SELECT nextval('audit_log_id_seq') FROM generate_series(1, ");
        out.push_bind_param::<BigInt, _>(&self.count)?;
        out.push_sql(")");
        Ok(())
    }
}

impl RunQueryDsl<PgConnection> for NextIds {}

/// Entries of one lane, column by column, inserted as arrays unnested into rows, and the lane's
/// end moved past them in the same statement, only if it is still where their writer left it
/// (`expected_last_id`): otherwise nothing is written, and the count of rows says so.
#[derive(Default, QueryId)]
pub(super) struct AppendRows {
    id: Vec<i64>,
    at: Vec<NaiveDateTime>,
    actor_id: Vec<Option<String>>,
    actor_role: Vec<Option<String>>,
    action: Vec<String>,
    resource_type: Vec<String>,
    resource_id: Vec<Option<String>>,
    patient_id: Vec<Option<String>>,
    outcome: Vec<String>,
    client_addr: Vec<Option<String>>,
    correlation_id: Vec<Option<String>>,
    reason: Vec<Option<String>>,
    emergency: Vec<bool>,
    prev_hash: Vec<String>,
    hash: Vec<String>,
    lane: i32,
    expected_last_id: i64,
    last_id: i64,
    last_hash: String,
}

impl AppendRows {
    /// Rows to follow `expected_last_id`, the end of `lane` as their writer knows it.
    pub fn after(lane: i32, expected_last_id: i64) -> Self {
        AppendRows {
            lane,
            expected_last_id,
            ..AppendRows::default()
        }
    }

    pub fn push(&mut self, id: i64, entry: AuditEntry, prev_hash: String, hash: String) {
        self.id.push(id);
        self.at.push(entry.at);
        self.actor_id.push(entry.actor_id);
        self.actor_role.push(entry.actor_role);
        self.action.push(entry.action);
        self.resource_type.push(entry.resource_type);
        self.resource_id.push(entry.resource_id);
        self.patient_id.push(entry.patient_id);
        self.outcome.push(entry.outcome);
        self.client_addr.push(entry.client_addr);
        self.correlation_id.push(entry.correlation_id);
        self.reason.push(entry.reason);
        self.emergency.push(entry.emergency);
        self.prev_hash.push(prev_hash);
        self.hash.push(hash);
    }

    /// The statement, with the lane's new end: the last row's id and hash.
    pub fn finish(mut self, last_id: i64, last_hash: String) -> Self {
        self.last_id = last_id;
        self.last_hash = last_hash;
        self
    }
}

impl QueryFragment<Pg> for AppendRows {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("WITH moved AS (UPDATE audit_chain SET last_id = ");
        out.push_bind_param::<BigInt, _>(&self.last_id)?;
        out.push_sql(", last_hash = ");
        out.push_bind_param::<Text, _>(&self.last_hash)?;
        out.push_sql(" WHERE id = ");
        out.push_bind_param::<Integer, _>(&self.lane)?;
        out.push_sql(" AND last_id = ");
        out.push_bind_param::<BigInt, _>(&self.expected_last_id)?;
        out.push_sql(
            " RETURNING id) \
             INSERT INTO audit_log (id, at, actor_id, actor_role, action, resource_type, \
             resource_id, patient_id, outcome, client_addr, correlation_id, reason, emergency, \
             prev_hash, hash, lane) SELECT *, ",
        );
        out.push_bind_param::<Integer, _>(&self.lane)?;
        out.push_sql(" FROM unnest(");
        out.push_bind_param::<Array<BigInt>, _>(&self.id)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Timestamp>, _>(&self.at)?;
        for texts in [&self.actor_id, &self.actor_role] {
            out.push_sql(", ");
            out.push_bind_param::<Array<Nullable<Text>>, _>(texts)?;
        }
        for texts in [&self.action, &self.resource_type] {
            out.push_sql(", ");
            out.push_bind_param::<Array<Text>, _>(texts)?;
        }
        for texts in [&self.resource_id, &self.patient_id] {
            out.push_sql(", ");
            out.push_bind_param::<Array<Nullable<Text>>, _>(texts)?;
        }
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.outcome)?;
        for texts in [&self.client_addr, &self.correlation_id, &self.reason] {
            out.push_sql(", ");
            out.push_bind_param::<Array<Nullable<Text>>, _>(texts)?;
        }
        out.push_sql(", ");
        out.push_bind_param::<Array<Bool>, _>(&self.emergency)?;
        for texts in [&self.prev_hash, &self.hash] {
            out.push_sql(", ");
            out.push_bind_param::<Array<Text>, _>(texts)?;
        }
        out.push_sql(") WHERE EXISTS (SELECT 1 FROM moved)");
        Ok(())
    }
}

impl RunQueryDsl<PgConnection> for AppendRows {}
