//! A whole database as rows of JSON, and back: what `medvault backup`, `restore` and `transfer`
//! are made of, alike on SQLite, PostgreSQL and Citus.
//!
//! The tables and their columns are read from the database's own catalog, and put in an order
//! where every table comes after those its foreign keys name, so that rows go back in without
//! switching any check off. Each row is one JSON object, its values as the source database
//! writes them; the target reads them with its own types (PostgreSQL through
//! `json_populate_recordset`, SQLite column by column), so a dump of one backend restores into
//! the other. Rows are read in key order a batch at a time, each batch after the last key seen,
//! so a table of millions never sits in memory whole.

use std::collections::{BTreeMap, BTreeSet};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text};

use crate::{DbConnection, StoreError};

/// Tables a dump leaves out: the migrations' own bookkeeping (the target runs its migrations),
/// and what lives only as long as a sign-in, a retry or a message between servers does (SQLite's
/// `session_changes`, which PostgreSQL's notifications replace).
const LEFT_OUT: [&str; 5] = [
    "__diesel_schema_migrations",
    "sessions",
    "session_changes",
    "idempotency_keys",
    "login_throttle",
];

/// PostgreSQL's sequences, and the column whose largest value each must follow after a restore.
const SEQUENCES: [(&str, &str, &str); 2] = [
    ("audit_log_id_seq", "audit_log", "id"),
    ("patient_mrn_seq", "patient_mrns", "number"),
];

/// A table as the catalog describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    pub name: String,
    /// In the table's order.
    pub columns: Vec<Column>,
    /// The primary key's columns, in the key's order.
    pub key: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    /// The type as the database declares it (`timestamp without time zone`, `TIMESTAMP`, …).
    pub declared: String,
}

impl Column {
    fn is_timestamp(&self) -> bool {
        let declared = self.declared.to_ascii_lowercase();
        declared.starts_with("timestamp") || declared == "datetime"
    }
}

/// Every table a dump holds, each after the tables its foreign keys name.
pub fn tables(conn: &mut DbConnection) -> Result<Vec<Table>, StoreError> {
    let (mut found, parents) = match conn {
        DbConnection::Postgres(pg) => catalog_postgres(pg)?,
        DbConnection::Sqlite(sqlite) => catalog_sqlite(sqlite)?,
    };
    found.retain(|table| !LEFT_OUT.contains(&table.name.as_str()));
    // Only what the dump holds must come first: a key to a table left out names nothing here.
    let dumped: BTreeSet<String> = found.iter().map(|t| t.name.clone()).collect();
    let mut ordered = Vec::with_capacity(found.len());
    let mut placed = BTreeSet::new();
    while !found.is_empty() {
        let ready = found.iter().position(|table| {
            parents.get(&table.name).is_none_or(|named| {
                named
                    .iter()
                    .all(|p| p == &table.name || placed.contains(p) || !dumped.contains(p))
            })
        });
        // Keys that name each other leave no table ready (on SQLite, `users.patient_id` and
        // `patients.user_id`): one goes first, and SQLite checks keys at commit during a
        // restore ([`prepare`]). PostgreSQL's schema has no such pair.
        let table = found.remove(ready.unwrap_or(0));
        placed.insert(table.name.clone());
        ordered.push(table);
    }
    Ok(ordered)
}

#[derive(QueryableByName)]
struct CatalogColumn {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    declared: String,
    /// The column's place in the primary key, from 1; 0 when it is not in it.
    #[diesel(sql_type = Integer)]
    key_position: i32,
}

#[derive(QueryableByName)]
struct ForeignKey {
    #[diesel(sql_type = Text)]
    child: String,
    #[diesel(sql_type = Text)]
    parent: String,
}

type Catalog = (Vec<Table>, BTreeMap<String, Vec<String>>);

fn assemble(columns: Vec<CatalogColumn>, keys: Vec<ForeignKey>) -> Catalog {
    let mut tables: Vec<Table> = Vec::new();
    let mut key_places: BTreeMap<String, Vec<(i32, String)>> = BTreeMap::new();
    for column in columns {
        if tables.last().is_none_or(|t| t.name != column.table_name) {
            tables.push(Table {
                name: column.table_name.clone(),
                columns: Vec::new(),
                key: Vec::new(),
            });
        }
        if column.key_position > 0 {
            key_places
                .entry(column.table_name.clone())
                .or_default()
                .push((column.key_position, column.column_name.clone()));
        }
        if let Some(table) = tables.last_mut() {
            table.columns.push(Column {
                name: column.column_name,
                declared: column.declared,
            });
        }
    }
    for table in &mut tables {
        let mut places = key_places.remove(&table.name).unwrap_or_default();
        places.sort();
        table.key = places.into_iter().map(|(_, name)| name).collect();
    }
    let mut parents: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for key in keys {
        parents.entry(key.child).or_default().push(key.parent);
    }
    (tables, parents)
}

fn catalog_postgres(pg: &mut PgConnection) -> Result<Catalog, StoreError> {
    let columns = diesel::sql_query(
        "SELECT c.table_name::text AS table_name, c.column_name::text AS column_name, \
                c.data_type::text AS declared, \
                COALESCE((SELECT k.ordinal_position::int \
                            FROM information_schema.table_constraints t \
                            JOIN information_schema.key_column_usage k \
                              ON k.constraint_name = t.constraint_name \
                             AND k.table_schema = t.table_schema \
                             AND k.table_name = t.table_name \
                           WHERE t.constraint_type = 'PRIMARY KEY' \
                             AND t.table_schema = c.table_schema \
                             AND t.table_name = c.table_name \
                             AND k.column_name = c.column_name), 0) AS key_position \
           FROM information_schema.columns c \
           JOIN information_schema.tables t \
             ON t.table_schema = c.table_schema AND t.table_name = c.table_name \
          WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' \
          ORDER BY c.table_name, c.ordinal_position",
    )
    .load::<CatalogColumn>(pg)?;
    let keys = diesel::sql_query(
        "SELECT conrelid::regclass::text AS child, confrelid::regclass::text AS parent \
           FROM pg_constraint \
          WHERE contype = 'f' AND connamespace = 'public'::regnamespace",
    )
    .load::<ForeignKey>(pg)?;
    Ok(assemble(columns, keys))
}

fn catalog_sqlite(sqlite: &mut SqliteConnection) -> Result<Catalog, StoreError> {
    let columns = diesel::sql_query(
        "SELECT m.name AS table_name, c.name AS column_name, c.type AS declared, \
                c.pk AS key_position \
           FROM sqlite_master m, pragma_table_info(m.name) c \
          WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' \
          ORDER BY m.name, c.cid",
    )
    .load::<CatalogColumn>(sqlite)?;
    let keys = diesel::sql_query(
        "SELECT m.name AS child, f.\"table\" AS parent \
           FROM sqlite_master m, pragma_foreign_key_list(m.name) f \
          WHERE m.type = 'table'",
    )
    .load::<ForeignKey>(sqlite)?;
    Ok(assemble(columns, keys))
}

fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[derive(QueryableByName)]
struct JsonRow {
    #[diesel(sql_type = Text)]
    row: String,
}

/// Up to `limit` rows of `table` in key order, after the row `after` (as this function wrote
/// it), each a JSON object.
fn rows_after(
    conn: &mut DbConnection,
    table: &Table,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<String>, StoreError> {
    let key = table
        .key
        .iter()
        .map(|c| quoted(c))
        .collect::<Vec<_>>()
        .join(", ");
    let column = |name: &str| {
        table
            .columns
            .iter()
            .find(|c| c.name == name)
            .map(|c| c.declared.clone())
            .unwrap_or_default()
    };
    // Each column under its own name, as a JSON object. SQLite keeps the nanoseconds a clock
    // gave; PostgreSQL keeps microseconds, and would round the rest. Cut to microseconds (as the
    // audit chain's hash reads them), a time reads alike on both. Keys stay whole, since the
    // next batch starts after them.
    let value = |c: &Column| match conn {
        DbConnection::Sqlite(_) if c.is_timestamp() && !table.key.contains(&c.name) => {
            format!("substr({}, 1, 26)", quoted(&c.name))
        }
        _ => quoted(&c.name),
    };
    let object = table
        .columns
        .iter()
        .map(|c| format!("'{}', {}", c.name, value(c)))
        .collect::<Vec<_>>()
        .join(", ");
    // The dialects differ in how a row becomes JSON and how the last key is read back.
    let postgres = matches!(conn, DbConnection::Postgres(_));
    let (as_json, last_key): (_, &dyn Fn(&str) -> String) = if postgres {
        (format!("json_build_object({object})::text"), &|c| {
            format!("($1::json->>'{c}')::{}", column(c))
        })
    } else {
        (format!("json_object({object})"), &|c| {
            format!("json_extract(?1, '$.\"{c}\"')")
        })
    };
    let mut sql = format!("SELECT {as_json} AS row FROM {}", quoted(&table.name));
    if after.is_some() {
        let last = table
            .key
            .iter()
            .map(|c| last_key(c))
            .collect::<Vec<_>>()
            .join(", ");
        sql.push_str(&format!(" WHERE ({key}) > ({last})"));
    }
    sql.push_str(&format!(" ORDER BY {key} LIMIT {limit}"));
    let query = diesel::sql_query(sql);
    let rows: Vec<JsonRow> = match (conn, after) {
        (DbConnection::Postgres(pg), Some(last)) => query.bind::<Text, _>(last).load(pg)?,
        (DbConnection::Postgres(pg), None) => query.load(pg)?,
        (DbConnection::Sqlite(sqlite), Some(last)) => query.bind::<Text, _>(last).load(sqlite)?,
        (DbConnection::Sqlite(sqlite), None) => query.load(sqlite)?,
    };
    Ok(rows.into_iter().map(|r| r.row).collect())
}

/// Hands every row of `table` to `take`, `size` rows at a time in key order.
pub fn each_batch<E: From<StoreError>>(
    conn: &mut DbConnection,
    table: &Table,
    size: i64,
    mut take: impl FnMut(Vec<String>) -> Result<(), E>,
) -> Result<(), E> {
    let mut last: Option<String> = None;
    loop {
        let batch = rows_after(conn, table, last.as_deref(), size)?;
        let done = (batch.len() as i64) < size;
        last = batch.last().cloned();
        take(batch)?;
        if done {
            return Ok(());
        }
    }
}

/// Whether the database holds no one yet: no account and no audit entry.
pub fn is_empty(conn: &mut DbConnection) -> Result<bool, StoreError> {
    use crate::schema::{audit_log, users};
    let accounts: i64 = users::table.count().get_result(conn)?;
    let entries: i64 = audit_log::table.count().get_result(conn)?;
    Ok(accounts == 0 && entries == 0)
}

/// Prepares an empty database, in the caller's transaction, to take a dump's rows: clears what
/// its migrations seeded (the audit lanes' starting points); on SQLite checks foreign keys at
/// commit, since two of its tables name each other. On Citus, call [`one_shard_at_a_time`]
/// first in the transaction.
pub fn prepare(conn: &mut DbConnection, tables: &[Table]) -> Result<(), StoreError> {
    if let DbConnection::Sqlite(sqlite) = conn {
        sqlite.batch_execute("PRAGMA defer_foreign_keys = ON")?;
    }
    for table in tables.iter().rev() {
        if table.name != "audit_log" {
            conn.batch_execute(&format!("DELETE FROM {}", quoted(&table.name)))?;
        }
    }
    Ok(())
}

/// On Citus, has the caller's transaction reach the shards one at a time, from its first
/// statement: a transaction that reads or writes distributed tables and then writes the
/// reference tables their keys name is refused otherwise. Elsewhere, nothing.
pub fn one_shard_at_a_time(conn: &mut DbConnection) -> Result<(), StoreError> {
    if let DbConnection::Postgres(pg) = conn {
        pg.batch_execute(
            "DO $$ BEGIN \
               IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN \
                 SET LOCAL citus.multi_shard_modify_mode TO 'sequential'; \
               END IF; \
             END $$",
        )?;
    }
    Ok(())
}

/// Inserts `rows` (JSON objects, as [`each_batch`] hands them, from either backend) into
/// `table`, in the caller's transaction.
pub fn insert(conn: &mut DbConnection, table: &Table, rows: &[String]) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    let array = format!("[{}]", rows.join(","));
    match conn {
        DbConnection::Postgres(pg) => {
            let name = quoted(&table.name);
            diesel::sql_query(format!(
                "INSERT INTO {name} SELECT * FROM json_populate_recordset(NULL::{name}, $1::json)"
            ))
            .bind::<Text, _>(array)
            .execute(pg)?;
        }
        DbConnection::Sqlite(sqlite) => {
            let names = table
                .columns
                .iter()
                .map(|c| quoted(&c.name))
                .collect::<Vec<_>>()
                .join(", ");
            // PostgreSQL writes `2026-12-03T10:00:00.5`; SQLite's columns hold `2026-12-03
            // 10:00:00.5`, which is what they are compared and ordered by.
            let values = table
                .columns
                .iter()
                .map(|c| {
                    let value = format!("json_extract(value, '$.\"{}\"')", c.name);
                    if c.is_timestamp() {
                        format!("replace({value}, 'T', ' ')")
                    } else {
                        value
                    }
                })
                .collect::<Vec<_>>()
                .join(", ");
            diesel::sql_query(format!(
                "INSERT INTO {} ({names}) SELECT {values} FROM json_each(?1)",
                quoted(&table.name)
            ))
            .bind::<Text, _>(array)
            .execute(sqlite)?;
        }
    }
    Ok(())
}

/// After a restore, in its transaction: PostgreSQL's sequences follow the largest values
/// restored, so that the next entry or record number is a new one.
pub fn follow_sequences(conn: &mut DbConnection) -> Result<(), StoreError> {
    if let DbConnection::Postgres(pg) = conn {
        for (sequence, table, column) in SEQUENCES {
            pg.batch_execute(&format!(
                "SELECT setval('{sequence}', COALESCE((SELECT max({column}) FROM {table}), 0) + 1, false)"
            ))?;
        }
    }
    Ok(())
}

/// The newest migration the database has run: a dump restores only into the same schema.
pub fn schema_version(conn: &mut DbConnection) -> Result<String, StoreError> {
    #[derive(QueryableByName)]
    struct Version {
        #[diesel(sql_type = Text)]
        version: String,
    }
    let newest =
        diesel::sql_query("SELECT max(version) AS version FROM __diesel_schema_migrations");
    Ok(match conn {
        DbConnection::Postgres(pg) => newest.get_result::<Version>(pg)?.version,
        DbConnection::Sqlite(sqlite) => newest.get_result::<Version>(sqlite)?.version,
    })
}
