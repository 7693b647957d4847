//! The institutions pages: `/institutions`, where care is given (and where a system admin opens
//! one), and `/institutions/{id}`, an institution as its staff see it: its staff (which its
//! admins manage), its doctors' weeks, and the import of patients and staff from a CSV file.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use medvault_domain::institutions::StaffRole;
use medvault_domain::policy::{self, InstitutionAct, Standing};
use medvault_domain::{AuditAction, InstitutionId, Role};
use medvault_store::repo::institutions::{Institution, Member};
use serde::Deserialize;

use super::{InstitutionInput, StaffInput, StaffMember};
use crate::api::{given, path_id};
use crate::app::AppState;
use crate::audit::RequestMeta;
use crate::auth::WebCaller;
use crate::auth::csrf::Csrf;
use crate::error::AppError;
use crate::files::upload::UploadBody;
use crate::imports::following::{Seen, Ticket};
use crate::imports::{Kind, Progress, Report};
use crate::web::refused::after;
use crate::web::views::{Chrome, notice};
use crate::web::{NoticeQuery, WebForm, WebQuery, render};

#[derive(Template)]
#[template(path = "institutions/list.html")]
struct ListPage {
    chrome: Chrome,
    csrf: String,
    can_open: bool,
    /// Id, name, kind, time zone, the caller's role there.
    places: Vec<(
        String,
        String,
        &'static str,
        &'static str,
        Option<&'static str>,
    )>,
}

pub async fn list(
    State(state): State<AppState>,
    WebCaller(caller): WebCaller,
    csrf: Csrf,
    WebQuery(query): WebQuery<NoticeQuery>,
) -> Response {
    let shown = async {
        let places = super::list(&state, caller.actor).await?;
        Ok::<_, AppError>(render(&ListPage {
            chrome: Chrome::signed_in(&caller, csrf.token())
                .notice(notice(query.notice.as_deref())),
            csrf: csrf.token().to_owned(),
            can_open: policy::decide_at(&caller.actor, InstitutionAct::Create, Standing::Outsider)
                .is_allowed(),
            places: places
                .into_iter()
                .map(|(place, role)| {
                    (
                        place.id.to_string(),
                        place.name,
                        place.kind.as_str(),
                        place.time_zone.name(),
                        role.map(StaffRole::as_str),
                    )
                })
                .collect(),
        }))
    };
    shown.await.unwrap_or_else(AppError::into_response_html)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenForm {
    #[allow(dead_code)] // Checked by the CSRF guard before the handler runs.
    csrf: String,
    name: String,
    kind: String,
    time_zone: String,
    address: Option<String>,
    phone: Option<String>,
}

pub async fn open(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    WebForm(form): WebForm<OpenForm>,
) -> Response {
    let input = InstitutionInput {
        name: form.name,
        kind: form.kind,
        address: form.address,
        time_zone: form.time_zone,
        phone: form.phone,
        email: None,
    };
    match super::create(&state, caller.actor, &meta, input).await {
        Ok(place) => Redirect::to(&format!(
            "/institutions/{}?notice=institution_opened",
            place.id
        ))
        .into_response(),
        Err(error) => error.into_response_html(),
    }
}

#[derive(Template)]
#[template(path = "institutions/institution.html")]
struct InstitutionPage {
    chrome: Chrome,
    csrf: String,
    place: Institution,
    kind: &'static str,
    zone: &'static str,
    staff: Vec<Member>,
    manages_staff: bool,
    at_desk: bool,
    report: Option<Report>,
    /// The caller's user id: a doctor sets their own hours from here.
    me: String,
}

impl InstitutionPage {
    fn member_role(member: &Member) -> &'static str {
        member.role.as_str()
    }

    fn bookable(member: &Member) -> bool {
        member.role == StaffRole::Clinician && member.account_role == Role::Doctor
    }
}

async fn institution_page(
    (state, meta): (&AppState, &RequestMeta),
    caller: &crate::auth::Caller,
    csrf: &Csrf,
    (id, notice_code, report): (InstitutionId, Option<&str>, Option<Report>),
) -> Result<Response, AppError> {
    let actor = caller.actor;
    let (place, standing, staff) = state
        .view(actor, meta, move |conn, _| {
            let act = InstitutionAct::ListStaff;
            let (place, standing) =
                super::authorize_at(conn, &actor, id, act, AuditAction::StaffList)?;
            let staff = medvault_store::repo::institutions::staff(conn, id, None)?;
            Ok((place, standing, staff))
        })
        .await?;
    Ok(render(&InstitutionPage {
        chrome: Chrome::signed_in(caller, csrf.token()).notice(notice(notice_code)),
        csrf: csrf.token().to_owned(),
        kind: place.kind.as_str(),
        zone: place.time_zone.name(),
        place,
        staff,
        manages_staff: policy::decide_at(&actor, InstitutionAct::ManageStaff, standing)
            .is_allowed(),
        at_desk: policy::decide_at(&actor, InstitutionAct::RegisterPatients, standing).is_allowed(),
        report,
        me: actor.user_id.to_string(),
    }))
}

pub async fn page(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    csrf: Csrf,
    Path(id): Path<String>,
    WebQuery(query): WebQuery<NoticeQuery>,
) -> Response {
    let shown = async {
        let id = path_id(&id)?;
        let notice = query.notice.as_deref();
        institution_page((&state, &meta), &caller, &csrf, (id, notice, None)).await
    };
    shown.await.unwrap_or_else(AppError::into_response_html)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffForm {
    #[allow(dead_code)] // Checked by the CSRF guard before the handler runs.
    csrf: String,
    email: String,
    role: String,
}

pub async fn add_staff(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    Path(id): Path<String>,
    WebForm(form): WebForm<StaffForm>,
) -> Response {
    let done = async {
        let input = StaffInput {
            user: StaffMember::Email(form.email),
            role: form.role,
        };
        super::put_staff(&state, caller.actor, &meta, path_id(&id)?, input).await?;
        Ok(())
    };
    after(done.await, &format!("/institutions/{id}"), "staff_saved")
}

pub async fn remove_staff(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    Path((id, user)): Path<(String, String)>,
) -> Response {
    let done = async {
        super::remove_staff(&state, caller.actor, &meta, path_id(&id)?, path_id(&user)?).await
    };
    after(done.await, &format!("/institutions/{id}"), "staff_removed")
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    #[allow(dead_code)] // Checked by the CSRF guard before the handler runs.
    csrf: String,
    #[serde(default)]
    dry_run: bool,
    /// The page's name for this upload, by which it follows the import's progress.
    ticket: Option<String>,
}

/// Imports a CSV file sent from the institution's page, and shows the page again with what it
/// did (or would do); a refused file's rows are listed on an error page.
pub async fn import(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    csrf: Csrf,
    Path((id, kind)): Path<(String, String)>,
    WebQuery(query): WebQuery<ImportQuery>,
    body: Result<UploadBody, AppError>,
) -> Response {
    let done = async {
        let place = path_id(&id)?;
        let kind = Kind::parse(&kind).ok_or(AppError::NotFound)?;
        let ticket = given(query.ticket.as_deref())
            .map(Ticket::parse)
            .transpose()?;
        crate::imports::may_import(&state, (caller.actor, &meta), place, kind.asks()).await?;
        let (actor, progress) = (caller.actor, Progress::default());
        let _followed = ticket.map(|t| state.imports.follow(actor.user_id, t, progress.clone()));
        let file = body?.receive(state.config.max_upload_bytes).await?;
        let sent = (kind, place, file.content.as_slice());
        let report =
            crate::imports::import(&state, (actor, &meta), sent, query.dry_run, progress).await?;
        institution_page((&state, &meta), &caller, &csrf, (place, None, Some(report))).await
    };
    done.await
        .unwrap_or_else(|error| rows_page(error, &caller, &csrf))
}

/// How far the caller's import under a ticket has gone on this server, for its page's progress
/// bar. Counts of rows only: nothing here is about a patient.
pub async fn import_progress(
    State(state): State<AppState>,
    WebCaller(caller): WebCaller,
    Path(ticket): Path<String>,
) -> Result<axum::Json<Seen>, AppError> {
    let ticket = Ticket::parse(&ticket)?;
    Ok(axum::Json(
        state.imports.seen_by(caller.actor.user_id, ticket),
    ))
}

#[derive(Template)]
#[template(path = "institutions/refused_rows.html")]
struct RefusedRows {
    chrome: Chrome,
    rows: Vec<crate::imports::RowError>,
}

/// A refused import's faults, row by row; any other error as its page.
fn rows_page(error: AppError, caller: &crate::auth::Caller, csrf: &Csrf) -> Response {
    match error {
        AppError::InvalidRows(rows) => {
            let page = render(&RefusedRows {
                chrome: Chrome::signed_in(caller, csrf.token()),
                rows,
            });
            (axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
        }
        other => other.into_response_html(),
    }
}
