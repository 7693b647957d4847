//! `medvault import staff FILE --institution ID`, and the same through the API: people given
//! their place at an institution from a CSV file (`email`, `role` there, and for someone new
//! `name` and `account_role`). A row is matched to an account by its email; an account that
//! does not exist is made, active but with no password anyone knows, so that its owner signs in
//! once an administrator has set one (`POST /users/{id}/password`).

use medvault_domain::institutions::StaffRole;
use medvault_domain::{Actor, AuditAction, Email, InstitutionId, Password, PersonName, Role};
use medvault_store::repo::{institutions as places, users};
use medvault_store::{DbConnection, NewUser};
use std::collections::HashMap;

use super::{Progress, Report, RowError, Table, all_or_faults, table, value};
use crate::app::{AppState, UseCase};
use crate::audit::{Event, RequestMeta};
use crate::error::AppError;
use crate::institutions::authorize_at;

pub const COLUMNS: [&str; 4] = ["email", "name", "account_role", "role"];

#[derive(Clone)]
struct Wanted {
    line: u64,
    email: Email,
    name: Option<PersonName>,
    account_role: Option<Role>,
    role: StaffRole,
}

enum Step {
    Create(Wanted),
    Place(medvault_domain::UserId, StaffRole, bool),
    Keep,
}

fn checked(table: Table) -> Result<Vec<Wanted>, Vec<RowError>> {
    let mut faults = Vec::new();
    let mut wanted = Vec::with_capacity(table.rows.len());
    let mut seen = HashMap::new();
    for (line, row) in table.rows {
        let parsed = (|| {
            let email = Email::parse(value(&row, "email").unwrap_or_default())?;
            let role = StaffRole::parse(value(&row, "role").unwrap_or_default())?;
            let name = value(&row, "name").map(PersonName::parse).transpose()?;
            let account_role = value(&row, "account_role")
                .map(|raw| raw.parse::<Role>().map_err(|e| e.in_field("account_role")))
                .transpose()?;
            Ok::<_, medvault_domain::InvalidValue>(Wanted {
                line,
                email,
                name,
                account_role,
                role,
            })
        })();
        match parsed {
            Err(invalid) => faults.push(RowError::new(line, invalid.field, invalid.message)),
            Ok(row) if matches!(row.account_role, Some(Role::Admin | Role::Patient)) => {
                faults.push(RowError::new(
                    line,
                    "account_role",
                    "an import makes no administrators and no patients",
                ));
            }
            Ok(row) => {
                if let Some(first) = seen.insert(row.email.key().to_owned(), line) {
                    faults.push(RowError::new(
                        line,
                        "email",
                        format!("repeats line {first}"),
                    ));
                } else {
                    wanted.push(row);
                }
            }
        }
    }
    all_or_faults(wanted, faults)
}

fn plan(
    conn: &mut DbConnection,
    institution: InstitutionId,
    wanted: Vec<Wanted>,
) -> Result<Vec<Step>, AppError> {
    let mut faults = Vec::new();
    let mut steps = Vec::with_capacity(wanted.len());
    for row in wanted {
        let fault = |field: &str, message: String| RowError::new(row.line, field, message);
        match users::find_by_email(conn, &row.email)? {
            Some(user) => {
                if row.account_role.is_some_and(|wanted| wanted != user.role) {
                    faults.push(fault(
                        "account_role",
                        format!("the account is a {}", user.role),
                    ));
                } else if !row.role.may_be_held_by(user.role) {
                    let message =
                        format!("{} is not a place for a {} account", row.role, user.role);
                    faults.push(fault("role", message));
                } else {
                    steps.push(match places::role_of(conn, institution, user.id)? {
                        Some(now) if now == row.role => Step::Keep,
                        now => Step::Place(user.id, row.role, now.is_none()),
                    });
                }
            }
            None => match (row.name.is_some(), row.account_role) {
                (false, _) => faults.push(fault("name", "is needed for a new account".into())),
                (_, None) => {
                    faults.push(fault("account_role", "is needed for a new account".into()))
                }
                (true, Some(role)) if !row.role.may_be_held_by(role) => {
                    let message = format!("{} is not a place for a {role} account", row.role);
                    faults.push(fault("role", message));
                }
                _ => steps.push(Step::Create(row)),
            },
        }
    }
    all_or_faults(steps, faults).map_err(AppError::InvalidRows)
}

fn report(steps: &[Step], dry_run: bool) -> Report {
    let count = |f: fn(&Step) -> bool| steps.iter().filter(|s| f(s)).count();
    Report {
        dry_run,
        rows: steps.len(),
        created: count(|s| matches!(s, Step::Create(_))),
        added: count(|s| matches!(s, Step::Place(_, _, true))),
        changed: count(|s| matches!(s, Step::Place(_, _, false))),
        unchanged: count(|s| matches!(s, Step::Keep)),
    }
}

fn apply(
    conn: &mut DbConnection,
    uc: &UseCase,
    (actor, institution): (&Actor, InstitutionId),
    steps: Vec<Step>,
    locked_out: &str,
    progress: &Progress,
) -> Result<(), AppError> {
    let place = |conn: &mut DbConnection, user, role: StaffRole| -> Result<(), AppError> {
        places::put_member(conn, institution, user, role, actor.user_id, uc.now)?;
        uc.record(
            Event::success(actor, AuditAction::StaffAdd)
                .resource(institution)
                .reason(format!("{user} as {role}")),
        );
        Ok(())
    };
    for step in steps {
        match step {
            Step::Create(row) => {
                let (Some(name), Some(role)) = (row.name, row.account_role) else {
                    continue;
                };
                let new = NewUser {
                    email: &row.email,
                    name: &name,
                    role,
                    status: medvault_domain::UserStatus::Active,
                    password_hash: locked_out,
                };
                let made = users::insert(conn, new, uc.now)?;
                uc.record(Event::success(actor, AuditAction::UserCreate).resource(made.id));
                place(conn, made.id, row.role)?;
            }
            Step::Place(user, role, _) => place(conn, user, role)?,
            Step::Keep => {}
        }
        progress.step();
    }
    Ok(())
}

/// Imports (or, in a dry run, only plans) a staff file at an institution, all or nothing.
pub async fn import(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    (institution, bytes): (InstitutionId, &[u8]),
    dry_run: bool,
    progress: Progress,
) -> Result<Report, AppError> {
    let (act, audited) = super::Kind::Staff.asks();
    super::may_import(state, (actor, meta), institution, (act, audited)).await?;
    let rows = table(bytes, &COLUMNS, &["email", "role"]).map_err(AppError::InvalidRows)?;
    let wanted = checked(rows).map_err(AppError::InvalidRows)?;
    progress.start(wanted.len());
    if dry_run {
        return state
            .view(actor, meta, move |conn, _| {
                authorize_at(conn, &actor, institution, act, audited)?;
                Ok(report(&plan(conn, institution, wanted.clone())?, true))
            })
            .await;
    }
    // New accounts get the hash of a password nobody is told: they sign in once an
    // administrator has set theirs.
    let secret = uuid::Uuid::new_v4().simple().to_string();
    let locked_out = state.passwords.hash(&Password::parse(&secret)?).await?;
    state
        .run(actor, meta, move |conn, uc| {
            authorize_at(conn, &actor, institution, act, audited)?;
            let steps = plan(conn, institution, wanted)?;
            let done = report(&steps, false);
            apply(
                conn,
                uc,
                (&actor, institution),
                steps,
                &locked_out,
                &progress,
            )?;
            Ok(done)
        })
        .await
}
