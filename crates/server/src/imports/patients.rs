//! `medvault import patients FILE --institution ID`, and the same through the API: charts
//! opened and registered at an institution from a CSV file. A row names a chart that exists by
//! its record number (`mrn`), or is matched by its email among the charts registered there; a
//! row that matches nothing opens a new chart. Every row needs one of the two, so that importing
//! the file again finds what the first import made.

use std::collections::{HashMap, HashSet};

use medvault_domain::{Actor, AuditAction, Email, InstitutionId, Mrn, PatientId};
use medvault_store::repo::institutions as places;
use medvault_store::repo::patients::{self as stored_charts, BATCH};
use medvault_store::{DbConnection, NewPatient};

use super::{Progress, Report, RowError, Table, all_or_faults, table, value};
use crate::app::{AppState, UseCase};
use crate::audit::{Event, RequestMeta};
use crate::error::AppError;
use crate::institutions::authorize_at;
use crate::patients::{self, ProfileInput};

/// The columns a patients file may have; `name` is required.
pub const COLUMNS: [&str; 12] = [
    "mrn",
    "name",
    "birth_date",
    "sex",
    "phone",
    "email",
    "address_line",
    "city",
    "region",
    "postal_code",
    "country",
    "preferred_language",
];

/// One row, checked.
#[derive(Clone)]
struct Wanted {
    line: u64,
    mrn: Option<Mrn>,
    email: Option<String>,
    chart: NewPatient,
}

/// What the import does with a row.
enum Step {
    Open(Box<NewPatient>),
    Register(PatientId),
    Keep,
}

fn checked(table: Table, actor: &Actor, state: &AppState) -> Result<Vec<Wanted>, Vec<RowError>> {
    let now = state.now();
    let mut faults = Vec::new();
    let mut wanted = Vec::with_capacity(table.rows.len());
    let mut seen: HashMap<String, u64> = HashMap::new();
    for (line, row) in table.rows {
        let text = |column: &str| value(&row, column).map(str::to_owned);
        let mrn = match value(&row, "mrn").map(Mrn::parse).transpose() {
            Ok(mrn) => mrn,
            Err(invalid) => {
                faults.push(RowError::new(line, invalid.field, invalid.message));
                continue;
            }
        };
        let email = match value(&row, "email").map(Email::parse).transpose() {
            Ok(email) => email.map(|e| e.as_str().to_lowercase()),
            Err(invalid) => {
                faults.push(RowError::new(line, invalid.field, invalid.message));
                continue;
            }
        };
        if mrn.is_none() && email.is_none() {
            faults.push(RowError::new(
                line,
                "row",
                "needs an mrn or an email, so that importing the file again finds this chart",
            ));
            continue;
        }
        let key = mrn.map_or_else(|| email.clone().unwrap_or_default(), |m| m.to_string());
        if let Some(first) = seen.insert(key, line) {
            faults.push(RowError::new(line, "row", format!("repeats line {first}")));
            continue;
        }
        let input = ProfileInput {
            name: text("name"),
            birth_date: text("birth_date"),
            sex: text("sex"),
            phone: text("phone"),
            email: text("email"),
            address_line: text("address_line"),
            city: text("city"),
            region: text("region"),
            postal_code: text("postal_code"),
            country: text("country"),
            preferred_language: text("preferred_language"),
            ..ProfileInput::default()
        };
        match patients::new_chart(input, actor, now) {
            Ok(chart) => wanted.push(Wanted {
                line,
                mrn,
                email,
                chart,
            }),
            Err(AppError::Invalid(invalid)) => {
                faults.push(RowError::new(line, invalid.field, invalid.message));
            }
            Err(AppError::InvalidField { field, message }) => {
                faults.push(RowError::new(line, &field, message));
            }
            Err(_) => faults.push(RowError::new(line, "row", "cannot be read")),
        }
    }
    all_or_faults(wanted, faults)
}

/// Matches every row against the charts there are: what to do with each, or the rows that name
/// a record number no chart has.
fn plan(
    conn: &mut DbConnection,
    institution: InstitutionId,
    wanted: Vec<Wanted>,
) -> Result<Vec<Step>, AppError> {
    let mut by_mrn = HashMap::new();
    let mut by_email = HashMap::new();
    let mut registered = HashSet::new();
    for (id, mrn, email) in places::registered_keys(conn, institution)? {
        by_mrn.insert(mrn, id);
        if let Some(email) = email {
            by_email.insert(email.to_lowercase(), id);
        }
        registered.insert(id);
    }
    let mut faults = Vec::new();
    let mut steps = Vec::with_capacity(wanted.len());
    for row in wanted {
        let found = match (row.mrn, &row.email) {
            (Some(mrn), _) => match by_mrn.get(&mrn.to_string()) {
                Some(id) => Some(*id),
                None => match places::chart_with_mrn(conn, &mrn)? {
                    Some(id) => Some(id),
                    None => {
                        faults.push(RowError::new(row.line, "mrn", "names no chart"));
                        continue;
                    }
                },
            },
            (None, Some(email)) => by_email.get(email).copied(),
            (None, None) => None,
        };
        steps.push(match found {
            Some(id) if registered.contains(&id) => Step::Keep,
            Some(id) => Step::Register(id),
            None => Step::Open(Box::new(row.chart)),
        });
    }
    all_or_faults(steps, faults).map_err(AppError::InvalidRows)
}

fn report(steps: &[Step], dry_run: bool) -> Report {
    let count = |f: fn(&Step) -> bool| steps.iter().filter(|s| f(s)).count();
    Report {
        dry_run,
        rows: steps.len(),
        created: count(|s| matches!(s, Step::Open(_))),
        added: count(|s| matches!(s, Step::Register(_))),
        changed: 0,
        unchanged: count(|s| matches!(s, Step::Keep)),
    }
}

/// Takes the steps in the caller's unit of work, charts opened and registered in batches, with
/// an audit entry for every chart opened or registered. An import opens charts as the
/// institution's, so a doctor who runs one does not join a hundred thousand care teams.
fn apply(
    conn: &mut DbConnection,
    uc: &UseCase,
    actor: &Actor,
    institution: InstitutionId,
    steps: Vec<Step>,
    progress: &Progress,
) -> Result<(), AppError> {
    let mut opening = Vec::new();
    let mut registering = Vec::new();
    for step in steps {
        match step {
            Step::Open(chart) => opening.push(*chart),
            Step::Register(id) => registering.push(id),
            Step::Keep => progress.step(),
        }
    }
    // A chart opened is the resource of its entry, as when opened by hand; a registration's
    // is the institution.
    let record = |ids: &[PatientId], action| {
        for id in ids {
            let event = match action {
                AuditAction::PatientCreate => Event::success(actor, action).resource(*id),
                _ => Event::success(actor, action).resource(institution),
            };
            uc.record(
                event
                    .patient(*id)
                    .reason(format!("imported at {institution}")),
            );
            progress.step();
        }
    };
    let mut rest = opening;
    while !rest.is_empty() {
        let batch: Vec<NewPatient> = rest.drain(..rest.len().min(BATCH)).collect();
        let opened = stored_charts::insert_many(conn, batch, uc.now)?;
        places::register_many(conn, &opened, institution, actor.user_id, uc.now)?;
        record(&opened, AuditAction::PatientCreate);
    }
    places::register_many(conn, &registering, institution, actor.user_id, uc.now)?;
    record(&registering, AuditAction::RegistrationAdd);
    Ok(())
}

/// Imports (or, in a dry run, only plans) a patients file at an institution, all or nothing.
pub async fn import(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    (institution, bytes): (InstitutionId, &[u8]),
    dry_run: bool,
    progress: Progress,
) -> Result<Report, AppError> {
    let (act, audited) = super::Kind::Patients.asks();
    super::may_import(state, (actor, meta), institution, (act, audited)).await?;
    let rows = table(bytes, &COLUMNS, &["name"]).map_err(AppError::InvalidRows)?;
    let wanted = checked(rows, &actor, state).map_err(AppError::InvalidRows)?;
    progress.start(wanted.len());
    if dry_run {
        let audited = AuditAction::RegistrationList;
        return state
            .view(actor, meta, move |conn, uc| {
                authorize_at(conn, &actor, institution, act, audited)?;
                let steps = plan(conn, institution, wanted.clone())?;
                uc.record(Event::success(&actor, audited).resource(institution));
                Ok(report(&steps, true))
            })
            .await;
    }
    state
        .run(actor, meta, move |conn, uc| {
            authorize_at(conn, &actor, institution, act, audited)?;
            let steps = plan(conn, institution, wanted)?;
            let done = report(&steps, false);
            apply(conn, uc, &actor, institution, steps, &progress)?;
            Ok(done)
        })
        .await
}
