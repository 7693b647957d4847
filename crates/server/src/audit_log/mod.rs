//! Reading the audit trail: the filtered viewer (admins: everything; doctors: their patients')
//! and a patient's access report (who looked at their chart, and when). Reading the trail is
//! itself audited.

pub mod api;
pub mod web;

pub use medvault_domain::Reader;

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use medvault_domain::AuditAction;
use medvault_domain::policy::{self, Action, AuditScope};
use medvault_domain::{Actor, InvalidValue, PatientId, Role, UserId};
use medvault_store::repo::audit::Outcome;
use medvault_store::repo::{audit, care_team, users};
use medvault_store::{AuditFilter, AuditRow, DbConnection, Page};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::api::{given, page_limit, search_text};
use crate::app::AppState;
use crate::audit::{Denial, Event, RequestMeta};
use crate::error::AppError;
use crate::names::{self, Names};
use crate::patients::ties::Tie;
use crate::patients::{Subject, authorize};

/// The viewer's filters as the caller typed them, in the API's query string or the web page's
/// form. A blank field is no filter.
#[derive(Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// The acting user's id.
    pub actor_id: Option<String>,
    /// Part of the acting user's name or email, in any case.
    pub user: Option<String>,
    /// The chart's id.
    pub patient_id: Option<String>,
    /// Part of the patient's name, in any case.
    pub patient: Option<String>,
    /// One action, or several separated by commas: `chart.view`, `record.create,record.read`.
    pub action: Option<String>,
    /// `success`, `denied` or `failure`.
    pub outcome: Option<String>,
    /// From this time (RFC 3339) or day (`2026-11-23`, from its start, UTC), inclusive.
    pub since: Option<String>,
    /// Before this time (RFC 3339), or to the end of this day (`2026-11-23`, UTC).
    pub until: Option<String>,
    /// The `next` of the previous page.
    pub cursor: Option<String>,
    /// 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<usize>,
}

/// A filter's value as typed, trimmed; blank is no filter.
fn text(value: &Option<String>) -> Option<String> {
    given(value.as_deref()).map(str::to_owned)
}

/// An id typed into the filter `field`; blank is no filter, anything else must be an id.
fn id<T: std::str::FromStr>(
    value: &Option<String>,
    field: &'static str,
) -> Result<Option<T>, AppError> {
    given(value.as_deref())
        .map(|raw| {
            raw.parse()
                .map_err(|_| InvalidValue::new(field, "is not an id from this API").into())
        })
        .transpose()
}

/// Where a bare day falls in a time range: its start, or (for an inclusive end) the next day's.
#[derive(Clone, Copy)]
enum Day {
    Start,
    End,
}

fn time(
    value: &Option<String>,
    field: &'static str,
    day: Day,
) -> Result<Option<NaiveDateTime>, AppError> {
    let invalid = || {
        InvalidValue::new(
            field,
            "must be a day such as 2026-01-31 or a time such as 2026-01-31T08:00:00Z",
        )
    };
    given(value.as_deref())
        .map(|raw| {
            if let Ok(at) = DateTime::parse_from_rfc3339(raw) {
                return Ok(at.naive_utc());
            }
            let date = NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| invalid())?;
            let date = match day {
                Day::Start => Some(date),
                Day::End => date.succ_opt(),
            };
            date.and_then(|date| date.and_hms_opt(0, 0, 0))
                .ok_or_else(|| invalid().into())
        })
        .transpose()
}

/// The actions named, each checked against the ones MedVault records.
fn actions(value: &Option<String>) -> Result<Vec<String>, AppError> {
    let Some(list) = given(value.as_deref()) else {
        return Ok(Vec::new());
    };
    list.split(',')
        .map(str::trim)
        .filter(|code| !code.is_empty())
        .map(|code| {
            AuditAction::parse(code)
                .map(|action| action.as_str().to_owned())
                .ok_or_else(|| {
                    InvalidValue::new("action", "is not an action the audit trail records").into()
                })
        })
        .collect()
}

impl AuditQuery {
    /// The checked filter; an unknown outcome or a malformed time is refused, not ignored.
    pub fn filter(&self) -> Result<AuditFilter, AppError> {
        let outcome = text(&self.outcome);
        let known = [Outcome::Success, Outcome::Denied, Outcome::Failure].map(Outcome::as_str);
        if outcome.as_deref().is_some_and(|o| !known.contains(&o)) {
            return Err(InvalidValue::new("outcome", "must be success, denied or failure").into());
        }
        Ok(AuditFilter {
            actor_id: id(&self.actor_id, "actor_id")?,
            actor_text: search_text(self.user.as_deref(), "user")?,
            patient_id: id(&self.patient_id, "patient_id")?,
            patient_text: search_text(self.patient.as_deref(), "patient")?,
            actions: actions(&self.action)?,
            outcome,
            since: time(&self.since, "since", Day::Start)?,
            until: time(&self.until, "until", Day::End)?,
            ..AuditFilter::default()
        })
    }

    /// Where the page starts and how long it is.
    pub fn page(&self) -> Result<(Option<i64>, usize), AppError> {
        paging(given(self.cursor.as_deref()), self.limit)
    }
}

/// A cursor from an earlier page and a page length (1 to 200, default 50), checked.
pub fn paging(
    cursor: Option<&str>,
    limit: Option<usize>,
) -> Result<(Option<i64>, usize), AppError> {
    let limit = page_limit(limit)?;
    let cursor = cursor
        .map(|raw| {
            raw.parse::<i64>()
                .map_err(|_| InvalidValue::new("cursor", "is not a cursor from this API"))
        })
        .transpose()?;
    Ok((cursor, limit))
}

/// Narrows `filter` to the part of the trail `actor` may read, as the policy says, or refuses.
fn scoped(
    conn: &mut DbConnection,
    actor: &Actor,
    mut filter: AuditFilter,
    audited: AuditAction,
    now: NaiveDateTime,
) -> Result<AuditFilter, AppError> {
    match policy::audit_scope(actor) {
        AuditScope::All => {}
        AuditScope::CareTeamOf(doctor) => match filter.patient_id {
            Some(patient) => {
                let subject = Subject::new(audited);
                authorize(conn, actor, patient, Action::ReadChartAudit, subject, now)?;
            }
            None => filter.patient_ids = Some(care_team::charts_of(conn, doctor)?),
        },
        AuditScope::Nothing => {
            return Err(AppError::Denied(Denial::of_function(audited)));
        }
    }
    Ok(filter)
}

/// Whether the actor may open the audit viewer at all.
pub fn may_open_viewer(actor: &Actor) -> bool {
    policy::audit_scope(actor) != AuditScope::Nothing
}

/// Entries found in the trail, with the names of the users and charts they name.
pub struct Found<T> {
    pub entries: T,
    pub names: Names,
}

fn names_in(conn: &mut DbConnection, rows: &[AuditRow]) -> Result<Names, AppError> {
    let ids = rows
        .iter()
        .map(|row| (row.entry.actor_id.clone(), row.entry.patient_id.clone()));
    names::of(conn, ids)
}

/// Entries matching `filter`, newest first, as far as the actor may see them.
pub async fn search(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    filter: AuditFilter,
    before: Option<i64>,
    limit: usize,
) -> Result<Found<Page<AuditRow>>, AppError> {
    state
        .view(actor, meta, move |conn, uc| {
            let filter = scoped(conn, &actor, filter, AuditAction::AuditRead, uc.now)?;
            let page = audit::list(conn, &filter, before, limit)?;
            uc.record(Event::success(&actor, AuditAction::AuditRead));
            let names = names_in(conn, &page.items)?;
            Ok(Found {
                entries: page,
                names,
            })
        })
        .await
}

/// Up to `most` entries matching `filter`, newest first, for a file: one act, one entry.
pub async fn export(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    filter: AuditFilter,
    most: usize,
) -> Result<Found<Vec<AuditRow>>, AppError> {
    state
        .view(actor, meta, move |conn, uc| {
            let filter = scoped(conn, &actor, filter, AuditAction::AuditExport, uc.now)?;
            let mut rows: Vec<AuditRow> = Vec::new();
            let mut before = None;
            while rows.len() < most {
                let page = audit::list(conn, &filter, before, 200.min(most - rows.len()))?;
                before = page.items.last().map(|row| row.id);
                let more = page.next.is_some();
                rows.extend(page.items);
                if !more {
                    break;
                }
            }
            uc.record(Event::success(&actor, AuditAction::AuditExport));
            let names = names_in(conn, &rows)?;
            Ok(Found {
                entries: rows,
                names,
            })
        })
        .await
}

/// Who did something to a chart, as its access report may say: staff and the chart's guardians
/// by name, other patients never (a patient's report must not tell them who else is a patient
/// here).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Who {
    Named { id: String, name: String },
    AnotherPatient,
}

impl Who {
    pub fn name(&self) -> &str {
        match self {
            Who::Named { name, .. } => name,
            Who::AnotherPatient => "Another patient's account",
        }
    }
}

/// One act on a chart, as its patient sees it.
pub struct Access {
    pub row: AuditRow,
    pub who: Who,
    pub action: Option<AuditAction>,
}

impl Access {
    /// The act in a sentence: "Dr Amara Okafor viewed your chart", "Another patient's account
    /// tried to read your records and was refused".
    pub fn sentence(&self) -> String {
        let who = self.who.name();
        let Some(action) = self.action else {
            return format!("{who}: {}", self.row.entry.action);
        };
        if self.row.entry.outcome == Outcome::Success.as_str() {
            format!("{who} {}", action.in_words())
        } else {
            format!("{who} tried to {} and was refused", action.attempted())
        }
    }
}

/// Who touched a chart and when, besides the patient themselves, newest first.
pub async fn access_report(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    patient: PatientId,
    before: Option<i64>,
    limit: usize,
) -> Result<Page<Access>, AppError> {
    state
        .view(actor, meta, move |conn, uc| {
            let report = report_in(conn, &actor, patient, uc.now, before, limit)?;
            let event = Event::success(&actor, AuditAction::AccessReportRead).patient(patient);
            uc.record(event);
            Ok(report)
        })
        .await
}

/// A chart's access report, inside the use case of a page (which audits it).
pub fn report_in(
    conn: &mut DbConnection,
    actor: &Actor,
    patient: PatientId,
    now: NaiveDateTime,
    before: Option<i64>,
    limit: usize,
) -> Result<Page<Access>, AppError> {
    let subject = Subject::new(AuditAction::AccessReportRead);
    let granted = authorize(conn, actor, patient, Action::ReadChartAudit, subject, now)?;
    // Filtered in the query, not after it, so that no page comes back short while more
    // entries remain.
    let filter = AuditFilter {
        patient_id: Some(patient),
        signed_in: true,
        excluded_actor: granted.chart.user_id,
        ..AuditFilter::default()
    };
    let page = audit::list(conn, &filter, before, limit)?;
    let staff: Vec<UserId> = page
        .items
        .iter()
        .filter(|row| may_be_named(&row.entry))
        .filter_map(|row| row.entry.actor_id.as_deref()?.parse().ok())
        .collect();
    let mut names: HashMap<String, String> = users::names(conn, &staff)?.into_iter().collect();
    // The chart's guardians are no strangers to it: named, and said to be its guardians.
    let guardians = Tie::Guardian.named_members(conn, patient)?;
    names.extend(
        guardians
            .into_iter()
            .map(|g| (g.user_id.to_string(), format!("{} (guardian)", g.name))),
    );
    let items = page
        .items
        .into_iter()
        .map(|row| {
            let who = match &row.entry.actor_id {
                Some(id) if may_be_named(&row.entry) || names.contains_key(id) => Who::Named {
                    id: id.clone(),
                    name: names.get(id).cloned().unwrap_or_default(),
                },
                _ => Who::AnotherPatient,
            };
            Access {
                action: AuditAction::parse(&row.entry.action),
                who,
                row,
            }
        })
        .collect();
    Ok(Page {
        items,
        next: page.next,
    })
}

/// Whether the policy lets the actor of `entry` be named in an access report.
fn may_be_named(entry: &medvault_store::AuditEntry) -> bool {
    let role = entry
        .actor_role
        .as_deref()
        .and_then(|role| role.parse::<Role>().ok());
    role.is_some_and(policy::named_in_access_reports)
}
