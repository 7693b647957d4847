//! A record's page: the record as it is, every earlier version with who wrote it and what it
//! changed, and (for those who may) the forms that amend it or mark it entered in error.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use medvault_domain::policy::{self, Action};
use medvault_domain::{RecordId, RecordStatus};
use medvault_store::repo::records::RecordVersion;
use serde::Deserialize;

use super::{Change, RecordText};
use crate::api::path_id;
use crate::app::AppState;
use crate::audit::RequestMeta;
use crate::auth::csrf::Csrf;
use crate::auth::{Caller, WebCaller};
use crate::error::AppError;
use crate::http::versions;
use crate::web::views::{
    Chrome, RecordForm, RecordPage, RecordRow, VersionRow, notice, to_the_minute,
};
use crate::web::{WebForm, WebQuery, render};

#[derive(Deserialize)]
pub struct RecordQuery {
    notice: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    csrf: Csrf,
    Path(id): Path<String>,
    WebQuery(query): WebQuery<RecordQuery>,
) -> Response {
    let page = async {
        let id: RecordId = path_id(&id)?;
        let chrome =
            Chrome::signed_in(&caller, csrf.token()).notice(notice(query.notice.as_deref()));
        show(&state, &meta, &caller, &csrf, id, chrome, None).await
    };
    page.await.unwrap_or_else(AppError::into_response_html)
}

/// The record's page, with the amendment form as typed (or as the record reads now).
async fn show(
    state: &AppState,
    meta: &RequestMeta,
    caller: &Caller,
    csrf: &Csrf,
    id: RecordId,
    chrome: Chrome,
    typed: Option<RecordForm>,
) -> Result<Response, AppError> {
    let history = super::history(state, caller.actor, meta, id).await?;
    let record = history.record;
    let may_change =
        policy::decide(&caller.actor, Action::WriteRecord, history.relation).is_allowed();
    let form = typed.unwrap_or_else(|| RecordForm {
        kind: record.kind.as_str().to_owned(),
        title: record.title.clone(),
        notes: record.notes.clone(),
    });
    Ok(render(&RecordPage {
        chrome,
        csrf: csrf.token().to_owned(),
        version: record.version,
        versions: version_rows(&history.versions),
        form: (may_change && record.status != RecordStatus::EnteredInError).then_some(form),
        record: RecordRow::new(&record, None),
    }))
}

/// The history, newest first, each version with what it changed from the one before.
fn version_rows(versions: &[RecordVersion]) -> Vec<VersionRow> {
    let mut rows: Vec<VersionRow> = versions
        .iter()
        .enumerate()
        .map(|(n, version)| {
            let before = n.checked_sub(1).and_then(|i| versions.get(i));
            VersionRow {
                version: version.version,
                kind: version.kind.label(),
                title: version.title.clone(),
                notes: version.notes.clone(),
                written_by: version.written_by_name.clone(),
                written_at: crate::api::timestamp(version.written_at),
                written_display: to_the_minute(version.written_at),
                changed: super::api::changed(before, version).join(", "),
                status_reason: version.status_reason.clone().unwrap_or_default(),
            }
        })
        .collect();
    rows.reverse();
    rows
}

#[derive(Deserialize)]
pub struct AmendForm {
    version: Option<String>,
    kind: Option<String>,
    title: String,
    notes: String,
}

#[derive(Deserialize)]
pub struct ErrorForm {
    version: Option<String>,
    reason: String,
}

pub async fn amend(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    csrf: Csrf,
    Path(id): Path<String>,
    WebForm(form): WebForm<AmendForm>,
) -> Response {
    let typed = RecordForm {
        kind: form.kind.clone().unwrap_or_default(),
        title: form.title.clone(),
        notes: form.notes.clone(),
    };
    let change = Change::Amend(RecordText {
        kind: form.kind,
        title: form.title,
        notes: form.notes,
    });
    after_change(state, meta, caller, csrf, id, form.version, change, typed).await
}

pub async fn entered_in_error(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    csrf: Csrf,
    Path(id): Path<String>,
    WebForm(form): WebForm<ErrorForm>,
) -> Response {
    let change = Change::EnteredInError {
        reason: form.reason,
    };
    after_change(
        state,
        meta,
        caller,
        csrf,
        id,
        form.version,
        change,
        RecordForm::default(),
    )
    .await
}

/// Makes a change from a form: onward to the record when it worked; back to its page with what
/// was typed when the input or the version was at fault.
#[allow(clippy::too_many_arguments)]
async fn after_change(
    state: AppState,
    meta: RequestMeta,
    caller: Caller,
    csrf: Csrf,
    id: String,
    version: Option<String>,
    change: Change,
    typed: RecordForm,
) -> Response {
    let page = async {
        let id: RecordId = path_id(&id)?;
        let version = versions::from_form(version.as_deref())?;
        let refusal = match super::change(&state, caller.actor, &meta, id, version, change).await {
            Ok(_) => {
                return Ok(
                    Redirect::to(&format!("/records/{id}?notice=record_changed")).into_response(),
                );
            }
            Err(refusal @ (AppError::Invalid(_) | AppError::Stale { .. })) => refusal,
            Err(error) => return Err(error),
        };
        let message = match refusal {
            AppError::Stale { .. } => "Someone changed this record since you opened it, and \
                 your change is not saved yet. The record as it is now is below, with what you \
                 typed in the form; save again to keep yours."
                .to_owned(),
            other => other.public_message(),
        };
        let chrome = Chrome::signed_in(&caller, csrf.token()).error(Some(message));
        let kept = (!typed.title.is_empty() || !typed.notes.is_empty()).then_some(typed);
        let mut response = show(&state, &meta, &caller, &csrf, id, chrome, kept).await?;
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        Ok(response)
    };
    page.await.unwrap_or_else(AppError::into_response_html)
}
