//! Bulk import of an institution's patients and staff from CSV files, all or nothing.
//!
//! Every row is checked first, and every fault is reported with its line and field; a file with
//! any fault imports nothing. A dry run says what an import would do without doing it. An import
//! runs in one unit of work: its rows, and an audit entry for each chart or account it touches,
//! commit together or not at all. Rows are matched to what is there already (charts by record
//! number or email, people by email), so importing a file twice changes nothing the second time.

pub mod api;
pub mod cli;
pub mod following;
pub mod patients;
pub mod staff;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use medvault_domain::policy::InstitutionAct;
use medvault_domain::{Actor, AuditAction, InstitutionId};
use serde::Serialize;
use utoipa::ToSchema;

use crate::app::AppState;
use crate::audit::RequestMeta;
use crate::error::AppError;
use crate::institutions::authorize_at;

/// Whether `actor` may import (`act`) at the institution: asked before a byte of the file is
/// looked at, so that someone outside it learns nothing from how their file is judged. A
/// refusal is audited as `audited`.
pub async fn may_import(
    state: &AppState,
    (actor, meta): (Actor, &RequestMeta),
    institution: InstitutionId,
    (act, audited): (InstitutionAct, AuditAction),
) -> Result<(), AppError> {
    state
        .view(actor, meta, move |conn, _| {
            authorize_at(conn, &actor, institution, act, audited)?;
            Ok(())
        })
        .await
}

/// What a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Patients,
    Staff,
}

impl Kind {
    /// From its name in an address: `patients` or `staff`.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "patients" => Some(Kind::Patients),
            "staff" => Some(Kind::Staff),
            _ => None,
        }
    }

    /// What importing it at an institution takes there, and how a refusal is audited.
    pub fn asks(self) -> (InstitutionAct, AuditAction) {
        match self {
            Kind::Patients => (
                InstitutionAct::RegisterPatients,
                AuditAction::RegistrationAdd,
            ),
            Kind::Staff => (InstitutionAct::ManageStaff, AuditAction::StaffAdd),
        }
    }
}

/// Imports (or, in a dry run, only plans) a file of `kind` at an institution, all or nothing.
pub async fn import(
    state: &AppState,
    (actor, meta): (Actor, &RequestMeta),
    (kind, institution, bytes): (Kind, InstitutionId, &[u8]),
    dry_run: bool,
    progress: Progress,
) -> Result<Report, AppError> {
    let file = (institution, bytes);
    match kind {
        Kind::Patients => patients::import(state, actor, meta, file, dry_run, progress).await,
        Kind::Staff => staff::import(state, actor, meta, file, dry_run, progress).await,
    }
}

/// The most rows one file may hold.
pub const MOST_ROWS: usize = 200_000;

/// A row that cannot be imported, and why.
#[derive(Clone, Debug, Serialize, ToSchema, PartialEq, Eq)]
pub struct RowError {
    /// The line of the file, counting the header as line 1.
    pub line: u64,
    /// The column at fault (or `row` for the row as a whole).
    pub field: String,
    pub message: String,
}

impl RowError {
    pub fn new(line: u64, field: &str, message: impl Into<String>) -> Self {
        RowError {
            line,
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

/// What an import did, or (in a dry run) would do.
#[derive(Clone, Debug, Default, Serialize, ToSchema, PartialEq, Eq)]
pub struct Report {
    pub dry_run: bool,
    pub rows: usize,
    /// Charts or accounts made.
    pub created: usize,
    /// Existing ones given their place (registered at the institution, or on its staff).
    pub added: usize,
    /// Existing ones whose place changed (a member's role).
    pub changed: usize,
    /// Rows that match what is there already.
    pub unchanged: usize,
}

/// How far an import has gone, for a progress bar: rows done of rows in all.
#[derive(Clone, Default)]
pub struct Progress {
    done: Arc<AtomicUsize>,
    total: Arc<AtomicUsize>,
}

impl Progress {
    pub fn start(&self, total: usize) {
        self.total.store(total, Ordering::Relaxed);
        self.done.store(0, Ordering::Relaxed);
    }

    pub fn step(&self) {
        self.done.fetch_add(1, Ordering::Relaxed);
    }

    /// (rows done, rows in all).
    pub fn now(&self) -> (usize, usize) {
        (
            self.done.load(Ordering::Relaxed),
            self.total.load(Ordering::Relaxed),
        )
    }
}

/// A CSV file's data rows, each with its line and its values by column name.
#[derive(Debug)]
pub struct Table {
    pub rows: Vec<(u64, HashMap<String, String>)>,
}

/// Reads a CSV file whose first line names its columns (in any case and order): every column
/// must be one of `known`, every one of `required` must be there. Values are trimmed.
pub fn table(bytes: &[u8], known: &[&str], required: &[&str]) -> Result<Table, Vec<RowError>> {
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes))
        .map_err(|_| vec![RowError::new(1, "file", "is not UTF-8 text")])?;
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|_| vec![RowError::new(1, "header", "cannot be read as CSV")])?
        .iter()
        .map(str::to_ascii_lowercase)
        .collect();
    let mut faults = Vec::new();
    for (n, name) in headers.iter().enumerate() {
        if !known.contains(&name.as_str()) {
            faults.push(RowError::new(
                1,
                "header",
                format!("column {name:?} is not one of {}", known.join(", ")),
            ));
        } else if headers.iter().take(n).any(|earlier| earlier == name) {
            faults.push(RowError::new(
                1,
                "header",
                format!("column {name:?} is named twice"),
            ));
        }
    }
    for name in required {
        if !headers.iter().any(|h| h == name) {
            faults.push(RowError::new(
                1,
                "header",
                format!("column {name:?} is missing"),
            ));
        }
    }
    if !faults.is_empty() {
        return Err(faults);
    }
    let mut rows = Vec::new();
    // The line a record starts on, counted from its byte offset: the reader's own count, and
    // its offset, leave out the blank lines it skipped before the record.
    let (mut counted_to, mut line) = (0, 1_u64);
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(_) => {
                faults.push(RowError::new(line + 1, "row", "cannot be read as CSV"));
                continue;
            }
        };
        let mut start = record.position().map_or(counted_to, |p| p.byte() as usize);
        while let Some(b'\r' | b'\n') = text.as_bytes().get(start) {
            start += 1;
        }
        let skipped = text.as_bytes().get(counted_to..start).unwrap_or_default();
        line += skipped.iter().filter(|b| **b == b'\n').count() as u64;
        counted_to = start;
        if record.iter().all(str::is_empty) {
            continue;
        }
        if record.len() != headers.len() {
            faults.push(RowError::new(
                line,
                "row",
                format!("has {} values for {} columns", record.len(), headers.len()),
            ));
            continue;
        }
        if rows.len() == MOST_ROWS {
            faults.push(RowError::new(
                line,
                "file",
                format!("has more than {MOST_ROWS} rows; split it"),
            ));
            break;
        }
        let values = headers
            .iter()
            .cloned()
            .zip(record.iter().map(str::to_owned))
            .filter(|(_, value)| !value.is_empty())
            .collect();
        rows.push((line, values));
    }
    all_or_faults(Table { rows }, faults)
}

/// What was read, if no row is at fault; else every fault.
pub fn all_or_faults<T>(read: T, faults: Vec<RowError>) -> Result<T, Vec<RowError>> {
    if faults.is_empty() {
        Ok(read)
    } else {
        Err(faults)
    }
}

/// The value of a row's column, if given.
pub fn value<'a>(row: &'a HashMap<String, String>, column: &str) -> Option<&'a str> {
    row.get(column).map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_names_its_faults_by_line_and_column() {
        let read = table(
            b"\xEF\xBB\xBFName,Email\nAna,ana@example.org\n\n\"Bo, Jr\",bo@example.org\n",
            &["name", "email", "mrn"],
            &["name"],
        )
        .expect("a table");
        assert_eq!(read.rows.len(), 2);
        assert_eq!(read.rows[1].0, 4, "the blank line counts");
        assert_eq!(value(&read.rows[1].1, "name"), Some("Bo, Jr"));
        let faults = table(b"name,colour\nAna,red\n", &["name"], &["name"]).unwrap_err();
        assert_eq!(faults[0].field, "header");
        let faults = table(b"email\nana@example.org\n", &["name", "email"], &["name"]).unwrap_err();
        assert!(faults[0].message.contains("missing"));
        let faults = table(b"name,email\nAna\n", &["name", "email"], &["name"]).unwrap_err();
        assert_eq!((faults[0].line, faults[0].field.as_str()), (2, "row"));
        assert!(table(b"name\n\xFF\n", &["name"], &["name"]).is_err());
    }
}
