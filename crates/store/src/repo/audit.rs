//! The audit trail: an append-only log in eight hash chains ("lanes").
//!
//! Each entry holds a fresh id, the hash of the entry before it in its lane and its own hash
//! over both; a lane's end (its `audit_chain` row) names its last entry. The group commit's
//! writers each hold a lane ([`LaneWriter`]) and move its end only from where they left it, and
//! [`append`] writes one entry outside any group the same way, so every lane stays one chain,
//! whoever writes to it; lanes let writers commit side by side. [`verify`] walks every lane and names the first entry that does not fit.

use chrono::{NaiveDateTime, SubsecRound};
use diesel::prelude::*;
use medvault_domain::{PatientId, UserId};
use sha2::{Digest, Sha256};

use crate::schema::{audit_chain, audit_log, patients, users};
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
    /// Why, where the actor had to say (an emergency access, say).
    pub reason: Option<String>,
    /// Done under emergency (break-the-glass) access.
    pub emergency: bool,
}

/// A stored entry: its place in the chain and what was appended.
#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = audit_log)]
pub struct AuditRow {
    pub id: i64,
    #[diesel(embed)]
    pub entry: AuditEntry,
    pub prev_hash: String,
    pub hash: String,
    pub lane: i32,
}

/// How many chains the trail is split into.
pub const LANES: i32 = 8;

/// The hash before a lane's first entry.
fn genesis() -> String {
    "0".repeat(64)
}

/// The lane an entry goes to: every entry of one request (one correlation id) to the same lane,
/// so that no transaction ever holds two lanes; entries with no request behind them to lane 1.
fn lane_of(entry: &AuditEntry) -> i32 {
    let Some(correlation) = entry.correlation_id.as_deref() else {
        return 1;
    };
    // FNV-1a: stable across builds and platforms, unlike the standard library's hasher.
    let hash = correlation
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        });
    1 + (hash % LANES as u64) as i32
}

/// The hash of an entry at `id` following `prev_hash`: SHA-256 over every field, each
/// length-prefixed so that no two different entries encode alike.
fn chain_hash(prev_hash: &str, id: i64, entry: &AuditEntry) -> String {
    let mut hasher = Sha256::new();
    let mut field = |value: Option<&str>| match value {
        None => hasher.update([0u8]),
        Some(text) => {
            hasher.update([1u8]);
            hasher.update((text.len() as u64).to_be_bytes());
            hasher.update(text.as_bytes());
        }
    };
    field(Some(prev_hash));
    field(Some(&id.to_string()));
    field(Some(&entry.at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()));
    field(entry.actor_id.as_deref());
    field(entry.actor_role.as_deref());
    field(Some(&entry.action));
    field(Some(&entry.resource_type));
    field(entry.resource_id.as_deref());
    field(entry.patient_id.as_deref());
    field(Some(&entry.outcome));
    field(entry.client_addr.as_deref());
    field(entry.correlation_id.as_deref());
    field(entry.reason.as_deref());
    field(Some(if entry.emergency { "1" } else { "0" }));
    hex::encode(hasher.finalize())
}

/// Appends an entry to its lane, as a group's writer does. Call inside the transaction of what
/// it records: on PostgreSQL the lane's row stays locked until that transaction ends.
pub fn append(conn: &mut DbConnection, entry: &AuditEntry) -> Result<(), StoreError> {
    LaneWriter::new(lane_of(entry)).append(conn, std::slice::from_ref(entry))
}

/// Where a lane ended when its writer last read or moved it.
#[derive(Clone)]
struct LaneEnd {
    last_id: i64,
    last_hash: String,
}

/// A writer's hold on one lane of the trail.
///
/// On PostgreSQL it remembers where the lane ended when it last wrote there. An append takes
/// its ids from the sequence (taken then, not ahead, so that ids follow the order in which
/// entries are written, which the audit viewer lists by), then inserts the entries and moves
/// the end in one statement, on condition that the end is still where the writer left it: two
/// round trips, no lock held from one group to the next, and no transaction needed for the
/// entries of reads. When somebody else appended meanwhile (a second writer sharing the lane,
/// or a command that appends on its own), nothing is written; the writer reads the end afresh
/// and tries again with fresh ids, which are above anything appended before.
///
/// On SQLite the group's transaction holds the database's one write lock, so the end is read
/// in it each time, which costs no round trip.
pub struct LaneWriter {
    lane: i32,
    end: Option<LaneEnd>,
    /// The last entry of the newest append sent, whose outcome is known only once it answered.
    sent: Option<i64>,
}

/// How many times an append reads a moved end afresh before it gives up.
const APPEND_TRIES: usize = 5;

impl LaneWriter {
    pub fn new(lane: i32) -> Self {
        LaneWriter {
            lane,
            end: None,
            sent: None,
        }
    }

    /// Appends `entries`, in order, to the lane, extending its chain. On SQLite, call inside
    /// the transaction that took the write lock; on PostgreSQL, inside a transaction or not
    /// (the one statement is atomic on its own).
    pub fn append(
        &mut self,
        conn: &mut DbConnection,
        entries: &[AuditEntry],
    ) -> Result<(), StoreError> {
        if entries.is_empty() {
            return Ok(());
        }
        match conn {
            DbConnection::Postgres(pg) => {
                for _ in 0..APPEND_TRIES {
                    if self.try_append_pg(pg, entries)? {
                        return Ok(());
                    }
                    self.forget();
                }
                Err(StoreError::Unavailable(format!(
                    "audit lane {} kept moving under its writer",
                    self.lane
                )))
            }
            DbConnection::Sqlite(sqlite) => append_sqlite(sqlite, self.lane, entries),
        }
    }

    /// Forgets where the lane ended, after a group that may not have committed: the next
    /// append reads it afresh.
    pub fn forget(&mut self) {
        self.end = None;
    }

    /// Whether the newest append sent, whose answer the connection lost, reached the trail:
    /// asked on another connection.
    pub fn sent_and_kept(&self, conn: &mut DbConnection) -> Result<bool, StoreError> {
        let Some(id) = self.sent else {
            return Ok(false);
        };
        let found: i64 = audit_log::table
            .filter(audit_log::lane.eq(self.lane))
            .filter(audit_log::id.eq(id))
            .count()
            .get_result(conn)?;
        Ok(found > 0)
    }

    /// One try: `false`, with nothing written, if the lane's end had moved.
    fn try_append_pg(
        &mut self,
        pg: &mut diesel::PgConnection,
        entries: &[AuditEntry],
    ) -> Result<bool, StoreError> {
        self.sent = None;
        let known = match &self.end {
            Some(end) => end.clone(),
            None => {
                let (last_id, last_hash) = audit_chain::table
                    .find(self.lane)
                    .select((audit_chain::last_id, audit_chain::last_hash))
                    .first::<(i64, String)>(pg)?;
                LaneEnd { last_id, last_hash }
            }
        };
        let count = i64::try_from(entries.len()).unwrap_or(i64::MAX);
        let mut ids = super::audit_pg::NextIds { count }.load::<i64>(pg)?;
        ids.sort_unstable();
        let mut rows = super::audit_pg::AppendRows::after(self.lane, known.last_id);
        let mut end = known;
        for (id, entry) in ids.into_iter().zip(entries) {
            let entry = chained_entry(entry);
            let (prev_hash, hash) = end.extend(id, &entry);
            rows.push(id, entry, prev_hash, hash);
        }
        self.sent = Some(end.last_id);
        let appended = rows
            .finish(end.last_id, end.last_hash.clone())
            .execute(pg)?;
        self.sent = None;
        if appended == entries.len() {
            self.end = Some(end);
            Ok(true)
        } else {
            Ok(false)
        }
    }
}

impl LaneEnd {
    /// Moves the end past an entry at `id` (as [`chained_entry`] made it): the entry's previous
    /// hash and its own.
    fn extend(&mut self, id: i64, entry: &AuditEntry) -> (String, String) {
        let hash = chain_hash(&self.last_hash, id, entry);
        self.last_id = id;
        (std::mem::replace(&mut self.last_hash, hash.clone()), hash)
    }
}

/// An entry as the chain hashes and keeps it: both backends keep microseconds, and hashing
/// more would not survive the round trip.
fn chained_entry(entry: &AuditEntry) -> AuditEntry {
    let mut entry = entry.clone();
    entry.at = entry.at.trunc_subsecs(6);
    entry
}

#[derive(Insertable)]
#[diesel(table_name = audit_log)]
struct NewRow {
    id: i64,
    #[diesel(embed)]
    entry: AuditEntry,
    prev_hash: String,
    hash: String,
    lane: i32,
}

/// Appends to a lane of an SQLite trail, whose one writer at a time holds its write lock: the
/// ids after the largest are free. One row per statement (optional values rule out the batch
/// form); it is in-process, so that costs no round trips.
fn append_sqlite(
    sqlite: &mut diesel::SqliteConnection,
    lane: i32,
    entries: &[AuditEntry],
) -> Result<(), StoreError> {
    let (last_id, last_hash) = audit_chain::table
        .find(lane)
        .select((audit_chain::last_id, audit_chain::last_hash))
        .first::<(i64, String)>(sqlite)?;
    let mut end = LaneEnd { last_id, last_hash };
    let largest: Option<i64> = audit_log::table
        .select(diesel::dsl::max(audit_log::id))
        .first(sqlite)?;
    let first = largest.unwrap_or(0) + 1;
    for (id, entry) in (first..).zip(entries) {
        let entry = chained_entry(entry);
        let (prev_hash, hash) = end.extend(id, &entry);
        diesel::insert_into(audit_log::table)
            .values(&NewRow {
                id,
                entry,
                prev_hash,
                hash,
                lane,
            })
            .execute(sqlite)?;
    }
    diesel::update(audit_chain::table.find(lane))
        .set((
            audit_chain::last_id.eq(end.last_id),
            audit_chain::last_hash.eq(&end.last_hash),
        ))
        .execute(sqlite)?;
    Ok(())
}

/// What [`verify`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChainCheck {
    Intact {
        entries: i64,
    },
    /// The first entry that does not fit, and how.
    Broken {
        id: i64,
        problem: &'static str,
    },
}

/// Walks every lane in id order and names the first entry, across lanes, that does not fit.
pub fn verify(conn: &mut DbConnection) -> Result<ChainCheck, StoreError> {
    let mut entries = 0;
    let mut first_break: Option<(i64, &'static str)> = None;
    for lane in 1..=LANES {
        match verify_lane(conn, lane)? {
            Ok(count) => entries += count,
            Err(broken) => first_break = Some(first_break.map_or(broken, |seen| seen.min(broken))),
        }
    }
    Ok(match first_break {
        Some((id, problem)) => ChainCheck::Broken { id, problem },
        None => ChainCheck::Intact { entries },
    })
}

/// One lane: `Ok(entries)` if it holds together, else the first entry that does not fit.
fn verify_lane(
    conn: &mut DbConnection,
    lane: i32,
) -> Result<Result<i64, (i64, &'static str)>, StoreError> {
    const BATCH: i64 = 1000;
    let mut after = 0;
    let mut count = 0;
    let mut prev_hash = genesis();
    loop {
        let rows: Vec<AuditRow> = audit_log::table
            .select(AuditRow::as_select())
            .filter(audit_log::lane.eq(lane))
            .filter(audit_log::id.gt(after))
            .order(audit_log::id.asc())
            .limit(BATCH)
            .load(conn)?;
        let done = (rows.len() as i64) < BATCH;
        for row in rows {
            if row.prev_hash != prev_hash {
                return Ok(Err((
                    row.id,
                    "does not follow the entry before it: one was removed or altered",
                )));
            }
            if chain_hash(&row.prev_hash, row.id, &row.entry) != row.hash {
                return Ok(Err((row.id, "was altered after it was written")));
            }
            prev_hash = row.hash;
            after = row.id;
            count += 1;
        }
        if done {
            break;
        }
    }
    let (last_id, last_hash): (i64, String) = audit_chain::table
        .find(lane)
        .select((audit_chain::last_id, audit_chain::last_hash))
        .first(conn)?;
    if last_id != after || last_hash != prev_hash {
        // The lane's end says more was written than is there: name the last entry written.
        return Ok(Err((last_id, "is missing from the end of its chain")));
    }
    Ok(Ok(count))
}

#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub actor_id: Option<UserId>,
    /// Only entries by someone signed in (not failed sign-ins, say)...
    pub signed_in: bool,
    /// ...other than this user (a patient's report leaves out their own acts).
    pub excluded_actor: Option<UserId>,
    pub patient_id: Option<PatientId>,
    /// Several patients at once (a doctor's view of their care team's charts).
    pub patient_ids: Option<Vec<PatientId>>,
    /// Entries by users whose name or email holds this text, in any case.
    pub actor_text: Option<String>,
    /// Entries about charts whose patient's name holds this text, in any case.
    pub patient_text: Option<String>,
    /// Any of these actions; none is no filter.
    pub actions: Vec<String>,
    pub outcome: Option<String>,
    pub since: Option<NaiveDateTime>,
    pub until: Option<NaiveDateTime>,
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
        query = query.filter(audit_log::actor_id.eq(actor.to_string()));
    }
    if filter.signed_in {
        query = query.filter(audit_log::actor_id.is_not_null());
    }
    if let Some(excluded) = &filter.excluded_actor {
        query = query.filter(audit_log::actor_id.ne(excluded.to_string()));
    }
    if let Some(patient) = &filter.patient_id {
        query = query.filter(audit_log::patient_id.eq(patient.to_string()));
    }
    if let Some(patients) = &filter.patient_ids {
        let patients: Vec<String> = patients.iter().map(PatientId::to_string).collect();
        query = query.filter(audit_log::patient_id.eq_any(patients));
    }
    if !filter.actions.is_empty() {
        query = query.filter(audit_log::action.eq_any(filter.actions.clone()));
    }
    if let Some(text) = &filter.actor_text {
        let pattern = super::containing(&text.to_lowercase());
        let named = users::table
            .filter(
                users::email_key
                    .like(pattern.clone())
                    .escape('\\')
                    .or(super::lower(users::name).like(pattern).escape('\\')),
            )
            .select(users::id);
        query = query.filter(audit_log::actor_id.eq_any(named.nullable()));
    }
    if let Some(text) = &filter.patient_text {
        let pattern = super::containing(&text.to_lowercase());
        let named = patients::table
            .filter(super::lower(patients::name).like(pattern).escape('\\'))
            .select(patients::id);
        query = query.filter(audit_log::patient_id.eq_any(named.nullable()));
    }
    if let Some(outcome) = &filter.outcome {
        query = query.filter(audit_log::outcome.eq(outcome.clone()));
    }
    if let Some(since) = filter.since {
        query = query.filter(audit_log::at.ge(since));
    }
    if let Some(until) = filter.until {
        query = query.filter(audit_log::at.lt(until));
    }
    if let Some(before) = before {
        query = query.filter(audit_log::id.lt(before));
    }
    let rows = query.limit(super::clamp_limit(limit)).load(conn)?;
    Ok(Page::from_overfetch(rows, limit, |row| row.id.to_string()))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// An entry with every field set as a read's would be.
    pub(crate) fn entry() -> AuditEntry {
        AuditEntry {
            at: chrono::DateTime::from_timestamp(1_700_000_000, 123_456_000)
                .expect("time")
                .naive_utc(),
            actor_id: Some("a".into()),
            actor_role: Some("doctor".into()),
            action: "record.read".into(),
            resource_type: "record".into(),
            resource_id: Some("r".into()),
            patient_id: Some("p".into()),
            outcome: "success".into(),
            client_addr: None,
            correlation_id: Some("c".into()),
            reason: None,
            emergency: false,
        }
    }

    #[test]
    fn the_hash_covers_every_field_and_the_chain() {
        let base = chain_hash("prev", 7, &entry());
        assert_eq!(base.len(), 64);
        assert_eq!(base, chain_hash("prev", 7, &entry()), "deterministic");
        assert_ne!(base, chain_hash("other", 7, &entry()));
        assert_ne!(base, chain_hash("prev", 8, &entry()));
        let changes: [fn(&mut AuditEntry); 5] = [
            |e| e.action = "record.create".into(),
            |e| e.emergency = true,
            |e| e.reason = Some("x".into()),
            |e| e.client_addr = Some(String::new()),
            |e| e.at += chrono::Duration::microseconds(1),
        ];
        for change in changes {
            let mut changed = entry();
            change(&mut changed);
            assert_ne!(base, chain_hash("prev", 7, &changed));
        }
    }

    #[test]
    fn field_boundaries_cannot_be_shifted() {
        let mut left = entry();
        left.actor_id = Some("ab".into());
        left.actor_role = Some("c".into());
        let mut right = entry();
        right.actor_id = Some("a".into());
        right.actor_role = Some("bc".into());
        assert_ne!(chain_hash("p", 1, &left), chain_hash("p", 1, &right));
    }
}
