//! The audit viewer's pages: the filtered trail in words, and the same as a CSV file.

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use medvault_domain::AuditAction;
use medvault_store::AuditRow;

use super::{AuditQuery, Reader};
use crate::app::AppState;
use crate::audit::RequestMeta;
use crate::auth::csrf::Csrf;
use crate::auth::{Caller, WebCaller};
use crate::dashboards::home_of;
use crate::error::AppError;
use crate::http::json::ApiQuery;
use crate::web::render;
use crate::web::views::{Chrome, Moment};

/// How many entries one CSV export holds at most, newest first.
const EXPORT_ROWS: usize = 10_000;

#[derive(Template)]
#[template(path = "audit_log/viewer.html")]
struct ViewerPage {
    chrome: Chrome,
    entries: Vec<EntryRow>,
    filter: FilterForm,
    actions: Vec<&'static str>,
    /// The query string of the next page, and of the CSV export of these filters.
    next: Option<String>,
    export: String,
}

/// One entry as the viewer shows it: names, not ids; the act in words.
struct EntryRow {
    at: Moment,
    who: String,
    role: String,
    what: String,
    code: String,
    outcome: String,
    emergency: bool,
    reason: String,
    patient: String,
    correlation_id: String,
}

/// The filters as typed, to show them again.
#[derive(Default)]
struct FilterForm {
    user: String,
    patient: String,
    action: String,
    outcome: String,
    since: String,
    until: String,
}

impl FilterForm {
    fn from(query: &AuditQuery) -> Self {
        let shown = |value: &Option<String>| value.clone().unwrap_or_default();
        FilterForm {
            user: shown(&query.user),
            patient: shown(&query.patient),
            action: shown(&query.action),
            outcome: shown(&query.outcome),
            since: shown(&query.since),
            until: shown(&query.until),
        }
    }

    /// These filters as a query string, with `extra` pairs after them.
    fn query(&self, extra: &[(&str, &str)]) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (name, value) in [
            ("user", &self.user),
            ("patient", &self.patient),
            ("action", &self.action),
            ("outcome", &self.outcome),
            ("since", &self.since),
            ("until", &self.until),
        ] {
            if !value.is_empty() {
                query.append_pair(name, value);
            }
        }
        for (name, value) in extra {
            query.append_pair(name, value);
        }
        query.finish()
    }
}

fn entry_row(row: &AuditRow, names: &HashMap<String, String>) -> EntryRow {
    let entry = &row.entry;
    let named = |id: &Option<String>| {
        id.as_ref()
            .map(|id| names.get(id).cloned().unwrap_or_else(|| id.clone()))
            .unwrap_or_default()
    };
    let what = AuditAction::parse(&entry.action).map_or_else(
        || entry.action.clone(),
        |a| a.said_to(Reader::Staff).to_owned(),
    );
    EntryRow {
        at: Moment::from(entry.at),
        who: match &entry.actor_id {
            Some(_) => named(&entry.actor_id),
            None => "Someone not signed in".to_owned(),
        },
        role: entry.actor_role.clone().unwrap_or_default(),
        what,
        code: entry.action.clone(),
        outcome: entry.outcome.clone(),
        emergency: entry.emergency,
        reason: entry.reason.clone().unwrap_or_default(),
        patient: named(&entry.patient_id),
        correlation_id: entry.correlation_id.clone().unwrap_or_default(),
    }
}

/// Only admins and doctors read the trail; the rest are sent home.
fn reader_or_home(caller: &Caller) -> Option<Response> {
    (!super::may_open_viewer(&caller.actor))
        .then(|| Redirect::to(home_of(caller.actor.role)).into_response())
}

pub async fn viewer(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    csrf: Csrf,
    query: Result<ApiQuery<AuditQuery>, AppError>,
) -> Response {
    if let Some(home) = reader_or_home(&caller) {
        return home;
    }
    let page = async {
        let ApiQuery(query) = query?;
        let (cursor, limit) = query.page()?;
        let super::Found {
            entries: found,
            names,
        } = super::search(&state, caller.actor, &meta, query.filter()?, cursor, limit).await?;
        let filter = FilterForm::from(&query);
        Ok::<_, AppError>(render(&ViewerPage {
            chrome: Chrome::signed_in(&caller, csrf.token()),
            entries: found
                .items
                .iter()
                .map(|row| entry_row(row, &names))
                .collect(),
            next: found.next.map(|next| filter.query(&[("cursor", &next)])),
            export: filter.query(&[]),
            filter,
            actions: AuditAction::ALL.iter().map(|a| a.as_str()).collect(),
        }))
    };
    page.await.unwrap_or_else(AppError::into_response_html)
}

/// The filtered trail as CSV, for a spreadsheet or an auditor.
pub async fn export(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    query: Result<ApiQuery<AuditQuery>, AppError>,
) -> Response {
    if let Some(home) = reader_or_home(&caller) {
        return home;
    }
    let file = async {
        let ApiQuery(query) = query?;
        let found =
            super::export(&state, caller.actor, &meta, query.filter()?, EXPORT_ROWS).await?;
        Ok::<_, AppError>(csv(&found.entries, &found.names))
    };
    match file.await {
        Ok(body) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"medvault-audit.csv\"",
                ),
            ],
            body,
        )
            .into_response(),
        Err(error) => error.into_response_html(),
    }
}

fn csv(rows: &[AuditRow], names: &HashMap<String, String>) -> String {
    let mut out = String::from(
        "id,at,actor_id,actor_name,actor_role,action,outcome,patient_id,patient_name,\
         resource_type,resource_id,emergency,reason,client_addr,correlation_id\r\n",
    );
    for row in rows {
        let entry = &row.entry;
        let name = |id: &Option<String>| id.as_ref().and_then(|id| names.get(id)).cloned();
        let fields = [
            Some(row.id.to_string()),
            Some(crate::api::timestamp(entry.at)),
            entry.actor_id.clone(),
            name(&entry.actor_id),
            entry.actor_role.clone(),
            Some(entry.action.clone()),
            Some(entry.outcome.clone()),
            entry.patient_id.clone(),
            name(&entry.patient_id),
            Some(entry.resource_type.clone()),
            entry.resource_id.clone(),
            Some(entry.emergency.to_string()),
            entry.reason.clone(),
            entry.client_addr.clone(),
            entry.correlation_id.clone(),
        ];
        let line: Vec<String> = fields
            .iter()
            .map(|field| csv_field(field.as_deref().unwrap_or_default()))
            .collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

/// One CSV field (RFC 4180), made safe to open in a spreadsheet: text a spreadsheet would take
/// for a formula (a reason typed as `=HYPERLINK(…)`, say) is prefixed with an apostrophe.
fn csv_field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    #[test]
    fn csv_fields_are_quoted_and_never_formulas() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a, b"), "\"a, b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("-1"), "'-1");
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
    }
}
