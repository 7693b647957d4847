//! `medvault backup DEST`, `medvault restore SRC` and `medvault transfer --from URL --to URL`.
//!
//! A backup is a folder: `tables/NAME.jsonl` (every row of a table, one JSON object a line, read
//! from one consistent view of the database while the server keeps serving), `files/…` (every
//! stored file's sealed bytes, as stored, copied after the database so that every file a row
//! names is there), and `manifest.json`, which names the schema, and each table's and file's rows
//! or size and SHA-256. A restore checks every sum before it reads a row, refuses a database that
//! holds anyone already or runs another schema, puts every row back in one transaction, and
//! commits only if the audit trail it restored verifies. Rows are written as each backend reads
//! them, so a backup of SQLite restores into PostgreSQL and back; `transfer` does the same
//! without the folder in between.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use medvault_domain::AuditAction;
use medvault_store::dump::{self, Table};
use medvault_store::repo::audit;
use medvault_store::{ChainCheck, DbConnection, Outcome, Store, StoreOptions};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::app::AppState;
use crate::audit::{Event, RequestMeta};

/// Rows read or written a batch at a time.
const BATCH: usize = 1_000;

/// What a backup holds, and how to check it.
#[derive(Debug, Serialize, Deserialize)]
pub struct Manifest {
    /// This layout's version.
    pub format: u32,
    /// The backend it was read from: `sqlite` or `postgres`.
    pub source: String,
    /// The newest migration of the database it was read from.
    pub schema: String,
    pub tables: Vec<Part>,
    pub files: Vec<Part>,
}

/// One file of a backup: a table's rows, or a stored file.
#[derive(Debug, Serialize, Deserialize)]
pub struct Part {
    pub name: String,
    /// Rows, for a table; bytes, for a stored file.
    pub size: u64,
    pub sha256: String,
}

const FORMAT: u32 = 1;

fn table_path(root: &Path, table: &str) -> PathBuf {
    root.join("tables").join(format!("{table}.jsonl"))
}

fn file_path(root: &Path, location: &str) -> PathBuf {
    root.join("files").join(location)
}

/// A writer that sums what passes through it.
struct Summed<W> {
    inner: W,
    sum: Sha256,
}

impl<W: Write> Write for Summed<W> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let written = self.inner.write(bytes)?;
        self.sum.update(bytes.get(..written).unwrap_or(bytes));
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Backs up the database and the stored files into `dest`, which must not exist or be empty.
pub async fn backup(state: &AppState, dest: &Path) -> anyhow::Result<Manifest> {
    if dest.exists() && dest.read_dir()?.next().is_some() {
        bail!(
            "{} is not empty: a backup goes into a folder of its own",
            dest.display()
        );
    }
    std::fs::create_dir_all(dest.join("tables"))
        .with_context(|| format!("cannot create {}", dest.display()))?;
    // Recorded first, so that the backup holds the entry of its own making.
    let about = format!("into {}", dest.display());
    recorded(state, AuditAction::DatabaseBackup, about).await?;
    let store = state.store.clone();
    let root = dest.to_owned();
    let (schema, tables) = tokio::task::spawn_blocking(move || {
        store.snapshot(|conn| -> anyhow::Result<_> {
            dump::one_shard_at_a_time(conn)?;
            let schema = dump::schema_version(conn)?;
            let mut parts = Vec::new();
            for table in dump::tables(conn)? {
                parts.push(write_table(conn, &table, &table_path(&root, &table.name))?);
            }
            Ok((schema, parts))
        })
    })
    .await??;
    let mut files = Vec::new();
    for location in state.files.locations().await? {
        let bytes = state.files.sealed(&location).await?;
        let path = file_path(dest, &location);
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder)?;
        }
        std::fs::write(&path, &bytes)
            .with_context(|| format!("cannot write {}", path.display()))?;
        files.push(Part {
            name: location,
            size: bytes.len() as u64,
            sha256: hex::encode(Sha256::digest(&bytes)),
        });
    }
    let manifest = Manifest {
        format: FORMAT,
        source: state.store.backend().as_str().to_owned(),
        schema,
        tables,
        files,
    };
    let written = serde_json::to_vec_pretty(&manifest)?;
    std::fs::write(dest.join("manifest.json"), written)?;
    Ok(manifest)
}

/// Writes every row of `table` to `path`, a batch at a time in key order.
fn write_table(conn: &mut DbConnection, table: &Table, path: &Path) -> anyhow::Result<Part> {
    let file = File::create(path).with_context(|| format!("cannot write {}", path.display()))?;
    let mut out = Summed {
        inner: BufWriter::new(file),
        sum: Sha256::new(),
    };
    let mut rows = 0_u64;
    dump::each_batch(conn, table, BATCH as i64, |batch| -> anyhow::Result<()> {
        for row in &batch {
            out.write_all(row.as_bytes())?;
            out.write_all(b"\n")?;
        }
        rows += batch.len() as u64;
        Ok(())
    })?;
    out.flush()?;
    Ok(Part {
        name: table.name.clone(),
        size: rows,
        sha256: hex::encode(out.sum.finalize()),
    })
}

/// Reads a backup's manifest and checks every sum it names: the faults, if any.
pub fn check(src: &Path) -> anyhow::Result<Manifest> {
    let manifest: Manifest = serde_json::from_slice(
        &std::fs::read(src.join("manifest.json"))
            .with_context(|| format!("{} holds no manifest.json", src.display()))?,
    )
    .context("manifest.json cannot be read")?;
    if manifest.format != FORMAT {
        bail!("the backup is of format {}, not {FORMAT}", manifest.format);
    }
    // Names come from the folder being restored: none may lead out of it.
    let table_name = |name: &str| name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    let file_name = |name: &str| {
        name.split('/')
            .all(|part| !part.is_empty() && part != "." && part != ".." && !part.contains('\\'))
    };
    let strange = (manifest.tables.iter().filter(|p| !table_name(&p.name)))
        .chain(manifest.files.iter().filter(|p| !file_name(&p.name)))
        .next();
    if let Some(part) = strange {
        bail!(
            "the manifest names {:?}, which is not a part of a backup",
            part.name
        );
    }
    let mut faults = Vec::new();
    let parts = (manifest
        .tables
        .iter()
        .map(|p| (p, table_path(src, &p.name))))
    .chain(manifest.files.iter().map(|p| (p, file_path(src, &p.name))));
    for (part, path) in parts {
        let mut sum = Sha256::new();
        let read = File::open(&path).and_then(|mut file| std::io::copy(&mut file, &mut sum));
        if read.is_err() {
            faults.push(format!("{} is missing", path.display()));
        } else if hex::encode(sum.finalize()) != part.sha256 {
            faults.push(format!("{} does not match its sum", path.display()));
        }
    }
    if !faults.is_empty() {
        bail!("the backup is damaged or altered: {}", faults.join("; "));
    }
    Ok(manifest)
}

/// Restores a checked backup into this server's database, which must hold no one yet, and its
/// files into its file store.
pub async fn restore(state: &AppState, src: &Path) -> anyhow::Result<i64> {
    let manifest = check(src)?;
    let store = state.store.clone();
    let root = src.to_owned();
    let names: BTreeSet<String> = manifest.tables.iter().map(|p| p.name.clone()).collect();
    let schema = manifest.schema.clone();
    let entries = tokio::task::spawn_blocking(move || {
        store.write(|conn| -> anyhow::Result<i64> {
            let tables = prepared_target(conn, &schema, &names)?;
            for table in &tables {
                let file = File::open(table_path(&root, &table.name))?;
                let mut batch = Vec::with_capacity(BATCH);
                for line in BufReader::new(file).lines() {
                    batch.push(line?);
                    if batch.len() == BATCH {
                        dump::insert(conn, table, &batch)?;
                        batch.clear();
                    }
                }
                dump::insert(conn, table, &batch)?;
            }
            settled(conn)
        })
    })
    .await??;
    for part in &manifest.files {
        let bytes = std::fs::read(file_path(src, &part.name))?;
        state.files.put_sealed(&part.name, bytes).await?;
    }
    let about = format!("from {}, {entries} audit entries verified", src.display());
    recorded(state, AuditAction::DatabaseRestore, about).await?;
    Ok(entries)
}

/// An operator's act on the whole database, in the trail with no actor (the command line has
/// no account) and `about` as its reason.
async fn recorded(state: &AppState, action: AuditAction, about: String) -> anyhow::Result<()> {
    let now = state.now();
    state
        .write(move |conn| Ok(recorded_in(conn, now, action, about)?))
        .await
        .map_err(crate::server::anyhow_of)
}

/// The same, in the caller's transaction.
fn recorded_in(
    conn: &mut DbConnection,
    now: chrono::NaiveDateTime,
    action: AuditAction,
    about: String,
) -> Result<(), medvault_store::StoreError> {
    let operator = RequestMeta {
        correlation_id: format!("cli-{}", uuid::Uuid::new_v4()),
        ..RequestMeta::default()
    };
    let event = Event::anonymous(action, Outcome::Success).reason(about);
    crate::audit::record(conn, &operator, now, event)
}

/// The target's tables in the order rows go in, ready to take them, if it is empty, on the
/// backup's schema, and has exactly the backup's tables.
fn prepared_target(
    conn: &mut DbConnection,
    schema: &str,
    names: &BTreeSet<String>,
) -> anyhow::Result<Vec<Table>> {
    // First in the restoring transaction, before the emptiness check reads every shard.
    dump::one_shard_at_a_time(conn)?;
    if !dump::is_empty(conn)? {
        bail!(
            "the target database holds accounts or audit entries already: restore into an empty one"
        );
    }
    let target = dump::schema_version(conn)?;
    if target != schema {
        bail!(
            "the backup is of schema {schema}, the target runs {target}: use the same MedVault version"
        );
    }
    let tables = dump::tables(conn)?;
    let found: BTreeSet<String> = tables.iter().map(|t| t.name.clone()).collect();
    if &found != names {
        bail!("the backup's tables are not the target's");
    }
    dump::prepare(conn, &tables)?;
    Ok(tables)
}

/// Once every row is in: the sequences follow them, and the number of audit entries, if the
/// trail holds together; else the restore is refused.
fn settled(conn: &mut DbConnection) -> anyhow::Result<i64> {
    dump::follow_sequences(conn)?;
    match audit::verify(conn)? {
        ChainCheck::Intact { entries } => Ok(entries),
        ChainCheck::Broken { id, problem } => {
            bail!(
                "the backup's audit trail is broken at entry {id}: it {problem}; nothing was restored"
            )
        }
    }
}

/// Copies a whole MedVault database from `from` to `to` (migrated first, and empty): every
/// table in one read of the source and one transaction on the target, which commits only if its
/// audit trail verifies. Stored files stay where `MEDVAULT_FILE_STORE` keeps them.
pub fn transfer(from: &str, to: &str) -> anyhow::Result<(usize, i64)> {
    let options = StoreOptions::default();
    let source = Store::open(from, &options).context("cannot open the source database")?;
    let target = Store::open(to, &options).context("cannot open the target database")?;
    source.migrate()?;
    target.migrate()?;
    source.snapshot(|read| -> anyhow::Result<(usize, i64)> {
        dump::one_shard_at_a_time(read)?;
        let schema = dump::schema_version(read)?;
        let tables = dump::tables(read)?;
        let names = tables.iter().map(|t| t.name.clone()).collect();
        target.write(|write| -> anyhow::Result<(usize, i64)> {
            let order = prepared_target(write, &schema, &names)?;
            let mut rows = 0;
            for table in &order {
                // Read as the source declares the table, written as the target does.
                let source = tables
                    .iter()
                    .find(|t| t.name == table.name)
                    .unwrap_or(table);
                dump::each_batch(read, source, BATCH as i64, |batch| -> anyhow::Result<()> {
                    dump::insert(write, table, &batch)?;
                    rows += batch.len();
                    Ok(())
                })?;
            }
            let entries = settled(write)?;
            let about = format!(
                "from a {} database, {entries} audit entries verified",
                source.backend().as_str()
            );
            let now = chrono::Utc::now().naive_utc();
            recorded_in(write, now, AuditAction::DatabaseTransfer, about)?;
            Ok((rows, entries))
        })
    })
}
