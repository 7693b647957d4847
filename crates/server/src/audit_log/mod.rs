//! Reading the audit trail: the filtered viewer (admins: everything; doctors: their patients')
//! and a patient's access report (who looked at their chart, and when). Reading the trail is
//! itself audited.

pub mod api;

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime};
use medvault_domain::AuditAction;
use medvault_domain::policy::Action;
use medvault_domain::{Actor, InvalidValue, PatientId, Role};
use medvault_store::repo::audit::Outcome;
use medvault_store::repo::{audit, care_team, users};
use medvault_store::{AuditFilter, AuditRow, Page};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::api::{given, page_limit};
use crate::app::AppState;
use crate::audit::{Denial, Event, RequestMeta};
use crate::error::AppError;
use crate::patients::{Subject, authorize};

/// The viewer's filters as the caller typed them, in the API's query string or the web page's
/// form. A blank field is no filter.
#[derive(Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    pub actor_id: Option<String>,
    pub patient_id: Option<String>,
    /// E.g. `record.read`, `auth.login`, `emergency.open`.
    pub action: Option<String>,
    /// `success`, `denied` or `failure`.
    pub outcome: Option<String>,
    /// RFC 3339, inclusive.
    pub since: Option<String>,
    /// RFC 3339, exclusive.
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

fn time(value: &Option<String>, field: &'static str) -> Result<Option<NaiveDateTime>, AppError> {
    given(value.as_deref())
        .map(|raw| {
            DateTime::parse_from_rfc3339(raw)
                .map(|at| at.naive_utc())
                .map_err(|_| {
                    InvalidValue::new(
                        field,
                        "must be an RFC 3339 time such as 2026-01-31T08:00:00Z",
                    )
                    .into()
                })
        })
        .transpose()
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
            actor_id: text(&self.actor_id),
            patient_id: text(&self.patient_id),
            action: text(&self.action),
            outcome,
            since: time(&self.since, "since")?,
            until: time(&self.until, "until")?,
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

/// Entries matching `filter`, newest first, as far as the actor may see them.
pub async fn search(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    mut filter: AuditFilter,
    before: Option<i64>,
    limit: usize,
) -> Result<Page<AuditRow>, AppError> {
    state
        .run(actor, meta, move |conn, uc| {
            match actor.role {
                Role::Admin => {}
                Role::Doctor => match &filter.patient_id {
                    Some(patient) => {
                        let patient: PatientId = patient.parse().map_err(|_| AppError::NotFound)?;
                        authorize(
                            conn,
                            &actor,
                            patient,
                            Action::ReadChartAudit,
                            Subject::new(AuditAction::AuditRead),
                            uc.now,
                        )?;
                    }
                    None => filter.patient_ids = Some(care_team::charts_of(conn, actor.user_id)?),
                },
                _ => {
                    return Err(AppError::Denied(Denial {
                        action: AuditAction::AuditRead,
                        resource_id: None,
                        patient_id: None,
                    }));
                }
            }
            let page = audit::list(conn, &filter, before, limit)?;
            uc.record(conn, Event::success(&actor, AuditAction::AuditRead))?;
            Ok(page)
        })
        .await
}

/// Who did something to a chart, as its access report may say: staff by name, other patients
/// never (a patient's report must not tell them who else is a patient here).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Who {
    Staff { id: String, name: String },
    AnotherPatient,
}

impl Who {
    pub fn name(&self) -> &str {
        match self {
            Who::Staff { name, .. } => name,
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
        .run(actor, meta, move |conn, uc| {
            let granted = authorize(
                conn,
                &actor,
                patient,
                Action::ReadChartAudit,
                Subject::new(AuditAction::AccessReportRead),
                uc.now,
            )?;
            // Filtered in the query, not after it, so that no page comes back short while
            // more entries remain.
            let filter = AuditFilter {
                patient_id: Some(patient.to_string()),
                signed_in: true,
                excluded_actor: granted.chart.user_id.map(|id| id.to_string()),
                ..AuditFilter::default()
            };
            let page = audit::list(conn, &filter, before, limit)?;
            let staff: Vec<String> = page
                .items
                .iter()
                .filter(|row| !is_patient(&row.entry))
                .filter_map(|row| row.entry.actor_id.clone())
                .collect();
            let names: HashMap<String, String> = users::names(conn, &staff)?.into_iter().collect();
            let event = Event::success(&actor, AuditAction::AccessReportRead).patient(patient);
            uc.record(conn, event)?;
            let items = page
                .items
                .into_iter()
                .map(|row| {
                    let who = match &row.entry.actor_id {
                        Some(id) if !is_patient(&row.entry) => Who::Staff {
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
        })
        .await
}

fn is_patient(entry: &medvault_store::AuditEntry) -> bool {
    entry.actor_role.as_deref() == Some(Role::Patient.as_str())
}
